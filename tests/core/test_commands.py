"""The command table: declaration, validation, errors, duplicates, streaming, cancel."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from pydantic import BaseModel, Field, ValidationError

from llamadesk.core.commands import CommandContext, CommandError, CommandSpec, CommandTable
from llamadesk.core.errors import NotFound
from llamadesk.core.models.base import CommandParams
from llamadesk.core.models.commands import Empty, ProgressEvent


class AddParams(CommandParams):
    a: int
    b: int = Field(0, ge=0)


class Sum(BaseModel):
    total: int


def add(params: AddParams, ctx: CommandContext) -> Sum:
    return Sum(total=params.a + params.b)


def spec(command_id: str = "math.add", handler=add) -> CommandSpec:
    return CommandSpec(id=command_id, title="Add", params=AddParams, result=Sum, handler=handler)


@pytest.fixture
def table():
    executor = ThreadPoolExecutor(max_workers=4)
    yield CommandTable(executor)
    executor.shutdown(wait=False, cancel_futures=True)


def test_invoke_validates_and_returns_result(table: CommandTable) -> None:
    table.register(spec())
    assert table.invoke("math.add", {"a": 2, "b": 3}) == Sum(total=5)
    assert table.invoke("math.add", AddParams(a=1)) == Sum(total=1)


def test_invalid_params_become_invalid_params_error(table: CommandTable) -> None:
    table.register(spec())
    with pytest.raises(CommandError) as caught:
        table.invoke("math.add", {"a": "x", "b": -1})
    assert caught.value.code == "invalid_params"
    assert caught.value.message.startswith("a:")
    assert len(caught.value.info.details["errors"]) == 2


def test_unknown_command_is_not_found(table: CommandTable) -> None:
    with pytest.raises(CommandError) as caught:
        table.invoke("math.nothing")
    assert caught.value.code == "not_found"


def test_domain_error_keeps_code_message_and_details(table: CommandTable) -> None:
    def missing(params: AddParams, ctx: CommandContext) -> Sum:
        raise NotFound("no such model 'x'", ref="x")

    table.register(spec(handler=missing))
    with pytest.raises(CommandError) as caught:
        table.invoke("math.add", {"a": 1})
    assert caught.value.info.model_dump() == {
        "code": "not_found",
        "message": "no such model 'x'",
        "details": {"ref": "x"},
        "template": None,
    }


def test_unexpected_exception_becomes_internal(table: CommandTable) -> None:
    def broken(params: AddParams, ctx: CommandContext) -> Sum:
        raise ZeroDivisionError("division by zero")

    table.register(spec(handler=broken))
    with pytest.raises(CommandError) as caught:
        table.invoke("math.add", {"a": 1})
    assert caught.value.code == "internal"
    assert "ZeroDivisionError" in caught.value.message


def test_wrong_result_type_is_internal(table: CommandTable) -> None:
    table.register(spec(handler=lambda params, ctx: Empty()))
    with pytest.raises(CommandError) as caught:
        table.invoke("math.add", {"a": 1})
    assert caught.value.code == "internal"


def test_duplicate_id_raises_and_dispose_removes(table: CommandTable) -> None:
    dispose = table.register(spec())
    with pytest.raises(ValueError, match="already registered"):
        table.register(spec())
    dispose()
    assert "math.add" not in table
    table.register(spec())  # the id is free again


def test_ids_must_be_dotted() -> None:
    with pytest.raises(ValidationError):
        spec("Add")
    with pytest.raises(ValidationError):
        spec("math..add")


def test_describe_lists_schemas(table: CommandTable) -> None:
    table.register(spec())
    (info,) = table.describe()
    assert info.id == "math.add"
    assert info.params_schema["required"] == ["a"]
    assert "total" in info.result_schema["properties"]


def counting(params: Empty, ctx: CommandContext) -> Sum:
    """Emits an event every 10 ms until cancelled (or 10 s pass)."""
    count = 0
    while count < 1000:
        count += 1
        ctx.emit(ProgressEvent(done=count))
        if ctx.token.wait(0.01):
            break
    return Sum(total=count)


def test_streaming_command_emits_events_and_cancels(table: CommandTable) -> None:
    table.register(
        CommandSpec(id="t.count", title="Count", params=Empty, result=Sum, handler=counting, streaming=True)
    )
    events: list[ProgressEvent] = []
    seen_five = threading.Event()

    def on_event(event: BaseModel) -> None:
        assert isinstance(event, ProgressEvent)
        events.append(event)
        if event.done >= 5:
            seen_five.set()

    running = table.start("t.count", on_event=on_event)
    assert seen_five.wait(5)
    cancelled_at = time.monotonic()
    running.cancel()
    result = running.result(timeout=5)
    assert time.monotonic() - cancelled_at < 1.0
    assert result.total == len(events) >= 5
    assert running.cancelled and running.done()


def test_cancel_callbacks_fire_once_and_late_ones_at_once(table: CommandTable) -> None:
    calls: list[str] = []

    def handler(params: Empty, ctx: CommandContext) -> Sum:
        ctx.on_cancel(lambda: calls.append("early"))
        ctx.token.wait(5)
        ctx.on_cancel(lambda: calls.append("late"))
        ctx.raise_if_cancelled()
        return Sum(total=0)

    table.register(
        CommandSpec(id="t.wait", title="Wait", params=Empty, result=Sum, handler=handler, streaming=True)
    )
    running = table.start("t.wait")
    time.sleep(0.05)
    running.cancel()
    running.cancel()
    with pytest.raises(CommandError) as caught:
        running.result(timeout=5)
    assert caught.value.code == "cancelled"
    assert calls == ["early", "late"]


def test_start_unknown_id_fails_before_running(table: CommandTable) -> None:
    with pytest.raises(CommandError):
        table.start("nope.nope")
