"""Truncation of the oldest turns when the prompt does not fit the context."""

from __future__ import annotations

from llamadesk.core.models.chat import ChatTurn, Role
from llamadesk.core.services.chat import ChatService
from llamadesk.core.services.chat_prompt import answer_reserve, estimate_tokens, fit_context, template_reserve


def words(text: str) -> int:
    return len(text.split())


def turns(*contents: str) -> list[ChatTurn]:
    roles = [Role.USER, Role.ASSISTANT]
    return [ChatTurn(role=roles[i % 2], content=c) for i, c in enumerate(contents)]


def test_everything_fits() -> None:
    prompt, dropped = fit_context("sys", turns("a", "b", "c"), budget=100, count_tokens=words)
    assert dropped == 0
    assert [t.content for t in prompt] == ["sys", "a", "b", "c"]


def test_oldest_turns_dropped_system_prompt_kept() -> None:
    history = turns("one " * 10, "two " * 10, "three " * 10, "four " * 10, "five")
    # each turn costs its words + 6; system 1 + 6 = 7; budget leaves room for the last three turns
    prompt, dropped = fit_context("system", history, budget=7 + 16 + 16 + 7, count_tokens=words)
    assert prompt[0] == ChatTurn(role=Role.SYSTEM, content="system")
    assert [t.content.split()[0] for t in prompt[1:]] == ["three", "four", "five"]
    assert dropped == 2


def test_a_cut_never_leaves_an_assistant_turn_first() -> None:
    history = turns("u1 " * 10, "a1 " * 10, "u2 " * 10, "a2 " * 10, "u3")
    prompt, dropped = fit_context("", history, budget=25, count_tokens=words)
    assert [t.role for t in prompt] == [Role.USER]  # a2 alone would open the prompt: dropped too
    assert dropped == 4


def test_the_message_answered_is_kept_even_if_too_long() -> None:
    prompt, dropped = fit_context("sys", turns("old", "reply", "x " * 1000), budget=10, count_tokens=words)
    assert [t.role for t in prompt] == [Role.SYSTEM, Role.USER]
    assert dropped == 2


def test_estimate_and_reserve() -> None:
    assert estimate_tokens("") == 1
    assert estimate_tokens("a" * 300) == 101
    assert answer_reserve(4096, None) == 1024
    assert answer_reserve(2048, None) == 512
    assert answer_reserve(4096, 100) == 100
    assert answer_reserve(1000, 5000) == 500
    # what a template adds once (BOS, generation prompt, a default system prompt)
    assert template_reserve(2048) == 64 and template_reserve(200) == 12


def test_service_reports_dropped_turns(store, config, generator) -> None:
    # 200-token context, answer reserve 50, template 12: 138 tokens of prompt (counted as words here)
    service = ChatService(
        store, config, generator, prepare_model=lambda model, load, on_event: 200, count_tokens=words
    )
    config.update({"chat": {"generate_titles": False}})
    session = service.new_session(model="starter", system_prompt="keep me")
    generator.reply = lambda r: "word " * 40
    for i in range(4):
        reply = service.send(session.id, f"question {i} " + "pad " * 20)
    events = []
    reply = service.send(session.id, "last question", on_event=events.append)
    request = generator.requests[-1]
    assert request.messages[0].content == "keep me"
    assert request.messages[-1].content == "last question"
    assert reply.dropped_turns > 0
    assert events[0].dropped_turns == reply.dropped_turns
    assert len(request.messages) == 1 + 9 - reply.dropped_turns
    assert sum(words(t.content) + 6 for t in request.messages) <= 138


def counted_chat(store, config, generator, model_counts):
    """A 200-token context whose model counts tokens with `model_counts`; the estimate counts words."""
    service = ChatService(
        store,
        config,
        generator,
        prepare_model=lambda model, load, on_event: 200,
        count_tokens=words,
        count_model_tokens=model_counts,
    )
    config.update({"chat": {"generate_titles": False}})
    generator.reply = lambda r: "word " * 40
    return service, service.new_session(model="starter", system_prompt="keep me")


def test_the_models_own_counts_decide_what_fits(store, config, generator) -> None:
    asked: list[tuple[str, list[str]]] = []

    def model_counts(model: str, texts: list[str]) -> list[int] | None:
        asked.append((model, texts))
        return [1 for _ in texts]  # a tokenizer that packs each message into one token

    service, session = counted_chat(store, config, generator, model_counts)
    for i in range(3):
        service.send(session.id, f"question {i} " + "pad " * 20)
    reply = service.send(session.id, "last question")
    assert reply.dropped_turns == 0  # by the word estimate, turns would have been dropped
    assert len(generator.requests[-1].messages) == 1 + 7
    model, texts = asked[-1]
    assert model == "starter" and texts[0] == "keep me" and texts[1] == "last question"


def test_a_model_that_cannot_count_falls_back_to_the_estimate(store, config, generator) -> None:
    service, session = counted_chat(store, config, generator, lambda model, texts: None)
    for i in range(4):
        service.send(session.id, f"question {i} " + "pad " * 20)
    assert service.send(session.id, "last question").dropped_turns > 0
