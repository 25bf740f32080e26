"""Servers that misbehave (toy_servers.py): each fails only itself, in words, and the next
use recovers where it can."""

from __future__ import annotations

import contextlib
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from llamadesk.core.app import App
from llamadesk.core.errors import Cancelled, ToolFailed, ToolTimeout
from llamadesk.core.streaming import CancelToken

from .conftest import add, call, gone, provider, started_app, status, toy
from .toy_servers import PIXEL


def test_a_crash_mid_call_fails_that_call_and_the_next_call_respawns(shared_app: App) -> None:
    add(shared_app, toy("crashy"))
    crashy = provider(shared_app, "crashy")
    first_pid = int(call(crashy, "pid").text)

    with pytest.raises(ToolFailed) as failed:
        call(crashy, "crash")
    assert failed.value.message == (
        "The MCP server 'crashy' stopped during the call to 'crash' (it crashed or exited); "
        "it is started again on the next call."
    )
    assert status(shared_app, "crashy")["state"] in ("failed", "connecting", "connected")

    second_pid = int(call(crashy, "pid").text)  # a new process answers
    assert second_pid != first_pid and gone(first_pid)
    assert call(crashy, "echo", {"text": "back"}).text == "back"


def test_a_tool_that_never_answers_times_out_in_one_sentence(shared_app: App) -> None:
    add(shared_app, toy("hanging"))
    hanging = provider(shared_app, "hanging")
    call(hanging, "echo", {"text": "warm"})
    started = time.monotonic()
    with pytest.raises(ToolTimeout) as timed_out:
        call(hanging, "hang", timeout=1.5)
    assert 1.4 < time.monotonic() - started < 10
    assert timed_out.value.message == "The tool 'hang' of MCP server 'hanging' did not answer within 1.5 s."
    # The session is fine: the next call answers at once.
    assert call(hanging, "echo", {"text": "still here"}).text == "still here"


def test_a_server_that_never_answers_fails_its_connect_only(shared_app: App) -> None:
    shared_app.commands.invoke("config.set", {"values": {"mcp.connect_timeout_seconds": 2}})
    try:
        add(shared_app, toy("silent", "silent"))
        add(shared_app, toy("fine"))
        silent = provider(shared_app, "silent")
        assert silent.tools() == []
        assert status(shared_app, "silent")["status"] == "failed: it did not answer within 2 s"
        with pytest.raises(ToolFailed, match="not available: it did not answer within 2 s"):
            call(silent, "echo", {"text": "hello?"})
        assert call(provider(shared_app, "fine"), "echo", {"text": "fine"}).text == "fine"
    finally:
        shared_app.commands.invoke("config.set", {"values": {"mcp.connect_timeout_seconds": 30}})


def test_a_wrong_command_fails_in_words_and_the_others_work(shared_app: App) -> None:
    add(shared_app, {"name": "typo", "command": "mcp-server-tiem-typo", "check": False})
    add(shared_app, toy("neighbour"))
    typo = provider(shared_app, "typo")
    assert typo.tools() == []
    assert (
        status(shared_app, "typo")["status"] == "failed: cannot run 'mcp-server-tiem-typo': no such program"
    )
    # The same reason as data, which the Tools screen translates.
    assert status(shared_app, "typo")["reason_template"] == "cannot run {command!r}: no such program"
    assert status(shared_app, "typo")["reason_values"] == {"command": "mcp-server-tiem-typo"}
    assert call(provider(shared_app, "neighbour"), "echo", {"text": "ok"}).text == "ok"

    # mcp.add's check refuses it, and saves nothing.
    with pytest.raises(Exception, match="no such program; nothing was saved"):
        add(shared_app, {"name": "typo2", "command": "mcp-server-tiem-typo"})
    assert "typo2" not in [s["name"] for s in shared_app.commands.invoke("mcp.list").model_dump()["servers"]]


def test_a_missing_folder_is_named(shared_app: App, tmp_path: Path) -> None:
    add(shared_app, toy("nowhere", cwd=str(tmp_path / "missing")))
    provider(shared_app, "nowhere").tools()
    assert (
        status(shared_app, "nowhere")["status"] == f"failed: its folder {tmp_path / 'missing'} does not exist"
    )


