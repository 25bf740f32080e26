"""The chat.* commands through the command table, with the default SQLite store (no model needed)."""

from __future__ import annotations

import json

import pytest

from llamadesk.core.app import App
from llamadesk.core.commands import CommandError


def tree_export(session_id: str = "s1", title: str = "Imported") -> str:
    """A small exported chat: q -> (a1 | a2), a2 -> q2 -> a3, shown branch ending at a3."""
    t = "2026-01-01T00:00:00Z"

    def msg(i, parent, role, content):
        return {
            "id": i,
            "session_id": session_id,
            "parent_id": parent,
            "role": role,
            "content": content,
            "created_at": t,
        }

    return json.dumps(
        {
            "format": "llamadesk.chat",
            "version": 1,
            "session": {
                "id": session_id,
                "title": title,
                "created_at": t,
                "updated_at": t,
                "model": "starter",
                "active_leaf_id": "a3",
            },
            "messages": [
                msg("q", None, "user", "what is a llama"),
                msg("a1", "q", "assistant", "a camelid"),
                msg("a2", "q", "assistant", "a South American camelid"),
                msg("q2", "a2", "user", "and an alpaca"),
                msg("a3", "q2", "assistant", "a smaller cousin"),
            ],
        }
    )


def invoke(app: App, command: str, **params):
    return app.commands.invoke(command, params).model_dump(mode="json")


def test_sessions_lifecycle(app: App) -> None:
    made = invoke(app, "chat.new", model="starter", preset="coder")
    assert made["title"] == "New chat" and "programmer" in made["system_prompt"]
    invoke(app, "chat.rename", session_id=made["id"], title="Code help")
    invoke(app, "chat.update", session_id=made["id"], pinned=True)
    other = invoke(app, "chat.new", title="Second")
    page = invoke(app, "chat.list")
    assert [s["title"] for s in page["sessions"]] == ["Code help", "Second"]
    assert page["total"] == 2
    invoke(app, "chat.update", session_id=other["id"], archived=True)
    assert invoke(app, "chat.list")["total"] == 1
    assert invoke(app, "chat.list", include_archived=True)["total"] == 2
    invoke(app, "chat.delete", session_id=made["id"])
    with pytest.raises(CommandError) as error:
        invoke(app, "chat.get", session_id=made["id"])
    assert error.value.code == "not_found"


def test_get_switch_edit_and_paging(app: App) -> None:
    invoke(app, "chat.import", content=tree_export())
    shown = invoke(app, "chat.get", session_id="s1")
    assert [m["id"] for m in shown["messages"]] == ["q", "a2", "q2", "a3"]
    assert shown["siblings"] == {"a2": ["a1", "a2"]}
    assert shown["total"] == 4

    tail = invoke(app, "chat.get", session_id="s1", limit=2)
    assert [m["id"] for m in tail["messages"]] == ["q2", "a3"] and tail["total"] == 4
    back = invoke(app, "chat.get", session_id="s1", limit=2, before_id="q2")
    assert [m["id"] for m in back["messages"]] == ["q", "a2"]

    switched = invoke(app, "chat.switch_branch", session_id="s1", message_id="a1")
    assert [m["id"] for m in switched["messages"]] == ["q", "a1"]

    edited = invoke(
        app, "chat.edit", session_id="s1", message_id="a1", content="a camel's cousin", generate=False
    )
    assert edited["reply"] is None
    shown = invoke(app, "chat.get", session_id="s1")
    assert [m["content"] for m in shown["messages"]] == ["what is a llama", "a camel's cousin"]
    assert shown["siblings"][edited["edited"]["id"]] == ["a1", "a2", edited["edited"]["id"]]


