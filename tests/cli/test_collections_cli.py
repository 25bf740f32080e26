"""`llamadesk collections ...` and `llamadesk run --file/--collection` as a user types them,
with the real starter model for embeddings and answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.plugins.documents.files import write_pdf

from .helpers import run_cli

pytestmark = pytest.mark.slow  # loads the real starter model

HANG_GUARD_S = 300
ARGS = ("--context-size", "1024", "--threads", "2", "--temperature", "0", "--max-tokens", "4")


def test_a_collection_from_the_command_line(home: Path, starter_model: Path, tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    write_pdf(folder / "report.pdf", ["Revenue grew in spring.", "The warehouse moved to Leeds in May."])
    (folder / "data.bin").write_bytes(bytes(range(256)) * 8)
    set_model = run_cli("config", "set", "documents.embedding_model", str(starter_model), home=home)
    assert set_model.returncode == 0, set_model.stderr
    added = run_cli("collections", "add", "notes", str(folder), home=home, timeout=HANG_GUARD_S)
    assert added.returncode == 0, added.stderr
    assert "notes\tready\t1 files, 2 passages (2 embedded), 1 left out" in added.stdout
    assert "notes: " in added.stderr  # progress lines
    problems = run_cli("collections", "problems", "notes", home=home)
    assert "data.bin\t" in problems.stdout and "1 files left out" in problems.stdout
    found = run_cli(
        "collections", "--json", "search", "warehouse Leeds", "-c", "notes", home=home, timeout=HANG_GUARD_S
    )
    assert json.loads(found.stdout)["sources"][0]["page"] == 2
    answered = run_cli(
        "run", str(starter_model), "Where did the warehouse move?", "--collection", "notes", *ARGS,
        home=home, timeout=HANG_GUARD_S,
    )  # fmt: skip
    assert answered.returncode == 0, answered.stderr
    assert "[1] report.pdf, page 2" in answered.stderr
    removed = run_cli("collections", "rm", "notes", home=home)
    assert removed.returncode == 0 and (folder / "report.pdf").exists()
    unknown = run_cli("collections", "status", "notes", home=home)
    assert unknown.returncode != 0 and "no collection named 'notes'" in unknown.stderr


def test_run_with_attached_files(home: Path, starter_model: Path, tmp_path: Path) -> None:
    plan = tmp_path / "plan.md"
    plan.write_text("# Plan\n\nThe launch is on the ninth of March.\n")
    code = tmp_path / "tool.py"
    code.write_text("def answer():\n    return 42\n")
    done = run_cli(
        "run", str(starter_model), "When is the launch?", "--file", str(plan), "--file", str(code), *ARGS,
        home=home, timeout=HANG_GUARD_S,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "attached: plan.md · " in done.stderr and "attached: tool.py · " in done.stderr
    bad = run_cli("run", str(starter_model), "hi", "--file", str(tmp_path / "gone.txt"), *ARGS, home=home)
    assert bad.returncode != 0 and "gone.txt" in bad.stderr
