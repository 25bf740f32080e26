"""`llamadesk self-test` from the installed package (the bundle's own run is in tests/packaging)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.helpers import run_cli

pytestmark = pytest.mark.slow  # loads the real starter model


def test_self_test_passes_with_the_starter_model(home: Path, starter_model: Path) -> None:
    done = run_cli("self-test", "--json", "--model", str(starter_model), home=home, timeout=180)
    report = json.loads(done.stdout)
    assert done.returncode == 0 and report["passed"], done.stdout + done.stderr
    assert report["frozen"] is False
    checks = {check["name"]: check for check in report["checks"]}
    assert checks["worker process"]["outcome"] == "ok"
    assert checks["generation"]["outcome"] == "ok" and checks["generation"]["data"]["tokens"] >= 1
    assert checks["metadata"]["detail"].startswith("llamadesk ")
    assert not (home / "config").exists(), "the self-test runs in a throwaway home"


def test_flag_spelling_prints_a_summary(home: Path) -> None:
    done = run_cli("--self-test", home=home, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1].startswith("self-test passed")
    assert "skip   generation" not in done.stdout  # no model, no generation check


def test_missing_model_file_is_one_clear_line(home: Path, tmp_path: Path) -> None:
    done = run_cli("self-test", "--model", str(tmp_path / "nope.gguf"), home=home)
    assert done.returncode == 1
    assert done.stderr.strip() == f"error: no model file at {tmp_path / 'nope.gguf'}"


def test_a_failing_check_makes_the_exit_code_non_zero(home: Path, tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.gguf"
    bogus.write_bytes(b"\0" * 4096)
    done = run_cli("self-test", "--model", str(bogus), home=home, timeout=180)
    assert done.returncode == 1
    assert "FAILED generation" in done.stdout
    assert done.stdout.splitlines()[-1].startswith("self-test FAILED")
