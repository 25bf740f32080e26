"""The self-test's checks: each one exercises a part of the app through the command table.

Used by `llamadesk self-test` (and `--self-test`), mainly to prove that a
PyInstaller bundle works on a machine with no Python. A check passes, fails, or
is skipped when the part it needs is not in this build (e.g. no chat commands);
any failure makes the self-test exit non-zero.
"""

from __future__ import annotations

import os
import ssl
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from llamadesk.core import __version__
from llamadesk.core.commands import CommandTable
from llamadesk.core.models.llama import ModelState
from llamadesk.core.plugins import DEFAULT_PLUGINS

from .worker_probe import run_probe

GENERATE_TOKENS = 8


class Outcome(StrEnum):
    OK = "ok"
    FAILED = "FAILED"
    SKIPPED = "skip"


@dataclass
class CheckResult:
    name: str
    outcome: Outcome
    detail: str
    seconds: float = 0.0
    data: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "outcome": self.outcome.value}


class Skip(Exception):
    """Raised by a check whose part is not in this build."""


# A check returns its detail line, or (detail, data); it raises to fail or Skip to skip.
Check = Callable[[], str | tuple[str, dict[str, Any]]]


def run_checks(commands: CommandTable, model: Path | None) -> list[CheckResult]:
    checks: list[tuple[str, Check]] = [
        ("metadata", check_metadata),
        ("plugins", lambda: check_plugins(commands)),
        ("commands", lambda: check_commands(commands)),
        ("chat store", lambda: check_chat_store(commands)),
        ("certificates", check_certificates),
        ("worker process", check_worker),
    ]
    if model is not None:
        checks.append(("generation", lambda: check_generation(commands, model)))
    return [_timed(name, check) for name, check in checks]


def _timed(name: str, check: Check) -> CheckResult:
    started = time.perf_counter()
    data = None
    try:
        answer = check()
        detail, data = answer if isinstance(answer, tuple) else (answer, None)
        outcome = Outcome.OK
    except Skip as reason:
        outcome, detail = Outcome.SKIPPED, str(reason)
    except Exception as exc:  # a check reports every failure; the next one still runs
        outcome, detail = Outcome.FAILED, f"{type(exc).__name__}: {exc}"
    return CheckResult(name, outcome, detail, time.perf_counter() - started, data)


def check_metadata() -> str:
    """The installed distribution's metadata is there (a bundle needs `copy_metadata`)."""
    if __version__ == "0+unknown":
        raise RuntimeError("no llamadesk distribution metadata: the version is unknown")
    return f"llamadesk {__version__}"


def check_plugins(commands: CommandTable) -> tuple[str, dict[str, Any]]:
    listed = commands.invoke("plugins.list").model_dump()
    names = [plugin["name"] for plugin in listed["plugins"]]
    if listed["failures"]:
        reasons = "; ".join(f"{f['name']} ({f['stage']}): {f['error']}" for f in listed["failures"])
        raise RuntimeError(f"plugins failed: {reasons}")
    expected = [path.rsplit(".", 1)[-1] for path in DEFAULT_PLUGINS]
    missing = [name for name in expected if name not in names]
    if missing:
        raise RuntimeError(f"not loaded: {', '.join(missing)}")
    third_party = [p["name"] for p in listed["plugins"] if p["origin"].startswith("entry point")]
    extra = f" ({len(third_party)} third-party: {', '.join(third_party)})" if third_party else ""
    return f"{len(names)} loaded{extra}: {', '.join(names)}", {"plugins": names, "third_party": third_party}


def check_commands(commands: CommandTable) -> tuple[str, dict[str, Any]]:
    ids = commands.ids()
    for required in ("system.info", "plugins.list", "config.get"):
        if required not in ids:
            raise RuntimeError(f"the core command {required} is missing")
    return f"{len(ids)}: {', '.join(ids)}", {"commands": ids}


def check_chat_store(commands: CommandTable) -> str:
    """Opens the chat store (in the self-test's throwaway home) by listing chats."""
    if "chat.list" not in commands:
        raise Skip("no chat commands in this build")
    commands.invoke("chat.list")
    return "opened and listed"


def check_certificates() -> str:
    """HTTPS pulls need CA certificates; a bundle's OpenSSL may look for them in the wrong place."""
    paths = ssl.get_default_verify_paths()
    count = ssl.create_default_context().cert_store_stats()["x509_ca"]
    if count:
        return f"{count} CA certificates ({paths.cafile or 'system store'})"
    # A certificate folder is read lazily, so an empty count is fine when it has files.
    if paths.capath and os.path.isdir(paths.capath) and os.listdir(paths.capath):
        return f"CA certificates in {paths.capath}"
    raise RuntimeError("no CA certificates found: HTTPS downloads will fail (set SSL_CERT_FILE)")


def check_worker() -> tuple[str, dict[str, Any]]:
    report = run_probe()
    rpc = "with" if report.get("rpc") else "without"
    return (
        f"llama_cpp {report['llama_cpp']} ({rpc} RPC) loads in a spawned process (pid {report['pid']})",
        report,
    )


def check_generation(commands: CommandTable, model: Path) -> tuple[str, dict[str, Any]]:
    """Load the model in the runtime's worker process, generate a few tokens, unload; all commands."""
    if "runtime.load" not in commands:
        raise Skip("no runtime commands in this build")
    # A small context loads fast and fits anywhere; one thread keeps a busy machine's
    # llama.cpp threads from spinning at their barriers over a handful of tokens.
    options = {"context_size": 512, "threads": 1}
    loaded = commands.invoke("runtime.load", {"model": str(model), "options": options}).model_dump()
    model_id = loaded["id"]
    try:
        if loaded["state"] != ModelState.READY:
            raise RuntimeError(f"the model is {loaded['state']} after loading: {loaded['message']}")
        result = commands.invoke(
            "runtime.generate",
            {
                "model": model_id,
                "messages": [{"role": "user", "content": "Say hello."}],
                "sampling": {"temperature": 0.0, "max_tokens": GENERATE_TOKENS},
            },
        ).model_dump()
    finally:
        commands.invoke("runtime.unload", {"model": model_id})
    tokens = result["usage"]["completion_tokens"]
    if tokens < 1:
        raise RuntimeError("the model generated no tokens")
    data = {"tokens": tokens, "content": result["content"], "pid": loaded["pid"], "usage": result["usage"]}
    return f"{tokens} tokens in worker pid {loaded['pid']}: {result['content']!r}", data
