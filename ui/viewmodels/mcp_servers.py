"""The Tools screen's MCP servers without a window: a server as its card shows it, and the
editor's form typed into `mcp.add` / `mcp.update` params, with errors by field.

The form is plain text, as people type it: arguments as a shell would split them,
environment variables and headers one per line. Secrets come back from `mcp.list`
masked (`ghp****`); sent back unchanged, the command keeps the stored value.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from pydantic import ValidationError

from llamadesk.core.models.mcp import NAME_PATTERN, McpAddParams, McpServerInfo, McpUpdateParams

from ..catalogs import N_, tr, trn

TRANSPORTS = ("stdio", "http")
# The form's fields, in order; an error is reported under one of them (or "" for the form).
FIELDS = ("name", "transport", "command", "args", "cwd", "env", "url", "headers")


class FormError(ValueError):
    """What is wrong with the form, by field: {"env": "line 2 needs NAME=value"}."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" if k else v for k, v in errors.items()))
        self.errors = errors


@dataclass
class ServerForm:
    """The editor's fields as text."""

    name: str = ""
    transport: str = "stdio"
    command: str = ""
    args: str = ""  # as a shell splits it: `--root "My Documents"`
    cwd: str = ""
    env: str = ""  # NAME=value, one per line
    url: str = ""
    headers: str = ""  # Name: value, one per line
    trusted: bool = False
    enabled: bool = True
    check: bool = True  # start it and list its tools before saving
    editing: str = ""  # the name of the server being edited; empty for a new one


def form_of(server: McpServerInfo) -> ServerForm:
    """A saved server in the editor (its secrets as mcp.list masked them)."""
    return ServerForm(
        name=server.name,
        transport=server.transport,
        command=server.command or "",
        args=shlex.join(server.args),
        cwd=server.cwd or "",
        env="\n".join(f"{key}={value}" for key, value in server.env.items()),
        url=server.url or "",
        headers="\n".join(f"{key}: {value}" for key, value in server.headers.items()),
        trusted=server.trusted,
        enabled=server.enabled,
        editing=server.name,
    )


def parse_pairs(text: str, separator: str, what: str) -> dict[str, str]:
    """`NAME=value` (or `Name: value`) lines; blank lines are skipped."""
    pairs: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        key, found, value = line.partition(separator)
        if not found or not key.strip():
            example = tr("NAME=value") if separator == "=" else tr("Name: value")
            raise FormError(
                {what: tr("line {number} should read {example}").format(number=number, example=example)}
            )
        pairs[key.strip()] = value.strip()
    return pairs


