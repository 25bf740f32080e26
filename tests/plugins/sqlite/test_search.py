"""FTS5 search: triggers keep it in sync, ranking, recency tie-break, snippets, modes, the window."""

from __future__ import annotations

import pytest

from llamadesk.core.errors import InvalidParams
from llamadesk.core.models.chat_history import SearchMode, SearchQuery
from llamadesk.plugins.sqlite import SQLiteChatStore, search

from .conftest import add_message, make_session


def texts(store: SQLiteChatStore, text: str, **kw) -> list[str]:
    page = store.search(SearchQuery(text=text, **kw))
    by_id = {
        m.id: m.content
        for s in store.list_sessions(offset=0, limit=999, include_archived=True).sessions
        for m in store.get_tree(s.id)
    }
    return [by_id[h.message_id] for h in page.hits]


def test_more_relevant_first_and_newer_first_on_ties(store: SQLiteChatStore) -> None:
    session = make_session(store, "Zoo")
    add_message(store, session, "one llama among many other animals in a very long sentence about a zoo")
    add_message(store, session, "llama llama llama")
    add_message(store, session, "a short llama")
    add_message(store, session, "a short llama")  # same score as the previous one: newer first
    page = store.search(SearchQuery(text="llama"))
    assert [h.snippet for h in page.hits][:1] == ["<mark>llama</mark> <mark>llama</mark> <mark>llama</mark>"]
    ids = [h.message_id for h in page.hits]
    tree = store.get_tree(session.id)
    assert ids[1:3] == [tree[3].id, tree[2].id]
    assert ids[3] == tree[0].id
    assert page.hits[0].session_title == "Zoo"
    assert page.window is None


def test_index_follows_updates_and_deletes(store: SQLiteChatStore) -> None:
    session = make_session(store)
    message = add_message(store, session, "first draft")
    store.save_message(message.model_copy(update={"content": "final version"}))
    assert texts(store, "draft") == []
    assert texts(store, "final") == ["final version"]
    store.delete_session(session.id)
    assert texts(store, "final") == []


def test_words_phrase_and_prefix_modes(store: SQLiteChatStore) -> None:
    session = make_session(store)
    add_message(store, session, "the quick brown fox")
    add_message(store, session, "brown and quick")
    assert sorted(texts(store, "quick brown")) == ["brown and quick", "the quick brown fox"]
    assert texts(store, "quick brown", mode=SearchMode.PHRASE) == ["the quick brown fox"]
    assert texts(store, "the qui", mode=SearchMode.PREFIX) == ["the quick brown fox"]
    assert texts(store, "qui") == []  # not a prefix search: a whole word is needed


def test_user_text_is_never_fts_syntax(store: SQLiteChatStore) -> None:
    session = make_session(store)
    add_message(store, session, "what does NOT OR AND mean near (parens)")
    assert texts(store, 'NOT OR "AND') == ["what does NOT OR AND mean near (parens)"]
    assert texts(store, "near(parens") == ["what does NOT OR AND mean near (parens)"]
    with pytest.raises(InvalidParams):
        store.search(SearchQuery(text="!!! ???"))


def test_diacritics_and_case_are_folded(store: SQLiteChatStore) -> None:
    session = make_session(store)
    add_message(store, session, "Crème Brûlée recipe")
    assert texts(store, "creme brulee") == ["Crème Brûlée recipe"]


def test_paging_and_session_filter(store: SQLiteChatStore) -> None:
    one, two = make_session(store), make_session(store)
    for i in range(5):
        add_message(store, one, f"kiwi number {i}")
    add_message(store, two, "kiwi elsewhere")
    first = store.search(SearchQuery(text="kiwi", limit=4))
    second = store.search(SearchQuery(text="kiwi", limit=4, offset=4))
    assert first.has_more and not second.has_more
    assert len({h.message_id for h in first.hits + second.hits}) == 6
    scoped = store.search(SearchQuery(text="kiwi", session_id=two.id))
    assert [h.session_id for h in scoped.hits] == [two.id]


def test_custom_highlight_markers(store: SQLiteChatStore) -> None:
    session = make_session(store)
    add_message(store, session, "mark me")
    hit = store.search(SearchQuery(text="mark", highlight=("[", "]"))).hits[0]
    assert hit.snippet == "[mark] me"


def test_common_words_rank_only_the_newest_window(store: SQLiteChatStore, monkeypatch) -> None:
    monkeypatch.setattr(search, "WINDOW", 10)
    session = make_session(store)
    # The best match for "common" is old; twenty newer, weaker matches push it out of the window.
    add_message(store, session, "common common common")
    for i in range(20):
        add_message(store, session, f"common word in message number {i} with padding text")
    page = store.search(SearchQuery(text="common", limit=50))
    assert page.window == 10
    assert len(page.hits) == 10
    assert all("number" in h.snippet for h in page.hits)
    rare = store.search(SearchQuery(text="padding", limit=50))
    assert rare.window is None or len(rare.hits) == 10


def test_window_ranks_by_frequency_and_length_then_recency(store: SQLiteChatStore, monkeypatch) -> None:
    monkeypatch.setattr(search, "WINDOW", 3)
    session = make_session(store)
    add_message(store, session, "kiwi kiwi")  # the best match, but older than the window
    longer = add_message(store, session, "kiwi and many other words here")
    older = add_message(store, session, "kiwi")
    newer = add_message(store, session, "kiwi")
    page = store.search(SearchQuery(text="kiwi"))
    assert page.window == 3
    assert [h.message_id for h in page.hits] == [newer.id, older.id, longer.id]
    assert page.hits[0].score < page.hits[2].score  # lower is better, as with bm25
    scoped = store.search(SearchQuery(text="kiwi", session_id=session.id))
    assert scoped.hits[0].snippet == "<mark>kiwi</mark> <mark>kiwi</mark>"
