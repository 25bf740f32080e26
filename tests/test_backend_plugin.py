"""A backend plugin installed the way a user installs one (pip, entry point): its models
appear in `llamadesk list`, answer `llamadesk run`, and are listed and answered by
`llamadesk serve` to the official OpenAI client. (The window's model picker is tested in
tests/ui.)"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from openai import OpenAI

from tests.cli.helpers import BIN, cli_env, run_cli

PACKAGE = Path(__file__).parent / "fake_backend"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The scripted backend pip-installed into a folder of its own; the env that finds it."""
    target = tmp_path_factory.mktemp("site")
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--target", str(target), str(PACKAGE)],
        capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert install.returncode == 0, install.stderr
    return {"PYTHONPATH": os.pathsep.join(filter(None, [str(target), os.environ.get("PYTHONPATH")]))}


def test_its_models_are_listed_and_answer_run(home: Path, installed: dict[str, str]) -> None:
    plugins = run_cli("plugins", home=home, env=installed)
    assert "scripted  [entry point (llamadesk-scripted-backend 0.1.0)]" in plugins.stdout

    listed = run_cli("list", home=home, env=installed)
    assert listed.returncode == 0, listed.stderr
    assert any(line.split()[:2] == ["scripted/echo", "(scripted)"] for line in listed.stdout.splitlines())

    answered = run_cli("run", "scripted/echo", "hello from a plugin", home=home, env=installed)
    assert answered.returncode == 0, answered.stderr
    assert answered.stdout.strip() == "hello from a plugin"


@pytest.fixture
def serving(home: Path, installed: dict[str, str]) -> Iterator[str]:
    """`llamadesk serve` on a free port, as a user starts it; yields its base URL."""
    process = subprocess.Popen(
        [str(BIN), "serve", "--port", "0"],
        env={**cli_env(home), **installed},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert "Serving the OpenAI-compatible API at " in line, (
            process.stderr.read() if process.stderr else ""
        )
        yield line.split(" at ", 1)[1].split()[0].rstrip(".")
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_serve_lists_its_models_and_answers_with_them(serving: str) -> None:
    client = OpenAI(base_url=serving, api_key="none", max_retries=0)
    ids = [model.id for model in client.models.list()]
    assert "scripted/echo" in ids
    reply = client.chat.completions.create(
        model="scripted/echo", messages=[{"role": "user", "content": "answer through the API"}]
    )
    assert reply.choices[0].message.content == "answer through the API"
    streamed = client.chat.completions.create(
        model="scripted/echo", messages=[{"role": "user", "content": "streamed words"}], stream=True
    )
    assert (
        "".join(chunk.choices[0].delta.content or "" for chunk in streamed if chunk.choices)
        == "streamed words"
    )
