"""A year of chats for benchmarks/chat_search.py, written straight into the app's sqlite schema.

Words follow a natural distribution: function words that occur in most messages,
then a Zipf-distributed vocabulary of 60,000 content words. One long session
(LONG_SESSION messages) lands somewhere in the middle of the year; the other
sessions share the rest.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from llamadesk.plugins.sqlite import SQLiteChatStore

# Function words: in most messages, like in real text. 24 of them, so 20 pass "in half the messages".
FUNCTION_WORDS = [
    "the",
    "to",
    "and",
    "of",
    "a",
    "is",
    "in",
    "it",
    "you",
    "that",
    "for",
    "this",
    "with",
    "on",
    "be",
    "are",
    "as",
    "can",
    "not",
    "or",
    "if",
    "your",
    "have",
    "but",
]
FUNCTION_SHARE = 0.5  # of all tokens
CONSONANTS = "bcdfghjklmnprstvwz"
VOWELS = "aeiou"
VOCABULARY = 60_000
LONG_SESSION = 5_000


def make_vocabulary(rng: np.random.Generator) -> list[str]:
    """Pronounceable made-up words, distinct, 2 to 4 syllables."""
    words: set[str] = set(FUNCTION_WORDS)
    out: list[str] = []
    while len(out) < VOCABULARY:
        syllables = rng.integers(2, 5)
        word = "".join(CONSONANTS[rng.integers(18)] + VOWELS[rng.integers(5)] for _ in range(syllables))
        if rng.random() < 0.3:
            word += CONSONANTS[rng.integers(18)]
        if word not in words:
            words.add(word)
            out.append(word)
    return out


def sampler(weights: np.ndarray) -> Callable[[np.random.Generator, int], np.ndarray]:
    cdf = np.cumsum(weights / weights.sum())
    return lambda rng, n: np.minimum(np.searchsorted(cdf, rng.random(n)), len(cdf) - 1)


def generate(path: Path, messages: int, sessions: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    vocab = np.array(make_vocabulary(rng), dtype=object)
    function = np.array(FUNCTION_WORDS, dtype=object)
    content_ids = sampler(1.0 / np.arange(1, VOCABULARY + 1) ** 1.05)
    function_ids = sampler(1.0 / np.arange(1, len(function) + 1) ** 0.2)

    tmp = path.with_suffix(".tmp")
    for leftover in (tmp, tmp.with_name(tmp.name + "-wal"), tmp.with_name(tmp.name + "-shm")):
        leftover.unlink(missing_ok=True)
    SQLiteChatStore(tmp).close()  # the real schema, migrations and FTS triggers
    db = sqlite3.connect(tmp, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = OFF")

    # one long session for the open benchmark; the others share the remaining messages
    rest = rng.multinomial(messages - LONG_SESSION, [1 / (sessions - 1)] * (sessions - 1))
    per_session = [LONG_SESSION, *rest.tolist()]
    order = rng.permutation(sessions)  # the long one lands somewhere in the middle of time
    step = 365 * 86400 / messages
    clock = time.time() - 365 * 86400
    started = time.perf_counter()
    done = 0
    db.execute("BEGIN")
    for n, index in enumerate(order.tolist()):
        count = per_session[index]
        if not count:
            continue
        assistant = np.arange(count) % 2 == 1
        lengths = np.where(assistant, rng.integers(30, 150, count), rng.integers(8, 60, count))
        total = int(lengths.sum())
        is_function = rng.random(total) < FUNCTION_SHARE
        words = np.empty(total, dtype=object)
        words[is_function] = function[function_ids(rng, int(is_function.sum()))]
        words[~is_function] = vocab[content_ids(rng, int((~is_function).sum()))]
        bounds = np.cumsum(lengths)[:-1]
        session_id = f"s{index:06d}"
        rows = []
        parent = None
        for i, part in enumerate(np.split(words, bounds)):
            message_id = f"{session_id}-{i:05d}"
            rows.append(
                (
                    message_id,
                    session_id,
                    parent,
                    "assistant" if assistant[i] else "user",
                    " ".join(part).capitalize() + ".",
                    "complete",
                    clock,
                )
            )
            parent = message_id
            clock += step
        done += count
        db.execute(
            "INSERT INTO sessions (id, title, created_at, updated_at, active_leaf_id) VALUES (?, ?, ?, ?, ?)",
            (session_id, f"Chat {index}", rows[0][6], clock, parent),
        )
        db.executemany(
            "INSERT INTO messages (id, session_id, parent_id, role, content, state, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        if n % 1000 == 999:
            db.execute("COMMIT")
            db.execute("BEGIN")
            rate = done / (time.perf_counter() - started)
            print(f"  {done:,} messages ({rate:,.0f}/s)", flush=True)
    db.execute("COMMIT")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    tmp.rename(path)
