"""`llamadesk chats`: list, search, show, export and import, as a user runs them."""

from __future__ import annotations

import json

from tests.cli.helpers import run_cli
from tests.core.chat.test_chat_commands import tree_export


def test_chats_import_list_search_show_export(tmp_path) -> None:
    home = tmp_path / "home"
    source = tmp_path / "export.json"
    source.write_text(tree_export(title="Llamas"))

    imported = run_cli("chats", "import", str(source), home=home)
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.startswith("imported s1  Llamas")

    listed = run_cli("chats", home=home)
    assert listed.returncode == 0 and "s1" in listed.stdout and "Llamas" in listed.stdout
    as_json = json.loads(run_cli("chats", "--json", "list", home=home).stdout)
    assert as_json["total"] == 1

    found = run_cli("chats", "search", "alpaca", home=home)
    assert "[alpaca]" in found.stdout and "Llamas" in found.stdout
    typed = run_cli("chats", "search", "--prefix", "alp", home=home)
    assert "[alpaca]" in typed.stdout
    nothing = run_cli("chats", "search", "zebra", home=home)
    assert nothing.returncode == 0 and "no matches" in nothing.stderr

    shown = run_cli("chats", "show", "s1", home=home)
    assert shown.stdout.startswith("# Llamas") and "a smaller cousin" in shown.stdout

    target = tmp_path / "out.json"
    saved = run_cli("chats", "export", "s1", "--format", "json", "-o", str(target), home=home)
    assert saved.returncode == 0 and json.loads(target.read_text())["session"]["id"] == "s1"

    missing = run_cli("chats", "show", "nope", home=home)
    assert missing.returncode == 1 and missing.stderr.startswith("error: no chat 'nope'")
