"""`llamadesk run MODEL [PROMPT]`: one answer to PROMPT, or an interactive chat without it.

Content streams to stdout; reasoning, loading progress and warnings go to stderr so
`llamadesk run m "..." > answer.txt` keeps only the answer. Ctrl+C stops the answer
in progress (its text is kept and the chat goes on); Ctrl+C or Ctrl+D at the
prompt, or `/bye`, ends the chat. A line starting with `/` is a command
(run_commands.py: /help, /set, /show, /clear, /save, /load), never a message. With
`--chat ID` the turns go through the chat service instead: they continue that saved
chat and are saved with it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from typing import Any

from pydantic import BaseModel

from llamadesk.core.commands import CommandTable
from llamadesk.core.models.chat_history import ChatReply, ChatSession, ChatTranscript
from llamadesk.core.models.chat_params import GetChatParams, NewChatParams, SendParams
from llamadesk.core.models.llama import SamplingParams, StopReason
from llamadesk.core.models.tools import ToolRunEvent

from ..approvals import invoke_asking
from ..invoke import invoke_streaming
from ..run_commands import HINT, RunState, is_command, run_command


def add(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("run", help="chat with a model, or answer one prompt")
    parser.add_argument("model", help="a GGUF file path, or `starter` for SmolLM2-135M-Instruct")
    parser.add_argument("prompt", nargs="?", help="answer this and exit; without it, chat interactively")
    parser.add_argument("--system", help="system prompt")
    parser.add_argument("--context-size", type=int, help="tokens the model can see (load option)")
    parser.add_argument("--threads", type=int, help="CPU threads (load option)")
    parser.add_argument(
        "--rpc", action="store_true", help="split the model across the RPC workers (`llamadesk rpc add`)"
    )
    parser.add_argument(
        "--layer-split",
        type=shares,
        metavar="SHARES",
        help="with --rpc: shares of the layers, this machine's first, like 1,2,2 (default: by free memory)",
    )
    parser.add_argument(
        "--draft-model",
        metavar="MODEL",
        help="a smaller model of the same vocabulary drafts tokens for this one to check (load option)",
    )
    parser.add_argument("--temperature", type=float, help="0 is greedy")
    parser.add_argument("--max-tokens", type=int, help="stop the answer after this many tokens")
    parser.add_argument("--stats", action="store_true", help="print tokens/s and timings after each answer")
    parser.add_argument("--chat", metavar="ID", help="continue the saved chat ID (see `llamadesk chats`)")
    parser.add_argument(
        "--tools",
        metavar="NAMES",
        help="let the model call these tools: MCP servers or tool providers, comma-separated (see "
        "`llamadesk tools`); the conversation is kept as a chat",
    )
    parser.add_argument("--yes", action="store_true", help="run every tool call without asking")
    parser.add_argument(
        "--file",
        action="append",
        default=[],
        metavar="F",
        help="attach this file to the first message (repeat for more): whole when it fits, else the "
        "relevant passages; the conversation is kept as a chat",
    )
    parser.add_argument(
        "--collection",
        action="append",
        default=[],
        metavar="NAME",
        help="answer from this collection's passages, cited as [n] (repeat for more; see "
        "`llamadesk collections`); the conversation is kept as a chat",
    )
    parser.set_defaults(run=run)


def shares(text: str) -> list[float]:
    """`1,2,2` -> [1.0, 2.0, 2.0], for --layer-split."""
    try:
        return [float(share) for share in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not numbers separated by commas, like 1,2,2") from None


def run(args: argparse.Namespace, commands: CommandTable) -> int:
    _load(args, commands)
    state = RunState(model=args.model, sampling=_sampling(args, commands), system=args.system)
    if args.chat or args.tools or args.file or args.collection:
        return _continue_chat(args, commands, state)
    if args.prompt is not None:
        result = _answer(args, commands, state, [*state.messages(), {"role": "user", "content": args.prompt}])
        return 130 if result["stop_reason"] == "cancelled" else 0
    for line in _prompts(state, commands):
        result = _answer(args, commands, state, [*state.messages(), {"role": "user", "content": line}])
        state.history += [
            {"role": "user", "content": line},
            {"role": "assistant", "content": result["content"]},
        ]
    return 0


def _prompts(state: RunState, commands: CommandTable) -> Iterator[str]:
    """Lines typed at the `>>>` prompt, until Ctrl+D, Ctrl+C or /bye; commands are done here."""
    sys.stderr.write(HINT + "\n")
    while True:
        try:
            line = input(">>> ")
        except (EOFError, KeyboardInterrupt):
            print(file=sys.stderr)
            return
        if is_command(line):
            if not run_command(line, state, commands):
                return
            continue
        if line.strip():
            yield line


def _continue_chat(args: argparse.Namespace, commands: CommandTable, state: RunState) -> int:
    """Each turn is a chat.send on a saved chat (the one given, or a new one when tools are
    asked for: calls and results are kept with it), so it is stored like a turn in the app."""
    tools = [name.strip() for name in args.tools.split(",") if name.strip()] if args.tools else None
    state.chat_mode = True
    if args.chat:
        recent = commands.invoke("chat.get", GetChatParams(session_id=args.chat, limit=6))
        assert isinstance(recent, ChatTranscript)
        sys.stderr.write(f"# {recent.session.title}\n")
        for message in recent.messages:
            sys.stderr.write(f"{message.role.value}: {message.content}\n")
        session_id = args.chat
    else:
        created = commands.invoke(
            "chat.new", NewChatParams(model=args.model, system_prompt=args.system, tools=tools or [])
        )
        assert isinstance(created, ChatSession)
        session_id = created.id
        sys.stderr.write(f"# chat {session_id} (llamadesk run {args.model} --chat {session_id} goes on)\n")
    state.session_id = session_id
    turns = [args.prompt] if args.prompt is not None else _prompts(state, commands)
    stop_reason = StopReason.STOP
    files = list(args.file)  # attached to the first message; the chat keeps them for the next
    for content in turns:
        if state.session_id is None:  # /clear: a new saved chat
            created = commands.invoke(
                "chat.new", NewChatParams(model=args.model, system_prompt=state.system, tools=tools or [])
            )
            assert isinstance(created, ChatSession)
            state.session_id = created.id
        params = SendParams(
            session_id=state.session_id,
            content=content,
            model=args.model,
            sampling=SamplingParams.model_validate(state.sampling),
            tools=tools,
            approve_all=args.yes,
            files=files,
            collections=args.collection,
        )
        reply = invoke_asking(commands, "chat.send", params, on_event=_token_printer())
        assert isinstance(reply, ChatReply)
        files = []
        sys.stdout.write("\n")
        _documents(reply)
        stop_reason = reply.stop_reason
        _report(args, stop_reason.value, reply.message.usage.model_dump() if reply.message.usage else {})
    return 130 if args.prompt is not None and stop_reason is StopReason.CANCELLED else 0


def _documents(reply: ChatReply) -> None:
    """What went with the message, on stderr: each file's chip and the sources it may cite."""
    question = reply.user_message
    for attachment in question.attachments if question is not None else []:
        sys.stderr.write(f"attached: {attachment.chip()}\n")
    for source in reply.message.sources:
        sys.stderr.write(f"{source.citation()}\n")


