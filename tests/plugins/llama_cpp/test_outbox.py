"""What a worker sends travels in as few writes as keep the answer prompt: one a step,
tokens at most every SEND_EVERY_S, each token still its own piece; the app's mailbox
hands each job its own."""

from __future__ import annotations

import threading
import time
from multiprocessing import Pipe
from typing import Any

from llamadesk.core.models.llama import StopReason, Usage
from llamadesk.plugins.llama_cpp.job_mailbox import JobMailbox
from llamadesk.plugins.llama_cpp.messages import WorkerDone, WorkerMessages, WorkerTokenCounts, WorkerTokens
from llamadesk.plugins.llama_cpp.outbox import SEND_EVERY_S, Outbox
from llamadesk.plugins.llama_cpp.token_sender import TokenSender


def step(outbox: Outbox, *work: Any) -> None:
    outbox.step_started()
    for each in work:
        each()
    outbox.step_ended()


def done(job: int) -> WorkerDone:
    return WorkerDone(job_id=job, stop_reason=StopReason.STOP, usage=Usage())


def test_the_first_piece_goes_at_once_then_tokens_wait_for_the_clock() -> None:
    written: list[Any] = []
    outbox = Outbox(written.append)
    sender = TokenSender(outbox.send, job_id=7)
    outbox.add(sender)
    step(outbox, lambda: sender.emit("content", "Hel"))
    assert [m.pieces for m in written] == [[("content", "Hel")]]  # time to first token unchanged
    step(outbox, lambda: sender.emit("reasoning", "lo"))
    step(outbox, lambda: sender.emit("content", ","))
    assert len(written) == 1  # within SEND_EVERY_S of the last write: they wait
    time.sleep(SEND_EVERY_S * 1.5)
    step(outbox, lambda: sender.emit("content", " world"))
    assert written[1].pieces == [("reasoning", "lo"), ("content", ","), ("content", " world")]
    assert all(isinstance(m, WorkerTokens) and m.job_id == 7 for m in written)


def test_a_step_writes_once_for_every_slot_and_an_end_does_not_wait() -> None:
    written: list[Any] = []
    outbox = Outbox(written.append)
    senders = [TokenSender(outbox.send, job_id=job) for job in (1, 2, 3)]
    for sender in senders:
        outbox.add(sender)
    step(outbox, *[lambda s=s: s.emit("content", f"{s.job_id}a") for s in senders])
    assert len(written) == 1 and isinstance(written[0], WorkerMessages)  # three first pieces, one write
    assert [m.pieces for m in written[0].messages] == [
        [("content", "1a")],
        [("content", "2a")],
        [("content", "3a")],
    ]

    def end_two() -> None:
        senders[1].flush()  # as the worker's on_end does: its text goes before its end
        outbox.remove(2)
        outbox.send(done(2))

    step(outbox, *[lambda s=s: s.emit("content", f"{s.job_id}b") for s in senders], end_two)
    assert len(written) == 2  # the end went at once, with everyone's pending tokens
    last = written[1].messages
    assert [(type(m).__name__, m.job_id) for m in last] == [
        ("WorkerTokens", 2),
        ("WorkerDone", 2),
        ("WorkerTokens", 1),
        ("WorkerTokens", 3),
    ]


def test_outside_a_step_a_message_is_written_at_once() -> None:
    written: list[Any] = []
    outbox = Outbox(written.append)
    outbox.send(WorkerTokenCounts(job_id=4, counts=[12]))
    assert [type(m) for m in written] == [WorkerTokenCounts]


def test_the_mailbox_hands_each_job_its_own_from_one_write() -> None:
    app, worker = Pipe()
    mailbox = JobMailbox(app)
    for job in (1, 2):
        mailbox.open(job)
    first = WorkerTokens(job_id=1, pieces=[("content", "a")])
    worker.send(WorkerMessages(messages=[first, WorkerTokens(job_id=2, pieces=[("content", "b")]), done(1)]))
    got: dict[int, Any] = {}
    other = threading.Thread(target=lambda: got.setdefault(2, mailbox.next(2, timeout=5)))
    assert mailbox.next(1, timeout=5) == first  # job 1 reads the pipe and boxes job 2's
    other.start()
    other.join(5)
    assert got[2].pieces == [("content", "b")]
    assert isinstance(mailbox.next(1, timeout=5), WorkerDone)  # its own later one, kept in order
