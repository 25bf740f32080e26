"""A message as rows of the message list, without a window: its header, body and the action
bar under it (branch arrows, details, buttons), stored or streaming."""

from __future__ import annotations

from typing import Any

from llamadesk.core.models.chat import MessageState
from llamadesk.core.models.llama import Usage
from llamadesk.ui.viewmodels.chat_rows import (
    ACTION_BAR,
    RowMetrics,
    action_bar_index,
    action_bar_row,
    branch_position,
    conversation_rows,
    sibling_at,
)

from .messages import message


def test_branch_arrows_from_siblings() -> None:
    # chat.get lists, for each shown message with siblings, all of them (itself included).
    siblings = {"a2": ["a1", "a2", "a3"]}
    assert branch_position("a2", siblings) == (2, 3)
    assert branch_position("u1", siblings) == (1, 1)
    assert sibling_at("a2", siblings, -1) == "a1"
    assert sibling_at("a2", siblings, 2) is None
    m = RowMetrics()
    usage = Usage(completion_tokens=12, tokens_per_second=30.0)
    answer = message("a2", "assistant", "x", model="/m/SmolLM2.Q4_1.gguf", usage=usage)
    bar = action_bar_row(answer, siblings, m)
    assert (bar["branch_text"], bar["can_prev"], bar["can_next"]) == ("2/3", True, True)
    assert bar["footer"] == "12 tokens · 30.0 tok/s"
    rows = conversation_rows(
        [
            message("u1", "user", "hi"),
            message("a2", "assistant", "", reasoning="hmm", state=MessageState.ERROR, error="boom"),
        ],
        siblings,
        m,
    )
    # Each message: its author's name on top, its buttons under all of it (the error too).
    assert [r["viewclass"] for r in rows] == [
        "MessageHeader",
        "MessageBody",
        ACTION_BAR,
        "MessageHeader",
        "ThinkingRow",
        "ErrorRow",
        ACTION_BAR,
    ]
    assert rows[-2]["text"] == "boom" and rows[-1]["branch_text"] == "2/3"
    assert rows[1]["height"] > rows[0]["height"] == m.name_height < m.meta_height == rows[2]["height"]


def test_any_row_of_a_message_finds_the_action_bar_under_it() -> None:
    """Hover and a long press show a message's details in its action bar, from any of its rows."""
    m = RowMetrics()
    long_answer = message("a1", "assistant", "\n\n".join(f"Paragraph {n}." for n in range(40)))
    rows = conversation_rows([message("u1", "user", "hi"), long_answer], {}, m)
    assert [action_bar_index(rows, i) for i in range(len(rows))] == [2, 2, 2, 5, 5, 5]
    orphan = [{"viewclass": "ErrorRow", "message_id": "", "text": "failed"}]
    assert action_bar_index(orphan, 0) is None  # a stream's failure belongs to no message


def test_a_streamed_answers_action_bar_stays_its_last_row() -> None:
    """Chunk rows are added above the action bar as they freeze; it shows the live counters,
    its buttons disabled, until the answer is finished."""
    from llamadesk.core.models.commands import TokenEvent
    from llamadesk.ui.screens.chat_stream import LiveAnswer

    rows: list[dict[str, Any]] = []
    live = LiveAnswer(rows, RowMetrics(), "/m/SmolLM2.Q4_1.gguf")
    assert [r["viewclass"] for r in rows] == ["MessageHeader", "MessageBody", ACTION_BAR]
    assert rows[0]["model_name"] == "SmolLM2.Q4_1" and rows[0]["streaming"]
    for n in range(12):
        live.feed([TokenEvent(text=f"Paragraph {n} "), TokenEvent(text="of words.\n\n")])
        assert rows[-1]["viewclass"] == ACTION_BAR and rows[-1]["streaming"]
        assert rows[-2]["tail"] and not any(r.get("tail") for r in rows[:-2])
        # The rows a frame changed, drawn before the layout: its body rows, then the bar.
        changed = [r["viewclass"] for r in rows[live.changed_from :]]
        assert changed in (["MessageBody", ACTION_BAR], ["MessageBody", "MessageBody", ACTION_BAR])
    assert rows[-1]["footer"].startswith("2 tokens")  # the first frame's; redrawn every 0.25 s
    assert sum(r["viewclass"] == "MessageBody" for r in rows) > 6  # a row per frozen paragraph
    live.finish()
    assert [r["viewclass"] for r in rows][-2:] == ["MessageBody", ACTION_BAR]
    assert not rows[-1]["streaming"] and not rows[0]["streaming"] and not rows[-2]["tail"]
    assert rows[-1]["footer"].startswith("24 tokens")  # the counters as the answer ended
    text = "".join(r["source"] for r in rows if r["viewclass"] == "MessageBody")
    assert text.split() == " ".join(f"Paragraph {n} of words." for n in range(12)).split()
