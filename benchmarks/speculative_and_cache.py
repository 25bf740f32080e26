"""Speculative decoding and the saved prompt cache, each against itself turned off, in one run.

1. Prompt-lookup drafting: tokens/s (after the first token) on a code-editing prompt
   (repeat a 150-line file with one rename) and on free prose, with `draft` lookup vs
   none. Two loads of the starter model side by side, interleaved rounds, medians.
2. The prompt cache: time to first token continuing a ~3,000-token chat right after
   the model was unloaded and loaded again, with the cache on (the state is restored
   from its file) vs off (the conversation is processed again).

Run: .venv/bin/python benchmarks/speculative_and_cache.py [--rounds 3] [--tokens 256] [--threads 2] [--no-cache]
     [--draft-model [GGUF]]   (a draft model instead of prompt lookup)
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

from llamadesk.core.app import App
from llamadesk.core.models.llama import GenerationResult
from llamadesk.core.paths import AppPaths
from llamadesk.core.starter_model import ensure_starter_model

TEST_CACHE = Path(os.environ.get("LLAMADESK_TEST_CACHE", Path.home() / ".cache" / "llamadesk-tests"))
THREADS = [2]  # --threads: on a crowded 2-core machine 1 thread measures steadier
CODE = "\n".join(
    f"def price_{n}(order):\n    amount = order.quantity * {n + 1}\n    return amount\n" for n in range(50)
)  # 150 lines
# The file first, the request after it: asked the other way round ("Repeat this file...",
# then the file) the starter model explains the code instead of copying it.
EDIT = f"```python\n{CODE}```\n\nRewrite the code above with `order` renamed to `purchase`. Output only the code."
PROSE = "Write a long story about a cat who travels the world."
NOTE = "On day {n} the harbour master wrote that ship {n} came in from the north with grain and wool."


def generate(app: App, model: str, messages: list[dict[str, str]], tokens: int) -> GenerationResult:
    # No repeat penalty (llama.cpp's own default): it pushes a model away from the very
    # copying an edit is, on and off alike.
    sampling = {"temperature": 0, "repeat_penalty": 1.0, "max_tokens": tokens}
    params = {"model": model, "messages": messages, "sampling": sampling}
    result = app.commands.invoke("runtime.generate", params)
    assert isinstance(result, GenerationResult)
    return result


def load(app: App, model: str, **options: object) -> None:
    defaults = {"threads": THREADS[0], "parallel": 1, "context_size": 4096}
    app.commands.invoke("runtime.load", {"model": model, "options": {**defaults, **options}})


def drafting(root: Path, model_path: Path, rounds: int, tokens: int, draft_model: Path | None) -> None:
    alias = root / "no-draft.gguf"
    alias.symlink_to(model_path)
    app = App(AppPaths.under(root / "draft-home"), load_entrypoints=False).start()
    try:
        app.commands.invoke("config.set", {"values": {"llama_cpp.prompt_cache_mb": 0}})
        if draft_model is None:
            load(app, str(model_path))  # the default: draft auto, prompt lookup here
        else:
            load(app, str(model_path), draft="model", draft_model=str(draft_model))
        load(app, str(alias), draft="none")
        for name, prompt in (("code edit", EDIT), ("prose", PROSE)):
            messages = [{"role": "user", "content": prompt}]
            rates: dict[str, list[float]] = {"on": [], "off": []}
            accepted = drafted = same = 0
            for _ in range(rounds):
                on = generate(app, str(model_path), messages, tokens)
                off = generate(app, str(alias), messages, tokens)
                same += on.content == off.content  # must be all rounds (docs/architecture.md)
                rates["on"].append(on.usage.tokens_per_second or 0.0)
                rates["off"].append(off.usage.tokens_per_second or 0.0)
                accepted, drafted = on.usage.accepted_tokens, on.usage.drafted_tokens
            on_rate, off_rate = statistics.median(rates["on"]), statistics.median(rates["off"])
            # Each round's pair ran back to back: on a machine whose load changes, the median
            # of the pairs' ratios is steadier than the ratio of the medians.
            pairs = [a / b for a, b in zip(rates["on"], rates["off"], strict=True) if b]
            print(
                f"{name:10s} drafting {on_rate:6.1f} tok/s, off {off_rate:6.1f} tok/s: "
                f"{on_rate / off_rate:.3f}x, median of the rounds' ratios "
                f"{statistics.median(pairs):.3f}x {[round(r, 2) for r in pairs]}  "
                f"(drafts: {accepted}/{drafted} tokens accepted; "
                f"same text in {same}/{rounds} rounds; "
                f"rounds on {[round(r, 1) for r in rates['on']]}, off {[round(r, 1) for r in rates['off']]})",
                flush=True,
            )
    finally:
        app.close()


def continued_chat_ttft(root: Path, model_path: Path, cache_mb: int, rounds: int) -> float:
    """Median TTFT (ms) of a chat's next turn after the model was reloaded."""
    app = App(AppPaths.under(root), load_entrypoints=False).start()
    model = str(model_path)
    try:
        app.commands.invoke("config.set", {"values": {"llama_cpp.prompt_cache_mb": cache_mb}})
        notes = " ".join(NOTE.format(n=n) for n in range(130))  # ~3,000 tokens
        chat = [{"role": "user", "content": f"{notes}\n\nWhich ship came first?"}]
        load(app, model)
        answer = generate(app, model, chat, 16)
        print(f"  chat of {answer.usage.prompt_tokens} prompt tokens (cache {cache_mb} MB)", file=sys.stderr)
        chat += [{"role": "assistant", "content": answer.content}, {"role": "user", "content": "And then?"}]
        times = []
        for _ in range(rounds):
            app.commands.invoke("runtime.unload", {"model": model})
            load(app, model)
            result = generate(app, model, chat, 4)
            times.append(result.usage.time_to_first_token_ms or 0.0)
        return statistics.median(times)
    finally:
        app.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--tokens", type=int, default=256)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-cache", action="store_true", help="drafting only")
    parser.add_argument(
        "--draft-model",
        nargs="?",
        const="starter",
        help="draft with this GGUF instead of prompt lookup (alone: the starter model drafting for "
        "itself, which shows the overhead, not a gain: the tests have no smaller model of its family)",
    )
    args = parser.parse_args()
    THREADS[0] = args.threads
    model_path = ensure_starter_model(TEST_CACHE)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        draft_model = None
        if args.draft_model:
            draft_model = model_path if args.draft_model == "starter" else Path(args.draft_model)
        drafting(root, model_path, args.rounds, args.tokens, draft_model)
        if args.no_cache:
            return 0
        cached = continued_chat_ttft(root / "on", model_path, 2048, args.rounds)
        recomputed = continued_chat_ttft(root / "off", model_path, 0, args.rounds)
    print(
        f"TTFT continuing a ~3,000-token chat after a reload: cache {cached:.0f} ms, "
        f"off {recomputed:.0f} ms: {recomputed / cached:.1f}x  (target >= 10)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
