"""One generation of a model worker: a request's prompt, sampler and the text it produces.

Why not `Llama.create_chat_completion`: its Python-side sampling, logits copies and
per-token bookkeeping cost ~16% of llama.cpp's own speed on small models. Here the
batch loop (`batch_loop.py`) decodes every active generation's next token in one
`llama_decode`; each `Generation` then picks its token with its own sampler chain
(in C, `samplers.py`), and turns it into text: one `llama_token_to_piece`, an
incremental UTF-8 decode, stop strings, the reasoning split, and the emit.

`Generator` is the model's front: it tokenizes prompts, builds generations and owns
the loop; `run()` serves one request at a time in the caller's thread (tests,
benchmarks), the worker submits several to the loop (`worker_loop.py`).
"""

from __future__ import annotations

import codecs
import ctypes
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import llama_cpp
from llama_cpp import Llama

from llamadesk.core.errors import N_
from llamadesk.core.models.llama import SamplingParams, StopReason, Usage
from llamadesk.core.models.phrase import Phrase, phrase
from llamadesk.lib.reasoning import ReasoningSplitter, prompt_opens_reasoning

from .draft_model import DraftModel, ModelDrafter
from .drafting import Drafter
from .logprobs import TokenScorer
from .prompt_lookup import PromptLookup
from .samplers import (
    SamplerError,
    TokenPicker,
    build_chain,
    build_grammar,
    build_penalties,
    free_samplers,
    token_picker,
)

if TYPE_CHECKING:
    from .batch_loop import BatchLoop, Sequence
    from .chat_template import ChatPrompt
    from .sequence_states import PendingRestore

Emit = Callable[[str, str], None]  # (channel, text)
IsCancelled = Callable[[], bool]
# Prompts longer than this are tokenized in pieces first, to refuse one over the context early.
TOKENIZE_CHUNK_CHARS = 65_536
PIECE_BYTES = 256


class GenerationError(Exception):
    """A request the model cannot serve (prompt too long, bad grammar); the worker stays up.
    Made from a Phrase, it keeps it for the window (sent along in WorkerJobFailed)."""

    def __init__(self, message: str | Phrase) -> None:
        self.phrase = message if isinstance(message, Phrase) else None
        super().__init__(message.english() if isinstance(message, Phrase) else message)


class StopStringFilter:
    """Holds back text that may be the start of a stop string; cuts at the first match
    (`matched` then says which)."""

    def __init__(self, stops: list[str]) -> None:
        self.stops = [s for s in stops if s]
        self.held = ""
        self.matched: str | None = None

    def feed(self, text: str) -> tuple[str, bool]:
        """(text safe to emit, whether a stop string was reached)."""
        if not self.stops:
            return text, False
        held = self.held + text
        found = [(i, stop) for stop in self.stops if (i := held.find(stop)) >= 0]
        if found:
            cut, self.matched = min(found)
            self.held = ""
            return held[:cut], True
        keep = max((_overlap(held, s) for s in self.stops), default=0)
        self.held = held[len(held) - keep :]
        return held[: len(held) - keep], False

    def flush(self) -> str:
        held, self.held = self.held, ""
        return held


def _overlap(text: str, stop: str) -> int:
    """Length of the longest end of `text` that begins `stop`."""
    for size in range(min(len(stop) - 1, len(text)), 0, -1):
        if text.endswith(stop[:size]):
            return size
    return 0


