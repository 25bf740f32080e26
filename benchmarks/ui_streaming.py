"""UI responsiveness: frame intervals while streaming, opening and scrolling a huge chat, first frame.

Run: .venv/bin/python benchmarks/ui_streaming.py   (offscreen SDL; no model needed)

Tokens come from a streaming command registered on the real command table for
this run (`bench.tokens`, 1,000 tokens/s: five times the starter model on 2
cores) and reach the chat screen by the path chat.send's answer takes: the
worker pool, `CommandBridge` (batched once per frame), `ChatScreen._on_events`,
`LiveAnswer`. The baseline, measured in the same run and window through the same
bridge, is one Label whose text grows by every token. Frame intervals are taken
on the Kivy thread (a Clock callback every frame), each frame finished by the
GL before the next starts, as a real window's buffer swap does (the app does
that offscreen: ui/offscreen.py). The streamed answers and the chat history come from
ui_chat_fixture.py.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ui_chat_fixture import messages, rich_token_stream, token_stream  # a sibling: benchmarks/ is sys.path[0]

os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="kivy-home-"))
os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("LLAMADESK_HOME", tempfile.mkdtemp(prefix="llamadesk-bench-"))

TOKENS = 3000
RATE = 1000.0  # tokens per second
HISTORY = 200
BIG_CHAT = 10_000
SCROLL_PX_S = 3000


def p99(values: list[float]) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * 0.99))] if values else 0.0


def first_frame_seconds() -> float:
    """From starting the `llamadesk` command to the window's first buffer swap (ui/first_frame.py)."""
    exe = Path(sys.executable).with_name("llamadesk")
    with tempfile.TemporaryDirectory() as tmp:
        marker = Path(tmp) / "first-frame.json"
        env = {**os.environ, "LLAMADESK_FIRST_FRAME_FILE": str(marker), "LLAMADESK_QUIT_AFTER": "0.2"}
        start = time.time()
        subprocess.run([str(exe)], env=env, capture_output=True, timeout=120, check=False)
        if not marker.exists():
            raise RuntimeError("the app drew no frame")
        return float(json.loads(marker.read_text())["time"]) - start


