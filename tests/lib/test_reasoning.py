"""The reasoning splitter: tags cut anywhere across chunks."""

from __future__ import annotations

import pytest

from llamadesk.lib.reasoning import ReasoningSplitter, prompt_opens_reasoning


def split(chunks: list[str], **kwargs) -> tuple[str, str]:
    splitter = ReasoningSplitter(**kwargs)
    pieces = [p for chunk in chunks for p in splitter.feed(chunk)] + splitter.flush()
    content = "".join(text for channel, text in pieces if channel == "content")
    reasoning = "".join(text for channel, text in pieces if channel == "reasoning")
    return content, reasoning


def every_cut(text: str) -> list[list[str]]:
    """The text cut into two and into three pieces at every position."""
    cuts = [[text[:i], text[i:]] for i in range(len(text) + 1)]
    cuts += [[text[:i], text[i:j], text[j:]] for i in range(len(text)) for j in range(i, len(text))]
    return cuts


@pytest.mark.parametrize("tag", ["think", "analysis", "reasoning"])
def test_block_is_split_wherever_the_chunks_are_cut(tag: str) -> None:
    text = f"<{tag}>\nLet me see: 2+2.\n</{tag}>\n\nIt is 4."
    for chunks in every_cut(text):
        assert split(chunks) == ("It is 4.", "Let me see: 2+2.\n"), chunks


def test_one_character_at_a_time() -> None:
    text = "  <think>a < b</think>answer <b>bold</b>"
    assert split(list(text)) == ("answer <b>bold</b>", "a < b")


def test_plain_answer_passes_through() -> None:
    assert split(["Hello", " <think> is a tag"]) == ("Hello <think> is a tag", "")


def test_tag_only_counts_at_the_start() -> None:
    assert split(["Sure. ", "<think>no</think>"]) == ("Sure. <think>no</think>", "")


def test_prompt_that_opened_the_block() -> None:
    prompt = "<|im_start|>assistant\n<think>\n"
    assert prompt_opens_reasoning(prompt) == "<think>"
    assert split(["hmm, ", "ok</th", "ink>", "Yes."], open_tag="<think>") == ("Yes.", "hmm, ok")


def test_unfinished_block_keeps_its_text_as_reasoning() -> None:
    assert split(["<think>still thinking </thi"]) == ("", "still thinking </thi")


def test_partial_opening_that_never_completes_is_content() -> None:
    assert split(["<thi"]) == ("<thi", "")
    assert split(["<th", "at is all"]) == ("<that is all", "")


def test_disabled_passes_everything_as_content() -> None:
    assert split(["<think>x</think>y"], enabled=False) == ("<think>x</think>y", "")


def test_no_prompt_tag() -> None:
    assert prompt_opens_reasoning("<|im_start|>assistant\n") is None
