"""Conversations' KV states saved to files, so a chat continued later (after switching
chats, unloading, or restarting the app) restores its prompt instead of recomputing it.

One file per saved state, in `<data>/prompt-cache/`, named by the model's key and a
hash of the tokens it holds:

    LDKV1\\n | header length (4 bytes, little endian) | header (JSON) | llama.cpp's state

The header names the model key, the tokens, and the sha256 and size of the state. A
file is used only when its header names the loaded model's key and its state has the
checksum the header says; anything else (another model's state under this name, a
torn or corrupted file) is refused, deleted, and the prompt computed as without it.

The key is the model file (device and inode, size, modification time: aliases of one
file share its states), the llama.cpp version
(its state format) and the load options that shape the KV cache's layout (flash
attention transposes V or not; the cache types of keys and values). The context size is not part of it: a state fits any
context that holds its tokens, and llama.cpp refuses one that does not.

Writing (hashing, the file, evicting the least recently used files over the size cap)
happens in a thread of its own; the loop only copies the state out of llama.cpp.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import queue
import struct
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from llamadesk.core.models.llama import LoadOptions

log = logging.getLogger(__name__)

MAGIC = b"LDKV1\n"
SUFFIX = ".kv"
KEY_CHARS = 16  # of the model key in a file's name


def state_key(model_path: str, options: LoadOptions, llama_version: str) -> str:
    """What a saved state must have been made with to be used for this model and load."""
    # The file itself (device and inode), not a name of it: symlinked or hard-linked aliases
    # of one file are one model, and a file moved keeps its states.
    stat = os.stat(model_path)
    identity = [
        stat.st_dev,
        stat.st_ino,
        stat.st_size,
        stat.st_mtime_ns,
        llama_version,
        options.flash_attention,
        *options.kv_types,  # a state's cells are in the cache's types
    ]
    return hashlib.sha256(json.dumps(identity).encode()).hexdigest()


def tokens_hash(tokens: list[int]) -> str:
    return hashlib.sha256(struct.pack(f"<{len(tokens)}i", *tokens)).hexdigest()


@dataclass
class SavedState:
    path: Path
    tokens: list[int]
    size: int  # of the file
    used_at: float


class PromptStore:
    """The saved states of one model (one key), with a size cap over the whole folder."""

    def __init__(self, folder: Path, key: str, max_bytes: int) -> None:
        self.folder = folder
        self.key = key
        self.max_bytes = max_bytes
        self._lock = threading.Lock()  # guards _states
        self._states: dict[Path, SavedState] = {}
        self._writes: queue.Queue[tuple[list[int], memoryview] | None] = queue.Queue()
        self._writer: threading.Thread | None = None
        folder.mkdir(parents=True, exist_ok=True)
        for path in folder.glob(f"{key[:KEY_CHARS]}-*{SUFFIX}"):
            header = self._read_header(path)
            if header is None:
                continue
            tokens, _digest, _size = header
            stat = path.stat()
            self._states[path] = SavedState(path, tokens, stat.st_size, stat.st_mtime)

    # --- used by the batch loop ---
    def best(self, prompt: list[int]) -> tuple[SavedState, int] | None:
        """The saved state sharing the longest prefix with `prompt`, and that length."""
        with self._lock:
            states = list(self._states.values())
        found = max(((s, common_prefix(s.tokens, prompt)) for s in states), key=lambda p: p[1], default=None)
        return found if found is not None and found[1] > 0 else None

    def read(self, state: SavedState) -> bytearray | None:
        """The state's bytes, checked against its header; None (and the file deleted) when
        they do not match."""
        try:
            with state.path.open("rb") as file:
                header = self._header(file)
                if header is None:
                    self._refuse(state.path, "not a prompt state of this model")
                    return None
                tokens, digest, size = header
                data = bytearray(size)
                complete = file.readinto(data) == size and not file.read(1)
        except (OSError, ValueError) as exc:
            self._refuse(state.path, f"unreadable ({exc})")
            return None
        if tokens != state.tokens or not complete or hashlib.sha256(data).hexdigest() != digest:
            self._refuse(state.path, "its state does not match its checksum")
            return None
        with contextlib.suppress(OSError):
            os.utime(state.path)  # recently used: evicted last
        state.used_at = time.time()
        return data

    def holds(self, tokens: list[int]) -> bool:
        """Whether a saved state already holds `tokens` (or more that start with them)."""
        with self._lock:
            return any(s.tokens[: len(tokens)] == tokens for s in self._states.values())

    def save(self, tokens: list[int], data: memoryview) -> None:
        """Write the state in the writer thread (started on first use)."""
        if data.nbytes > self.max_bytes:
            return
        if self._writer is None:
            self._writer = threading.Thread(target=self._write_all, name="prompt-store", daemon=True)
            self._writer.start()
        self._writes.put((tokens, data))

    def refused(self, state: SavedState, why: str) -> None:
        """llama.cpp did not take a state whose file checked out: do not offer it again."""
        self._refuse(state.path, why)

    def close(self) -> None:
        """Finish the writes asked for."""
        if self._writer is not None:
            self._writes.put(None)
            self._writer.join()
            self._writer = None

    # --- the writer thread ---
    def _write_all(self) -> None:
        while (item := self._writes.get()) is not None:
            tokens, data = item
            try:
                self._write(tokens, data)
            except OSError as exc:  # a full or read-only disk costs the cache, not the answer
                log.warning("could not save a prompt state: %s", exc)

    def _write(self, tokens: list[int], data: memoryview) -> None:
        header = json.dumps(
            {
                "key": self.key,
                "tokens": tokens,
                "size": data.nbytes,
                "sha256": hashlib.sha256(data).hexdigest(),
            }
        ).encode()
        path = self.folder / f"{self.key[:KEY_CHARS]}-{tokens_hash(tokens)[:32]}{SUFFIX}"
        # Two workers of one model (aliases of one file) may write the same state at once:
        # each writes its own partial file and the last rename wins, whole.
        partial = path.with_name(f"{path.stem}.{os.getpid()}-{threading.get_ident()}.partial")
        with partial.open("wb") as file:
            file.write(MAGIC + struct.pack("<I", len(header)) + header)
            file.write(data)
        os.replace(partial, path)
        size = path.stat().st_size
        with self._lock:
            # A state that is a prefix of this one is of no more use.
            older_states = [
                s for s in self._states.values() if s.path != path and tokens[: len(s.tokens)] == s.tokens
            ]
            for older in older_states:
                self._states.pop(older.path, None)
                with contextlib.suppress(OSError):
                    older.path.unlink()
            self._states[path] = SavedState(path, tokens, size, time.time())
        self._evict()

    def _evict(self) -> None:
        """Delete the least recently used files of the folder (every model's) over the cap."""
        files = []
        for path in self.folder.glob(f"*{SUFFIX}"):
            with contextlib.suppress(OSError):
                stat = path.stat()
                files.append((stat.st_mtime, stat.st_size, path))
        total = sum(size for _, size, _ in files)
        for _, size, path in sorted(files):
            if total <= self.max_bytes:
                break
            with contextlib.suppress(OSError):
                path.unlink()
            total -= size
            with self._lock:
                self._states.pop(path, None)

    # --- files ---
    def _read_header(self, path: Path) -> tuple[list[int], str, int] | None:
        try:
            with path.open("rb") as file:
                header = self._header(file)
        except (OSError, ValueError) as exc:
            self._refuse(path, f"unreadable ({exc})")
            return None
        if header is None:
            self._refuse(path, "not a prompt state of this model")
        return header

    def _header(self, file: BinaryIO) -> tuple[list[int], str, int] | None:
        """(tokens, sha256, size) from a file's header if it names this store's key, else
        None; the file is left at the state's first byte. ValueError: not a state file."""
        start = file.read(len(MAGIC) + 4)
        if len(start) < len(MAGIC) + 4 or not start.startswith(MAGIC):
            raise ValueError("it does not start like a prompt state")
        (length,) = struct.unpack("<I", start[len(MAGIC) :])
        fields = json.loads(file.read(length))
        if not isinstance(fields, dict) or fields.get("key") != self.key:
            return None
        try:
            return [int(t) for t in fields["tokens"]], str(fields["sha256"]), int(fields["size"])
        except (KeyError, TypeError) as exc:
            raise ValueError(f"its header lacks {exc}") from None

    def _refuse(self, path: Path, why: str) -> None:
        """Forget and delete a file that will never be used."""
        log.warning("prompt state %s refused: %s; the prompt is computed instead", path.name, why)
        with self._lock:
            self._states.pop(path, None)
        with contextlib.suppress(OSError):
            path.unlink()


def common_prefix(a: list[int], b: list[int]) -> int:
    """How many tokens `a` and `b` share from the start."""
    count = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        count += 1
    return count