class Generation:
    """One request in the batch loop. The loop owns the KV cache and the decode; this holds
    what is the request's own: prompt tokens, sampler, limits, and the text so far.

    `pending` is the last token picked and not yet decoded (the next step decodes it);
    `on_end(self)` is called once, when it ended (`reason`) or failed (`error`)."""

    def __init__(
        self,
        job: int,
        prompt: list[int],
        sampling: SamplingParams,
        *,
        vocab: object,
        picker: TokenPicker,
        samplers: tuple[object, object | None],
        emit: Emit,
        cancelled: IsCancelled,
        reasoning: ReasoningSplitter,
        on_end: Callable[[Generation], None],
        drafter: Drafter | None = None,
    ) -> None:
        self.job = job
        self.drafter = drafter  # guesses tokens ahead (speculative decoding), if on
        self.prompt = prompt
        self.vocab = vocab
        self.pick = picker
        self.cancelled = cancelled
        self.on_end = on_end
        self._samplers = samplers
        self._emit = emit
        self._splitter = reasoning
        self._stops = StopStringFilter(sampling.stop)
        self._utf8 = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._piece = ctypes.create_string_buffer(PIECE_BYTES)
        self.limit = sampling.max_tokens or 1 << 62
        self.sequence: Sequence | None = None
        self.restoring: PendingRestore | None = None  # a saved state being read for it, if any
        self.fed = 0  # prompt tokens in the sequence's KV cache
        self.cached_tokens = 0  # of which were there before (reused, not decoded)
        self.pending: int | None = None
        self.generated: list[int] = []  # picked tokens that became text, for drafting
        self.count = 0
        self.started = time.perf_counter()
        self.prompt_done: float | None = None
        self.first_at: float | None = None
        self.ended_at: float | None = None
        self.reason: StopReason | None = None
        self.error: str | None = None
        self.stop_sequence: str | None = None

    @property
    def prefilling(self) -> bool:
        return self.fed < len(self.prompt)

    def accept(self, token: int) -> bool:
        """Turn a picked token into text; True when the generation ends with it (the reason
        is then set; `pending` holds the token otherwise)."""
        if llama_cpp.llama_vocab_is_eog(self.vocab, token):
            self.reason = StopReason.STOP
            return True
        size = llama_cpp.llama_token_to_piece(self.vocab, token, self._piece, PIECE_BYTES, 0, False)
        text, hit = self._stops.feed(self._utf8.decode(self._piece.raw[:size]))
        self.count += 1
        if text:
            if self.first_at is None:
                self.first_at = time.perf_counter()
            for channel, part in self._splitter.feed(text):
                self._emit(channel, part)
        if hit:
            self.reason = StopReason.STOP
            return True
        if self.count >= self.limit:
            self.reason = StopReason.LENGTH
            return True
        self.pending = token
        self.generated.append(token)
        if self.drafter is not None:
            self.drafter.push(token)
        return False

    def end(self, reason: StopReason | None = None) -> None:
        """Flush what is held back and report the end (once)."""
        if self.ended_at is not None:
            return
        if reason is not None:
            self.reason = reason
        tail = self._utf8.decode(b"", final=True) + self._stops.flush()
        if tail:
            for channel, part in self._splitter.feed(tail):
                self._emit(channel, part)
        for channel, part in self._splitter.flush():
            self._emit(channel, part)
        self.stop_sequence = self._stops.matched
        self._finish()

    def fail(self, message: str) -> None:
        if self.ended_at is not None:
            return
        self.error = message
        self._finish()

    def _finish(self) -> None:
        self.ended_at = time.perf_counter()
        free_samplers(*self._samplers)
        self._samplers = (None, None)
        self.on_end(self)

    def usage(self) -> Usage:
        ended = self.ended_at or time.perf_counter()
        prompt_done = self.prompt_done or ended
        rate = None
        if self.first_at is not None and self.count > 1 and ended > self.first_at:
            rate = (self.count - 1) / (ended - self.first_at)
        return Usage(
            prompt_tokens=len(self.prompt),
            cached_tokens=self.cached_tokens,
            completion_tokens=self.count,
            drafted_tokens=self.drafter.drafted if self.drafter else 0,
            accepted_tokens=self.drafter.accepted if self.drafter else 0,
            time_to_first_token_ms=None if self.first_at is None else (self.first_at - self.started) * 1000,
            tokens_per_second=rate,
            prompt_ms=(prompt_done - self.started) * 1000,
            generation_ms=(ended - prompt_done) * 1000,
        )