def _load(args: argparse.Namespace, commands: CommandTable) -> None:
    """Load the model: with the model's own options (or the defaults) unless flags change them."""
    options: dict[str, Any] | None = None
    if args.context_size or args.threads or args.rpc or args.layer_split or args.draft_model:
        entries = commands.invoke("config.get", {"key": "model_load"}).model_dump()["value"]
        own = next((dict(e["options"]) for e in entries if e["model"] == args.model), None)
        options = own or commands.invoke("config.get", {"key": "load"}).model_dump()["value"]
        if args.context_size:
            options["context_size"] = args.context_size
        if args.threads:
            options["threads"] = args.threads
        if args.rpc or args.layer_split:
            options["rpc"] = True
        if args.layer_split:
            options["layer_split"] = args.layer_split
        if args.draft_model:
            options["draft_model"] = args.draft_model
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


def _sampling(args: argparse.Namespace, commands: CommandTable) -> dict[str, Any]:
    sampling: dict[str, Any] = commands.invoke("config.get", {"key": "sampling"}).model_dump()["value"]
    if args.temperature is not None:
        sampling["temperature"] = args.temperature
    if args.max_tokens:
        sampling["max_tokens"] = args.max_tokens
    return sampling


def _token_printer() -> Callable[[BaseModel], None]:
    """Answer text to stdout; reasoning to stderr, so a redirect keeps only the answer."""
    in_reasoning = False

    def on_event(event: BaseModel) -> None:
        nonlocal in_reasoning
        if isinstance(event, ToolRunEvent) and event.result is not None:
            result = event.result
            took = f", {result.duration_ms:.0f} ms" if result.duration_ms is not None else ""
            sys.stderr.write(f"[{result.name}: {result.outcome.value}{took}]\n")
            sys.stderr.flush()
            return
        data = event.model_dump()
        if data.get("kind") == "chat.unsaved":
            sys.stderr.write(
                f"\nwarning: {data['reason']}. This answer is kept in memory and saved once the chat "
                "history can be written again (if you quit first, it goes to a file named on exit).\n"
            )
            sys.stderr.flush()
            return
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

    return on_event


def _answer(
    args: argparse.Namespace, commands: CommandTable, state: RunState, messages: list[dict[str, str]]
) -> dict[str, Any]:
    params = {"model": args.model, "messages": messages, "sampling": state.sampling}
    result = invoke_streaming(commands, "runtime.generate", params, on_event=_token_printer()).model_dump()
    sys.stdout.write("\n")
    _report(args, result["stop_reason"], result["usage"])
    return result


def _report(args: argparse.Namespace, stop_reason: str, usage: dict[str, Any]) -> None:
    if stop_reason == "cancelled":
        sys.stderr.write("[stopped]\n")
    if args.stats and usage:
        rate = usage.get("tokens_per_second") or 0.0
        ttft = usage.get("time_to_first_token_ms") or 0.0
        drafted = usage.get("drafted_tokens") or 0
        drafts = f", {usage.get('accepted_tokens', 0)}/{drafted} drafted tokens accepted" if drafted else ""
        sys.stderr.write(
            f"[{usage.get('prompt_tokens', 0)} prompt tokens, {usage.get('completion_tokens', 0)} generated, "
            f"{rate:.1f} tokens/s, first token after {ttft:.0f} ms{drafts}, {stop_reason}]\n"
        )
