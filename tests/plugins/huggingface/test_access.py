"""Gated and private repos, tokens (env and `hf auth login`), mirrors and proxies."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import traceback
from pathlib import Path

import pytest

from llamadesk.core.app import App
from llamadesk.core.commands import CommandError
from tests.cli.helpers import run_cli

from .conftest import GATED_REPO, PRIVATE_REPO, TINY_REPO, TOKEN
from .hub_server import HubServer

WRONG_TOKEN = "hf_wrongSECRETtoken9876543210fedcba"


def files_error(app: App, repo: str) -> CommandError:
    with pytest.raises(CommandError) as caught:
        app.commands.invoke("hub.files", {"repo": repo})
    return caught.value


def test_gated_repo_without_token_says_what_to_do(hub_app: App, hub: HubServer) -> None:
    error = files_error(hub_app, GATED_REPO)
    assert error.code == "auth_required"
    assert f"{hub.url}/{GATED_REPO}" in error.message  # where to accept the terms
    assert "hf auth login" in error.message and "HF_TOKEN" in error.message
    assert not any("authorization" in r.headers for r in hub.requests)


def test_token_from_env_opens_gated_and_private_repos(
    hub_app: App, hub: HubServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    result = hub_app.commands.invoke("hub.files", {"repo": GATED_REPO}).model_dump()
    assert result["gated"] is True and [c["name"] for c in result["choices"]] == ["Q4_K_M"]
    result = hub_app.commands.invoke("hub.files", {"repo": PRIVATE_REPO}).model_dump()
    assert [c["name"] for c in result["choices"]] == ["Q8_0"]
    assert {r.headers.get("authorization") for r in hub.requests} == {f"Bearer {TOKEN}"}


def test_token_never_appears_in_errors_or_logs(
    hub_app: App, hub: HubServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("HF_TOKEN", WRONG_TOKEN)
    monkeypatch.setenv("HF_DEBUG", "1")
    caplog.set_level(logging.DEBUG)
    errors = [files_error(hub_app, GATED_REPO), files_error(hub_app, PRIVATE_REPO)]
    assert errors[0].code == "auth_required" and "no access" in errors[0].message
    assert errors[1].code == "not_found" and "token" in errors[1].message
    hub.cut_after["tinyllama-Q4_K_M.gguf"] = 0  # header reads fail mid-way too
    hub_app.commands.invoke("hub.files", {"repo": TINY_REPO})
    for error in errors:
        # The error as clients get it, and the whole chain of causes a log would print.
        text = error.info.model_dump_json() + "".join(traceback.format_exception(error))
        assert WRONG_TOKEN not in text
    assert caplog.records  # huggingface_hub and we did log at debug level
    assert WRONG_TOKEN not in caplog.text
    assert any(r.headers.get("authorization") == f"Bearer {WRONG_TOKEN}" for r in hub.requests)


def test_cli_never_prints_the_token(hub: HubServer, hf_env: Path, home: Path) -> None:
    env = {"HF_TOKEN": WRONG_TOKEN, "HF_ENDPOINT": hub.url, "HF_DEBUG": "1", "HF_HOME": str(hf_env)}
    done = run_cli("-v", "search", "--files", GATED_REPO, home=home, env=env)
    assert done.returncode == 1
    assert "gated" in done.stderr and "error:" in done.stderr
    assert WRONG_TOKEN not in done.stdout + done.stderr
    assert "Traceback" not in done.stderr


def test_token_saved_by_hf_auth_login(hub: HubServer, hf_env: Path, home: Path) -> None:
    env = {"HF_ENDPOINT": hub.url, "HF_HOME": str(hf_env), "NO_PROXY": "127.0.0.1"}
    login = subprocess.run(
        [str(Path(sys.executable).parent / "hf"), "auth", "login", "--token", TOKEN],
        capture_output=True,
        text=True,
        env={**_base_env(), **env},
        timeout=120,
        check=False,
    )
    assert login.returncode == 0, login.stdout + login.stderr
    assert (hf_env / "token").read_text().strip() == TOKEN
    done = run_cli("search", "--files", GATED_REPO, "--json", home=home, env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["choices"][0]["name"] == "Q4_K_M"
    assert TOKEN not in done.stdout + done.stderr


def test_mirror_from_hf_endpoint_env(
    paths, hub: HubServer, hf_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_ENDPOINT", hub.url)  # no hf_endpoint setting: the env decides
    with App(paths, load_entrypoints=False) as app:
        models = app.commands.invoke("hub.search", {"query": "tiny"}).model_dump()["models"]
    assert [m["repo_id"] for m in models] == [TINY_REPO]


def test_proxy_setting_routes_hub_requests(hub_app: App, hub: HubServer) -> None:
    # The endpoint's host does not exist; only the proxy (our hub, which serves absolute
    # URLs as a proxy receives them) can answer.
    hub_app.config.update({"huggingface.endpoint": "http://hub.invalid", "http_proxy": hub.url})
    models = hub_app.commands.invoke("hub.search", {"query": "tiny"}).model_dump()["models"]
    assert [m["repo_id"] for m in models] == [TINY_REPO]
    assert [r.proxied for r in hub.requests] == [True]


def test_unreachable_hub_is_a_clear_error(hub_app: App) -> None:
    hub_app.config.update({"huggingface.endpoint": "http://127.0.0.1:9"})
    with pytest.raises(CommandError) as caught:
        # hub.files: huggingface_hub retries a search for ~20 s before giving up.
        hub_app.commands.invoke("hub.files", {"repo": TINY_REPO})
    assert caught.value.code == "unavailable"
    assert "cannot reach the Hugging Face hub at http://127.0.0.1:9" in caught.value.message


def _base_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.upper().startswith(("HF_", "HUGGING"))}
