"""Finding tool calls in streamed output (lib/tool_calls.py), and the tool data's rules."""

from __future__ import annotations

import itertools
import json

import pytest
from pydantic import ValidationError

from llamadesk.core.models.chat import ChatTurn, Role
from llamadesk.core.models.llama import GenerateRequest
from llamadesk.core.models.tools import NamedToolChoice, ToolCall, ToolDefinition
from llamadesk.lib.tool_calls import ToolCallSplitter, parse_tool_calls

HERMES = (
    'Let me look.\n<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>\n'
    '<tool_call>\n{"name": "get_time", "arguments": {"zone": "CET"}}\n</tool_call>'
)
LLAMA3 = '{"name": "get_weather", "parameters": {"city": "Paris {centre}"}}; {"name": "get_time", "parameters": {}}'
MISTRAL = '[TOOL_CALLS] [{"name": "get_weather", "arguments": {"city": "Paris"}}]'
PLAIN = "A <b>bold</b> answer with [brackets] and {braces}, and a <tool_ mention."


def run(
    chunks: list[str], *, bare_json: bool = True, tool_names: tuple[str, ...] = ()
) -> tuple[str, list[tuple[str, dict[str, object]]]]:
    """Content text and (name, arguments) of the calls, fed as these chunks."""
    ids = (f"call_{n}" for n in itertools.count())
    splitter = ToolCallSplitter(bare_json=bare_json, tool_names=tool_names, new_id=lambda: next(ids))
    pieces = [piece for chunk in chunks for piece in splitter.feed(chunk)] + splitter.flush()
    content = "".join(piece for piece in pieces if isinstance(piece, str))
    calls = [(p.name, json.loads(p.arguments)) for p in pieces if isinstance(p, ToolCall)]
    return content, calls


def cuts(text: str) -> list[list[str]]:
    """The text in two pieces cut at every position, and one character at a time."""
    return [[text[:i], text[i:]] for i in range(len(text) + 1)] + [list(text)]


def test_hermes_calls_several_in_one_answer() -> None:
    assert run([HERMES]) == (
        "Let me look.\n",
        [("get_weather", {"city": "Paris"}), ("get_time", {"zone": "CET"})],
    )


def test_llama3_bare_json_with_parameters() -> None:
    assert run([LLAMA3]) == ("", [("get_weather", {"city": "Paris {centre}"}), ("get_time", {})])


def test_mistral_tool_calls_array() -> None:
    assert run([MISTRAL]) == ("", [("get_weather", {"city": "Paris"})])
    # llama.cpp leaves the control token [TOOL_CALLS] out of the text: the array alone.
    assert run([MISTRAL.removeprefix("[TOOL_CALLS]")]) == ("", [("get_weather", {"city": "Paris"})])


@pytest.mark.parametrize(
    "text",
    [HERMES, LLAMA3, MISTRAL, MISTRAL.removeprefix("[TOOL_CALLS]"), PLAIN, "[1] is a footnote"],
    ids=["hermes", "llama3", "mistral", "mistral-array", "plain", "brackets"],
)
def test_a_cut_anywhere_changes_nothing(text: str) -> None:
    whole = run([text])
    for chunks in cuts(text):
        assert run(chunks) == whole, chunks


def test_text_of_a_call_is_never_released_as_content() -> None:
    splitter = ToolCallSplitter()
    released = [piece for char in HERMES for piece in splitter.feed(char) if isinstance(piece, str)]
    assert "".join(released) == "Let me look.\n"
    assert not any("<" in piece or "{" in piece for piece in released)


def test_plain_text_streams_without_waiting() -> None:
    splitter = ToolCallSplitter()
    assert splitter.feed("Hello") == ["Hello"]
    assert splitter.feed(" world <") == [" world "]  # only the "<" is held
    assert splitter.feed("b>") == ["<b>"]


def test_a_block_without_a_call_is_content() -> None:
    assert run(["<tool_call>not json</tool_call> then text"]) == (
        "<tool_call>not json</tool_call> then text",
        [],
    )
    assert run(['<tool_call>{"arguments": {}}</tool_call>']) == (
        '<tool_call>{"arguments": {}}</tool_call>',
        [],
    )


def test_json_that_is_no_call_is_content() -> None:
    assert run(['{"answer": 42} is the JSON']) == ('{"answer": 42} is the JSON', [])
    assert run(["[TOOL_CALLS] nothing"]) == ("[TOOL_CALLS] nothing", [])
    assert run(["[1] is a footnote, [2] too"]) == ("[1] is a footnote, [2] too", [])
    assert run(['[{"name": "f", "arguments": {}}, 3]']) == ('[{"name": "f", "arguments": {}}, 3]', [])


