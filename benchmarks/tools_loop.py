"""What the tool loop costs, against the tool's own time, and what offering tools costs the
first token.

1. Loop overhead. A chat offers `mcp-server-time` (started by the MCP plugin from its
   settings, as a user would) and the real starter model is made to call
   `get_current_time` once per message (tool_choice); the time from its finished call (the
   end of the generation that made it) to the next answer starting with the result in its
   prompt (chat.started of step 1) is the loop's: the app's work plus the server's. The
   baseline is
   the same call made straight through the `mcp` SDK's own client to another process of
   the same server, in the same run. Target: the median loop is under 50 ms above the
   server's own median. Rounds alternate the two.
2. First token with tools offered. The real starter model answers one short message with
   no tools, then with 3 SDK-built servers of 10 tools each offered (30 definitions in the
   prompt), alternated; the time to first token of each is printed and their ratio.

Run: .venv/bin/python benchmarks/tools_loop.py [--calls 20] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from pydantic import BaseModel

from llamadesk.core.app import App
from llamadesk.core.models.chat_history import ChatStartedEvent
from llamadesk.core.models.commands import ToolCallEvent
from llamadesk.core.models.llama import GenerationDoneEvent
from llamadesk.core.paths import AppPaths
from llamadesk.core.starter_model import ensure_starter_model

BIN = Path(sys.executable).parent
TIME_SERVER = str(BIN / "mcp-server-time")
TEST_CACHE = Path(os.environ.get("LLAMADESK_TEST_CACHE", Path.home() / ".cache" / "llamadesk-tests"))
TARGET_OVERHEAD_MS = 50.0

# A server with ten tools, for the prompt of offered tools (written to a temp file and run).
TEN_TOOLS = textwrap.dedent(
    """
    import sys
    from mcp.server.mcpserver import MCPServer

    server = MCPServer(sys.argv[1])
    for n in range(10):
        def tool(text: str, count: int = 1) -> str:
            return text * count
        tool.__doc__ = f"Tool {n} of {sys.argv[1]}: repeats a text a number of times, for tests."
        server.tool(name=f"tool_{n}")(tool)
    server.run()
    """
)


async def sdk_call_times(calls: int) -> list[float]:
    """The server's own time: `calls` calls through the SDK's client, in ms."""
    params = StdioServerParameters(command=TIME_SERVER, args=["--local-timezone", "UTC"])
    times = []
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        await session.call_tool("get_current_time", {"timezone": "UTC"})  # warm
        for _ in range(calls):
            started = time.perf_counter()
            await session.call_tool("get_current_time", {"timezone": "Asia/Tokyo"})
            times.append((time.perf_counter() - started) * 1000)
    return times


def loop_times(app: App, model: str, calls: int) -> list[float]:
    """The loop's time for `calls` messages, each calling the tool once, in ms: from the
    model's finished call (the end of the generation that made it) to the next answer
    starting (chat.started of step 1), approval skipped (approve_all), so it is the app's own
    work and the server's."""
    session = app.commands.invoke("chat.new", {"model": model, "tools": ["time"]})
    times: list[float] = []
    for n in range(calls + 1):
        marks: dict[str, float] = {}

        def on_event(event: BaseModel, marks: dict[str, float] = marks) -> None:
            # The call is parsed a token or more before the model's generation ends (the
            # grammar still has to close it): the loop starts when the generation that made
            # the call is done, so the model's own last tokens are not counted as overhead.
            if isinstance(event, ToolCallEvent):
                marks.setdefault("parsed", time.perf_counter())
            elif isinstance(event, GenerationDoneEvent) and "parsed" in marks:
                marks.setdefault("call", time.perf_counter())
            elif isinstance(event, ChatStartedEvent) and event.step == 1:
                marks["next"] = time.perf_counter()

        app.commands.invoke(
            "chat.send",
            {
                "session_id": session.id,
                "content": f"What time is it in Tokyo? ({n})",
                # Room for the forced call's JSON (~30 tokens); the answer after it is cut short.
                "sampling": {"temperature": 0, "max_tokens": 48},
                "tool_choice": {"name": "time_get_current_time"},
                "approve_all": True,
            },
            on_event=on_event,
        )
        if n and "call" in marks and "next" in marks:  # the first message warms everything up
            times.append((marks["next"] - marks["call"]) * 1000)
    return times


