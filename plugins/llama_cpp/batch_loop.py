"""The worker's batch loop: every active generation advances in one `llama_decode` a step.

The context holds `n_seq_max` sequences (the model's slots), each with its own KV cache
stream (llama.cpp's non-unified cache: a sequence attends only to its own cells, so
its logits are those it would get alone, and greedy text is the same token for token).
A step builds one batch from:

- each generating sequence's pending token (picked last step, not yet decoded),
- then prompt tokens of sequences still reading their prompt, up to `n_batch` in all
  (a long prompt is read in chunks over several steps while the others keep
  generating),

decodes it, and hands each generation the logits at its own batch index to pick its
next token with its own sampler. Generations join and leave between steps
(continuous batching): a new request takes a free sequence, preferring the one whose
cached tokens share the longest prefix with its prompt (the previous turn of the same
chat), and ending one never touches the others' cells. A stop is checked for each
generation every step; while a prompt is in the batch llama.cpp's abort callback
checks it between graph nodes too (only then: per node it costs ~20% of token speed).

With a prompt store (`prompt_store.py`), a generation that joins restores the saved
state sharing the longest prefix with its prompt when that is longer than what its
sequence already holds (a chat continued after an unload or a restart), and a
generation that ends hands its sequence's state to the store to write
(`sequence_states.py`). The file is read in a thread of its own while the generation
holds its sequence and the others keep stepping; only the copies into and out of
llama.cpp happen in this thread, between two steps.
"""

from __future__ import annotations

import time
from collections import deque
from concurrent.futures import FIRST_COMPLETED
from concurrent.futures import wait as wait_for_any

import llama_cpp
from llama_cpp import Llama

from llamadesk.core.models.llama import StopReason

from .generation import Generation
from .prompt_store import PromptStore, common_prefix
from .sequence_states import SequenceStates

DECODE_ABORTED = 2  # llama_decode's return code when the abort callback said stop
RESTORE_WAIT_S = 0.01  # with nothing else to decode, how long a step waits for a state's read


Output = tuple[Generation, int, list[int]]  # a generating generation, its logits' index, its draft


class Sequence:
    """One KV cache sequence (a slot): the tokens its cells hold, in order, and the
    generation using it, if any."""

    __slots__ = ("cached", "generation", "id", "used_at")

    def __init__(self, seq_id: int) -> None:
        self.id = seq_id
        self.cached: list[int] = []
        self.generation: Generation | None = None
        self.used_at = 0.0


