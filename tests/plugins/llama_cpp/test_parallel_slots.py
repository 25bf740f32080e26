"""Several generations at once in one model's slots, with the real starter model.

The batch loop decodes every active sequence in one batch; each slot has its own KV
cache stream, so a generation's greedy text must not depend on what runs beside it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import BaseModel

from llamadesk.core.app import App
from llamadesk.core.commands import CommandError
from llamadesk.core.models.commands import TokenEvent
from llamadesk.core.models.llama import GenerationResult, ModelState, StopReason

from .conftest import SMALL

pytestmark = pytest.mark.slow  # loads the real starter model

HANG_GUARD_S = 300  # generous: a busy 2-core box is slow, a hang is forever
GREEDY = {"temperature": 0, "repeat_penalty": 1.0, "max_tokens": 40}
PROMPTS = [
    "Write a short poem about the sea.",
    "List three facts about the moon.",
    "Explain what a compiler does in two sentences.",
    "Tell me a story about a brave mouse.",
]


@pytest.fixture(scope="module")
def four_slots(shared_app: App, starter_model: Path) -> Iterator[str]:
    model = str(starter_model)
    options = {**SMALL.model_dump(), "parallel": 4}
    shared_app.commands.invoke("runtime.load", {"model": model, "options": options})
    yield model
    shared_app.commands.invoke("runtime.unload", {"model": model})


class Stream:
    """One generation started in the background, with when each of its tokens came."""

    def __init__(self, app: App, model: str, prompt: str, max_tokens: int = 40) -> None:
        self.token_times: list[float] = []
        self.texts: list[str] = []
        self.tokens = threading.Event()
        params = {
            "model": model,
            "messages": [{"role": "user", "content": prompt}],
            "sampling": {**GREEDY, "max_tokens": max_tokens},
        }
        self.running = app.commands.start("runtime.generate", params, on_event=self._on_event)

    def _on_event(self, event: BaseModel) -> None:
        if isinstance(event, TokenEvent):
            self.token_times.append(time.perf_counter())
            self.texts.append(event.text)
            if len(self.texts) >= 5:
                self.tokens.set()

    def result(self) -> GenerationResult:
        result = self.running.result(timeout=HANG_GUARD_S)
        assert isinstance(result, GenerationResult)
        return result


def one_at_a_time(app: App, model: str, prompts: list[str]) -> list[str]:
    return [Stream(app, model, prompt).result().content for prompt in prompts]


@pytest.mark.parametrize("count", [2, 4])
def test_concurrent_greedy_text_is_the_same_as_one_at_a_time(
    shared_app: App, four_slots: str, count: int
) -> None:
    prompts = PROMPTS[:count]
    alone = one_at_a_time(shared_app, four_slots, prompts)
    streams = [Stream(shared_app, four_slots, prompt) for prompt in prompts]
    together = [stream.result() for stream in streams]
    assert [r.content for r in together] == alone
    # They really ran together: every stream had tokens before any other had its last one.
    last_first = max(s.token_times[0] for s in streams)
    first_last = min(s.token_times[-1] for s in streams)
    assert last_first < first_last


NOTES = "\n".join(f"On day {n} the harbour master wrote that ship {n} came in with grain." for n in range(40))
LONG_PROMPTS = [f"{NOTES}\n\nWhich ship came in on day 17?", f"{NOTES}\n\nWhat did the ships bring?"]


def test_concurrent_text_past_512_cells_is_the_same_as_one_at_a_time(
    shared_app: App, four_slots: str
) -> None:
    """Prompts of ~700 tokens: past the 512 cells from which llama.cpp's CPU attention, with
    keys and values both f16, adds up one token's attention in another order than several
    tokens'; the default cache types (keys q8_0) keep one order, so slots together give
    the text each gives alone."""
    alone = one_at_a_time(shared_app, four_slots, LONG_PROMPTS)
    streams = [Stream(shared_app, four_slots, prompt) for prompt in LONG_PROMPTS]
    together = [stream.result() for stream in streams]
    assert all(r.usage.prompt_tokens > 600 for r in together)
    assert [r.content for r in together] == alone


def test_more_requests_than_slots_wait_for_one(shared_app: App, model_alias: str) -> None:
    options = {**SMALL.model_dump(), "parallel": 2}
    status = shared_app.commands.invoke("runtime.load", {"model": model_alias, "options": options})
    try:
        assert status.activity is not None and status.activity.slots == 2
        alone = one_at_a_time(shared_app, model_alias, PROMPTS[:3])
        streams = [Stream(shared_app, model_alias, prompt) for prompt in PROMPTS[:3]]
        assert [s.result().content for s in streams] == alone
        activity = shared_app.runtime.status_of(model_alias).activity
        assert activity is not None and activity.busy_slots == 0 and activity.waiting == 0
    finally:
        shared_app.commands.invoke("runtime.unload", {"model": model_alias})


def test_cancelling_one_slot_leaves_the_others_text_unchanged(shared_app: App, four_slots: str) -> None:
    alone = one_at_a_time(shared_app, four_slots, [PROMPTS[0], PROMPTS[2]])
    first = Stream(shared_app, four_slots, PROMPTS[0])
    doomed = Stream(shared_app, four_slots, PROMPTS[1], max_tokens=400)
    third = Stream(shared_app, four_slots, PROMPTS[2])
    assert doomed.tokens.wait(HANG_GUARD_S)
    doomed.running.cancel()
    stopped = doomed.result()
    assert stopped.stop_reason is StopReason.CANCELLED
    assert stopped.content == "".join(doomed.texts)
    assert [first.result().content, third.result().content] == alone
    # The freed slot serves the next request as before.
    assert one_at_a_time(shared_app, four_slots, [PROMPTS[0]]) == alone[:1]


def test_worker_killed_mid_batch_fails_every_slot_and_reloads(shared_app: App, model_alias: str) -> None:
    options = {**SMALL.model_dump(), "parallel": 3}
    pid = shared_app.commands.invoke("runtime.load", {"model": model_alias, "options": options}).pid
    assert pid is not None
    streams = [Stream(shared_app, model_alias, prompt, max_tokens=900) for prompt in PROMPTS[:3]]
    for stream in streams:
        assert stream.tokens.wait(HANG_GUARD_S)
    os.kill(pid, signal.SIGKILL)
    for stream in streams:
        with pytest.raises(CommandError) as caught:
            stream.running.result(timeout=HANG_GUARD_S)
        assert caught.value.code == "model_crashed"
        assert "killed" in caught.value.message
    assert shared_app.runtime.status_of(model_alias).state is ModelState.ERROR

    reloaded = shared_app.commands.invoke("runtime.load", {"model": model_alias, "options": options})
    assert reloaded.state is ModelState.READY and reloaded.pid != pid
    assert Stream(shared_app, model_alias, PROMPTS[0], max_tokens=8).result().content
    shared_app.commands.invoke("runtime.unload", {"model": model_alias})


def test_a_request_waiting_for_a_slot_is_woken_by_its_cancel_and_by_the_workers_death(
    shared_app: App, model_alias: str
) -> None:
    """The wait for a slot is a condition that what ends it notifies (no polling): a cancel
    returns the waiting request at once, and so does the worker's death."""
    options = {**SMALL.model_dump(), "parallel": 1}
    pid = shared_app.commands.invoke("runtime.load", {"model": model_alias, "options": options}).pid
    assert pid is not None
    try:
        busy = Stream(shared_app, model_alias, "Count from 1 to 1000, separated by commas.", max_tokens=900)
        assert busy.tokens.wait(HANG_GUARD_S)
        waiting = Stream(shared_app, model_alias, PROMPTS[0])
        deadline = time.monotonic() + HANG_GUARD_S
        while shared_app.runtime.status_of(model_alias).activity.waiting != 1:  # type: ignore[union-attr]
            assert time.monotonic() < deadline
            time.sleep(0.01)
        waiting.running.cancel()
        assert waiting.result().stop_reason is StopReason.CANCELLED
        assert not busy.running.done()  # the slot's own generation goes on
        doomed = Stream(shared_app, model_alias, PROMPTS[2])
        while shared_app.runtime.status_of(model_alias).activity.waiting != 1:  # type: ignore[union-attr]
            assert time.monotonic() < deadline
            time.sleep(0.01)
        os.kill(pid, signal.SIGKILL)
        for stream in (doomed, busy):
            with pytest.raises(CommandError) as caught:
                stream.running.result(timeout=HANG_GUARD_S)
            assert caught.value.code == "model_crashed"
    finally:
        with contextlib.suppress(CommandError):
            shared_app.commands.invoke("runtime.unload", {"model": model_alias})
