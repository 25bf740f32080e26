"""`ScriptedBackend`: a real `Backend` whose models need no file and no process.

A model streams the tokens its `Script` says (by default the last user message, word by
word), at the pace it says; it can be made slow to load, fail to load, or die.
`scripted/tools` calls a tool instead when tools are offered (the one `tool_choice` names,
else the first), then answers with what the tool said. The
runtime's state machine (load, reload, unload, crash, queue, idle unload) is tested on it
in milliseconds; the real llama.cpp backend keeps its own tests.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from llamadesk.core.errors import Cancelled, ModelCrashed, ModelLoadFailed
from llamadesk.core.interfaces.backend import EventCallback, ExitCallback, ProgressCallback
from llamadesk.core.models.chat import Role
from llamadesk.core.models.commands import TokenEvent, ToolCallEvent
from llamadesk.core.models.gguf import GGUFInfo
from llamadesk.core.models.library import RemoteModelInfo
from llamadesk.core.models.llama import (
    Embeddings,
    GenerateRequest,
    GenerationDoneEvent,
    GenerationResult,
    LoadOptions,
    StopReason,
    Usage,
)
from llamadesk.core.models.tools import NamedToolChoice, ToolCall
from llamadesk.core.streaming import CancelToken

PREFIX = "scripted/"


@dataclass
class Script:
    """What the backend's models do. Change it between calls; models read it as they go."""

    tokens: list[str] | None = None  # None: echo the last user message, word by word
    token_delay: float = 0.0
    load_delay: float = 0.0
    load_error: str | None = None  # the message of a ModelLoadFailed
    crash_after: int | None = None  # tokens sent before the model dies mid-answer
    context_size: int = 2048
    models: list[str] = field(default_factory=lambda: ["echo"])


