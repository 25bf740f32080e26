"""Rendering tools and tool turns into prompts, and the grammar that forces a call."""

from __future__ import annotations

import json
from pathlib import Path

from llamadesk.core.gguf import read_gguf
from llamadesk.core.models.chat import ChatTurn, Role
from llamadesk.core.models.llama import SamplingParams
from llamadesk.core.models.tools import NamedToolChoice, ToolCall, ToolDefinition
from llamadesk.plugins.llama_cpp.chat_template import ChatPrompt, choose_template
from llamadesk.plugins.llama_cpp.tool_use import ToolUse, tool_call_grammar

WEATHER = ToolDefinition(
    name="get_weather",
    description="Current weather in a city",
    parameters={"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
)
TIME = ToolDefinition(name="get_time", description="The time now")
CALL = ToolCall(id="call_1", name="get_weather", arguments='{"city": "Paris"}')
CONVERSATION = [
    ChatTurn(role=Role.SYSTEM, content="Be brief."),
    ChatTurn(role=Role.USER, content="Weather in Paris?"),
    ChatTurn(role=Role.ASSISTANT, content="", tool_calls=[CALL]),
    ChatTurn(role=Role.TOOL, content="21 C, sunny", tool_call_id="call_1", name="get_weather"),
]

# A small tool-aware template in the manner of Qwen 2.5's: it reads `tools`, an assistant's
# `tool_calls` (arguments as an object) and tool messages.
TOOL_AWARE = (
    "{% if tools %}<|tools|>{% for t in tools %}{{ t.function.name }}:{{ t.function.parameters | tojson }}\n"
    "{% endfor %}{% endif %}"
    "{% for m in messages %}<|{{ m.role }}|>{{ m.content }}"
    "{% if m.tool_calls %}{% for c in m.tool_calls %}[call {{ c.id }} {{ c.function.name }} "
    "{{ c.function.arguments | tojson }}]{% endfor %}{% endif %}"
    "{% if m.role == 'tool' %}[for {{ m.tool_call_id }} {{ m.name }}]{% endif %}{{ '\\n' }}{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)


def prompt_for(template: str) -> ChatPrompt:
    return ChatPrompt(choose_template(template, None), "<s>", "</s>")


def test_a_tool_aware_template_gets_tools_and_tool_turns_as_it_expects() -> None:
    prompt = prompt_for(TOOL_AWARE)
    assert prompt.reads_tools
    text = prompt.render(CONVERSATION, [WEATHER])
    assert text == (
        '<|tools|>get_weather:{"type": "object", "properties": {"city": {"type": "string"}}, '
        '"required": ["city"]}\n'
        "<|system|>Be brief.\n"
        "<|user|>Weather in Paris?\n"
        '<|assistant|>[call call_1 get_weather {"city": "Paris"}]\n'
        "<|tool|>21 C, sunny[for call_1 get_weather]\n"
        "<|assistant|>"
    )


def test_no_tools_offered_renders_no_tools() -> None:
    text = prompt_for(TOOL_AWARE).render(CONVERSATION[:2], [])
    assert "<|tools|>" not in text
    assert prompt_for(TOOL_AWARE).render(CONVERSATION[:2]) == text


def test_a_template_without_tools_gets_them_in_the_system_prompt(starter_model: Path) -> None:
    template = str(read_gguf(starter_model).metadata["tokenizer.chat_template"])
    prompt = prompt_for(template)
    assert not prompt.reads_tools  # SmolLM2's template ignores tools
    text = prompt.render(CONVERSATION, [WEATHER, TIME])
    system = text.split("<|im_end|>")[0]
    assert system.startswith("<|im_start|>system\nBe brief.\n\n# Tools")
    listed = system.split("<tools>\n")[1].split("\n</tools>")[0].splitlines()
    assert [json.loads(line)["function"]["name"] for line in listed] == ["get_weather", "get_time"]
    assert json.loads(listed[0])["function"]["parameters"] == WEATHER.parameters
    assert "<tool_call>" in system  # how to call
    assert (
        '<|im_start|>assistant\n<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n'
        "</tool_call><|im_end|>\n"
        "<|im_start|>user\n<tool_response>\n21 C, sunny\n</tool_response><|im_end|>\n"
        "<|im_start|>assistant\n"
    ) in text


def test_fallback_adds_a_system_turn_and_joins_results_of_one_answer() -> None:
    turns = [
        ChatTurn(role=Role.USER, content="Both?"),
        ChatTurn(
            role=Role.ASSISTANT, content="Checking.", tool_calls=[CALL, CALL.model_copy(update={"id": "c2"})]
        ),
        ChatTurn(role=Role.TOOL, content="one", tool_call_id="call_1"),
        ChatTurn(role=Role.TOOL, content="two", tool_call_id="c2"),
    ]
    text = prompt_for(choose_template(None, "chatml").template).render(turns, [WEATHER])
    assert text.startswith("<|im_start|>system\n# Tools")
    assert "<|im_start|>assistant\nChecking.\n<tool_call>\n" in text
    assert text.count('<tool_call>\n{"name": "get_weather"') == 2
    assert "<tool_response>\none\n</tool_response>\n<tool_response>\ntwo\n</tool_response><|im_end|>" in text
    assert text.count("<|im_start|>user") == 2


def test_fallback_without_tools_still_shows_the_history_as_text() -> None:
    text = prompt_for(choose_template(None, "chatml").template).render(CONVERSATION, [])
    assert "# Tools" not in text and "<tool_call>" in text and "<tool_response>" in text


def test_a_grammar_only_for_required_or_a_named_function() -> None:
    assert tool_call_grammar([WEATHER], "auto") is None
    assert tool_call_grammar([WEATHER], "none") is None
    named = tool_call_grammar([WEATHER, TIME], NamedToolChoice(name="get_weather"))
    assert named is not None and '\\"get_weather\\"' in named and "get_time" not in named
    required = tool_call_grammar([WEATHER, TIME], "required")
    assert required is not None and "get_weather" in required and "get_time" in required


def test_a_schema_the_converter_cannot_read_still_forces_a_call() -> None:
    odd = ToolDefinition(name="odd", parameters={"type": "object", "properties": {"x": {"type": "weird"}}})
    grammar = tool_call_grammar([odd], "required")
    assert grammar is not None and '\\"odd\\"' in grammar


def test_tool_choice_none_offers_nothing_and_forces_nothing() -> None:
    use = ToolUse([WEATHER], "none")
    assert use.offered == [] and use.grammar is None
    forced = ToolUse([WEATHER], "required")
    assert forced.offered == [WEATHER]
    sampling = forced.sampling(SamplingParams(json_schema={"type": "object"}))
    assert sampling.grammar == forced.grammar and sampling.json_schema is None