def test_bare_json_can_be_left_alone() -> None:
    splitter = ToolCallSplitter(bare_json=False)
    assert splitter.feed('{"name": "f", ') == ['{"name": "f", ']
    assert run([LLAMA3], bare_json=False)[1] == []


def test_a_call_cut_off_at_the_end() -> None:
    # The model stopped right after the JSON, without the closing tag: still a call.
    assert run(['<tool_call>\n{"name": "f", "arguments": {"x": 1}}\n']) == ("", [("f", {"x": 1})])
    # Cut inside the JSON (max_tokens): what was written is content.
    assert run(['<tool_call>{"name": "f", "argu']) == ('<tool_call>{"name": "f", "argu', [])
    assert run(['{"name": "f", "argu']) == ('{"name": "f", "argu', [])


def test_arguments_given_as_json_text_and_openai_shape() -> None:
    text = '<tool_call>{"name": "f", "arguments": "{\\"x\\": 1}"}</tool_call>'
    assert run([text]) == ("", [("f", {"x": 1})])
    nested = '<tool_call>{"function": {"name": "f", "arguments": {"y": [1]}}}</tool_call>'
    assert run([nested]) == ("", [("f", {"y": [1]})])


def test_whitespace_between_and_after_calls_is_dropped_but_text_is_kept() -> None:
    text = '\n<tool_call>{"name": "f", "arguments": {}}</tool_call>\n\nDone.'
    assert run([text]) == ("Done.", [("f", {})])


# Mistral v11 writes `[TOOL_CALLS]name[ARGS]{...}` per call; llama.cpp drops the control
# tokens from the text, so the name and the arguments arrive side by side.
NAMES = ("get_weather", "get_time")
MISTRAL_V11 = 'get_weather{"city": "Paris {centre}"}get_time{"zone": "CET"}'


def test_mistral_v11_named_calls() -> None:
    both = [("get_weather", {"city": "Paris {centre}"}), ("get_time", {"zone": "CET"})]
    assert run([MISTRAL_V11], tool_names=NAMES) == ("", both)
    for chunks in cuts(MISTRAL_V11):
        assert run(chunks, tool_names=NAMES) == ("", both), chunks
    # With the control token [ARGS] kept in the text.
    assert run(['get_weather[ARGS]{"city": "Paris"}'], tool_names=NAMES) == (
        "",
        [("get_weather", {"city": "Paris"})],
    )


def test_a_tools_name_in_plain_text_is_content() -> None:
    for text in ["get_weather is the tool I would use.", "get_weathers{x}", "get", 'get_time{"zone": ']:
        assert run([text], tool_names=NAMES) == (text, []), text
        assert run(list(text), tool_names=NAMES) == (text, []), text
    # A name no tool has is no call, and without names nothing is held back.
    assert run(['get_date{"day": 1}'], tool_names=NAMES) == ('get_date{"day": 1}', [])
    assert ToolCallSplitter().feed("get_weather") == ["get_weather"]


def test_parse_tool_calls_gives_unique_ids() -> None:
    content, calls = parse_tool_calls(HERMES)
    assert content == "Let me look.\n"
    assert len({call.id for call in calls}) == 2 and all(call.id.startswith("call_") for call in calls)


# --- the data ---------------------------------------------------------------------------

WEATHER = ToolDefinition(name="get_weather", parameters={"type": "object", "properties": {}})
ASK = [ChatTurn(role=Role.USER, content="Weather?")]


def test_old_callers_and_turns_are_unchanged() -> None:
    request = GenerateRequest(model="m", messages=ASK)
    assert request.tools == [] and request.tool_choice == "auto"
    assert ChatTurn(role=Role.USER, content="x").model_dump(exclude_defaults=True) == {
        "role": "user",
        "content": "x",
    }


def test_a_tool_choice_must_name_an_offered_tool() -> None:
    GenerateRequest(model="m", messages=ASK, tools=[WEATHER], tool_choice=NamedToolChoice(name="get_weather"))
    with pytest.raises(ValidationError, match="not among the tools"):
        GenerateRequest(model="m", messages=ASK, tools=[WEATHER], tool_choice={"name": "other"})
    with pytest.raises(ValidationError, match="needs at least one tool"):
        GenerateRequest(model="m", messages=ASK, tool_choice="required")
    with pytest.raises(ValidationError, match="same name"):
        GenerateRequest(model="m", messages=ASK, tools=[WEATHER, WEATHER])


def test_tool_definitions_are_checked() -> None:
    with pytest.raises(ValidationError):
        ToolDefinition(name="has space")
    with pytest.raises(ValidationError, match="type 'object'"):
        ToolDefinition(name="f", parameters={"type": "string"})
    assert ToolDefinition(name="f").parameters["type"] == "object"
