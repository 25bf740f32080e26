"""Tokens close together travel to the app as one message, each still its own piece."""

from __future__ import annotations

import time
from typing import Any

from llamadesk.plugins.llama_cpp.messages import WorkerTokens
from llamadesk.plugins.llama_cpp.token_sender import SEND_EVERY_S, TokenSender


def test_the_first_piece_goes_at_once_and_a_burst_with_the_next_send() -> None:
    sent: list[Any] = []
    sender = TokenSender(sent.append, job_id=7)
    sender.emit("content", "Hel")
    assert [m.pieces for m in sent] == [[("content", "Hel")]]  # time to first token unchanged
    sender.emit("reasoning", "lo")
    sender.emit("content", ",")
    assert len(sent) == 1  # within SEND_EVERY_S of the last send: they wait
    time.sleep(SEND_EVERY_S * 1.5)
    sender.emit("content", " world")
    assert sent[1].pieces == [("reasoning", "lo"), ("content", ","), ("content", " world")]
    assert all(isinstance(m, WorkerTokens) and m.job_id == 7 for m in sent)


def test_flush_sends_what_waits_and_nothing_twice() -> None:
    sent: list[Any] = []
    sender = TokenSender(sent.append, job_id=1)
    sender.emit("content", "a")
    sender.emit("content", "b")
    sender.flush()
    sender.flush()
    assert [m.pieces for m in sent] == [[("content", "a")], [("content", "b")]]
