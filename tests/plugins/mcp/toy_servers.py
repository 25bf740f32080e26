"""Small MCP servers built with the SDK, run as `python toy_servers.py KIND [ARG]` over stdio,
for the cases a well-behaved server never shows: a crash mid-call, a tool that never
answers, a server that never answers at all, a 10 MB result, a start that fails once,
bursts of notifications during a call, no tools at all.

Kinds:
- `toys`: echo (read-only), slow, crash, hang, big, fails, chatty, picture, pid, grow
- `empty`: a server with no tools
- `silent`: reads its input and never answers, not even the handshake
- `flaky_start MARKER`: exits at once if MARKER does not exist (and creates it), so the
  first start fails and the second works; then serves `toys`
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import anyio
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.utilities.types import Image
from mcp_types import ToolAnnotations

# A 1x1 PNG: the smallest real image a tool can return.
PIXEL = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


def toys() -> MCPServer:
    server = MCPServer("toys")

    @server.tool(annotations=ToolAnnotations(read_only_hint=True))
    def echo(text: str) -> str:
        """Return the text as it came."""
        return text

    @server.tool()
    async def slow(seconds: float, text: str = "done") -> str:
        """Wait, then answer."""
        await anyio.sleep(seconds)
        return text

    @server.tool()
    def crash() -> str:
        """Exit the server process in the middle of the call."""
        os._exit(3)

    @server.tool()
    async def hang() -> str:
        """Never answer."""
        await anyio.sleep_forever()
        return "unreachable"

    @server.tool(structured_output=False)
    def big(megabytes: int = 10) -> str:
        """A result of that many megabytes."""
        line = "0123456789" * 10 + "\n"
        return line * (megabytes * 1_000_000 // len(line)) + "END"

    @server.tool()
    def fails() -> str:
        """Run, and report a failure."""
        raise ToolError("the disk is full")

    @server.tool()
    async def chatty(ctx: Context, count: int = 500) -> str:
        """Send bursts of log and progress notifications while it runs."""
        for index in range(count):
            await ctx.warning(f"working on item {index}")
            await ctx.report_progress(index, count, f"item {index}")
        return f"sent {count} notifications of each kind"

    @server.tool(structured_output=False)
    def picture() -> list[object]:
        """A caption and an image."""
        return ["a single pixel", Image(data=PIXEL, format="png")]

    @server.tool()
    def pid() -> str:
        """The server's process id."""
        return str(os.getpid())

    @server.tool()
    async def grow(ctx: Context) -> str:
        """Add a tool named `grown`, and say the tools changed."""

        def grown() -> str:
            """A tool that was not there at first."""
            return "new here"

        ctx.mcp_server.add_tool(grown)
        await ctx.notify_tools_changed()
        return "grew"

    @server.resource("toy://readme", description="What the toys are.")
    def readme() -> str:
        return "toys for tests"

    return server


def main() -> None:
    kind = sys.argv[1]
    if kind == "silent":
        for _line in sys.stdin:  # reads everything, answers nothing
            pass
        time.sleep(3600)
        return
    if kind == "flaky_start":
        marker = Path(sys.argv[2])
        if not marker.exists():
            marker.write_text("started once")
            print("first start: failing on purpose", file=sys.stderr)
            sys.exit(2)
        kind = "toys"
    server = toys() if kind == "toys" else MCPServer("empty")
    server.run("stdio")


if __name__ == "__main__":
    main()