def test_a_start_that_fails_once_works_on_the_next_try(shared_app: App, tmp_path: Path) -> None:
    marker = tmp_path / "started-once"
    add(shared_app, toy("flaky", "flaky_start", str(marker)))
    flaky = provider(shared_app, "flaky")
    assert flaky.tools() == []
    failed = status(shared_app, "flaky")
    assert failed["state"] == "failed"
    assert failed["error"] == "it exited (it said: first start: failing on purpose)"

    connected = shared_app.commands.invoke("mcp.connect", {"name": "flaky"}).model_dump()
    assert connected["server"]["status"] == "connected"
    assert "echo" in [t["name"] for t in connected["tools"]]
    assert call(flaky, "echo", {"text": "second time lucky"}).text == "second time lucky"


def test_a_result_of_10_mb_comes_back_whole(shared_app: App) -> None:
    add(shared_app, toy("bulky"))
    reply = call(provider(shared_app, "bulky"), "big", {"megabytes": 10})
    assert len(reply.text) > 9_900_000 and reply.text.endswith("END")


def test_a_server_with_no_tools_offers_none(shared_app: App) -> None:
    add(shared_app, toy("bare", "empty"))
    assert provider(shared_app, "bare").tools() == []
    listed = status(shared_app, "bare")
    assert listed["status"] == "connected" and listed["tool_count"] == 0
    assert shared_app.commands.invoke("mcp.tools", {"name": "bare"}).model_dump()["resources"] == []


def test_bursts_of_notifications_during_a_call_are_harmless(shared_app: App) -> None:
    add(shared_app, toy("chatty"))
    chatty = provider(shared_app, "chatty")
    assert call(chatty, "chatty", {"count": 1000}).text == "sent 1000 notifications of each kind"
    assert call(chatty, "echo", {"text": "quiet now"}).text == "quiet now"


def test_errors_and_content_the_model_cannot_read(shared_app: App) -> None:
    add(shared_app, toy("mixed"))
    mixed = provider(shared_app, "mixed")
    failed = call(mixed, "fails")
    assert failed.is_error and "the disk is full" in failed.text
    picture = call(mixed, "picture")
    assert not picture.is_error
    size = len(PIXEL)  # the SDK sends it in base64; the words give the real size
    assert picture.text == f"a single pixel\n[an image, image/png, {size} bytes, that only the user can see]"
    with pytest.raises(ToolFailed, match=r"^The MCP server 'mixed' has no tool 'no_such_tool'\.$"):
        call(mixed, "no_such_tool")


def test_tools_that_change_are_listed_again(shared_app: App) -> None:
    add(shared_app, toy("growing"))
    growing = provider(shared_app, "growing")
    assert "grown" not in [tool.name for tool in growing.tools()]
    assert call(growing, "grow").text == "grew"
    deadline = time.monotonic() + 30
    while "grown" not in [tool.name for tool in growing.tools()]:  # the listing changes in the background
        assert time.monotonic() < deadline, "the changed tools were not listed again"
        time.sleep(0.05)
    assert call(growing, "grown").text == "new here"


def test_allowed_tools_limit_what_is_offered_and_run(shared_app: App) -> None:
    add(shared_app, toy("limited", allowed_tools=["echo"], trusted=True))
    limited = provider(shared_app, "limited")
    assert limited.trusted
    assert [tool.name for tool in limited.tools()] == ["echo"]
    assert limited.tools()[0].read_only
    with pytest.raises(ToolFailed, match="is not allowed"):
        call(limited, "pid")
    listed = shared_app.commands.invoke("mcp.tools", {"name": "limited"}).model_dump()
    assert {t["name"]: t["allowed"] for t in listed["tools"]}["pid"] is False
    assert listed["resources"] == [
        {
            "uri": "toy://readme",
            "name": "readme",
            "description": "What the toys are.",
            "mime_type": "text/plain",
        }
    ]


def test_two_servers_with_the_same_tool_are_two_providers(shared_app: App) -> None:
    add(shared_app, toy("left"))
    add(shared_app, toy("right"))
    left, right = provider(shared_app, "left"), provider(shared_app, "right")
    assert left is not right and {t.name for t in left.tools()} == {t.name for t in right.tools()}
    assert call(left, "pid").text != call(right, "pid").text


