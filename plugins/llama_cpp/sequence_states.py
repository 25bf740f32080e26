"""A slot's KV state to and from the prompt store (`prompt_store.py`), for the batch loop.

Saving: when a generation ends, its sequence's state is copied out of llama.cpp (in
the loop's thread: a memory copy between two steps) and handed to the store, whose
own thread hashes and writes it.

Restoring: a generation that joins with a saved state sharing a longer prefix with its
prompt than its sequence holds gets that state. Reading and checksumming the file is
tens of megabytes (about 70 MB for 3,000 tokens of the starter model); done in the
loop it stalled every other slot for that long. So a reader thread fetches the bytes
while the generation holds its sequence and the loop keeps stepping the others; the
loop copies the state into llama.cpp once the read is done.
"""

from __future__ import annotations

import ctypes
import logging
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING

import llama_cpp

from .prompt_store import PromptStore, SavedState, common_prefix

if TYPE_CHECKING:
    from .batch_loop import Sequence

log = logging.getLogger(__name__)
# A saved state is restored when it spares at least this many prompt tokens, and a
# conversation is saved when it holds at least SAVE_MIN_TOKENS: below that, reading
# the prompt again costs less than a file.
RESTORE_MIN_GAIN = 64
SAVE_MIN_TOKENS = 256


class PendingRestore:
    """A state being read for one generation: the state and the read."""

    __slots__ = ("read", "state")

    def __init__(self, state: SavedState, read: Future[bytearray | None]) -> None:
        self.state = state
        self.read = read


class SequenceStates:
    def __init__(self, ctx: object, memory: object, store: PromptStore) -> None:
        self.ctx = ctx
        self.memory = memory
        self.store = store
        self._reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="prompt-read")

    def restorable(self, prompt: list[int], common: int) -> PendingRestore | None:
        """Start reading the saved state sharing most with `prompt`, when it spares more
        than the `common` tokens the sequence already shares."""
        found = self.store.best(prompt)
        if found is None or min(found[1], len(prompt) - 1) < common + RESTORE_MIN_GAIN:
            return None
        state = found[0]
        return PendingRestore(state, self._reader.submit(self.store.read, state))

    def apply(self, sequence: Sequence, pending: PendingRestore, prompt: list[int]) -> int:
        """Put a read state into `sequence`; returns the prompt tokens it now shares (what
        it shared before when the state did not check out)."""
        try:
            data = pending.read.result()
        except Exception as exc:  # the reader's own failure: the prompt is computed instead
            log.warning("could not read a prompt state: %s", exc)
            data = None
        if data is None:
            return common_prefix(sequence.cached, prompt)
        llama_cpp.llama_memory_seq_rm(self.memory, sequence.id, 0, -1)
        sequence.cached.clear()
        buffer = (ctypes.c_uint8 * len(data)).from_buffer(data)
        if not llama_cpp.llama_state_seq_set_data(self.ctx, buffer, len(data), sequence.id):
            self.store.refused(pending.state, "llama.cpp did not take it")
            llama_cpp.llama_memory_seq_rm(self.memory, sequence.id, 0, -1)
            return 0
        sequence.cached.extend(pending.state.tokens)
        return common_prefix(pending.state.tokens, prompt)

    def save(self, sequence: Sequence) -> None:
        """Hand the sequence's state to the store, unless it is short or already saved."""
        tokens = sequence.cached
        if len(tokens) < SAVE_MIN_TOKENS or self.store.holds(tokens):
            return
        size = llama_cpp.llama_state_seq_get_size(self.ctx, sequence.id)
        buffer = (ctypes.c_uint8 * size)()
        written = llama_cpp.llama_state_seq_get_data(self.ctx, buffer, size, sequence.id)
        if written:
            self.store.save(list(tokens), memoryview(buffer).cast("B")[:written])

    def close(self) -> None:
        self._reader.shutdown(wait=True, cancel_futures=True)
        self.store.close()  # the states asked for are written before the worker exits