def test_search_export_import(app: App, tmp_path) -> None:
    invoke(app, "chat.import", content=tree_export())
    hits = invoke(app, "chat.search", text="camelid")["hits"]
    assert {h["message_id"] for h in hits} == {"a1", "a2"}
    assert hits[0]["message_id"] == "a1"  # shorter message, more relevant
    assert "<mark>camelid</mark>" in hits[0]["snippet"]
    assert invoke(app, "chat.search", text="alp", mode="prefix")["hits"][0]["message_id"] == "q2"

    target = tmp_path / "chat.json"
    exported = invoke(app, "chat.export", session_id="s1", format="json", path=str(target))
    assert json.loads(target.read_text()) == json.loads(exported["content"])
    copy = invoke(app, "chat.import", path=str(target))
    assert copy["id"] != "s1" and copy["title"] == "Imported"
    markdown = invoke(app, "chat.export", session_id=copy["id"])["content"]
    assert "a smaller cousin" in markdown and "a camelid\n" not in markdown

    with pytest.raises(CommandError) as error:
        invoke(app, "chat.import", path=str(tmp_path / "missing.json"))
    assert error.value.code == "not_found"
    with pytest.raises(CommandError) as error:
        invoke(app, "chat.import")
    assert error.value.code == "invalid_params"


def test_presets_title_and_stop(app: App) -> None:
    names = [p["name"] for p in invoke(app, "chat.presets")["presets"]]
    assert names == ["balanced", "precise", "creative", "coder"]
    invoke(app, "chat.preset_save", name="terse", system_prompt="One line.", sampling={"temperature": 0.1})
    assert invoke(app, "chat.presets")["presets"][-1]["name"] == "terse"
    with pytest.raises(CommandError) as error:
        invoke(app, "chat.preset_save", name="coder")
    assert error.value.code == "already_exists"
    with pytest.raises(CommandError) as error:
        invoke(app, "chat.preset_save", name="x", colour="red")
    assert error.value.code == "invalid_params"
    invoke(app, "chat.preset_delete", name="terse")

    session = invoke(app, "chat.new")
    assert invoke(app, "chat.title", session_id=session["id"], title="Mine")["title"] == "Mine"
    assert invoke(app, "chat.stop", session_id=session["id"]) == {"stopped": False}
    with pytest.raises(CommandError) as error:
        invoke(app, "chat.send", session_id=session["id"], content="hi")  # no model chosen
    assert error.value.code == "invalid_params"
    with pytest.raises(CommandError) as error:
        invoke(app, "chat.send", content="hi")  # neither a chat nor a model
    assert error.value.code == "invalid_params"
    assert invoke(app, "chat.list")["total"] == 1  # no empty chat left behind


def test_corrupt_database_is_a_notice_and_a_fresh_start(paths) -> None:
    paths.data_dir.mkdir(parents=True)
    (paths.data_dir / "chats.db").write_bytes(b"\x00garbage" * 1000)
    app = App(paths, load_entrypoints=False).start()
    try:
        notices = invoke(app, "system.info")["notices"]
        assert any("chat history database could not be read" in n for n in notices)
        assert invoke(app, "chat.list")["total"] == 0
        assert list(paths.data_dir.glob("chats.db.corrupt-*"))
    finally:
        app.close()


def test_an_answer_is_rated_kept_and_exported(app: App) -> None:
    session = invoke(app, "chat.import", content=tree_export("rated", "Rated"))
    sid = session["id"]
    rated = invoke(app, "chat.rate", session_id=sid, message_id="a3", rating="up")
    assert rated["rating"] == "up"
    shown = invoke(app, "chat.get", session_id=sid)
    assert shown["messages"][-1]["rating"] == "up"
    exported = invoke(app, "chat.export", session_id=sid, format="markdown")["content"]
    assert "## Assistant 👍" in exported
    document = json.loads(invoke(app, "chat.export", session_id=sid, format="json")["content"])
    assert next(m for m in document["messages"] if m["id"] == "a3")["rating"] == "up"
    invoke(app, "chat.rate", session_id=sid, message_id="a3", rating="down")
    assert invoke(app, "chat.get", session_id=sid)["messages"][-1]["rating"] == "down"
    invoke(app, "chat.rate", session_id=sid, message_id="a3", rating=None)  # taken back
    assert invoke(app, "chat.get", session_id=sid)["messages"][-1]["rating"] is None
    with pytest.raises(CommandError) as refused:
        invoke(app, "chat.rate", session_id=sid, message_id="q2", rating="up")
    assert refused.value.code == "invalid_params" and "only answers" in refused.value.message
