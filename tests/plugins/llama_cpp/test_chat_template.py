"""Choosing and rendering chat templates (rendering is llama-cpp-python's Jinja formatter)."""

from __future__ import annotations

from llamadesk.core.models.chat import ChatTurn, Role
from llamadesk.plugins.llama_cpp.chat_template import NAMED_TEMPLATES, ChatPrompt, choose_template

TURNS = [ChatTurn(role=Role.SYSTEM, content="Be brief."), ChatTurn(role=Role.USER, content="Hi")]


def test_model_template_is_used() -> None:
    choice = choose_template("{{ messages[0]['content'] }}", None)
    assert choice.source == "gguf" and not choice.warnings


def test_override_by_name_or_jinja() -> None:
    assert choose_template("x", "llama3").source == "llama3"
    choice = choose_template("x", "{% for m in messages %}{{ m['content'] }}{% endfor %}")
    assert choice.source == "override"
    assert ChatPrompt(choice, "", "").render(TURNS) == "Be brief.Hi"


def test_missing_template_falls_back_to_chatml_with_a_warning() -> None:
    choice = choose_template(None, None)
    assert choice.source == "chatml"
    assert "no chat template" in choice.warnings[0] and "chat_template" in choice.warnings[0]
    prompt = ChatPrompt(choice, "<s>", "</s>").render(TURNS)
    assert prompt == (
        "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
    )


def test_every_named_template_renders() -> None:
    for name in NAMED_TEMPLATES:
        prompt = ChatPrompt(choose_template(None, name), "<s>", "</s>").render(TURNS)
        assert "Hi" in prompt, name