def main() -> int:
    from kivy.config import Config

    Config.set("graphics", "width", "1200")
    Config.set("graphics", "height", "800")
    Config.set("kivy", "exit_on_escape", "0")
    from kivy.clock import Clock
    from kivy.uix.label import Label
    from kivy.uix.scrollview import ScrollView
    from pydantic import BaseModel

    from llamadesk.core.app import App
    from llamadesk.core.commands import CommandSpec
    from llamadesk.core.models.base import CommandParams
    from llamadesk.core.models.commands import TokenEvent
    from llamadesk.ui.app import LlamadeskApp
    from llamadesk.ui.offscreen import is_offscreen

    class NoParams(CommandParams):
        pass

    class Done(BaseModel):
        tokens: int = 0

    streams = {"plain": token_stream(TOKENS), "rich": rich_token_stream(TOKENS)}
    current = ["plain"]

    def stream_tokens(_params: NoParams, ctx) -> Done:
        """Emit the tokens at RATE from the worker pool, as a model's generate() would."""
        tokens = streams[current[0]]
        start = time.perf_counter()
        for i, text in enumerate(tokens):
            delay = start + i / RATE - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            ctx.emit(TokenEvent(text=text))
        return Done(tokens=len(tokens))

    core = App(load_entrypoints=False).start()
    core.commands.register(
        CommandSpec(
            id="bench.tokens",
            title="Benchmark tokens",
            params=NoParams,
            result=Done,
            handler=stream_tokens,
            streaming=True,
        )
    )
    app = LlamadeskApp(core.commands)
    # The app finishes each frame offscreen (ui/offscreen.py), as a real window's buffer swap
    # does; without it the Kivy thread ran seconds ahead of the frames actually drawn, and
    # its frame intervals measured nothing the user sees.
    assert is_offscreen(), "run with SDL_VIDEODRIVER=offscreen"
    results: dict[str, float] = {}
    frames: list[float] = []
    last = [0.0]
    # The Kivy thread's own CPU time per frame: what the app's code and Kivy cost, less
    # sensitive than the intervals to other jobs on a shared machine (not to llvmpipe's
    # rasterizing, which runs on its own threads while the Kivy thread waits in glFinish).
    cpu: list[float] = []
    last_cpu = [0.0]

    def tick(_dt: float) -> None:
        now, now_cpu = time.perf_counter(), time.thread_time()
        if last[0]:
            frames.append((now - last[0]) * 1000)
            cpu.append((now_cpu - last_cpu[0]) * 1000)
        last[0], last_cpu[0] = now, now_cpu

    def measure_frames(finished, then) -> None:
        """Record frame intervals until `finished()`, then 0.3 s more, and hand them to `then`."""
        frames.clear()
        cpu.clear()
        last[0] = 0.0
        clock_event = Clock.schedule_interval(tick, 0)

        def wait(_dt: float) -> None:
            if not finished():
                Clock.schedule_once(wait, 0.05)
                return
            Clock.schedule_once(lambda _dt: (clock_event.cancel(), then(list(frames))), 0.3)

        wait(0)

    chat = None

    def step_history(_dt: float) -> None:
        nonlocal chat
        chat = app.screens["chat"]
        chat.show_messages(messages(HISTORY))
        # As with a model loaded, the only way a real answer streams: no "load a model" hint.
        chat.model_id, chat.model_state = "bench-model", "ready"
        chat._update_hint()
        Clock.schedule_once(when_pools_ready, 1.0)

    def when_pools_ready(_dt: float) -> None:
        """The chat makes its block widgets ahead of need in the first seconds (a few each
        frame); a person has not sent a message by then, so the stream waits for them too."""
        if not chat.body_renders.prefilled:
            Clock.schedule_once(when_pools_ready, 0.1)
            return
        Clock.schedule_once(step_stream, 0.3)

    def step_stream(_dt: float) -> None:
        # What send() does after adding the user's message, minus the model: the chat screen
        # starts the stream and owns it until its result arrives.
        chat._stream("bench.tokens", NoParams())
        started = [False]
        rv = chat.ids.messages
        shown_tails: list[str] = []

        def note_tail(_dt: float) -> None:
            """What the tail row's view shows this frame: the answer must grow on screen, not
            only in the data (a frame that draws nothing new is cheap, and proves nothing).
            The tail is the answer's last body row, above its action bar."""
            tail_row = len(rv.data) - 2
            view = next((v for v, i in rv.layout_manager.view_indices.items() if i == tail_row), None)
            render = getattr(view, "body_render", None)
            if (
                render is not None
                and render.shown
                and (not shown_tails or shown_tails[-1] != render.shown[0])
            ):
                shown_tails.append(render.shown[0])

        tail_event = Clock.schedule_interval(note_tail, 0)

        def finished() -> bool:
            started[0] = started[0] or chat.live is not None
            if started[0] and chat.live is None:
                tail_event.cancel()
                results["tail_changes"] = len(shown_tails)
                return True
            return False

        def done(values: list[float]) -> None:
            results["stream_p99"] = p99(values)
            results["stream_median"] = statistics.median(values)
            results["stream_max"] = max(values)
            results["stream_cpu"], results["stream_cpu_p99"] = statistics.median(cpu), p99(cpu)
            Clock.schedule_once(step_stream_rich, 0.5)

        measure_frames(finished, done)

    def step_stream_rich(_dt: float) -> None:
        """The same, with tables, formulas and code in the answer, into the same chat shown
        afresh and left to settle as the first stream's was: the frames measure the stream,
        not the chat's opening."""
        current[0] = "rich"
        chat.show_messages(messages(HISTORY))
        Clock.schedule_once(step_stream_rich_start, 1.0)

    def step_stream_rich_start(_dt: float) -> None:
        chat._stream("bench.tokens", NoParams())
        started = [False]

        def finished() -> bool:
            started[0] = started[0] or chat.live is not None
            return started[0] and chat.live is None

        def done(values: list[float]) -> None:
            results["rich_p99"] = p99(values)
            results["rich_median"] = statistics.median(values)
            results["rich_max"] = max(values)
            results["rich_cpu"], results["rich_cpu_p99"] = statistics.median(cpu), p99(cpu)
            current[0] = "plain"
            Clock.schedule_once(step_baseline, 0.5)

        measure_frames(finished, done)

    def step_baseline(_dt: float) -> None:
        label = Label(size_hint_y=None, text_size=(app.root.width - 40, None), markup=False)
        label.bind(texture_size=lambda w, s: setattr(w, "height", s[1]))
        scroll = ScrollView()
        scroll.add_widget(label)
        app.root.add_widget(scroll)
        ended = [False]

        def on_events(events: list) -> None:
            label.text += "".join(e.text for e in events)

        def on_end(_result) -> None:
            ended[0] = True

        app.bridge.stream("bench.tokens", NoParams(), Done, on_events, on_end, on_end)

        def done(values: list[float]) -> None:
            results["baseline_p99"] = p99(values)
            results["baseline_median"] = statistics.median(values)
            app.root.remove_widget(scroll)
            Clock.schedule_once(step_open_big, 0.5)

        measure_frames(lambda: ended[0], done)

    def step_open_big(_dt: float) -> None:
        big = messages(BIG_CHAT)
        start = time.perf_counter()
        chat.show_messages(big)
        chat.ids.messages.refresh_views()  # lay out now, not next frame, so the timing includes it

        def drawn(_dt: float) -> None:
            results["open_10k_ms"] = (time.perf_counter() - start) * 1000
            Clock.schedule_once(step_scroll, 0.5)

        Clock.schedule_once(drawn, 0)

    def step_scroll(_dt: float) -> None:
        frames.clear()
        last[0] = 0.0
        rv = chat.ids.messages
        clock_event = Clock.schedule_interval(tick, 0)
        steps = 240
        start_px = 0.0

        def move(i: int) -> None:
            if i > steps:
                clock_event.cancel()
                results["scroll_max"] = max(frames)
                results["scroll_p99"] = p99(frames)
                app.stop()
                return
            # Upwards from the bottom at SCROLL_PX_S, a brisk continuous scroll, one step per frame.
            scrollable = max(1.0, rv.children[0].height - rv.height)
            rv.scroll_y = min(1.0, (start_px + i * SCROLL_PX_S / 60) / scrollable)
            Clock.schedule_once(lambda _dt: move(i + 1), 0)

        move(0)

    Clock.schedule_once(step_history, 1.0)
    app.run()
    core.close()
    results["first_frame_s"] = first_frame_seconds()

    load = os.getloadavg()
    print(
        f"machine: {os.cpu_count()} CPUs, load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} (figures scale with it)"
    )
    print(f"streaming {TOKENS} tokens at {RATE:.0f} tok/s into a chat of {HISTORY} messages (offscreen SDL):")
    print(
        f"  chat screen      frame p99 {results['stream_p99']:.1f} ms  (median {results['stream_median']:.1f}, max {results['stream_max']:.1f})  target <= 20"
    )
    print(
        f"  with tables, math, code p99 {results['rich_p99']:.1f} ms  (median {results['rich_median']:.1f}, max {results['rich_max']:.1f})  target <= 20"
    )
    print(
        f"  Kivy thread CPU per frame: chat screen median {results['stream_cpu']:.1f} ms, p99 {results['stream_cpu_p99']:.1f}; "
        f"with tables, math, code median {results['rich_cpu']:.1f} ms, p99 {results['rich_cpu_p99']:.1f}"
    )
    print(
        f"  one growing Label frame p99 {results['baseline_p99']:.1f} ms  (median {results['baseline_median']:.1f})"
    )
    print(f"  ratio baseline/chat p99: {results['baseline_p99'] / results['stream_p99']:.2f}x")
    print(f"  the answer's tail row showed new text {results['tail_changes']:.0f} times")
    print(f"open a {BIG_CHAT}-message chat: {results['open_10k_ms']:.0f} ms  target <= 300")
    print(
        f"scroll it: max frame {results['scroll_max']:.1f} ms, p99 {results['scroll_p99']:.1f} ms  target max <= 50"
    )
    print(f"first frame after launch: {results['first_frame_s']:.2f} s  target <= 2.5")
    return 0


if __name__ == "__main__":
    sys.exit(main())