def parse_args(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError as exc:  # an unclosed quote
        raise FormError({"args": tr("cannot split the arguments: {reason}").format(reason=exc)}) from None


NAME_RULE = N_("letters, digits, - and _ only (at most 32), starting with a letter or digit")


def _typed(form: ServerForm) -> dict[str, object]:
    errors: dict[str, str] = {}
    values: dict[str, object] = {}
    stdio = form.transport == "stdio"
    if not form.editing and not re.match(NAME_PATTERN, form.name.strip()):
        errors["name"] = tr(NAME_RULE) if form.name.strip() else tr("give it a short name, like time")
    try:
        values["args"] = parse_args(form.args) if stdio else []
    except FormError as exc:
        errors.update(exc.errors)
    for key, separator in (("env", "="), ("headers", ":")):
        try:
            text = form.env if key == "env" else form.headers
            used = stdio if key == "env" else not stdio
            values[key] = parse_pairs(text, separator, key) if used else {}
        except FormError as exc:
            errors.update(exc.errors)
    if stdio and not form.command.strip():
        errors["command"] = tr("a stdio server needs the program to run")
    if not stdio and not form.url.strip():
        errors["url"] = tr("an http server needs its URL")
    elif not stdio and not form.url.strip().startswith(("http://", "https://")):
        errors["url"] = tr("the URL starts with http:// or https://")
    if errors:
        raise FormError(errors)
    values["command"] = (form.command.strip() or None) if stdio else None
    values["cwd"] = (form.cwd.strip() or None) if stdio else None
    values["url"] = None if stdio else form.url.strip()
    return values


def _field_errors(exc: ValidationError) -> FormError:
    errors: dict[str, str] = {}
    for error in exc.errors():
        key = str(error["loc"][0]) if error["loc"] else ""
        message = str(error["msg"]).removeprefix("Value error, ")
        if key == "name" and error["type"] == "string_pattern_mismatch":
            message = NAME_RULE
        errors.setdefault(key if key in FIELDS else "", message)
    return FormError(errors)


def add_params(form: ServerForm) -> McpAddParams:
    """`mcp.add` params from a new server's form; FormError says what is wrong where."""
    values = _typed(form)
    try:
        return McpAddParams(
            name=form.name.strip(),
            transport="http" if form.transport == "http" else "stdio",
            trusted=form.trusted,
            enabled=form.enabled,
            check=form.check and form.enabled,
            **values,  # typed by _typed, checked by the model
        )
    except ValidationError as exc:
        raise _field_errors(exc) from None


def update_params(form: ServerForm) -> McpUpdateParams:
    """`mcp.update` params from an edited server's form (every field sent: the form shows all)."""
    values = _typed(form)
    try:
        return McpUpdateParams(
            name=form.editing,
            transport="http" if form.transport == "http" else "stdio",
            trusted=form.trusted,
            enabled=form.enabled,
            **values,
        )
    except ValidationError as exc:
        raise _field_errors(exc) from None


@dataclass(frozen=True)
class ServerCard:
    """A server as the Tools screen lists it."""

    name: str
    kind: str  # "stdio" / "http"
    where: str  # its command line, or its URL (secrets masked)
    state: str
    status: str  # in the window's language; `failed: <reason>` says why
    tone: str  # Badge tone of the state
    enabled: bool
    trusted: bool
    tools_text: str
    env_text: str  # its environment or headers, masked, on one line
    server_info: str  # the server's own name and version, once connected


# A server's state as its badge shows it (McpServerInfo.state), marked for the catalog.
STATE_WORDS = (N_("connected"), N_("connecting"), N_("failed"), N_("disabled"), N_("not connected"))
STATE_TONES = {"connected": "fits", "connecting": "tight", "failed": "too big"}


def status_text(server: McpServerInfo) -> str:
    """The state in the window's language, and why it failed: the plugin's reason translated
    (English when it has no template or the translation does not fit), then what the
    server itself said, as it said it."""
    if server.state != "failed" or not server.error:
        return tr(server.state)
    why = server.error
    if server.reason_template:
        try:
            why = tr(server.reason_template).format(**server.reason_values)
        except (KeyError, IndexError, ValueError, AttributeError, TypeError):
            return tr("failed: {reason}").format(reason=server.error)
        if server.said:
            why = tr("{reason} (it said: {said})").format(reason=why, said=server.said)
    return tr("failed: {reason}").format(reason=why)


def server_card(server: McpServerInfo) -> ServerCard:
    if server.transport == "stdio":
        where = shlex.join([server.command or "", *server.args])
        if server.cwd:
            where += f"   (in {server.cwd})"
        secrets = server.env
    else:
        where = server.url or ""
        secrets = server.headers
    if server.tool_count is None:
        tools_text = tr("Tools not listed yet: Connect lists them.") if server.enabled else ""
    else:
        count = trn("{count} tool", "{count} tools", server.tool_count).format(count=server.tool_count)
        limited = tr(" (only the allowed ones)") if server.allowed_tools else ""
        tools_text = count + limited
    return ServerCard(
        name=server.name,
        kind=server.transport,
        where=where,
        state=server.state,
        status=status_text(server),
        tone=STATE_TONES.get(server.state, "muted"),
        enabled=server.enabled,
        trusted=server.trusted,
        tools_text=tools_text,
        env_text="  ".join(f"{k}={v}" for k, v in secrets.items()),
        server_info=server.server_info or "",
    )


def import_summary(added: list[str], skipped: list[tuple[str, int | None, str]]) -> str:
    """What `mcp.import` did, in a sentence or two."""
    parts = []
    if added:
        parts.append(tr("Added {names}.").format(names=", ".join(added)))
    for name, line, reason in skipped:
        where = tr(" (line {line})").format(line=line) if line else ""
        parts.append(
            tr("Skipped {name}{where}: {reason}.").format(name=name, where=where, reason=reason.rstrip("."))
        )
    return " ".join(parts) or tr("The file names no MCP servers.")
