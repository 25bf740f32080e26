"""Save a screenshot of each screen, with real content, to docs/screenshots/.

Run: .venv/bin/python scripts/screenshots.py   (offscreen SDL; about 5 minutes on 2 cores)

It loads the real starter model; when the chat commands are present it asks
the model a question and shots the streamed answer, otherwise the chat shows a
transcript in the shape chat.get returns. The Tools screen shows the real `mcp-server-time`
(connected, its tools listed) beside a server that cannot start; the chat then makes the
model call it (`/tool`), shots the approval, allows it, and shots the call with its result
and the answer after it. A chat attaches a Markdown file and searches a small collection (the
chips and the sources), and the Collections screen shows it indexed. Discover searches the tests' hub server
(tests/plugins/huggingface/hub_server.py) serving a few repositories of GGUF headers
padded to real models' sizes, opens one to show its choices and pulls the recommended one,
shot while it downloads (then cancelled).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="kivy-home-"))
os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("LLAMADESK_HOME", tempfile.mkdtemp(prefix="llamadesk-shots-"))

os.environ.setdefault("HF_HOME", tempfile.mkdtemp(prefix="hf-shots-"))
os.environ["NO_PROXY"] = ",".join(filter(None, [os.environ.get("NO_PROXY"), "127.0.0.1", "localhost"]))
for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_ENDPOINT"):
    os.environ.pop(name, None)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the tests' hub server and GGUF maker
OUT = ROOT / "docs" / "screenshots"
STARTER = Path.home() / ".cache" / "llamadesk-tests" / "starter" / "SmolLM2-135M-Instruct.Q4_1.gguf"
QUESTION = "Give me a Python function that reverses a string, with a short explanation."
ANSWER = (
    "Here is a **simple** way, using slicing:\n\n```python\ndef reverse(text: str) -> str:\n"
    "    return text[::-1]\n```\n\n- `[::-1]` walks the string backwards\n- it works for any sequence"
)
GB = 1_000_000_000
# Repositories of the Discover shot: (repo, downloads, likes, {quant: advertised size}).
HUB_REPOS = [
    (
        "example/Qwen2.5-32B-Instruct-GGUF",
        182_400,
        512,
        {"Q2_K": 12.3, "Q3_K_M": 15.9, "Q4_K_M": 19.9, "Q5_K_M": 23.3, "Q6_K": 26.9, "Q8_0": 34.8},
    ),
    ("example/Llama-3.1-8B-Instruct-GGUF", 96_100, 301, {"Q4_K_M": 4.9, "Q8_0": 8.5}),
    ("example/Mistral-7B-Instruct-v0.3-GGUF", 54_870, 188, {"Q4_K_M": 4.4, "Q8_0": 7.7}),
    ("example/Phi-3.5-mini-instruct-GGUF", 23_050, 97, {"Q4_K_M": 2.4}),
    ("example/SmolLM2-1.7B-Instruct-GGUF", 8_420, 41, {"Q4_K_M": 1.1}),
]
HEAD_READ = 1 << 20  # plugins/huggingface/hub_client.py's HEADER_FIRST_READ
FILE_TYPES = {"Q2_K": 10, "Q3_K_M": 12, "Q4_K_M": 15, "Q5_K_M": 17, "Q6_K": 18, "Q8_0": 7}


MARKDOWN_QUESTION = "Which small model should I start with, and how does attention scale?"
MARKDOWN_ANSWER = """It depends on your memory. Three common choices:

| Model | Download | Memory at 4k context | Speed on 8 cores |
|:------|---------:|---------------------:|:----------------:|
| SmolLM2-135M | 98 MB | 0.3 GB | ~180 tok/s |
| Qwen2.5-1.5B | 1.1 GB | 1.6 GB | ~35 tok/s |
| Llama-3.1-8B | 4.9 GB | 6.1 GB | ~9 tok/s |

Self-attention compares every token with every other one, so for $n$ tokens of width $d$ it costs $O(n^2 d)$:

$$
\\mathrm{Attention}(Q, K, V) = \\mathrm{softmax}\\left(\\frac{QK^T}{\\sqrt{d_k}}\\right) V
$$

Before you pull one:

