"""The command table: the only door from the UI, CLI and API into the core."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Executor, Future
from typing import Any

from pydantic import BaseModel, ValidationError

from ..errors import N_, InternalError, InvalidParams, LlamadeskError, NotFound, validation_summary
from ..models.commands import CommandErrorInfo, CommandInfo
from .context import CancelToken, CommandContext, EventSink
from .spec import CommandSpec

log = logging.getLogger(__name__)


class CommandError(Exception):
    """What every caller of the table catches: a code, a message for people, details."""

    def __init__(self, info: CommandErrorInfo) -> None:
        super().__init__(info.message)
        self.info = info

    @property
    def code(self) -> str:
        return self.info.code

    @property
    def message(self) -> str:
        return self.info.message


def to_command_error(exc: BaseException, command_id: str) -> CommandError:
    """Turn anything a handler raised into the one error type callers see."""
    if isinstance(exc, CommandError):
        return exc
    if isinstance(exc, LlamadeskError):
        info = error_info(exc)
    elif isinstance(exc, ValidationError):
        info = CommandErrorInfo(
            code=InvalidParams.code,
            message=_validation_message(exc),
            details={"errors": _jsonable(exc.errors(include_url=False, include_context=False))},
        )
    else:
        log.error("command %s failed", command_id, exc_info=exc)
        info = error_info(
            InternalError(
                N_("{command} failed unexpectedly: {kind}: {error}"),
                command=command_id,
                kind=type(exc).__name__,
                error=str(exc),
            )
        )
    return CommandError(info)


def error_info(exc: LlamadeskError) -> CommandErrorInfo:
    """What clients see of `exc`. Its template goes along only when the details, as JSON,
    still fill it into the same English sentence (a detail that JSON changes, such as a
    Path under `{path!r}`, would make the window say something else): the window then
    shows the English message instead of a wrong translation."""
    details = _jsonable(exc.details)
    template = exc.template
    if template is not None:
        try:
            same = template.format(**details) == exc.message
        except (KeyError, IndexError, ValueError, TypeError, AttributeError):
            same = False
        template = template if same else None
    return CommandErrorInfo(code=exc.code, message=exc.message, details=details, template=template)


def _validation_message(exc: ValidationError) -> str:
    first = exc.errors()[0]
    if first["type"] == "extra_forbidden":
        where = ".".join(str(part) for part in first["loc"]) or "value"
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        return f"unknown parameter {where!r}{more}"
    return validation_summary(exc)


def _jsonable(value: Any) -> Any:
    """Details travel as JSON; anything exotic becomes its string."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


class RunningCommand:
    """A command started on the worker executor: wait for it, or cancel it."""

    def __init__(self, command_id: str, future: Future[BaseModel], token: CancelToken) -> None:
        self.command_id = command_id
        self._future = future
        self._token = token

    def cancel(self) -> None:
        self._token.cancel()

    @property
    def cancelled(self) -> bool:
        return self._token.cancelled

    def done(self) -> bool:
        return self._future.done()

    def result(self, timeout: float | None = None) -> BaseModel:
        """The result, or raises CommandError (TimeoutError if `timeout` passes first)."""
        return self._future.result(timeout)

    def add_done_callback(self, callback: Callable[[RunningCommand], None]) -> None:
        self._future.add_done_callback(lambda _future: callback(self))


class CommandTable:
    """Holds every command by id; validates, runs and converts errors."""

    def __init__(self, executor: Executor | None = None) -> None:
        self._commands: dict[str, CommandSpec] = {}
        self._lock = threading.Lock()
        self._executor = executor

    def register(self, spec: CommandSpec) -> Callable[[], None]:
        """Add a command. Returns a callable that removes it again. Duplicate ids raise."""
        with self._lock:
            if spec.id in self._commands:
                raise ValueError(f"command {spec.id!r} is already registered")
            self._commands[spec.id] = spec

        def dispose() -> None:
            with self._lock:
                if self._commands.get(spec.id) is spec:
                    del self._commands[spec.id]

        return dispose

    def __contains__(self, command_id: object) -> bool:
        return command_id in self._commands

    def get(self, command_id: str) -> CommandSpec:
        try:
            return self._commands[command_id]
        except KeyError:
            raise CommandError(
                error_info(
                    NotFound(N_("no command {command!r}; see `llamadesk commands`"), command=command_id)
                )
            ) from None

    def ids(self) -> list[str]:
        return sorted(self._commands)

    def describe(self) -> list[CommandInfo]:
        return [
            CommandInfo(
                id=spec.id,
                title=spec.title,
                description=spec.description,
                streaming=spec.streaming,
                params_schema=spec.params.model_json_schema(),
                result_schema=spec.result.model_json_schema(),
            )
            for spec in (self._commands[i] for i in self.ids())
        ]

    def invoke(
        self,
        command_id: str,
        params: BaseModel | Mapping[str, Any] | None = None,
        *,
        on_event: EventSink | None = None,
        token: CancelToken | None = None,
    ) -> BaseModel:
        """Run a command in this thread. Raises CommandError and nothing else."""
        spec = self.get(command_id)
        try:
            validated = self._validate(spec, params)
            ctx = CommandContext(command_id, emit=on_event, token=token)
            result = spec.handler(validated, ctx)
            if not isinstance(result, spec.result):
                raise TypeError(f"handler returned {type(result).__name__}, expected {spec.result.__name__}")
            return result
        except BaseException as exc:
            if isinstance(exc, KeyboardInterrupt | SystemExit):
                raise
            raise to_command_error(exc, command_id) from exc

    def start(
        self,
        command_id: str,
        params: BaseModel | Mapping[str, Any] | None = None,
        *,
        on_event: EventSink | None = None,
    ) -> RunningCommand:
        """Run a command on the worker executor and return at once."""
        if self._executor is None:
            raise RuntimeError("this command table has no executor; use invoke()")
        self.get(command_id)  # an unknown id fails here, not later in a thread
        token = CancelToken()
        future = self._executor.submit(self.invoke, command_id, params, on_event=on_event, token=token)
        return RunningCommand(command_id, future, token)

    @staticmethod
    def _validate(spec: CommandSpec, params: BaseModel | Mapping[str, Any] | None) -> BaseModel:
        if isinstance(params, spec.params):
            return params
        if isinstance(params, BaseModel):
            params = params.model_dump()
        return spec.params.model_validate(dict(params or {}))
