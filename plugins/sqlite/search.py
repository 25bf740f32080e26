"""Full-text search: turning what a person typed into an FTS5 query, and a plan that stays fast.

Ranking every match with bm25 costs time in proportion to the matches: about
140 ms for a word found in 200,000 messages. So the search first asks FTS5 for
the rowid of the WINDOW-th newest match (walking the doclist backwards, cheap);
if there is one, only matches at or after it are ranked. Rare words (fewer
matches than the window) are ranked over the whole history. Ties in relevance
go to the newer message. Snippets are made only for the page returned.
"""

from __future__ import annotations

import re
import sqlite3

from llamadesk.core.errors import InvalidParams
from llamadesk.core.models.chat import Role
from llamadesk.core.models.chat_history import SearchHit, SearchMode, SearchPage, SearchQuery

from .rows import from_epoch

# Matches ranked for a query found in more messages than this: the newest ones.
WINDOW = 2000
SNIPPET_TOKENS = 16
WORD = re.compile(r"\w+", re.UNICODE)


def match_expression(text: str, mode: SearchMode) -> str:
    """An FTS5 MATCH string in which every word is quoted, so user text is never FTS syntax."""
    words = WORD.findall(text)
    if not words:
        raise InvalidParams(f"nothing to search for in {text!r}: type a word")
    if mode is SearchMode.PHRASE:
        return '"' + " ".join(words) + '"'
    terms = [f'"{word}"' for word in words]
    # One letter typed: a prefix query would match most of the index, so wait for the second.
    if mode is SearchMode.PREFIX and len(words[-1]) >= 2:
        terms[-1] += "*"
    return " ".join(terms)


def run_search(db: sqlite3.Connection, query: SearchQuery) -> SearchPage:
    match = match_expression(query.text, query.mode)
    start, end = query.highlight
    want = query.limit + 1  # one more than a page tells whether there is a next page

    if query.session_id is not None:
        ranked = db.execute(
            "SELECT f.rowid, bm25(messages_fts) AS score FROM messages_fts AS f "
            "JOIN messages AS m ON m.seq = f.rowid "
            "WHERE messages_fts MATCH ? AND m.session_id = ? "
            "ORDER BY score, f.rowid DESC LIMIT ? OFFSET ?",
            (match, query.session_id, want, query.offset),
        ).fetchall()
        window = None
    else:
        cutoff_row = db.execute(
            "SELECT rowid FROM messages_fts WHERE messages_fts MATCH ? ORDER BY rowid DESC LIMIT 1 OFFSET ?",
            (match, WINDOW - 1),
        ).fetchone()
        cutoff = cutoff_row[0] if cutoff_row else 0
        window = WINDOW if cutoff_row else None
        ranked = db.execute(
            "SELECT rowid, bm25(messages_fts) AS score FROM messages_fts "
            "WHERE messages_fts MATCH ? AND rowid >= ? ORDER BY score, rowid DESC LIMIT ? OFFSET ?",
            (match, cutoff, want, query.offset),
        ).fetchall()

    page = ranked[: query.limit]
    hits = _hits(db, match, page, start, end)
    return SearchPage(
        query=query.text,
        hits=hits,
        offset=query.offset,
        limit=query.limit,
        has_more=len(ranked) > query.limit,
        window=window,
    )


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
        hits.append(
            SearchHit(
                message_id=message_id,
                session_id=session_id,
                session_title=title,
                role=Role(role),
                snippet=snippets.get(seq, ""),
                created_at=from_epoch(created),
                score=score,
            )
        )
    return hits
