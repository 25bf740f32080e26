"""Tokens/s of JSON-schema output against the same model's unconstrained output.

In one process, same model, prompt and thread count, greedy, alternated rounds:

1. llamadesk's generation loop, unconstrained: the ceiling
2. llamadesk's loop with a JSON schema: the chain picks, the grammar checks that
   one token (plugins/llama_cpp/grammar_sampling.py)
3. llama-cpp-python's `create_completion(grammar=...)`: the grammar judges every
   token of the vocabulary first

Run:  .venv/bin/python benchmarks/grammar_sampling.py [--model X.gguf] [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

PROMPT = "<|im_start|>user\nDescribe three cities as JSON.<|im_end|>\n<|im_start|>assistant\n"
SCHEMA = {
    "type": "object",
    "properties": {
        "cities": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "country": {"type": "string"},
                    "population": {"type": "integer"},
                    "description": {"type": "string"},
                },
                "required": ["name", "country", "population", "description"],
            },
        }
    },
    "required": ["cities"],
}
TEST_CACHE = Path(os.environ.get("LLAMADESK_TEST_CACHE", Path.home() / ".cache" / "llamadesk-tests"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, help="GGUF file; default: the starter model")
    parser.add_argument("--tokens", type=int, default=200)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if args.model is None:
        from llamadesk.core.starter_model import ensure_starter_model

        args.model = ensure_starter_model(TEST_CACHE)

    from llama_cpp import Llama, LlamaGrammar
    from llama_cpp.llama_grammar import json_schema_to_gbnf

    from llamadesk.core.models.llama import SamplingParams
    from llamadesk.plugins.llama_cpp.generation import Generator

    llm = Llama(
        str(args.model), n_ctx=2048, n_threads=args.threads, n_threads_batch=args.threads, verbose=False
    )
    generator = Generator(llm, None, split_reasoning=False, seed=None)  # type: ignore[arg-type]
    grammar = LlamaGrammar.from_string(json_schema_to_gbnf(json.dumps(SCHEMA)), verbose=False)

    def ours(schema: dict[str, object] | None) -> float:
        sampling = SamplingParams(temperature=0, max_tokens=args.tokens, json_schema=schema, repeat_penalty=1)
        return generator.run(PROMPT, sampling, lambda _c, _t: None, lambda: False)[1].tokens_per_second or 0.0

    def high_level() -> float:
        generator.forget_cache()  # it decodes into the same context
        times: list[float] = []
        stream = llm.create_completion(
            PROMPT, grammar=grammar, temperature=0, max_tokens=args.tokens, repeat_penalty=1, stream=True
        )
        for _chunk in stream:
            times.append(time.perf_counter())
        generator.forget_cache()
        return (len(times) - 1) / (times[-1] - times[0])

    contenders = {
        "llamadesk, unconstrained": lambda: ours(None),
        "llamadesk, JSON schema": lambda: ours(SCHEMA),
        "llama-cpp-python, grammar first": high_level,
    }
    for run in contenders.values():
        run()  # warm up
    rates: dict[str, list[float]] = {name: [] for name in contenders}
    for round_no in range(args.rounds):
        print(f"round {round_no + 1}/{args.rounds}", file=sys.stderr, flush=True)
        for name, run in contenders.items():
            rates[name].append(run())
    medians = {name: statistics.median(values) for name, values in rates.items()}
    print(
        f"model {args.model.name}, {args.tokens} tokens, greedy, {args.threads} threads, median of {args.rounds}"
    )
    for name, rate in medians.items():
        print(f"{name:36} {rate:8.1f} tok/s")
    free, schema, first = medians.values()
    print(f"JSON schema / unconstrained:           {schema / free:.3f}x")
    print(f"JSON schema / grammar first (llama-cpp-python): {schema / first:.3f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
