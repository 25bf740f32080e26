"""Hybrid search: keywords (FTS5, BM25) and meaning (vectors), fused by rank.

Small embedding models miss exact names and numbers ("invoice 4812"); keyword search
misses a question worded differently from the text. Reciprocal rank fusion takes the
best of each without comparing their scores: a passage scores the sum of 1 / (60 + its
rank) over the lists it is in (Cormack, Clarke and Buettcher, 2009), so one ranked
first by either list comes near the top, and one ranked well by both comes first.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence

from llamadesk.core.models.collections import SearchMode

from .store import IndexStore
from .vectors import VectorCache

log = logging.getLogger(__name__)

RRF_K = 60
CANDIDATES = 50  # taken from each list before fusing

# Words that say nothing about which passage answers: left out of the keyword query, so
# a question's "what", "the", "is" do not rank every passage.
_STOPWORD_TEXT = """
a about above after again all am an and any are as at be been before being below between both
but by can could did do does doing down during each few for from further had has have having he
her here hers herself him himself his how i if in into is it its itself just me might more most
must my myself no nor not now of off on once only or other our ours ourselves out over own same
shall she should so some such than that the their theirs them themselves then there these they
this those through to too under until up upon us very was we were what when where which while who
whom whose why will with within would you your yours yourself yourselves tell please say said
doesn't don't give find show know
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())
# A word: letters and digits, joined inside by . , ' - (4,812 / 3.5 / o'neil / x-ray).
WORD = re.compile(r"\w+(?:[.,'\u2019-]\w+)*")


def keyword_query(text: str) -> str | None:
    """An FTS5 query matching any of the text's words but stopwords, each quoted (so nothing
    a user types is FTS syntax); None when no word is left."""
    words: list[str] = []
    for word in WORD.findall(text):
        lowered = word.lower()
        if lowered in STOPWORDS or lowered in words or (len(lowered) == 1 and not lowered.isdigit()):
            continue
        words.append(lowered)
    if not words:
        return None
    return " OR ".join('"' + word.replace('"', '""') + '"' for word in words)


def fuse(rankings: Sequence[Sequence[int]], limit: int, k: int = RRF_K) -> list[tuple[int, float]]:
    """Reciprocal rank fusion: (id, score) best first; ties keep the first list's order."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    order = {item: index for index, item in enumerate(i for ranking in rankings for i in ranking)}
    best = sorted(scores.items(), key=lambda pair: (-pair[1], order[pair[0]]))
    return best[:limit]


class Retriever:
    def __init__(
        self,
        store: IndexStore,
        vectors: VectorCache,
        embed_query: Callable[[str], Sequence[float] | None],
        model: Callable[[], str],
    ) -> None:
        """`embed_query` gives the question's vector, or None when search by meaning is not
        available now (no model set, the model fails): then keywords alone rank."""
        self._store = store
        self._vectors = vectors
        self._embed_query = embed_query
        self._model = model

    def search(
        self,
        collection_ids: Sequence[int],
        question: str,
        limit: int,
        *,
        mode: SearchMode = SearchMode.HYBRID,
        file_id: int | None = None,
    ) -> list[tuple[int, float]]:
        """(passage id, score) best first, at most `limit`."""
        if not collection_ids:
            return []
        rankings: list[list[int]] = []
        if mode is not SearchMode.VECTOR:
            match = keyword_query(question)
            if match is not None:
                rankings.append(self._store.keyword_ranked(collection_ids, match, CANDIDATES, file_id))
        if mode is not SearchMode.KEYWORD:
            model = self._model()
            query = self._embed_query(question) if model else None
            if query is not None:
                rankings.append(self._vectors.ranked(collection_ids, model, query, CANDIDATES, file_id))
        return fuse(rankings, limit)
