"""Full-text search: turning what a person typed into an FTS5 query, and a plan that stays fast.

FTS5's `bm25()` counts, for every phrase of the query, its matches over the
whole index (for the IDF): ~25 ms for a word in 750,000 of 1,000,000 messages,
more for a phrase of two such words. So one backwards walk of the index first
takes the WINDOW newest matches with `highlight()` (cheap: it stops there), and

- a query with at least WINDOW matches ranks those newest ones (the page says
  so in `window`);
- a query of one word or phrase with fewer ranks all of them;

both by BM25's term-frequency and length part, counting each candidate's
matches in its highlighted text. For one word or phrase that is exactly how
bm25 orders them: the IDF factor is the same for every match. Only a query of
several words, each rarer than WINDOW, is ranked by `bm25()` itself, whose
per-word IDF then matters and costs little.

Ties go to the newer message. Snippets are made for the page only.
"""

from __future__ import annotations

import re
import sqlite3

from llamadesk.core.errors import N_, InvalidParams
from llamadesk.core.models.chat import Role
from llamadesk.core.models.chat_history import SearchHit, SearchMode, SearchPage, SearchQuery

from .rows import ROLES, from_epoch

# Matches ranked, newest first, for a query containing a word or phrase found more often than this.
WINDOW = 500
SNIPPET_TOKENS = 16
WORD = re.compile(r"\w+", re.UNICODE)
BM25_K1 = 1.2
BM25_B = 0.75
MARK = "\x01"  # put around matches by highlight() to count them; never in text a person types


def query_phrases(text: str, mode: SearchMode) -> list[str]:
    """FTS5 phrases, every word quoted, so user text is never FTS syntax. The query is their AND."""
    words = WORD.findall(text)
    if not words:
        raise InvalidParams(N_("nothing to search for in {text!r}: type a word"), text=text)
    if mode is SearchMode.PHRASE:
        return ['"' + " ".join(words) + '"']
    phrases = [f'"{word}"' for word in words]
    # One letter typed: a prefix query would match most of the index, so wait for the second.
    if mode is SearchMode.PREFIX and len(words[-1]) >= 2:
        phrases[-1] += "*"
    return phrases


def match_expression(text: str, mode: SearchMode) -> str:
    return " ".join(query_phrases(text, mode))


def run_search(db: sqlite3.Connection, query: SearchQuery) -> SearchPage:
    phrases = query_phrases(query.text, query.mode)
    match = " ".join(phrases)
    window = None
    if query.session_id is not None:  # a few thousand messages at most: rank every match
        ranked = _rank_by_frequency(
            db,
            "SELECT f.rowid, highlight(messages_fts, 0, ?, '') FROM messages_fts AS f "
            "JOIN messages AS m ON m.seq = f.rowid WHERE messages_fts MATCH ? AND m.session_id = ?",
            (MARK, match, query.session_id),
        )
        return _page(db, query, match, ranked, window)
    # One backwards walk gives the WINDOW newest matches with their highlighted text.
    newest = db.execute(
        "SELECT rowid, highlight(messages_fts, 0, ?, '') FROM messages_fts WHERE messages_fts MATCH ? "
        "ORDER BY rowid DESC LIMIT ?",
        (MARK, match, WINDOW),
    ).fetchall()
    if len(newest) == WINDOW:  # a common query: rank its newest matches
        return _page(db, query, match, _score_by_frequency(newest), WINDOW)
    # These are all the matches. For one word or phrase, bm25's IDF is the same for every match,
    # so frequency and length rank them as bm25 does. For several, bm25 weighs rarer words higher:
    # use it, unless one of them alone is common (its IDF count would read its every match).
    if len(phrases) == 1 or any(_has_matches(db, phrase, WINDOW) for phrase in phrases):
        return _page(db, query, match, _score_by_frequency(newest), None)
    ranked = db.execute(
        "SELECT rowid, bm25(messages_fts) AS score FROM messages_fts WHERE messages_fts MATCH ? "
        "ORDER BY score, rowid DESC LIMIT ?",
        (match, query.offset + query.limit + 1),  # one more than the page: is there a next?
    ).fetchall()
    return _page(db, query, match, ranked, None)


def _page(
    db: sqlite3.Connection,
    query: SearchQuery,
    match: str,
    ranked: list[tuple[int, float]],
    window: int | None,
) -> SearchPage:
    page = ranked[query.offset : query.offset + query.limit]
    return SearchPage(
        query=query.text,
        hits=_hits(db, match, page, *query.highlight),
        offset=query.offset,
        limit=query.limit,
        has_more=len(ranked) > query.offset + query.limit,
        window=window,
    )


def _has_matches(db: sqlite3.Connection, match: str, n: int) -> bool:
    """Whether `match` has at least n matches (walks back from the newest; stops at the n-th)."""
    row = db.execute(
        "SELECT rowid FROM messages_fts WHERE messages_fts MATCH ? ORDER BY rowid DESC LIMIT 1 OFFSET ?",
        (match, n - 1),
    ).fetchone()
    return row is not None


def _rank_by_frequency(
    db: sqlite3.Connection, sql: str, params: tuple[object, ...]
) -> list[tuple[int, float]]:
    return _score_by_frequency(db.execute(sql, params).fetchall())


def _score_by_frequency(rows: list[tuple[int, str]]) -> list[tuple[int, float]]:
    """BM25's term-frequency and length part, from text whose matches start with MARK.

    Scores are negated (lower is better, as with bm25()); ties go to the newer message.
    """
    candidates = [(rowid, text.count(MARK), text.count(" ") + 1) for rowid, text in rows]
    if not candidates:
        return []
    average = sum(length for _, _, length in candidates) / len(candidates)
    scored = [
        (rowid, -tf * (BM25_K1 + 1) / (tf + BM25_K1 * (1 - BM25_B + BM25_B * length / average)))
        for rowid, tf, length in candidates
    ]
    scored.sort(key=lambda item: (item[1], -item[0]))
    return scored


def _hits(
    db: sqlite3.Connection, match: str, page: list[tuple[int, float]], start: str, end: str
) -> list[SearchHit]:
    if not page:
        return []
    seqs = [seq for seq, _score in page]
    marks = ",".join("?" * len(seqs))
    snippets = dict(
        db.execute(
            f"SELECT rowid, snippet(messages_fts, 0, ?, ?, '…', {SNIPPET_TOKENS}) FROM messages_fts "
            f"WHERE messages_fts MATCH ? AND rowid IN ({marks})",
            (start, end, match, *seqs),
        ).fetchall()
    )
    details = {
        row[0]: row[1:]
        for row in db.execute(
            "SELECT m.seq, m.id, m.session_id, s.title, m.role, m.created_at FROM messages AS m "
            f"JOIN sessions AS s ON s.id = m.session_id WHERE m.seq IN ({marks})",
            seqs,
        )
    }
    hits = []
    for seq, score in page:
        message_id, session_id, title, role, created = details[seq]
        role_value: Role = ROLES[role]
        hits.append(
            SearchHit(
                message_id=message_id,
                session_id=session_id,
                session_title=title,
                role=role_value,
                snippet=snippets.get(seq, ""),
                created_at=from_epoch(created),
                score=score,
            )
        )
    return hits
