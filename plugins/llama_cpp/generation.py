"""The generation loop of a model worker, on llama-cpp-python's low-level API.

Why not `Llama.create_chat_completion`: its Python-side sampling, logits copies
and per-token bookkeeping cost ~16% of llama.cpp's own speed on small models.
Here the loop is: decode the prompt (reusing the KV cache of the previous turn's
common prefix), then per token one `llama_sampler_sample` (the whole sampler
chain runs in C), one `llama_token_to_piece`, an incremental UTF-8 decode, and
one `llama_decode` of a batch that is built once and reused. A grammar (or JSON
schema) checks the token the chain picked (`grammar_sampling.py`).
"""

from __future__ import annotations

import codecs
import ctypes
import json
import time
from collections.abc import Callable

import llama_cpp
from llama_cpp import Llama
from llama_cpp.llama_grammar import json_schema_to_gbnf

from llamadesk.core.models.llama import SamplingParams, StopReason, Usage
from llamadesk.lib.reasoning import ReasoningSplitter, prompt_opens_reasoning

from .chat_template import ChatPrompt
from .grammar_sampling import GrammarChecked
from .logprobs import TokenScorer

Emit = Callable[[str, str], None]  # (channel, text)
IsCancelled = Callable[[], bool]
DECODE_ABORTED = 2  # llama_decode's return code when the abort callback said stop
# Prompts longer than this are tokenized in pieces first, to refuse one over the context early.
TOKENIZE_CHUNK_CHARS = 65_536


class GenerationError(Exception):
    """A request the model cannot serve (prompt too long, bad grammar); the worker stays up."""


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


