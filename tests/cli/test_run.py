"""`llamadesk run` and `llamadesk ps` as a user types them, with the real model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .helpers import run_cli

pytestmark = pytest.mark.slow  # loads the real starter model

ARGS = ("--context-size", "512", "--threads", "2", "--temperature", "0")
HANG_GUARD_S = 300  # a model run on a busy 2-core box; normally a few seconds


def test_run_one_shot_prints_the_answer(home: Path, starter_model: Path) -> None:
    done = run_cli(
        "run",
        str(starter_model),
        "What is 2+2?",
        "--max-tokens",
        "12",
        "--stats",
        *ARGS,
        home=home,
        timeout=HANG_GUARD_S,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()
    assert "tokens/s" in done.stderr and "12 generated" in done.stderr


def test_run_with_a_draft_model_reports_its_drafts(home: Path, starter_model: Path) -> None:
    # The starter model drafting for itself (the one model the tests have).
    done = run_cli(
        "run",
        str(starter_model),
        "List the days of the week.",
        "--draft-model",
        str(starter_model),
        "--max-tokens",
        "40",
        "--stats",
        *ARGS,
        home=home,
        timeout=HANG_GUARD_S,
    )
    assert done.returncode == 0, done.stderr
    assert "drafted tokens accepted" in done.stderr, done.stderr


def test_run_interactive_keeps_the_conversation(home: Path, starter_model: Path) -> None:
    done = run_cli(
        "run",
        str(starter_model),
        "--max-tokens",
        "6",
        *ARGS,
        home=home,
        timeout=HANG_GUARD_S,
        input="Hello\n\nName a colour.\n/bye\n",
    )
    assert done.returncode == 0, done.stderr
    assert len([line for line in done.stdout.split(">>> ") if line.strip()]) >= 2


def test_run_missing_model_is_one_line_error(home: Path, tmp_path: Path) -> None:
    done = run_cli("run", str(tmp_path / "missing.gguf"), "hi", home=home)
    assert done.returncode == 1
    assert done.stderr.strip().startswith("error: no model file")
    assert "Traceback" not in done.stderr


def test_ps_with_nothing_loaded(home: Path) -> None:
    done = run_cli("ps", home=home)
    assert done.returncode == 0 and "no models loaded" in done.stdout


def test_ps_lists_a_model_another_process_has_loaded(home: Path, starter_model: Path) -> None:
    import subprocess
    import time

    from .helpers import BIN, cli_env

    # An interactive `run` loads the model, then waits for input with it loaded.
    args = [str(BIN), "run", str(starter_model), *ARGS]
    with subprocess.Popen(
        args, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=cli_env(home)
    ) as holder:
        assert holder.stdin is not None
        deadline = time.monotonic() + HANG_GUARD_S
        listed: list[dict] = []
        while not listed and time.monotonic() < deadline and holder.poll() is None:
            done = run_cli("ps", "--json", home=home)
            listed = [m for m in json.loads(done.stdout)["models"] if m["state"] == "ready"]
            time.sleep(0.2)
        (model,) = listed
        assert model["id"] == str(starter_model) and model["owner_pid"] == holder.pid
        assert model["pid"] and model["memory_bytes"] > 50 * 2**20  # the worker's memory, read now
        table = run_cli("ps", home=home).stdout
        assert str(holder.pid) in table and "SmolLM2" in table
        assert model["layer_count"] == 31 and model["processor"] in ("CPU", "GPU")
        assert f" {model['processor']} " in table
        assert model["activity"]["slots"] >= 1 and f" 0/{model['activity']['slots']} " in table
        holder.stdin.write(b"/bye\n")
        holder.stdin.close()
        assert holder.wait(HANG_GUARD_S) == 0
    assert "no models loaded" in run_cli("ps", home=home).stdout


def test_ps_forgets_a_process_that_died_without_unloading(home: Path) -> None:
    from llamadesk.core.models.llama import ModelState, ModelStatus

    run_dir = home / "data" / "run"
    run_dir.mkdir(parents=True)
    gone = 2**22 + 12345  # above the default pid_max: no live process has it
    (run_dir / f"{gone}-0123456789abcdef.json").write_text(
        ModelStatus(id="/models/x.gguf", state=ModelState.READY, owner_pid=gone).model_dump_json()
    )
    assert "no models loaded" in run_cli("ps", home=home).stdout
    assert not list(run_dir.iterdir())


def test_ctrl_c_stops_the_answer_and_keeps_it(home: Path, starter_model: Path) -> None:
    import os
    import signal
    import subprocess

    from .helpers import BIN

    env = {**os.environ, "LLAMADESK_HOME": str(home)}
    args = [str(BIN), "run", str(starter_model), "Tell a very long story.", "--max-tokens", "900", *ARGS]
    with subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, start_new_session=True
    ) as process:
        assert process.stdout is not None
        first = process.stdout.read(20)  # the answer is streaming
        os.killpg(process.pid, signal.SIGINT)  # as a terminal does: the worker gets it too
        _rest, errors = process.communicate(timeout=HANG_GUARD_S)
    assert process.returncode == 130
    assert len(first) == 20 and b"[stopped]" in errors
    assert b"Traceback" not in errors


def test_run_continues_a_saved_chat(home: Path, starter_model: Path) -> None:
    created = run_cli("call", "chat.new", "--json", '{"title": "Notes"}', home=home)
    assert created.returncode == 0, created.stderr
    session_id = json.loads(created.stdout)["id"]
    for prompt in ("Hello", "Name a colour."):
        done = run_cli(
            "run", str(starter_model), prompt, "--chat", session_id, "--max-tokens", "6", *ARGS,
            home=home, timeout=HANG_GUARD_S,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert "# Notes" in done.stderr  # the saved chat's recent turns are shown first
    saved = run_cli("call", "chat.get", "--json", json.dumps({"session_id": session_id}), home=home)
    messages = json.loads(saved.stdout)["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "user", "assistant"]
    assert messages[2]["content"] == "Name a colour." and messages[3]["content"]


def test_run_interactive_slash_commands_never_reach_the_model(home: Path, starter_model: Path) -> None:
    done = run_cli(
        "run",
        str(starter_model),
        "--max-tokens",
        "6",
        *ARGS,
        home=home,
        timeout=HANG_GUARD_S,
        input="/help\n/set parameter max_tokens 3\n/show parameters\nHello\n/save Greeting\n/bye\n",
    )
    assert done.returncode == 0, done.stderr
    assert "/help lists the commands" in done.stderr  # the hint at start
    assert "/set parameter NAME VALUE" in done.stderr and "Set max_tokens to 3" in done.stderr
    assert "max_tokens      3" in done.stderr
    answers = [chunk for chunk in done.stdout.split(">>> ") if chunk.strip()]
    assert len(answers) == 1  # only "Hello" was sent
    assert "Saved as chat " in done.stderr


def test_ps_says_slots_in_use_and_what_cache_and_drafts_spared() -> None:
    from llamadesk.cli.verbs.ps import activity_line, slots
    from llamadesk.core.models.llama import ModelActivity

    busy = ModelActivity(slots=4, busy_slots=4, waiting=3, prompt_tokens=4000, cached_tokens=3000)
    assert slots(busy) == "4/4+3" and slots(ModelActivity(slots=2)) == "0/2" and slots(None) == "-"
    assert activity_line(busy) == "prompt tokens reused 3000/4000 (75%)"
    drafted = busy.model_copy(update={"drafted_tokens": 200, "accepted_tokens": 150})
    assert activity_line(drafted).endswith(", draft tokens accepted 150/200 (75%)")
    assert activity_line(ModelActivity()) == ""