class ScriptedModel:
    """A loaded scripted model (implements `LoadedModel`)."""

    _pids = itertools.count(900_000)

    def __init__(self, model_id: str, script: Script, options: LoadOptions) -> None:
        self.model_id = model_id
        self.script = script
        self.options = options
        self.generations = 0
        self._alive = True
        self._pid = next(self._pids)
        self._on_exit: ExitCallback | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self.calls = 0  # tool calls made (scripted/tools)

    @property
    def context_size(self) -> int:
        return self.script.context_size

    @property
    def chat_template(self) -> str:
        return "scripted"

    @property
    def warnings(self) -> list[str]:
        return []

    @property
    def offloaded_layers(self) -> tuple[int, int] | None:
        return (0, 1)

    @property
    def pid(self) -> int | None:
        return self._pid

    @property
    def alive(self) -> bool:
        return self._alive

    def memory_bytes(self) -> int | None:
        return 1024 * 1024

    def generate(
        self, request: GenerateRequest, on_event: EventCallback | None, token: CancelToken | None
    ) -> GenerationResult:
        emit = on_event or (lambda _event: None)
        with self._lock:
            self.generations += 1
            self._stop.clear()
        calls = self._tool_calls(request)
        if calls:
            for index, call in enumerate(calls):
                emit(ToolCallEvent(index=index, call=call))
            usage = Usage(completion_tokens=len(calls))
            emit(GenerationDoneEvent(stop_reason=StopReason.TOOL_CALLS, usage=usage))
            return GenerationResult(
                model=request.model,
                content="",
                stop_reason=StopReason.TOOL_CALLS,
                usage=usage,
                tool_calls=calls,
            )
        pieces = self._pieces(request)
        if request.sampling.max_tokens is not None:
            pieces = pieces[: request.sampling.max_tokens]
        sent: list[str] = []
        reason = StopReason.LENGTH if request.sampling.max_tokens == len(pieces) else StopReason.STOP
        unsubscribe = token.on_cancel(self._stop.set) if token is not None else (lambda: None)
        try:
            for piece in pieces:
                if self.script.crash_after is not None and len(sent) >= self.script.crash_after:
                    self.crash("the scripted model died")
                    raise ModelCrashed(f"{self.model_id} crashed while answering")
                if self._stop.is_set():
                    reason = StopReason.CANCELLED
                    break
                emit(TokenEvent(text=piece))
                sent.append(piece)
                if self.script.token_delay and self._stop.wait(self.script.token_delay):
                    reason = StopReason.CANCELLED
                    break
        finally:
            unsubscribe()
        usage = Usage(
            prompt_tokens=sum(len(t.content.split()) for t in request.messages), completion_tokens=len(sent)
        )
        emit(GenerationDoneEvent(stop_reason=reason, usage=usage))
        return GenerationResult(model=request.model, content="".join(sent), stop_reason=reason, usage=usage)

    def _tool_calls(self, request: GenerateRequest) -> list[ToolCall]:
        """`scripted/tools`: a call of the named (else the first) tool offered, unless the turn
        answered is a tool's result. A `name` argument is "Ada"; others are left out."""
        if not self.model_id.endswith("/tools") or not request.tools:
            return []
        if request.messages and request.messages[-1].role is Role.TOOL:
            return []
        choice = request.tool_choice
        tool = next(
            (t for t in request.tools if isinstance(choice, NamedToolChoice) and t.name == choice.name),
            request.tools[0],
        )
        properties = tool.parameters.get("properties", {})
        arguments = '{"name": "Ada"}' if "name" in properties else "{}"
        self.calls += 1
        return [ToolCall(id=f"call_{self._pid}_{self.calls}", name=tool.name, arguments=arguments)]

    def _pieces(self, request: GenerateRequest) -> list[str]:
        if self.script.tokens is not None:
            return list(self.script.tokens)
        if self.model_id.endswith("/tools") and request.messages and request.messages[-1].role is Role.TOOL:
            said = request.messages[-1].content.split()
            return ["The", " tool", " said:", *(" " + w for w in said)]
        last = next((t.content for t in reversed(request.messages) if t.role is Role.USER), "")
        words = last.split()
        return [w if i == 0 else " " + w for i, w in enumerate(words)]

    def embed(self, model: str, texts: list[str]) -> Embeddings:
        vectors = [[1.0, 0.0] if i % 2 == 0 else [0.0, 1.0] for i, _ in enumerate(texts)]
        return Embeddings(model=model, vectors=vectors, prompt_tokens=sum(len(t.split()) for t in texts))

    def count_tokens(self, texts: list[str]) -> list[int]:
        return [len(text.split()) for text in texts]

    def stop(self) -> None:
        self._stop.set()

    def set_exit_callback(self, callback: ExitCallback) -> None:
        self._on_exit = callback

    def crash(self, reason: str = "killed") -> None:
        """The model dies on its own, as a worker killed by the OOM killer would."""
        self._alive = False
        if self._on_exit is not None:
            self._on_exit(reason)

    def close(self) -> None:
        self._alive = False


class ScriptedBackend:
    """Serves `scripted/<name>` for each name of its script's `models`."""

    name = "scripted"

    def __init__(self, script: Script | None = None) -> None:
        self.script = script or Script()
        self.loaded: list[ScriptedModel] = []

    def can_load(self, location: str, info: GGUFInfo | None) -> bool:
        return location.startswith(PREFIX) and location[len(PREFIX) :] in self.script.models

    def remote_models(self) -> list[RemoteModelInfo]:
        return [
            RemoteModelInfo(id=PREFIX + name, backend=self.name, where="scripted")
            for name in self.script.models
        ]

    def load(
        self,
        location: str,
        options: LoadOptions,
        on_progress: ProgressCallback | None,
        token: CancelToken | None,
    ) -> ScriptedModel:
        report: Callable[[float], None] = on_progress or (lambda _value: None)
        steps = 4
        cancelled = token or CancelToken()  # waits out the delay when nobody can cancel
        for step in range(1, steps + 1):
            if cancelled.wait(self.script.load_delay / steps):
                raise Cancelled(f"loading {location} was cancelled")
            report(step / steps)
        if self.script.load_error is not None:
            raise ModelLoadFailed(self.script.load_error)
        model = ScriptedModel(location, self.script, options)
        self.loaded.append(model)
        return model


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Poll `condition` until it holds (tests of threads that settle in milliseconds)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.001)
    return True
