"""One error hierarchy for the whole app.

Every error has a stable `code` (clients match on it, never on the message) and a
message written for the person using the app. Commands turn these into a
`CommandError`; anything else that escapes a handler becomes `internal`.

A message is a template marked with `N_`, its placeholders filled from the details:
`NotFound(N_("no model {ref!r}"), ref=ref)`. The English sentence is `message` (CLI, API,
logs); the window translates `template` from its catalog and fills it with the same
details (scripts/i18n_catalogs.py extracts every `N_` here, in plugins/ and lib/).
Core itself never translates.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, ClassVar, Self

if TYPE_CHECKING:
    from pydantic import ValidationError


class ErrorTemplate(str):
    """An error's English text with `{placeholders}`, as `N_` marks it for the catalogs."""

    __slots__ = ()


def N_(text: str) -> ErrorTemplate:
    """Marks `text` as a message template for extraction; translates nothing."""
    return ErrorTemplate(text)


class LlamadeskError(Exception):
    """Base of every error the app raises on purpose.

    `message` is a template from `N_` filled with `details`, or (from plugins that do
    not use templates) a finished sentence, which the window then shows in English.
    """

    code: ClassVar[str] = "error"

    def __init__(self, message: str, /, **details: Any) -> None:
        self.template: str | None = None
        if isinstance(message, ErrorTemplate):
            try:
                filled = message.format(**details)
            except (KeyError, IndexError, ValueError):  # a bad template must not hide the error
                filled = str(message)
            else:
                self.template = str(message)
            message = filled
        super().__init__(message)
        self.message = str(message)
        self.details = details

    @classmethod
    def recast(cls, error: LlamadeskError) -> Self:
        """`error`'s message, template and details under this class's code."""
        text = error.message if error.template is None else ErrorTemplate(error.template)
        return cls(text, **error.details)


class InvalidParams(LlamadeskError):
    """The caller sent something that does not validate."""

    code = "invalid_params"


class NotFound(LlamadeskError):
    """A model, session, command or file that does not exist."""

    code = "not_found"


class AlreadyExists(LlamadeskError):
    """Something with that id or name is already there."""

    code = "already_exists"


class Cancelled(LlamadeskError):
    """The user (or a client) cancelled a running command."""

    code = "cancelled"


class ConfigError(LlamadeskError):
    """The configuration file could not be read or written."""

    code = "config_error"


class PluginError(LlamadeskError):
    """A plugin failed to load or raised inside a hook."""

    code = "plugin_error"


class Unavailable(LlamadeskError):
    """A needed part is missing or not ready (no backend, model not loaded...)."""

    code = "unavailable"


class StorageError(LlamadeskError):
    """A database or file the app keeps its data in could not be read or written."""

    code = "storage_error"


class InsufficientSpace(StorageError):
    """Not enough free disk space for a pull, an import or a save (checked first, or hit midway)."""

    code = "insufficient_space"


class AuthRequired(LlamadeskError):
    """A gated or private model needs a login (or an accepted licence) first."""

    code = "auth_required"


class InsufficientMemory(LlamadeskError):
    """A model, at the chosen context size, needs more RAM than is available."""

    code = "insufficient_memory"


class ModelLoadFailed(LlamadeskError):
    """The backend could not load a model (bad file, unsupported architecture...)."""

    code = "load_failed"


class ModelCrashed(LlamadeskError):
    """A model's worker process died (killed, segfault, out of memory)."""

    code = "model_crashed"


class GenerationFailed(LlamadeskError):
    """A loaded model could not serve a request (prompt too long, bad grammar)."""

    code = "generation_failed"


class ToolFailed(LlamadeskError):
    """A tool could not run: its server crashed or cannot be reached, it does not exist, or
    its arguments do not fit its schema."""

    code = "tool_failed"


class ToolTimeout(ToolFailed):
    """A tool did not answer in the time allowed."""

    code = "tool_timeout"


class UnreadableDocument(InvalidParams):
    """A file given to read (an attachment) has no text to read: encrypted, scanned only,
    corrupt, binary, or too large."""

    code = "unreadable_document"


class InternalError(LlamadeskError):
    """A bug: something raised that nobody expected."""

    code = "internal"


class InvalidReference(InvalidParams):
    """A model reference that does not parse, or could point outside the model store."""

    code = "invalid_reference"


class DownloadFailed(LlamadeskError):
    """A download stopped for good: the server refused, or retries ran out. The partial is kept."""

    code = "download_failed"


class DigestMismatch(LlamadeskError):
    """Downloaded bytes do not match their sha256 digest; they were discarded."""

    code = "digest_mismatch"


class RegistryError(LlamadeskError):
    """A registry or hub answered something we cannot use (bad manifest, refused auth, ...)."""

    code = "registry_error"


def validation_summary(exc: ValidationError) -> str:
    """A pydantic error in one line for people: where the first problem is, what it is, how many more.

    `{"layers": [{"size": -1}]}` -> `layers.0.size: must be greater than or equal to 0 (got -1)`;
    bytes that are not JSON -> `not JSON (expected value at line 1 column 1)`. The full error
    belongs in the log (`-v`), never in a message.
    """
    errors = exc.errors(include_url=False)
    first = errors[0]
    where = ".".join(str(part) for part in first["loc"])
    message = str(first["msg"])
    if first["type"] == "json_invalid":
        detail = str((first.get("ctx") or {}).get("error", "")) or message
        text = f"not JSON ({detail})"
    else:
        message = re.sub(r"^(Input should be|Value should be)\b", "must be", message)
        message = message[:1].lower() + message[1:]
        value = first.get("input")
        shown = repr(value) if isinstance(value, int | float | str | bool) else ""
        got = (
            f" (got {shown[:40]}{'...' if len(shown) > 40 else ''})"
            if shown and first["type"] != "missing"
            else ""
        )
        text = f"{where}: {message}{got}" if where else f"{message}{got}"
    more = len(errors) - 1
    text = " ".join(text.split())  # messages of nested models may hold newlines
    return f"{text} (and {more} more)" if more else text