class BatchLoop:
    def __init__(self, llm: Llama, store: PromptStore | None = None) -> None:
        self.ctx = llm._ctx.ctx
        self.memory = llama_cpp.llama_get_memory(self.ctx)
        self.states = SequenceStates(self.ctx, self.memory, store) if store is not None else None
        self.n_seq = int(llama_cpp.llama_n_seq_max(self.ctx))
        self.n_ctx_seq = int(llama_cpp.llama_n_ctx_seq(self.ctx))
        self.n_batch = int(llama_cpp.llama_n_batch(self.ctx))
        self.sequences = [Sequence(i) for i in range(self.n_seq)]
        self.waiting: deque[Generation] = deque()
        self._batch = llama_cpp.llama_batch_init(self.n_batch, 0, 1)
        for i in range(self.n_batch):
            self._batch.n_seq_id[i] = 1
        self._prompts_in_batch: list[Generation] = []
        self._step_s: float | None = None  # the last decode's seconds, for the drafters
        # Kept referenced: C holds the pointer while it is installed.
        self._abort_cb = llama_cpp.ggml_abort_callback(lambda _data: self._prompt_cancelled())
        self._no_abort_cb = llama_cpp.ggml_abort_callback()  # NULL: no per-node callback

    # --- what the worker asks ---
    def submit(self, generation: Generation) -> None:
        """Queue a generation; it takes a sequence at the next step one is free."""
        self.waiting.append(generation)

    @property
    def active(self) -> bool:
        return bool(self.waiting) or any(s.generation is not None for s in self.sequences)

    @property
    def busy_sequences(self) -> int:
        return sum(s.generation is not None for s in self.sequences)

    def free_sequence(self) -> Sequence | None:
        """A sequence no generation uses (the least recently used), or None."""
        free = [s for s in self.sequences if s.generation is None]
        return min(free, key=lambda s: s.used_at) if free else None

    def forget(self, sequence: Sequence) -> None:
        """Empty one sequence's cells (an embedding used them)."""
        llama_cpp.llama_memory_seq_rm(self.memory, sequence.id, 0, -1)
        sequence.cached.clear()

    def forget_all(self) -> None:
        llama_cpp.llama_memory_clear(self.memory, True)
        for sequence in self.sequences:
            sequence.cached.clear()

    def fail_all(self, message: str) -> None:
        """End every generation with an error and empty their sequences (after a bug in a
        step, their cells are in no known state)."""
        for sequence in self.sequences:
            generation = sequence.generation
            if generation is not None:
                self._release(generation)
                self.forget(sequence)
                generation.fail(message)
        while self.waiting:
            self.waiting.popleft().fail(message)

    def close(self) -> None:
        llama_cpp.llama_batch_free(self._batch)
        if self.states is not None:
            self.states.close()  # the states asked for are written before the worker exits

    # --- one step ---
    def step(self) -> None:
        """Admit waiting generations, decode one batch, let each generation pick its token."""
        if self.waiting:
            self._drop_cancelled_waiting()
            self._admit()
        self._finish_restores()
        running = [s.generation for s in self.sequences if s.generation is not None]
        for generation in running:
            if generation.cancelled():
                self._end(generation, StopReason.CANCELLED)
        outputs, prompts, count = self._fill()
        if count == 0:
            self._wait_for_restores()
            return
        if prompts:  # a long prompt can take seconds: let a stop interrupt it between graph nodes
            self._prompts_in_batch = [g for g, _, _ in prompts]
            llama_cpp.llama_set_abort_callback(self.ctx, self._abort_cb, None)
        started = time.perf_counter()
        try:
            code = llama_cpp.llama_decode(self.ctx, self._batch)
            # What this step cost the generating ones (not measured when a prompt chunk
            # rode along: that is not the price of a draft).
            self._step_s = None if prompts else time.perf_counter() - started
        finally:
            if prompts:
                llama_cpp.llama_set_abort_callback(self.ctx, self._no_abort_cb, None)
                self._prompts_in_batch = []
        if code != 0:
            self._undo(code, [g for g, _, _ in outputs] + [g for g, _, _ in prompts])
            return
        for generation, index, size in prompts:
            self._read_prompt(generation, index, size)
        for generation, index, draft in outputs:
            self._advance(generation, index, draft)

    def _fill(self) -> tuple[list[Output], list[tuple[Generation, int, int]], int]:
        """Fill the batch: pending tokens (each followed by its draft, if any) first, then
        prompt chunks. Returns (generating generations with their logits' index and draft,
        prompt chunks as (generation, first index, size), tokens in the batch)."""
        batch = self._batch
        tokens, positions, seq_ids, logits = batch.token, batch.pos, batch.seq_id, batch.logits
        outputs: list[Output] = []
        prompts: list[tuple[Generation, int, int]] = []
        count = 0
        reading: list[Generation] = []
        generating = [
            s for s in self.sequences if s.generation is not None and s.generation.pending is not None
        ]
        spare = self.n_batch - len(generating)  # batch room for drafts
        for sequence in self.sequences:
            generation = sequence.generation
            if generation is None or generation.restoring is not None:
                continue
            if generation.pending is None:
                reading.append(generation)
                continue
            base = len(sequence.cached)
            draft: list[int] = []
            if generation.drafter is not None:
                draft = generation.drafter.draft(min(spare, self.n_ctx_seq - base - 2), sequence.id)
                spare -= len(draft)
            for offset, token in enumerate([generation.pending, *draft]):
                tokens[count + offset] = token
                positions[count + offset] = base + offset
                seq_ids[count + offset][0] = sequence.id
                logits[count + offset] = True
            outputs.append((generation, count, draft))
            count += 1 + len(draft)
        reading.sort(key=lambda g: g.started)  # first come, first read
        for generation in reading:
            room = self.n_batch - count
            if room <= 0:
                break
            reader = generation.sequence
            assert reader is not None
            start = generation.fed
            chunk = generation.prompt[start : start + room]
            last = start + len(chunk) == len(generation.prompt)
            for offset, token in enumerate(chunk):
                tokens[count + offset] = token
                positions[count + offset] = start + offset
                seq_ids[count + offset][0] = reader.id
                logits[count + offset] = False
            if last:
                logits[count + len(chunk) - 1] = True
            prompts.append((generation, count, len(chunk)))
            count += len(chunk)
        batch.n_tokens = count
        return outputs, prompts, count

    def _read_prompt(self, generation: Generation, index: int, size: int) -> None:
        sequence = generation.sequence
        assert sequence is not None
        sequence.cached.extend(generation.prompt[generation.fed : generation.fed + size])
        generation.fed += size
        if generation.prefilling:
            return
        generation.prompt_done = time.perf_counter()
        self._take(generation, generation.pick(index + size - 1))

    def _advance(self, generation: Generation, index: int, draft: list[int]) -> None:
        """The pending token is now in the cache; pick the next from its logits. With a
        draft, each guess the model's own pick agrees with is taken as it is (its cell is
        already decoded) and the next pick reads its logits; the first pick that differs
        is the next token, as it would have been without the draft."""
        sequence = generation.sequence
        assert sequence is not None and generation.pending is not None
        sequence.cached.append(generation.pending)
        taken = 0
        token = generation.pick(index)
        while taken < len(draft) and token == draft[taken]:
            taken += 1
            if generation.accept(token) or len(sequence.cached) + 1 >= self.n_ctx_seq:
                break  # it ended on a guess (or the context is full): this guess is not kept
            sequence.cached.append(token)
            token = generation.pick(index + taken)
        else:
            self._judged(generation, sequence, len(draft), taken)
            self._take(generation, token)
            return
        self._judged(generation, sequence, len(draft), taken)
        self._end(generation, None if generation.reason is not None else StopReason.LENGTH)

    def _judged(self, generation: Generation, sequence: Sequence, drafted: int, taken: int) -> None:
        """Tell the drafter what the step cost and how its guess went, and drop the cells
        of guesses not taken."""
        drafter = generation.drafter
        if drafter is None:
            return
        if self._step_s is not None:
            drafter.timed(self._step_s, taken + 1, drafted > 0)
        if not drafted:
            return
        drafter.judged(drafted, taken)
        llama_cpp.llama_memory_seq_rm(self.memory, sequence.id, len(sequence.cached), -1)

    def _take(self, generation: Generation, token: int) -> None:
        """Give the generation its picked token; end it when that ends it or the context is full."""
        sequence = generation.sequence
        assert sequence is not None
        if generation.accept(token):
            self._end(generation)
        elif len(sequence.cached) + 1 >= self.n_ctx_seq:
            self._end(generation, StopReason.LENGTH)

    def _undo(self, code: int, involved: list[Generation]) -> None:
        """A decode that failed or was aborted: take its tokens out of the cache again. An
        abort was a stop: those generations end; others retry next step."""
        for generation in involved:
            sequence = generation.sequence
            assert sequence is not None
            llama_cpp.llama_memory_seq_rm(self.memory, sequence.id, len(sequence.cached), -1)
        if code == DECODE_ABORTED:
            for generation in involved:
                if generation.cancelled():
                    self._end(generation, StopReason.CANCELLED)
            return
        what = "the prompt" if any(g.prefilling for g in involved) else "a token"
        for generation in involved:
            self._release(generation)
            generation.fail(f"llama_decode failed on {what} (code {code}): the context may be full")

    def _prompt_cancelled(self) -> bool:
        return any(generation.cancelled() for generation in self._prompts_in_batch)

    # --- joining and leaving ---
    def _drop_cancelled_waiting(self) -> None:
        for generation in [g for g in self.waiting if g.cancelled()]:
            self.waiting.remove(generation)
            generation.end(StopReason.CANCELLED)

    def _admit(self) -> None:
        while self.waiting:
            free = [s for s in self.sequences if s.generation is None]
            if not free:
                return
            generation = self.waiting.popleft()
            if generation.cancelled():
                generation.end(StopReason.CANCELLED)
                continue
            sequence, common = self._choose(free, generation.prompt)
            generation.sequence = sequence
            sequence.generation = generation
            if self.states is not None:
                generation.restoring = self.states.restorable(generation.prompt, common)
            if generation.restoring is None:
                self._seat(generation, common)

    def _seat(self, generation: Generation, common: int) -> None:
        """Start `generation` in its sequence after the `common` prompt tokens it holds."""
        sequence = generation.sequence
        assert sequence is not None
        # The last prompt token is decoded again for its logits.
        common = min(common, len(generation.prompt) - 1)
        if not llama_cpp.llama_memory_seq_rm(self.memory, sequence.id, common, -1):
            llama_cpp.llama_memory_seq_rm(self.memory, sequence.id, 0, -1)
            common = 0
        del sequence.cached[common:]
        generation.fed = generation.cached_tokens = common

    def _finish_restores(self) -> None:
        """Seat the generations whose saved state has been read."""
        for sequence in self.sequences:
            generation = sequence.generation
            if generation is None or generation.restoring is None or not generation.restoring.read.done():
                continue
            assert self.states is not None
            pending, generation.restoring = generation.restoring, None
            self._seat(generation, self.states.apply(sequence, pending, generation.prompt))

    def _wait_for_restores(self) -> None:
        """Nothing to decode but states being read: wait a little for one, not spin."""
        reads = [
            s.generation.restoring.read
            for s in self.sequences
            if s.generation is not None and s.generation.restoring is not None
        ]
        if reads:
            wait_for_any(reads, timeout=RESTORE_WAIT_S, return_when=FIRST_COMPLETED)

    @staticmethod
    def _choose(free: list[Sequence], prompt: list[int]) -> tuple[Sequence, int]:
        """The free sequence sharing the longest prefix with `prompt` (the chat's last turn);
        with none shared, an empty one, else the least recently used."""
        best, best_common = free[0], -1
        for sequence in free:
            common = common_prefix(sequence.cached, prompt)
            if common > best_common or (common == best_common and _fresher_to_evict(sequence, best)):
                best, best_common = sequence, common
        return best, best_common

    def _end(self, generation: Generation, reason: StopReason | None = None) -> None:
        self._release(generation)
        generation.end(reason)
        sequence = generation.sequence
        if self.states is not None and sequence is not None and sequence.generation is None:
            self.states.save(sequence)

    def _release(self, generation: Generation) -> None:
        sequence = generation.sequence
        if sequence is None or sequence.generation is not generation:
            return
        sequence.generation = None
        sequence.used_at = time.monotonic()


def _fresher_to_evict(candidate: Sequence, current: Sequence) -> bool:
    """Between sequences sharing as much with a prompt: empty ones first, then the oldest."""
    if bool(candidate.cached) != bool(current.cached):
        return not candidate.cached
    return candidate.used_at < current.used_at
