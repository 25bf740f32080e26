"""Finding tool calls in a model's output, as it streams.

Models write their calls as text, in one of a few shapes:

- Hermes, Qwen 2.5/3 and the fallback prompt: `<tool_call>{"name": ..., "arguments": {...}}</tool_call>`,
  anywhere in the answer, several in a row;
- Llama 3.x: a bare JSON object `{"name": ..., "parameters": {...}}` (or `"arguments"`) that
  opens the answer (more may follow, separated by whitespace or `;`); this is also the
  shape a grammar forces for `tool_choice` `required` or a named function;
- Mistral: `[TOOL_CALLS]` followed by a JSON array of such objects; llama.cpp drops
  control tokens such as `[TOOL_CALLS]` from the text unless asked, so a bare JSON array
  of calls opening the answer counts too;
- newer Mistral models (tokenizer v11: Mistral Small 3.2, Devstral, Magistral):
  `[TOOL_CALLS]name[ARGS]{...}`, once per call. Without the control tokens that is an
  offered tool's name followed by a JSON object, so the splitter, given the names,
  knows it: `get_weather{"city": "Paris"}` opening the answer or following a call.

Text arrives in arbitrary chunks, so a tag may be cut anywhere (`<tool_` + `call>`). As
the reasoning splitter (`reasoning.py`) does, `ToolCallSplitter` holds back only the
characters that may still become a tag, or the JSON of a call until it closes; the text
of a call is never released as content. A block that does not hold a call after all
(bad JSON, no name) is released as content: nothing the model wrote is lost.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable
from enum import Enum
from typing import Any

from llamadesk.core.models.tools import ToolCall

OPEN_TAG = "<tool_call>"
CLOSE_TAG = "</tool_call>"
MISTRAL_TAG = "[TOOL_CALLS]"
ARGS_TAG = "[ARGS]"  # Mistral v11, between a call's name and its arguments
MARKERS = (OPEN_TAG, MISTRAL_TAG)
NOT_JSON = -2  # _JsonEnd.scan: the text does not start a JSON object or array
OPEN = -1  # _JsonEnd.scan: the value has not closed yet

Piece = str | ToolCall  # content text, or a finished call


def new_call_id() -> str:
    return "call_" + uuid.uuid4().hex[:24]


class _Mode(Enum):
    START = 0  # only whitespace so far, or since the last call: a bare JSON call (or array) may begin
    TEXT = 1
    TAGGED = 2  # inside <tool_call> ... </tool_call>
    JSON = 3  # a JSON value (a bare call, or the array after [TOOL_CALLS]) until it closes


class ToolCallSplitter:
    """Feed content chunks in, get content text and finished `ToolCall`s out; `flush()` at the end.

    `bare_json=False` leaves JSON at the start of the answer alone (nothing is held back
    for it); tagged calls are still found. `tool_names` are the offered tools, whose
    names may open a call (Mistral v11).
    """

    def __init__(
        self,
        *,
        bare_json: bool = True,
        tool_names: Iterable[str] = (),
        new_id: Callable[[], str] = new_call_id,
    ) -> None:
        self._bare_json = bare_json
        # What opens a named call: the name, then its arguments' object (see the module's doc).
        self._name_leads = tuple(name + sep for name in tool_names if name for sep in ("", ARGS_TAG))
        self._call_name = ""  # JSON: the name that opened it, when the value is only the arguments
        self._new_id = new_id
        self._mode = _Mode.START
        self._pending = ""  # START: whitespace; TEXT: what may still become a marker
        self._body = ""  # TAGGED: the block's text so far; JSON: the value's text so far
        self._lead = ""  # JSON: what opened it ([TOOL_CALLS] or whitespace), released if no call
        self._scanner = _JsonEnd()
        self._after_call = False
        self.calls = 0

    def feed(self, text: str) -> list[Piece]:
        if self._mode is _Mode.TEXT and not self._pending and "<" not in text and "[" not in text:
            return [text] if text else []  # the common case: one check per chunk
        out: list[Piece] = []
        buf = self._pending + text
        self._pending = ""
        while buf:
            if self._mode is _Mode.START:
                buf = self._from_start(buf)
            elif self._mode is _Mode.TEXT:
                buf = self._in_text(buf, out)
            elif self._mode is _Mode.TAGGED:
                buf = self._in_tag(buf, out)
            else:
                buf = self._in_json(buf, out)
        return out

    def flush(self) -> list[Piece]:
        """The end of the output: a block left open is a call if its JSON is one, else text."""
        out: list[Piece] = []
        if self._mode is _Mode.TAGGED:
            self._block_done(self._body, OPEN_TAG + self._body, out)
        elif self._mode is _Mode.JSON:
            self._block_done(self._body, self._lead + self._body, out)
        elif not (self._mode is _Mode.START and self._after_call):
            _text(out, self._pending)
        self._mode, self._pending, self._body, self._lead = _Mode.START, "", "", ""
        return out

    def _from_start(self, buf: str) -> str:
        stripped = buf.lstrip()
        if not stripped:
            self._pending = buf  # whitespace: what follows decides
            return ""
        if any(len(stripped) < len(m) and m.startswith(stripped) for m in MARKERS):
            self._pending = buf  # may still become a marker, or turn out to be text
            return ""
        named = self._named_call_start(stripped)
        if named is None:
            self._pending = buf  # may still become a named call
            return ""
        if named:
            self._start_json(buf[: len(buf) - len(stripped) + len(named)])
            self._call_name = named.removesuffix(ARGS_TAG)
            return stripped[len(named) :]
        starts_marker = stripped.startswith(MARKERS)
        if self._bare_json and stripped[0] in "{[" and not starts_marker:
            self._start_json(buf[: len(buf) - len(stripped)])
            return stripped
        if self._after_call and stripped[0] == ";":  # Llama 3.1 separates parallel calls so
            return stripped[1:]
        self._mode = _Mode.TEXT
        # Whitespace between calls, or before the first one, is no answer.
        return stripped if starts_marker or self._after_call else buf

    def _named_call_start(self, text: str) -> str | None:
        """The lead (`name` or `name[ARGS]`) when `text` opens a named call, None while
        it still may, "" when it does not."""
        for lead in self._name_leads:
            if text.startswith(lead + "{"):
                return lead
        if any(len(text) <= len(lead) and (lead + "{").startswith(text) for lead in self._name_leads):
            return None
        return ""

    def _in_text(self, buf: str, out: list[Piece]) -> str:
        found = [(buf.find(marker), marker) for marker in MARKERS]
        at, marker = min(((i, m) for i, m in found if i >= 0), default=(-1, ""))
        if at < 0:
            keep = max(_partial_suffix(buf, marker) for marker in MARKERS)
            _text(out, buf[: len(buf) - keep])
            self._pending = buf[len(buf) - keep :]
            return ""
        _text(out, buf[:at])
        if marker == OPEN_TAG:
            self._mode, self._body = _Mode.TAGGED, ""
        else:
            self._start_json(MISTRAL_TAG)
        return buf[at + len(marker) :]

    def _in_tag(self, buf: str, out: list[Piece]) -> str:
        body = self._body + buf
        end = body.find(CLOSE_TAG, max(0, len(self._body) - len(CLOSE_TAG) + 1))
        if end < 0:
            self._body = body
            return ""
        self._body = ""
        self._block_done(body[:end], OPEN_TAG + body[: end + len(CLOSE_TAG)], out)
        return body[end + len(CLOSE_TAG) :]

    def _in_json(self, buf: str, out: list[Piece]) -> str:
        end = self._scanner.scan(buf)
        if end == OPEN:
            self._body += buf
            return ""
        if end == NOT_JSON:  # e.g. [TOOL_CALLS] followed by something else: plain text after all
            self._mode = _Mode.TEXT
            _text(out, self._lead + self._body)
            self._body = self._lead = ""
            return buf
        value = self._body + buf[:end]
        self._body = ""
        self._block_done(value, self._lead + value, out)
        return buf[end:]

    def _start_json(self, lead: str) -> None:
        self._mode, self._lead, self._body, self._call_name = _Mode.JSON, lead, "", ""
        self._scanner = _JsonEnd()

    def _block_done(self, value: str, raw: str, out: list[Piece]) -> None:
        """A block ended: its calls, or else its raw text as content."""
        if self._call_name:
            call = self._call_from({"name": self._call_name, "arguments": _json_or_none(value)})
            calls = [call] if call is not None else []
        else:
            calls = self._calls_in(value)
        self._lead, self._call_name = "", ""
        if calls:
            out.extend(calls)
            self.calls += len(calls)
            self._mode, self._after_call = _Mode.START, True
        else:
            self._mode = _Mode.TEXT
            _text(out, raw)

    def _calls_in(self, text: str) -> list[ToolCall]:
        value = _json_or_none(text)
        items = value if isinstance(value, list) else [value]
        calls = [self._call_from(item) for item in items]
        if not items or any(call is None for call in calls):
            return []
        return [call for call in calls if call is not None]

    def _call_from(self, item: Any) -> ToolCall | None:
        if isinstance(item, dict) and isinstance(item.get("function"), dict):
            item = item["function"]  # OpenAI's own shape, as some fine-tunes write it
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not item["name"]:
            return None
        arguments = item.get("arguments", item.get("parameters", {}))
        if isinstance(arguments, str):  # the arguments as JSON text
            try:
                arguments = json.loads(arguments)
            except ValueError:
                return None
        if not isinstance(arguments, dict):
            return None
        return ToolCall(
            id=self._new_id(), name=item["name"], arguments=json.dumps(arguments, ensure_ascii=False)
        )


def parse_tool_calls(
    text: str, *, bare_json: bool = True, tool_names: Iterable[str] = ()
) -> tuple[str, list[ToolCall]]:
    """A whole answer's content text and tool calls."""
    splitter = ToolCallSplitter(bare_json=bare_json, tool_names=tool_names)
    pieces = splitter.feed(text) + splitter.flush()
    content = "".join(piece for piece in pieces if isinstance(piece, str))
    return content, [piece for piece in pieces if isinstance(piece, ToolCall)]


