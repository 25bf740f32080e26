"""`llamadesk search` and `llamadesk pull hf.co/...` in a real subprocess against the local hub."""

from __future__ import annotations

from pathlib import Path

from tests.cli.helpers import run_cli

from .conftest import GATED_REPO, STARTER_REPO, TINY_REPO
from .hub_server import HubServer


def test_search_prints_a_table(hub: HubServer, hf_env: Path, home: Path) -> None:
    done = run_cli("search", "--sort", "likes", home=home, env={"HF_ENDPOINT": hub.url})
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["MODEL", "DOWNLOADS", "LIKES", "MODIFIED"]
    assert [line.split()[0] for line in lines[1:4]] == [GATED_REPO, STARTER_REPO, TINY_REPO]
    assert "(gated)" in lines[1] and "2026-02-01" in lines[1]


def test_search_files_marks_the_recommendation(hub: HubServer, hf_env: Path, home: Path) -> None:
    done = run_cli("search", "--files", f"hf.co/{TINY_REPO}", home=home, env={"HF_ENDPOINT": hub.url})
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Q6_K" in out and "(3 files)" in out
    assert "projector: mmproj-tinyllama-f16.gguf" in out
    starred = [line for line in out.splitlines() if line.startswith("* ")]
    assert len(starred) == 2  # the marked choice, and the reason under the list
    assert f"llamadesk pull hf.co/{TINY_REPO}:" in out


def test_cli_pull_from_hugging_face(hub: HubServer, hf_env: Path, home: Path) -> None:
    env = {"HF_ENDPOINT": hub.url}
    done = run_cli("pull", f"hf.co/{TINY_REPO}:Q4_K_M", home=home, env=env)
    assert done.returncode == 0, done.stderr
    assert f"pulled hf.co/{TINY_REPO}:Q4_K_M" in done.stdout
    listed = run_cli("list", home=home, env=env)
    assert f"hf.co/{TINY_REPO}:Q4_K_M" in listed.stdout

    gated = run_cli("pull", f"hf.co/{GATED_REPO}", home=home, env=env)
    assert gated.returncode == 1
    assert "is gated" in gated.stderr and "hf auth login" in gated.stderr
    assert "Traceback" not in gated.stderr