def test_a_slow_tool_holds_up_no_other_call(shared_app: App) -> None:
    add(shared_app, toy("slowpoke"))
    add(shared_app, toy("quick"))
    slowpoke, quick = provider(shared_app, "slowpoke"), provider(shared_app, "quick")
    call(slowpoke, "echo", {"text": "warm"})
    call(quick, "echo", {"text": "warm"})
    token = CancelToken()
    pool = ThreadPoolExecutor(1)
    slow = pool.submit(call, slowpoke, "slow", {"seconds": 60, "text": "late"}, token=token)
    try:
        started = time.monotonic()
        assert call(quick, "echo", {"text": "other server"}).text == "other server"
        assert call(slowpoke, "echo", {"text": "same server"}).text == "same server"
        assert time.monotonic() - started < 15 and not slow.done()
    finally:
        token.cancel()
        pool.shutdown(wait=True)
    with pytest.raises(Cancelled):
        slow.result(0)


def test_rapid_and_concurrent_calls_across_servers_and_on_one(shared_app: App) -> None:
    add(shared_app, toy("busy-a"))
    add(shared_app, toy("busy-b"))
    targets = [provider(shared_app, "busy-a"), provider(shared_app, "busy-b")]
    assert [call(targets[0], "echo", {"text": str(n)}).text for n in range(200)] == [
        str(n) for n in range(200)
    ]
    jobs = [(targets[n % 2], f"message {n}") for n in range(40)]
    with ThreadPoolExecutor(8) as pool:
        replies = list(pool.map(lambda job: call(job[0], "slow", {"seconds": 0.05, "text": job[1]}), jobs))
    assert [reply.text for reply in replies] == [text for _target, text in jobs]


def test_a_cancelled_call_returns_promptly(shared_app: App) -> None:
    add(shared_app, toy("stoppable"))
    stoppable = provider(shared_app, "stoppable")
    call(stoppable, "echo", {"text": "warm"})
    token = CancelToken()
    threading.Timer(0.5, token.cancel).start()
    started = time.monotonic()
    with pytest.raises(Cancelled):
        call(stoppable, "hang", token=token)
    assert time.monotonic() - started < 5
    assert call(stoppable, "echo", {"text": "after"}).text == "after"


def test_removing_or_changing_a_server_stops_its_process(shared_app: App) -> None:
    add(shared_app, toy("moving"))
    moving = provider(shared_app, "moving")
    first = int(call(moving, "pid").text)
    shared_app.commands.invoke(
        "mcp.update", {"name": "moving", "args": [str(toy("x")["args"][0]), "toys", "-v"]}
    )
    moved = provider(shared_app, "moving")
    second = int(call(moved, "pid").text)
    assert second != first
    assert _wait_gone(first)
    shared_app.commands.invoke("mcp.remove", {"name": "moving"})
    assert _wait_gone(second)
    assert "moving" not in [p.name for p in _providers(shared_app)]


def test_disabled_servers_are_not_providers_and_never_start(shared_app: App) -> None:
    add(shared_app, toy("resting", enabled=False))
    assert "resting" not in [p.name for p in _providers(shared_app)]
    assert status(shared_app, "resting")["status"] == "disabled"
    with pytest.raises(Exception, match="disabled"):
        shared_app.commands.invoke("mcp.tools", {"name": "resting"})


def test_closing_the_app_leaves_no_server_process(tmp_path: Path) -> None:
    app = started_app(tmp_path / "home")
    try:
        add(app, toy("one"))
        add(app, toy("two"))
        pids = [int(call(provider(app, name), "pid").text) for name in ("one", "two")]
        busy = threading.Thread(target=lambda: _quietly(call, provider(app, "one"), "hang"), daemon=True)
        busy.start()  # a call still running when the app closes
    finally:
        started = time.monotonic()
        app.close()
    assert time.monotonic() - started < 15
    assert all(gone(pid) for pid in pids)


def _providers(app: App) -> list[object]:
    from llamadesk.core import hooks

    return list(hooks.collect_tool_providers(app.pm, app.context))


def _wait_gone(pid: int) -> bool:
    """A replaced connection closes in the background; its process ends within the SDK's
    grace periods (stdin closed, 2 s, SIGTERM, 2 s, SIGKILL)."""
    import psutil

    try:
        psutil.Process(pid).wait(15)
    except psutil.NoSuchProcess:
        pass
    except psutil.TimeoutExpired:
        return False
    return gone(pid)


def _quietly(function: object, *args: object) -> None:
    with contextlib.suppress(Exception):
        function(*args)  # type: ignore[operator]