class Generator:
    """Builds generations for one loaded `Llama` and runs them in its batch loop."""

    def __init__(
        self,
        llm: Llama,
        prompt: ChatPrompt | None,
        *,
        split_reasoning: bool,
        seed: int | None,
        loop: BatchLoop | None = None,
        drafting: str = "none",
        draft_model: DraftModel | None = None,
    ) -> None:
        from .batch_loop import BatchLoop

        self.llm = llm
        self.prompt = prompt
        self.split_reasoning = split_reasoning
        self.seed = seed
        self.drafting = drafting  # speculative decoding: lookup, model (with draft_model) or none
        self.draft_model = draft_model
        self.ctx = llm._ctx.ctx
        self.vocab = llm._model.vocab
        self.loop = loop if loop is not None else BatchLoop(llm)
        self.n_ctx = self.loop.n_ctx_seq  # what one conversation may hold
        self.add_bos = bool(llama_cpp.llama_vocab_get_add_bos(self.vocab))
        self.stop_sequence: str | None = None  # the stop string that ended the last run(), if any

    def scorer(self, top: int) -> TokenScorer:
        """Scores picked tokens for a request that asks for logprobs (see logprobs.py)."""
        return TokenScorer(self.ctx, self.vocab, top)

    def tokenize(self, text: str, *, raw: bool = False) -> list[int]:
        """The prompt's tokens (a raw prompt gets the model's BOS when it wants one). A prompt
        is refused as soon as it certainly exceeds the context, without tokenizing the rest:
        a huge request costs about a context's worth of tokenizing, not its own size."""
        add_bos = raw and self.add_bos
        if len(text) > TOKENIZE_CHUNK_CHARS:
            count = 0
            for chunks, start in enumerate(range(0, len(text), TOKENIZE_CHUNK_CHARS)):
                piece = text[start : start + TOKENIZE_CHUNK_CHARS].encode("utf-8", errors="replace")
                count += len(self.llm.tokenize(piece, add_bos=False, special=True))
                # A cut between chunks may split a token in two: allow one extra per cut.
                if count - chunks >= self.n_ctx:
                    raise GenerationError(
                        phrase(
                            N_(
                                "the prompt is over {context} tokens, more than the context holds; "
                                "load the model with a larger context_size or send less"
                            ),
                            context=self.n_ctx,
                        )
                    )
        tokens: list[int] = self.llm.tokenize(text.encode("utf-8"), add_bos=add_bos, special=True)
        return tokens

    def count_text(self, text: str) -> int:
        """Tokens of a plain text (no special tokens, no BOS), as the chat counts them."""
        return len(self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def forget_cache(self) -> None:
        """The KV cache was cleared by someone else: decode afresh."""
        self.loop.forget_all()

    def prepare(
        self,
        job: int,
        prompt_text: str,
        sampling: SamplingParams,
        emit: Emit,
        cancelled: IsCancelled,
        on_end: Callable[[Generation], None],
        *,
        scorer: TokenScorer | None = None,
        raw: bool = False,
    ) -> Generation:
        """A generation after `prompt_text` (a rendered chat, or with `raw` a prompt as it is),
        ready to submit to the loop; `scorer` scores each picked token (only for requests
        that ask for logprobs). Raises GenerationError for a prompt over the context or a
        grammar that does not parse."""
        tokens = self.tokenize(prompt_text, raw=raw)
        if len(tokens) >= self.n_ctx:
            raise GenerationError(
                phrase(
                    N_(
                        "the conversation is {tokens} tokens but the context holds {context}; "
                        "load the model with a larger context_size or start a new chat"
                    ),
                    tokens=len(tokens),
                    context=self.n_ctx,
                )
            )
        try:
            grammar = build_grammar(self.vocab, sampling)
        except SamplerError as exc:
            raise GenerationError(str(exc)) from None
        chain = build_chain(self.vocab, sampling, self.seed)
        penalties = build_penalties(sampling, tokens)
        picker = token_picker(
            self.ctx, self.vocab, chain, grammar, penalties, greedy=sampling.temperature <= 0
        )
        if scorer is not None:
            picker = scorer.wrap(picker)
        # Output a grammar shapes (a JSON schema, a forced tool call) has no reasoning block,
        # even when the template opened one in the prompt: it is all answer.
        constrained = grammar is not None
        splitter = ReasoningSplitter(
            open_tag=prompt_opens_reasoning(prompt_text), enabled=self.split_reasoning and not constrained
        )
        return Generation(
            job,
            tokens,
            sampling,
            vocab=self.vocab,
            picker=picker,
            samplers=(chain, grammar),
            emit=emit,
            cancelled=cancelled,
            reasoning=splitter,
            on_end=on_end,
            drafter=self._drafter(tokens),
        )

    def _drafter(self, tokens: list[int]) -> Drafter | None:
        if self.drafting == "lookup":
            return PromptLookup(tokens)
        if self.drafting == "model" and self.draft_model is not None:
            return ModelDrafter(self.draft_model, tokens)
        return None

    def run(
        self,
        messages_prompt: str,
        sampling: SamplingParams,
        emit: Emit,
        cancelled: IsCancelled,
        *,
        scorer: TokenScorer | None = None,
        raw: bool = False,
    ) -> tuple[StopReason, Usage]:
        """Generate after `messages_prompt` in this thread, alone in the loop."""
        generation = self.prepare(
            0, messages_prompt, sampling, emit, cancelled, lambda _g: None, scorer=scorer, raw=raw
        )
        self.loop.submit(generation)
        while generation.ended_at is None:
            self.loop.step()
        if generation.error is not None:
            raise GenerationError(generation.error)
        self.stop_sequence = generation.stop_sequence
        assert generation.reason is not None
        return generation.reason, generation.usage()
