"""`llamadesk remote add/list/models/remove`, run as a user runs it, against a real server."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.helpers import run_cli

from .conftest import SERVER_KEY, RunningServer, free_port


def test_add_list_models_remove(home: Path, llama_cpp_server: RunningServer) -> None:
    added = run_cli("remote", "add", "box", llama_cpp_server.base_url, "--key", SERVER_KEY, home=home)
    assert added.returncode == 0, added.stderr
    assert "added remote box" in added.stdout and "@box/smollm2" in added.stdout

    listed = run_cli("remote", "list", home=home)
    assert listed.stdout.strip() == f"box  {llama_cpp_server.base_url}  (key set)"
    assert SERVER_KEY not in run_cli("remote", "--json", "list", home=home).stdout

    models = json.loads(run_cli("remote", "--json", "models", home=home).stdout)
    assert models["models"] == [{"id": "@box/smollm2", "remote": "box", "remote_model": "smollm2"}]

    again = run_cli("remote", "add", "box", llama_cpp_server.base_url, home=home)
    assert again.returncode == 1 and "exists" in again.stderr

    assert run_cli("remote", "remove", "box", home=home).returncode == 0
    assert run_cli("remote", "list", home=home).stdout.strip() == ""


def test_add_checks_the_server_first(home: Path, llama_cpp_server: RunningServer) -> None:
    wrong_key = run_cli("remote", "add", "box", llama_cpp_server.base_url, "--key", "nope", home=home)
    assert wrong_key.returncode == 1 and "API key" in wrong_key.stderr and "Traceback" not in wrong_key.stderr
    gone = f"http://127.0.0.1:{free_port()}/v1"
    assert run_cli("remote", "add", "gone", gone, home=home).returncode == 1
    assert run_cli("remote", "list", home=home).stdout.strip() == ""
    # Saved anyway on request; its models are then reported unreachable, not fatal.
    assert run_cli("remote", "add", "gone", gone, "--no-check", home=home).returncode == 0
    models = run_cli("remote", "models", home=home)
    assert models.returncode == 0 and "unreachable: gone" in models.stdout


def test_bad_names_and_urls_are_refused(home: Path) -> None:
    bad_name = run_cli("remote", "add", "Big Box", "http://x/v1", "--no-check", home=home)
    assert bad_name.returncode == 1 and "name" in bad_name.stderr
    bad_url = run_cli("remote", "add", "box", "ftp://x", "--no-check", home=home)
    assert bad_url.returncode == 1 and "http" in bad_url.stderr