class Generator:
    """Runs generations on one loaded `Llama`, keeping its KV cache between turns."""

    def __init__(self, llm: Llama, prompt: ChatPrompt, *, split_reasoning: bool, seed: int | None) -> None:
        self.llm = llm
        self.prompt = prompt
        self.split_reasoning = split_reasoning
        self.seed = seed
        self.ctx = llm._ctx.ctx
        self.vocab = llm._model.vocab
        self.memory = llama_cpp.llama_get_memory(self.ctx)
        self.n_ctx = int(llama_cpp.llama_n_ctx(self.ctx))
        self.n_batch = int(llm.n_batch)
        self.cached: list[int] = []  # tokens whose keys/values are in the cache, in order
        self._piece = ctypes.create_string_buffer(256)
        self._one = (llama_cpp.llama_token * 1)()
        self._one_batch = llama_cpp.llama_batch_get_one(self._one, 1)
        self._abort_check: IsCancelled = lambda: False
        # Kept referenced: C holds the pointer while it is installed.
        self._abort_cb = llama_cpp.ggml_abort_callback(lambda _data: bool(self._abort_check()))
        self._no_abort_cb = llama_cpp.ggml_abort_callback()  # NULL: no per-node callback
        self.add_bos = bool(llama_cpp.llama_vocab_get_add_bos(self.vocab))
        self.stop_sequence: str | None = None  # the stop string that ended the last run, if any

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
                        f"the prompt is over {self.n_ctx} tokens, more than the context holds; "
                        "load the model with a larger context_size or send less"
                    )
        tokens: list[int] = self.llm.tokenize(text.encode("utf-8"), add_bos=add_bos, special=True)
        return tokens

    def forget_cache(self) -> None:
        """The KV cache was cleared by someone else (an embedding request): decode afresh."""
        llama_cpp.llama_memory_clear(self.memory, True)
        self.cached.clear()

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
        """Generate after `messages_prompt` (a rendered chat, or with `raw` a prompt as it is);
        `scorer` scores each picked token (only for requests that ask for logprobs)."""
        started = time.perf_counter()
        self.stop_sequence = None
        tokens = self.tokenize(messages_prompt, raw=raw)
        if len(tokens) >= self.n_ctx:
            raise GenerationError(
                f"the conversation is {len(tokens)} tokens but the context holds {self.n_ctx}; "
                "load the model with a larger context_size or start a new chat"
            )
        if not self._decode_prompt(tokens, cancelled):
            return StopReason.CANCELLED, Usage(prompt_tokens=len(tokens))
        prompt_done = time.perf_counter()
        grammar = self._grammar(sampling)
        chain = self._chain(sampling, tokens)
        try:
            next_token = self._token_picker(chain, grammar)
            if scorer is not None:
                next_token = scorer.wrap(next_token)
            reason, count, first_at = self._loop(messages_prompt, sampling, next_token, emit, cancelled)
        finally:
            llama_cpp.llama_sampler_free(chain)
            if grammar is not None:
                llama_cpp.llama_sampler_free(grammar)
        ended = time.perf_counter()
        return reason, _usage(len(tokens), count, started, prompt_done, first_at, ended)

    def _loop(
        self,
        prompt: str,
        sampling: SamplingParams,
        next_token: Callable[[], int],
        emit: Emit,
        cancelled: IsCancelled,
    ) -> tuple[StopReason, int, float | None]:
        ctx, vocab, piece, one, batch = self.ctx, self.vocab, self._piece, self._one, self._one_batch
        to_piece, is_eog, decode = (
            llama_cpp.llama_token_to_piece,
            llama_cpp.llama_vocab_is_eog,
            llama_cpp.llama_decode,
        )
        utf8 = codecs.getincrementaldecoder("utf-8")(errors="replace")
        # Output a grammar shapes (a JSON schema, a forced tool call) has no reasoning block,
        # even when the template opened one in the prompt: it is all answer.
        constrained = bool(sampling.grammar) or sampling.json_schema is not None
        splitter = ReasoningSplitter(
            open_tag=prompt_opens_reasoning(prompt), enabled=self.split_reasoning and not constrained
        )
        stops = StopStringFilter(sampling.stop)
        limit = sampling.max_tokens or self.n_ctx
        count, first_at, reason = 0, None, StopReason.LENGTH

        def send(text: str) -> None:
            for channel, part in splitter.feed(text):
                emit(channel, part)

        while True:
            token = next_token()
            if is_eog(vocab, token):
                reason = StopReason.STOP
                break
            size = to_piece(vocab, token, piece, 256, 0, False)
            text, hit = stops.feed(utf8.decode(piece.raw[:size]))
            count += 1
            if text:
                if first_at is None:
                    first_at = time.perf_counter()
                send(text)
            if hit:
                reason = StopReason.STOP
                break
            if cancelled():
                reason = StopReason.CANCELLED
                break
            if count >= limit or len(self.cached) + 1 >= self.n_ctx:
                break
            one[0] = token
            if decode(ctx, batch) != 0:
                raise GenerationError("llama_decode failed: the context may be full")
            self.cached.append(token)
        tail = utf8.decode(b"", final=True) + stops.flush()
        if tail:
            send(tail)
        for channel, part in splitter.flush():
            emit(channel, part)
        self.stop_sequence = stops.matched
        return reason, count, first_at

    def _decode_prompt(self, tokens: list[int], cancelled: IsCancelled) -> bool:
        """Bring the KV cache to `tokens`, reusing the common prefix. False if cancelled."""
        common = 0
        for cached, new in zip(self.cached, tokens, strict=False):
            if cached != new:
                break
            common += 1
        common = min(common, len(tokens) - 1)  # the last token is decoded again for its logits
        if not llama_cpp.llama_memory_seq_rm(self.memory, 0, common, -1):
            llama_cpp.llama_memory_clear(self.memory, True)
            common = 0
        del self.cached[common:]
        # A long prompt can take seconds: let a stop interrupt llama_decode between graph nodes.
        self._abort_check = cancelled
        llama_cpp.llama_set_abort_callback(self.ctx, self._abort_cb, None)
        try:
            for start in range(common, len(tokens), self.n_batch):
                chunk = tokens[start : start + self.n_batch]
                array = (llama_cpp.llama_token * len(chunk))(*chunk)
                code = llama_cpp.llama_decode(self.ctx, llama_cpp.llama_batch_get_one(array, len(chunk)))
                if code == DECODE_ABORTED or cancelled():
                    llama_cpp.llama_memory_seq_rm(self.memory, 0, len(self.cached), -1)
                    return False
                if code != 0:
                    llama_cpp.llama_memory_seq_rm(self.memory, 0, len(self.cached), -1)
                    raise GenerationError(f"llama_decode failed on the prompt (code {code})")
                self.cached.extend(chunk)
        finally:
            # The callback runs per graph node; during token generation it would cost ~20%.
            llama_cpp.llama_set_abort_callback(self.ctx, self._no_abort_cb, None)
            self._abort_check = lambda: False
        return True

    def _token_picker(self, chain: object, grammar: object | None) -> Callable[[], int]:
        """The next token from the last decode's logits."""
        if grammar is not None:
            return GrammarChecked(self.ctx, self.vocab, chain, grammar)
        ctx, sample = self.ctx, llama_cpp.llama_sampler_sample
        return lambda: int(sample(chain, ctx, -1))

    def _grammar(self, sampling: SamplingParams) -> object | None:
        """The request's grammar (a JSON schema becomes one), or None."""
        grammar = sampling.grammar
        if sampling.json_schema is not None:
            grammar = json_schema_to_gbnf(json.dumps(sampling.json_schema))
        if not grammar:
            return None
        rule: object = llama_cpp.llama_sampler_init_grammar(self.vocab, grammar.encode(), b"root")
        if not rule:
            raise GenerationError("the grammar does not parse (GBNF with a `root` rule expected)")
        return rule

    def _chain(self, sampling: SamplingParams, prompt_tokens: list[int]) -> object:
        """Penalties, then greedy or top-k/top-p/min-p/temperature and a seeded draw."""
        chain = llama_cpp.llama_sampler_chain_init(llama_cpp.llama_sampler_chain_default_params())
        add = llama_cpp.llama_sampler_chain_add
        penalized = sampling.repeat_penalty != 1.0 or sampling.presence_penalty or sampling.frequency_penalty
        if penalized:
            penalties = llama_cpp.llama_sampler_init_penalties(
                llama_cpp.llama_vocab_n_tokens(self.vocab),
                64,
                sampling.repeat_penalty,
                sampling.frequency_penalty,
                sampling.presence_penalty,
            )
            for token in prompt_tokens[-64:]:  # the prompt counts as recent text, as in llama-server
                llama_cpp.llama_sampler_accept(penalties, token)
            add(chain, penalties)
        if sampling.temperature <= 0:
            add(chain, llama_cpp.llama_sampler_init_greedy())
            return chain
        if sampling.top_k > 0:
            add(chain, llama_cpp.llama_sampler_init_top_k(sampling.top_k))
        add(chain, llama_cpp.llama_sampler_init_top_p(sampling.top_p, 1))
        add(chain, llama_cpp.llama_sampler_init_min_p(sampling.min_p, 1))
        add(chain, llama_cpp.llama_sampler_init_temp(sampling.temperature))
        seed = sampling.seed if sampling.seed is not None else self.seed
        add(chain, llama_cpp.llama_sampler_init_dist(llama_cpp.LLAMA_DEFAULT_SEED if seed is None else seed))
        return chain


def _usage(
    prompt_tokens: int, count: int, started: float, prompt_done: float, first_at: float | None, ended: float
) -> Usage:
    rate = None
    if first_at is not None and count > 1 and ended > first_at:
        rate = (count - 1) / (ended - first_at)
    return Usage(
        prompt_tokens=prompt_tokens,
        completion_tokens=count,
        time_to_first_token_ms=None if first_at is None else (first_at - started) * 1000,
        tokens_per_second=rate,
        prompt_ms=(prompt_done - started) * 1000,
        generation_ms=(ended - prompt_done) * 1000,
    )