- [x] check the free memory (Models shows it)
- [x] pick a Q4_K_M quant
- [ ] try a longer context later
"""


def exchange(question: str, answer: str, session: str, tokens: int, speed: float) -> list:
    """A question and its answer, as chat.get returns them."""
    from datetime import UTC, datetime

    from llamadesk.core.models.chat import Role
    from llamadesk.core.models.chat_history import ChatMessage
    from llamadesk.core.models.llama import Usage

    now = datetime.now(UTC)
    return [
        ChatMessage(id=f"{session}-q", session_id=session, role=Role.USER, content=question, created_at=now),
        ChatMessage(
            id=f"{session}-a",
            session_id=session,
            role=Role.ASSISTANT,
            model=str(STARTER),
            content=answer,
            created_at=now,
            usage=Usage(completion_tokens=tokens, tokens_per_second=speed),
        ),
    ]


def markdown_transcript() -> list:
    return exchange(MARKDOWN_QUESTION, MARKDOWN_ANSWER, "m", 212, 31.5)


def transcript() -> list:
    return exchange(QUESTION, ANSWER, "s", 48, 182.4)


def start_hub():
    """The tests' hub server with HUB_REPOS: each file a real GGUF header (what the memory
    estimate reads) padded to the hub client's first ranged read, advertised at its model's
    size. (A file shorter than that read would leave the client waiting for the rest.)"""
    from tests.plugins.huggingface.gguf_maker import llama_shape, make_gguf
    from tests.plugins.huggingface.hub_server import HubFile, HubRepo, HubServer

    class PaddedFile(HubFile):
        """Its GGUF header, then zeros up to the advertised size: a pull of it runs (slowed
        by the hub's throttle) long enough to be shot in progress, then is cancelled."""

        def read(self, start: int, end: int) -> bytes:
            head = super().read(start, end)
            return head + bytes(max(0, end - start - len(head)))

    hub = HubServer()
    for repo_id, downloads, likes, quants in HUB_REPOS:
        model = repo_id.split("/")[1].removesuffix("-GGUF")
        files = []
        for quant, size in quants.items():
            made = PaddedFile(
                f"{model}-{quant}.gguf", make_gguf(llama_shape(model, FILE_TYPES[quant]), HEAD_READ)
            )
            made.size = int(size * GB)
            hub.throttle[made.path] = 0.02  # seconds per MiB: a fast home line
            files.append(made)
        hub.add(HubRepo(repo_id, files, downloads=downloads, likes=likes))
    return hub.start()


def tools_shots(app, pump, shot) -> None:
    """The Tools screen with two servers, then a chat whose answer calls one of them."""
    from llamadesk.core.models.commands import Empty
    from llamadesk.core.models.llama import SamplingParams
    from llamadesk.core.models.mcp import McpAdded, McpAddParams, McpConnected, McpNameParams, McpServerList

    time_server = str(Path(sys.executable).parent / "mcp-server-time")
    app.bridge.invoke(
        "mcp.add", McpAddParams(name="time", command=time_server, args=["--local-timezone", "UTC"]), McpAdded
    )
    app.bridge.invoke(
        "mcp.add",
        McpAddParams(
            name="github",
            command="docker",
            args=["run", "-i", "--rm", "ghcr.io/github/github-mcp-server"],
            env={"GITHUB_PERSONAL_ACCESS_TOKEN": "ghp_exampletoken0123456789"},
            check=False,
        ),
        McpAdded,
    )
    app.bridge.invoke("mcp.connect", McpNameParams(name="github"), McpConnected)
    tools = app.screens["tools"]
    app.show_screen("tools")
    pump(lambda: "time" in tools.cards)
    tools.connect("time")
    pump(lambda: tools.cards["time"].state == "connected" and tools.cards["time"].ids.tools.children)
    app.bridge.invoke("mcp.list", Empty(), McpServerList)
    shot("tools")

    chat = app.screens["chat"]
    app.show_screen("chat")
    chat.new_chat()
    picker = chat.open_tool_picker()
    pump(lambda: any(p.name == "time" and p.tools for p in picker.providers))
    next(w for w in picker.ids.providers.children if getattr(w, "name", "") == "time").ids.check.active = True
    shot("tool-picker")
    picker.done()
    chat.sampling = SamplingParams(max_tokens=60, temperature=0, seed=1)
    chat.ids.composer.text = "/tool time_get_current_time What time is it in the Asia/Tokyo timezone?"
    chat.send()
    rows = chat.ids.messages.data
    pump(lambda: any(r["viewclass"] == "ToolCallRow" and r["state"] == "approval" for r in rows))
    shot("tool-approval")
    row = next(r for r in rows if r["viewclass"] == "ToolCallRow")
    index = rows.index(row)
    chat.approve_tool(index, row["request_id"], "once")
    pump(lambda: not chat.streaming)
    pump(lambda: chat.model_state == "ready")
    pump(lambda: any(r["viewclass"] == "ToolCallRow" for r in chat.ids.messages.data))
    rows = chat.ids.messages.data
    chat.toggle_row(next(i for i, r in enumerate(rows) if r["viewclass"] == "ToolCallRow"), "expanded")
    shot("chat-tools")


HANDBOOK = {
    "office.md": "# Office\n\nThe office door code is 4417. The door locks itself at 19:00.\n",
    "holidays.md": "# Holidays\n\nThe office is closed from 24 December to 2 January.\n",
    "printers.md": "# Printers\n\nThe second-floor printer is called Heron; ask Sam for toner.\n",
}
MEETING = "# Meeting notes\n\nWe move the launch to the ninth of March and hire two testers.\n"


def documents_shots(app, core, pump, shot) -> None:
    """A chat with a file attached and a collection searched: the chips and the numbered
    sources; then the Collections screen with that collection indexed."""
    from llamadesk.core.models.collections import CollectionParams, IndexParams

    folder = Path(tempfile.mkdtemp(prefix="handbook-")) / "handbook"
    folder.mkdir()
    for name, text in HANDBOOK.items():
        (folder / name).write_text(text, encoding="utf-8")
    meeting = folder.parent / "meeting.md"
    meeting.write_text(MEETING, encoding="utf-8")
    core.commands.invoke("collections.add", {"name": "handbook", "folder": str(folder)})
    core.commands.invoke("collections.index", IndexParams(name="handbook"))
    chat = app.screens["chat"]
    chat.new_chat()
    chat.attach(str(meeting))
    pump(lambda: chat.pending_files and not chat.attachments_waiting())
    chat.use_collection("handbook", True)
    chat.ids.composer.text = "What is the office door code, and when is the launch?"
    chat.send()
    pump(lambda: not chat.streaming)
    pump(lambda: chat.model_state == "ready")  # its title written
    pump(frames=60)
    shot("documents")
    app.show_screen("collections")
    pump(lambda: app.screens["collections"].cards)
    shot("collections")
    app.show_screen("chat")
    core.commands.invoke("collections.remove", CollectionParams(name="handbook"))
    shutil.rmtree(folder.parent)


def main() -> int:
    from kivy.config import Config

    Config.set("graphics", "width", "1200")
    Config.set("graphics", "height", "760")
    Config.set("kivy", "exit_on_escape", "0")
    from kivy.base import EventLoop
    from kivy.core.window import Window

    from llamadesk.core.app import App
    from llamadesk.core.models.library import DiscardParams, ImportModelParams, ImportResult
    from llamadesk.core.models.llama import SamplingParams
    from llamadesk.core.models.settings import ConfigSetParams
    from llamadesk.ui.app import LlamadeskApp

    def pump(until=lambda: False, frames: int = 0, limit: int = 20000) -> None:
        for i in range(limit):
            EventLoop.idle()
            if (frames and i >= frames) or (not frames and until()):
                return

    def shot(name: str) -> None:
        pump(frames=20)
        tmp = Path(tempfile.mkdtemp())
        Window.screenshot(name=str(tmp / f"{name}.png"))
        made = next(tmp.glob("*.png"))  # Kivy appends a counter to the name
        shutil.move(made, OUT / f"{name}.png")
        print("saved", OUT / f"{name}.png")

    OUT.mkdir(parents=True, exist_ok=True)
    hub = start_hub()
    core = App(load_entrypoints=False).start()
    core.commands.invoke("config.set", ConfigSetParams(values={"huggingface.endpoint": hub.url}))
    app = LlamadeskApp(core.commands)
    app._run_prepare()
    EventLoop.start()
    pump(frames=10)
    chat = app.screens["chat"]
    model = str(STARTER)
    if "models.import" in core.commands:  # the library lists it, and answers load it by reference
        params = ImportModelParams(path=model, in_place=True, name="smollm2:135m")
        model = app.bridge.invoke("models.import", params, ImportResult).reference
        app.library_changed()
    chat.load_model(model)
    pump(lambda: chat.model_state in ("ready", "error"))
    app.refresh_status()
    if "chat.send" in core.commands:
        chat.sampling = SamplingParams(max_tokens=160, temperature=0)
        chat.ids.composer.text = QUESTION
        chat.send()
        pump(lambda: not chat.streaming)
        pump(frames=60)
        # After the answer the model writes the chat's title: shoot once it is idle again.
        pump(lambda: chat.model_state == "ready")
    else:
        chat.session_title = "Reversing a string"
        chat.show_messages(transcript())
    shot("chat")
    chat.new_chat()
    chat.session_title = "Choosing a first model"
    chat.show_messages(markdown_transcript())
    pump(frames=30)
    pump(lambda: not chat.body_renders.any_waiting())  # its formulas rendered and drawn
    shot("markdown")
    chat.open_panel()
    pump(frames=20)
    shot("chat-options")
    chat.close_panel()
    Window.size = (800, 600)
    pump(lambda: chat.compact)
    chat.toggle_details(2, True)  # the answer's time and tokens, as a hover shows them
    chat.ids.messages.scroll_y = 1
    pump(frames=20)
    shot("chat-800x600")
    Window.size = (1200, 760)
    pump(lambda: not chat.compact)
    if "mcp.add" in core.commands and "chat.send" in core.commands:
        tools_shots(app, pump, shot)
    if "collections.add" in core.commands and "chat.send" in core.commands:
        documents_shots(app, core, pump, shot)
    models = app.screens["models"]
    app.show_screen("models")
    # The chat's title is being written after the answer: shoot the library once it is idle.
    pump(lambda: models.rows and all(r["state"] != "generating" for r in models.rows))
    shot("models")
    monitor = app.open_monitor()
    pump(frames=10)
    shot("monitor")
    monitor.dismiss()
    details = models.show_details(model)
    pump(lambda: details.ids.lines.children)
    shot("model-details")
    details.dismiss()

    discover = app.screens["discover"]
    app.show_screen("discover")
    discover.ids.query.text = "instruct"
    discover.search("instruct")
    pump(lambda: not discover.searching)
    pulling = ""
    if discover.results:
        discover.open_repo(discover.results[0]["repo_id"])
        pump(lambda: discover.files or "GGUF" in discover.repo_note)
        # Pull the recommended quant, as its highlighted button invites: shot on its way.
        pulling = next((f["reference"] for f in discover.files if f["recommended"]), "")
    if pulling:
        discover.pull(pulling)
        pump(lambda: discover.downloads and discover.downloads[0]["percent"] >= 4)
    shot("discover")
    if pulling:
        discover.cancel(pulling)
        pump(lambda: not discover.downloads[0]["active"])
        # Give its space back (the downloader kept what it fetched, to resume).
        core.commands.invoke("models.discard", DiscardParams(reference=pulling))
    core.commands.invoke("config.set", ConfigSetParams(values={"huggingface.endpoint": None}))

    settings = app.screens["settings"]
    app.show_screen("settings")
    pump(frames=5)
    first_plugin = next((g.id for g in settings.groups if g.plugin), None)
    if first_plugin is not None:  # the plugins' sections at the top, the API server's switch among them
        scroll = settings.ids.scroll
        content, section = scroll.children[0], settings.sections[first_plugin]
        below_top = content.top - section.top + 8
        scroll.scroll_y = max(0.0, min(1.0, 1 - below_top / max(1, content.height - scroll.height)))
    shot("settings")
    app.show_screen("chat")
    Window.size = (700, 760)
    pump(lambda: app.shell.narrow)
    app.shell.open_drawer()
    pump(frames=30)
    shot("drawer")
    Window.size = (1200, 760)
    app.set_theme("light")
    app.shell.close_drawer()
    pump(lambda: not app.shell.narrow)
    shot("chat-light")
    # The window in Chinese: Settings, whose descriptions come from the catalog too.
    app.set_theme("dark")
    core.commands.invoke("config.set", ConfigSetParams(values={"language": "zh"}))
    app.set_language("zh")
    app.show_screen("settings")
    pump(frames=5)
    settings.ids.scroll.scroll_y = 1
    shot("settings-zh")
    app.dispatch("on_stop")
    core.close()
    hub.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
