"""The tool service: which tools an answer may call, asking the user, and running a call.

A call the model made is looked up among the tools that answer offered, its arguments
parsed, approved (asked with a `ToolApprovalEvent` unless it is always allowed, a
trusted read-only tool, or the caller approved everything), then run on a worker
thread with a timeout while the caller's stop is watched. Whatever happens, a
`ToolResult` comes back with a text for the model: the tool's reply, or a sentence
saying it failed, timed out, was denied or stopped. Nothing here ever raises for a
tool's sake, and the app never waits on a tool longer than its timeout.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from ..errors import ToolFailed, ToolTimeout
from ..interfaces.tool_provider import ToolProvider
from ..models.app_config import ToolOptions
from ..models.tools import (
    ApprovalDecision,
    ToolApprovalEvent,
    ToolCall,
    ToolCatalog,
    ToolInfo,
    ToolOutcome,
    ToolProviderInfo,
    ToolReply,
    ToolResult,
    ToolRunEvent,
)
from ..streaming import CancelToken, EventSink
from .tool_approval import ApprovalBroker
from .tool_catalog import OfferedTool, catalog, select

# A provider is told the timeout; past it and this grace the call is given up on here too.
TIMEOUT_GRACE_S = 2.0


@dataclass(frozen=True)
class ToolRun:
    result: ToolResult
    text: str  # the reply (or what went wrong) as the chat keeps it


class ToolService:
    def __init__(
        self,
        *,
        providers: Callable[[], list[ToolProvider]],
        settings: Callable[[], ToolOptions],
        allow_always: Callable[[str], None],
    ) -> None:
        """`providers` gives the tool providers there are now; `allow_always(name)` records
        the user's 'always' for a tool in the settings."""
        self._providers = providers
        self._settings = settings
        self._allow_always = allow_always
        self.approvals = ApprovalBroker()
        self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="llamadesk-tool")

    # --- what there is ---------------------------------------------------------------

    def catalog(self) -> list[OfferedTool]:
        return catalog(self._providers())

    def offered(self, wanted: Iterable[str]) -> list[OfferedTool]:
        """The tools `wanted` (provider names or tool names) stand for. Only the providers
        they name are asked for their tools: an MCP server starts when first asked."""
        names = list(wanted)
        if not names:
            return []
        providers = [p for p in self._providers() if any(_names_provider(name, p.name) for name in names)]
        return select(catalog(providers), names)

    def unknown(self, names: Iterable[str]) -> list[str]:
        """Those of `names` that no provider has: not a provider's name, nor `<provider>_...`."""
        providers = [p.name for p in self._providers()]
        return [name for name in names if not any(_names_provider(name, p) for p in providers)]

    def describe(self) -> ToolCatalog:
        allowed = set(self._settings().always_allowed)
        providers: dict[str, ToolProviderInfo] = {}
        infos: dict[str, list[ToolInfo]] = {}
        for provider in self._providers():
            providers[provider.name] = ToolProviderInfo(
                name=provider.name, trusted=provider.trusted, tools=[]
            )
            infos[provider.name] = []
        for tool in self.catalog():
            infos[tool.provider.name].append(
                ToolInfo(
                    name=tool.name,
                    tool=tool.spec.name,
                    description=tool.spec.description,
                    parameters=tool.spec.parameters,
                    read_only=tool.spec.read_only,
                    always_allowed=tool.name in allowed,
                )
            )
        return ToolCatalog(
            providers=[info.model_copy(update={"tools": infos[name]}) for name, info in providers.items()]
        )

    # --- running a call --------------------------------------------------------------

    def run(
        self,
        call: ToolCall,
        offered: list[OfferedTool],
        *,
        approve_all: bool,
        token: CancelToken,
        on_event: EventSink | None = None,
        session_id: str | None = None,
    ) -> ToolRun:
        emit = on_event or (lambda _event: None)
        tool = next((t for t in offered if t.name == call.name), None)
        provider = tool.provider.name if tool else ""

        def ended(outcome: ToolOutcome, text: str, started: float | None = None) -> ToolRun:
            limit = self._settings().result_chars_kept
            truncated = len(text) > limit
            result = ToolResult(
                call_id=call.id,
                name=call.name,
                provider=provider,
                arguments=call.arguments,
                outcome=outcome,
                duration_ms=None if started is None else round((time.monotonic() - started) * 1000, 1),
                truncated=truncated,
            )
            run = ToolRun(result=result, text=text[:limit] if truncated else text)
            emit(
                ToolRunEvent(
                    call=call, provider=provider, state="done", result=result, text=self.for_model(run)
                )
            )
            return run

        if tool is None:
            names = ", ".join(t.name for t in offered) or "none"
            return ended(ToolOutcome.ERROR, f"There is no tool named {call.name!r}. The tools are: {names}.")
        try:
            arguments = json.loads(call.arguments or "{}")
        except json.JSONDecodeError as exc:
            return ended(ToolOutcome.ERROR, f"The arguments are not valid JSON ({exc.msg}); nothing was run.")
        if not isinstance(arguments, dict):
            return ended(ToolOutcome.ERROR, "The arguments must be a JSON object; nothing was run.")

        refusal = self._approve(call, tool, approve_all, token, emit, session_id)
        if refusal is not None:
            return ended(*refusal)

        emit(ToolRunEvent(call=call, provider=provider, state="running"))
        started = time.monotonic()
        outcome, text = self._execute(tool, arguments, token)
        return ended(outcome, text, started)

    def for_model(self, run: ToolRun) -> str:
        """The result as the model reads it: cut to `result_chars_for_model`, with a note."""
        return cut_for_model(run.text, run.result.truncated, self._settings().result_chars_for_model)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _approve(
        self,
        call: ToolCall,
        tool: OfferedTool,
        approve_all: bool,
        token: CancelToken,
        emit: EventSink,
        session_id: str | None,
    ) -> tuple[ToolOutcome, str] | None:
        """None when the call may run; else why not."""
        settings = self._settings()
        trusted = tool.spec.read_only and tool.provider.trusted
        if approve_all or trusted or call.name in settings.always_allowed:
            return None
        request_id = self.approvals.open()
        emit(
            ToolApprovalEvent(
                request_id=request_id,
                session_id=session_id,
                call=call,
                provider=tool.provider.name,
                description=tool.spec.description,
            )
        )
        decision = self.approvals.wait(request_id, token, settings.approval_timeout_seconds)
        if token.cancelled:
            return ToolOutcome.CANCELLED, "The answer was stopped before the tool ran."
        if decision is None:
            minutes = settings.approval_timeout_seconds / 60
            return ToolOutcome.DENIED, f"Nobody allowed this call within {minutes:g} minutes; it was not run."
        if decision is ApprovalDecision.DENY:
            return ToolOutcome.DENIED, "The user denied this call; it was not run."
        if decision is ApprovalDecision.ALWAYS:
            self._allow_always(call.name)
        return None

    def _execute(
        self, tool: OfferedTool, arguments: dict[str, object], token: CancelToken
    ) -> tuple[ToolOutcome, str]:
        timeout = self._settings().call_timeout_seconds
        done = threading.Event()
        future: Future[ToolReply] = self._pool.submit(
            tool.provider.call, tool.spec.name, arguments, token, timeout
        )
        future.add_done_callback(lambda _f: done.set())
        unsubscribe = token.on_cancel(done.set)
        try:
            finished = done.wait(timeout + TIMEOUT_GRACE_S)
        finally:
            unsubscribe()
        if token.cancelled:
            return ToolOutcome.CANCELLED, "The answer was stopped while the tool ran."
        if not finished:
            return ToolOutcome.TIMEOUT, f"The tool did not answer within {timeout:g} seconds."
        try:
            reply = future.result(timeout=0)
        except ToolTimeout:
            return ToolOutcome.TIMEOUT, f"The tool did not answer within {timeout:g} seconds."
        except ToolFailed as exc:
            return ToolOutcome.ERROR, f"The tool could not run: {exc.message}"
        except Exception as exc:
            return ToolOutcome.ERROR, f"The tool failed: {type(exc).__name__}: {exc}"
        return (ToolOutcome.ERROR if reply.is_error else ToolOutcome.OK), reply.text


def _names_provider(name: str, provider: str) -> bool:
    return name == provider or name.startswith(f"{provider}_")


def cut_for_model(text: str, truncated_before: bool, limit: int) -> str:
    """`text` cut to `limit` characters, saying so (also when storage cut it already)."""
    if len(text) <= limit and not truncated_before:
        return text
    shown = text[:limit]
    return f"{shown}\n[... the result was longer; only its first {len(shown):,} characters are shown]"