class _JsonEnd:
    """Finds where a JSON object or array closes, across chunks (strings and escapes aware)."""

    def __init__(self) -> None:
        self.depth = 0
        self.in_string = False
        self.escaped = False

    def scan(self, text: str) -> int:
        """Index just past the value's end in `text`, OPEN if it goes on, NOT_JSON if it is none."""
        for index, char in enumerate(text):
            if self.depth == 0:
                if char.isspace():
                    continue
                if char not in "{[":
                    return NOT_JSON
                self.depth = 1
            elif self.in_string:
                if self.escaped:
                    self.escaped = False
                elif char == "\\":
                    self.escaped = True
                elif char == '"':
                    self.in_string = False
            elif char == '"':
                self.in_string = True
            elif char in "{[":
                self.depth += 1
            elif char in "}]":
                self.depth -= 1
                if self.depth == 0:
                    return index + 1
        return OPEN


def _json_or_none(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _text(out: list[Piece], text: str) -> None:
    if not text:
        return
    if out and isinstance(out[-1], str):
        out[-1] += text
    else:
        out.append(text)


def _partial_suffix(text: str, marker: str) -> int:
    """Length of the longest end of `text` that is a proper beginning of `marker`."""
    for size in range(min(len(marker) - 1, len(text)), 0, -1):
        if text.endswith(marker[:size]):
            return size
    return 0