def first_token_ms(app: App, model: str, tools: list[str]) -> tuple[float, int]:
    """Time to the first generated token of one short answer (the worker's own measure), and
    the prompt's tokens, with these tools offered: their definitions are in the prompt."""
    session = app.commands.invoke("chat.new", {"model": model, "tools": tools})
    reply = app.commands.invoke(
        "chat.send",
        {
            "session_id": session.id,
            "content": "Say hello.",
            "sampling": {"temperature": 0, "max_tokens": 8},
            "approve_all": True,
        },
    )
    first = reply.steps[0] if reply.steps else reply.message
    if first.usage is None or first.usage.time_to_first_token_ms is None:
        return float("nan"), 0
    return float(first.usage.time_to_first_token_ms), first.usage.prompt_tokens


def measure(
    home: Path, calls: int, rounds: int
) -> tuple[list[float], list[float], list[float], list[float], int]:
    """(SDK call times, loop times, first token without tools, with 30 tools, tools offered)."""
    starter = str(ensure_starter_model(TEST_CACHE))
    script = home / "ten_tools.py"
    script.write_text(TEN_TOOLS)
    app = App(AppPaths.under(home / "app"), load_entrypoints=False).start()
    try:
        app.commands.invoke(
            "config.set",
            {"values": {"load.threads": 2, "load.context_size": 4096, "chat.generate_titles": False}},
        )
        app.commands.invoke(
            "mcp.add", {"name": "time", "command": TIME_SERVER, "args": ["--local-timezone", "UTC"]}
        )
        names = [f"set{n}" for n in range(3)]
        for name in names:
            app.commands.invoke(
                "mcp.add", {"name": name, "command": sys.executable, "args": [str(script), name]}
            )
        offered = sum(len(p.tools) for p in app.commands.invoke("tools.list").providers if p.name in names)
        app.commands.invoke("runtime.load", {"model": starter})
        sdk: list[float] = []
        loop: list[float] = []
        for _ in range(2):  # alternated: SDK, app, SDK, app
            sdk += asyncio.run(sdk_call_times(calls // 2))
            loop += loop_times(app, starter, calls // 2)
        first_token_ms(app, starter, [])  # warm
        without, with_tools = [], []
        prompt_none = prompt_tools = 0
        for _ in range(rounds):
            ms, prompt_none = first_token_ms(app, starter, [])
            without.append(ms)
            ms, prompt_tools = first_token_ms(app, starter, names)
            with_tools.append(ms)
    finally:
        app.close()
    print(f"prompt tokens: {prompt_none} without tools, {prompt_tools} with them")
    return sdk, loop, without, with_tools, offered


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=20, help="tool calls per measurement")
    parser.add_argument("--rounds", type=int, default=5, help="first-token rounds")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="llamadesk-tools-bench-") as tmp:
        sdk, loop, without, with_tools, offered = measure(Path(tmp), args.calls, args.rounds)
        if not loop:
            raise SystemExit("the model made no tool call: nothing to measure")
        server_ms, loop_ms = statistics.median(sdk), statistics.median(loop)
        overhead = loop_ms - server_ms
        verdict = "ok" if overhead < TARGET_OVERHEAD_MS else "MISSED"
        print(f"mcp-server-time, {len(sdk)} calls each (medians):")
        print(f"  the server's own time (SDK client): {server_ms:.1f} ms")
        print(f"  the chat's loop (call -> result in the next prompt): {loop_ms:.1f} ms")
        print(f"  overhead: {overhead:.1f} ms (target < {TARGET_OVERHEAD_MS:.0f} ms): {verdict}")
        w, t = statistics.median(without), statistics.median(with_tools)
        print(f"first token, starter model, median of {args.rounds} rounds:")
        print(f"  no tools: {w:.0f} ms; {offered} tools from 3 servers offered: {t:.0f} ms ({t / w:.2f}x)")
        print(json.dumps({"server_ms": server_ms, "loop_ms": loop_ms, "ttft_none_ms": w, "ttft_tools_ms": t}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
