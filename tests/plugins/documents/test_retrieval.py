"""Hybrid retrieval with the starter model's embeddings: a planted fact among 200 passages
is in the top 3 for at least 18 of 20 phrasings; fusion itself; keyword queries are safe."""

from __future__ import annotations

from pathlib import Path

from llamadesk.core.app import App
from llamadesk.core.models.collections import CollectionInfo, CollectionSearchResult
from llamadesk.plugins.documents.retrieval import fuse, keyword_query

from .planted import PHRASINGS, write_planted_folder


def top3_hits(app: App, mode: str) -> list[str]:
    """The phrasings whose top 3 passages hold the fact."""
    hits = []
    for question in PHRASINGS:
        found = app.commands.invoke(
            "collections.search", {"text": question, "collections": ["office"], "limit": 3, "mode": mode}
        )
        assert isinstance(found, CollectionSearchResult)
        if any(source.name == "note137.txt" for source in found.sources):
            hits.append(question)
    return hits


def test_a_planted_fact_is_found_by_keyword_or_by_meaning(docs_app: App, tmp_path: Path) -> None:
    write_planted_folder(tmp_path / "office")
    docs_app.commands.invoke("collections.add", {"name": "office", "folder": str(tmp_path / "office")})
    info = docs_app.commands.invoke("collections.index", {"name": "office"})
    assert isinstance(info, CollectionInfo) and info.chunks == info.embedded == 200
    hybrid = top3_hits(docs_app, "hybrid")
    missed = sorted(set(PHRASINGS) - set(hybrid))
    assert len(hybrid) >= 18, f"missed: {missed}"


def test_reciprocal_rank_fusion_rewards_agreement() -> None:
    keyword, vector = [1, 2, 3], [4, 1, 3]
    fused = [item for item, _score in fuse([keyword, vector], limit=4)]
    assert fused[:2] == [1, 3]  # in both lists
    assert set(fused[2:]) == {2, 4}


def test_keyword_queries_drop_stopwords_and_quote_everything() -> None:
    assert keyword_query('What is "invoice 4,812" AND x*?') == '"invoice" OR "4,812"'
    assert keyword_query("what is it?") is None
