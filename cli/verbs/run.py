"""`llamadesk run MODEL [PROMPT]`: one answer to PROMPT, or an interactive chat without it.

Content streams to stdout; reasoning, loading progress and warnings go to stderr so
`llamadesk run m "..." > answer.txt` keeps only the answer. Ctrl+C stops the answer
in progress (its text is kept and the chat goes on); Ctrl+C or Ctrl+D at the
prompt, or `/bye`, ends the chat.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from pydantic import BaseModel

from llamadesk.core.commands import CommandTable

from ..invoke import invoke_streaming

EXIT_WORDS = {"/bye", "/exit", "/quit"}


def add(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("run", help="chat with a model, or answer one prompt")
    parser.add_argument("model", help="a GGUF file path, or `starter` for SmolLM2-135M-Instruct")
    parser.add_argument("prompt", nargs="?", help="answer this and exit; without it, chat interactively")
    parser.add_argument("--system", help="system prompt")
    parser.add_argument("--context-size", type=int, help="tokens the model can see (load option)")
    parser.add_argument("--threads", type=int, help="CPU threads (load option)")
    parser.add_argument("--temperature", type=float, help="0 is greedy")
    parser.add_argument("--max-tokens", type=int, help="stop the answer after this many tokens")
    parser.add_argument("--stats", action="store_true", help="print tokens/s and timings after each answer")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, commands: CommandTable) -> int:
    _load(args, commands)
    history: list[dict[str, str]] = [{"role": "system", "content": args.system}] if args.system else []
    if args.prompt is not None:
        result = _answer(args, commands, [*history, {"role": "user", "content": args.prompt}])
        return 130 if result["stop_reason"] == "cancelled" else 0
    while True:
        try:
            line = input(">>> ")
        except (EOFError, KeyboardInterrupt):
            print(file=sys.stderr)
            return 0
        if line.strip() in EXIT_WORDS:
            return 0
        if not line.strip():
            continue
        history.append({"role": "user", "content": line})
        result = _answer(args, commands, history)
        history.append({"role": "assistant", "content": result["content"]})


def _load(args: argparse.Namespace, commands: CommandTable) -> None:
    options: dict[str, Any] = commands.invoke("config.get", {"key": "load"}).model_dump()["value"]
    if args.context_size:
        options["context_size"] = args.context_size
    if args.threads:
        options["threads"] = args.threads
    interactive = sys.stderr.isatty()

    def on_event(event: BaseModel) -> None:
        data = event.model_dump()
        if data.get("kind") == "progress" and interactive:
            sys.stderr.write(f"\rloading {args.model} {data['done'] * 100:3.0f}%")
        elif data.get("kind") == "state" and data["message"].startswith("warning: "):
            sys.stderr.write(f"\n{data['message']}\n")
        sys.stderr.flush()

    invoke_streaming(commands, "runtime.load", {"model": args.model, "options": options}, on_event=on_event)
    if interactive:
        sys.stderr.write("\r\033[K")


def _answer(
    args: argparse.Namespace, commands: CommandTable, messages: list[dict[str, str]]
) -> dict[str, Any]:
    sampling: dict[str, Any] = commands.invoke("config.get", {"key": "sampling"}).model_dump()["value"]
    if args.temperature is not None:
        sampling["temperature"] = args.temperature
    if args.max_tokens:
        sampling["max_tokens"] = args.max_tokens
    in_reasoning = False

    def on_event(event: BaseModel) -> None:
        nonlocal in_reasoning
        data = event.model_dump()
        if data.get("kind") != "token":
            return
        if data["channel"] == "reasoning":
            in_reasoning = True
            sys.stderr.write(data["text"])
            sys.stderr.flush()
            return
        if in_reasoning:
            in_reasoning = False
            sys.stderr.write("\n\n")
        sys.stdout.write(data["text"])
        sys.stdout.flush()

    params = {"model": args.model, "messages": messages, "sampling": sampling}
    result = invoke_streaming(commands, "runtime.generate", params, on_event=on_event).model_dump()
    sys.stdout.write("\n")
    if result["stop_reason"] == "cancelled":
        sys.stderr.write("[stopped]\n")
    if args.stats:
        usage = result["usage"]
        rate = usage["tokens_per_second"] or 0.0
        ttft = usage["time_to_first_token_ms"] or 0.0
        sys.stderr.write(
            f"[{usage['prompt_tokens']} prompt tokens, {usage['completion_tokens']} generated, "
            f"{rate:.1f} tokens/s, first token after {ttft:.0f} ms, {result['stop_reason']}]\n"
        )
    return result
