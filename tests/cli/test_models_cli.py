"""`llamadesk import/list/show/rm/cp` as a user runs them (pull and push: tests/plugins/oci)."""

from __future__ import annotations

import json
from pathlib import Path

from .helpers import run_cli


def test_import_list_show_rm(home: Path, starter_model: Path) -> None:
    done = run_cli("import", str(starter_model), "--in-place", home=home)
    assert done.returncode == 0, done.stderr
    assert "imported smollm2-135m-instruct:q4_1" in done.stdout and "in place" in done.stdout

    listing = run_cli("list", home=home)
    assert listing.returncode == 0
    assert listing.stdout.splitlines()[0].split() == ["NAME", "ID", "SIZE", "MODIFIED"]
    assert "smollm2-135m-instruct:q4_1" in listing.stdout and "98.4 MB" in listing.stdout

    shown = run_cli("show", "smollm2-135m-instruct:q4_1", home=home)
    assert shown.returncode == 0
    assert "llama" in shown.stdout and "Q4_1" in shown.stdout and "8192" in shown.stdout
    details = json.loads(run_cli("show", "smollm2-135m-instruct:q4_1", "--json", home=home).stdout)
    assert details["gguf"]["block_count"] == 30 and details["files"] == [str(starter_model.resolve())]

    assert run_cli("cp", "smollm2-135m-instruct:q4_1", "other", home=home).returncode == 0
    removed = run_cli("rm", "smollm2-135m-instruct:q4_1", home=home)
    assert removed.returncode == 0 and "deleted" in removed.stdout
    assert json.loads(run_cli("list", "--json", home=home).stdout)["models"][0]["reference"] == "other:latest"
    assert starter_model.exists()


def test_import_by_copy_with_json_events(home: Path, starter_model: Path) -> None:
    done = run_cli("import", str(starter_model), "--name", "mine:q4", "--json", home=home)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert lines[0]["kind"] == "pull" and lines[0]["phase"] == "copying"
    assert lines[-1] == {
        "reference": "mine:q4",
        "in_place": False,
        "files": lines[-1]["files"],
        "size": starter_model.stat().st_size,
    }


def test_list_and_show_mark_a_model_with_a_missing_blob(home: Path, starter_model: Path) -> None:
    assert run_cli("import", str(starter_model), "--name", "mine:q4", home=home).returncode == 0
    details = json.loads(run_cli("show", "mine:q4", "--json", home=home).stdout)
    Path(details["files"][0]).unlink()  # the GGUF blob, deleted behind the library's back

    listing = run_cli("list", home=home)
    assert listing.returncode == 0 and "mine:q4" in listing.stdout
    assert "warning: mine:q4: incomplete" in listing.stdout
    shown = run_cli("show", "mine:q4", home=home)
    assert shown.returncode == 0, shown.stderr
    assert "incomplete" in shown.stdout and details["layers"][1]["digest"] in shown.stdout


def test_user_mistakes_are_one_line_errors(home: Path, tmp_path: Path) -> None:
    for args, message in [
        (("show", "nope"), "error: model nope:latest is not in the library"),
        (("pull", "../../etc/passwd"), "error: "),
        (("rm", "a b"), "error: "),
        (("import", str(tmp_path / "missing.gguf")), "does not exist"),
    ]:
        done = run_cli(*args, home=home)
        assert done.returncode == 1, args
        assert message in done.stderr and "Traceback" not in done.stderr, done.stderr
