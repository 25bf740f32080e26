"""Save a screenshot of each screen, with real content, to docs/screenshots/.

Run: .venv/bin/python scripts/screenshots.py   (offscreen SDL; ~1 minute)

It loads the real starter model; when the chat commands are present it asks
the model a question and shots the streamed answer, otherwise the chat shows a
transcript in the shape chat.get returns.
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

OUT = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
STARTER = Path.home() / ".cache" / "llamadesk-tests" / "starter" / "SmolLM2-135M-Instruct.Q4_1.gguf"
QUESTION = "Give me a Python function that reverses a string, with a short explanation."
TRANSCRIPT = [
    {"id": "u1", "role": "user", "content": QUESTION},
    {
        "id": "a1",
        "role": "assistant",
        "model": str(STARTER),
        "content": "Here is a **simple** way, using slicing:\n\n```python\ndef reverse(text: str) -> str:\n"
        "    return text[::-1]\n```\n\n- `[::-1]` walks the string backwards\n- it works for any sequence",
        "usage": {"completion_tokens": 48, "tokens_per_second": 182.4},
    },
]


def main() -> int:
    from kivy.config import Config

    Config.set("graphics", "width", "1200")
    Config.set("graphics", "height", "760")
    Config.set("kivy", "exit_on_escape", "0")
    from kivy.base import EventLoop
    from kivy.core.window import Window

    from llamadesk.core.app import App
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
    core = App(load_entrypoints=False).start()
    app = LlamadeskApp(core.commands)
    app._run_prepare()
    EventLoop.start()
    pump(frames=10)
    chat = app.screens["chat"]
    model = str(STARTER)
    if "models.import" in core.commands:  # the library lists it, and answers load it by reference
        done = core.commands.invoke(
            "models.import", {"path": model, "in_place": True, "name": "smollm2:135m"}
        )
        model = done.model_dump()["reference"]
        app.screens["models"].refresh()
    chat.load_model(model)
    pump(lambda: chat.model_state in ("ready", "error"))
    app.refresh_status()
    if "chat.send" in core.commands:
        chat.sampling = {"max_tokens": 160, "temperature": 0}
        chat.ids.composer.text = QUESTION
        chat.send()
        pump(lambda: not chat.streaming)
        pump(frames=60)
    else:
        chat.session_title = "Reversing a string"
        chat.show_messages(TRANSCRIPT)
    shot("chat")
    for name in ("models", "discover", "settings"):
        app.show_screen(name)
        shot(name)
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
    app.dispatch("on_stop")
    core.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
