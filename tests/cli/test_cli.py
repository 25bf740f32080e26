"""The CLI as a user runs it: a real subprocess, real exit codes, no tracebacks."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

from llamadesk.core import __version__

from .helpers import BIN, run_cli


def test_version_and_help(home: Path) -> None:
    assert run_cli("--version", home=home).stdout.strip() == f"llamadesk {__version__}"
    usage = run_cli("--help", home=home)
    assert usage.returncode == 0
    for verb in ("commands", "call", "config", "plugins"):
        assert verb in usage.stdout


def test_commands_lists_ids_and_titles(home: Path) -> None:
    done = run_cli("commands", home=home)
    assert done.returncode == 0
    assert "config.get" in done.stdout and "Get settings" in done.stdout
    ids = [c["id"] for c in json.loads(run_cli("commands", "--json", home=home).stdout)]
    assert ids == sorted(ids) and "system.ticker" in ids


def test_call_prints_json_result(home: Path) -> None:
    done = run_cli("call", "config.get", home=home)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["value"]["theme"] == "dark"


def test_call_streams_events_as_json_lines(home: Path) -> None:
    done = run_cli("call", "system.ticker", "--json", '{"count": 3, "interval": 0}', home=home)
    lines = done.stdout.splitlines()
    events = [json.loads(line) for line in lines[:3]]
    assert [e["done"] for e in events] == [1, 2, 3]
    assert json.loads("\n".join(lines[3:])) == {"ticks": 3, "cancelled": False}


def test_ctrl_c_cancels_a_streaming_call(home: Path) -> None:
    import os

    proc = subprocess.Popen(
        [str(BIN), "call", "system.ticker", "--json", '{"count": 1000, "interval": 0.05}'],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "LLAMADESK_HOME": str(home)},
    )
    assert proc.stdout is not None
    proc.stdout.readline()  # the first event: the command is running
    time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    result = json.loads(out[out.index("{\n") :])
    assert result["cancelled"] is True and 1 <= result["ticks"] < 1000


def test_user_errors_are_one_line_without_traceback(home: Path) -> None:
    cases = [
        ("call", "nope.cmd"),
        ("call", "config.set", "--json", '{"values": {"theme": "purple"}}'),
        ("call", "config.get", "--json", "{broken"),
        ("config", "set", "server.port", "70000"),
        ("config", "set", "server_port", "8000"),  # a key of the old layout
        ("call", "runtime.status", "--json", '{"all_process": true}'),  # misspelt
    ]
    for args in cases:
        done = run_cli(*args, home=home)
        assert done.returncode == 1, args
        assert done.stderr.startswith("error: "), done.stderr
        assert "Traceback" not in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_config_verbs_round_trip(home: Path) -> None:
    assert run_cli("config", "set", "theme", "light", home=home).stdout.strip() == 'theme = "light"'
    assert run_cli("config", "set", "load.context_size", "2048", home=home).returncode == 0
    assert json.loads(run_cli("config", "get", "load.context_size", home=home).stdout) == 2048
    path = run_cli("config", "path", home=home).stdout.strip()
    assert path == str(home / "config" / "config.json")
    assert json.loads(Path(path).read_text())["theme"] == "light"
    assert run_cli("config", "set", "server.port", "9000", home=home).stdout.strip() == "server.port = 9000"
    assert json.loads(run_cli("config", "get", "server", home=home).stdout)["port"] == 9000
    run_cli("config", "reset", home=home)
    assert json.loads(run_cli("config", "get", "theme", home=home).stdout) == "dark"
    assert json.loads(run_cli("config", "get", "server.port", home=home).stdout) == 8765


def test_a_misspelt_param_is_named(home: Path) -> None:
    done = run_cli("call", "runtime.status", "--json", '{"all_process": true}', home=home)
    assert done.returncode == 1
    assert done.stderr.strip() == "error: unknown parameter 'all_process'"


def test_corrupt_config_is_reported_not_fatal(home: Path) -> None:
    (home / "config").mkdir(parents=True)
    (home / "config" / "config.json").write_text("{oops")
    done = run_cli("config", "get", "theme", home=home)
    assert done.returncode == 0
    assert "could not be read" in done.stderr
    assert list((home / "config").glob("config.json.corrupt-*"))


def test_plugins_lists_default_plugins_and_hooks(home: Path) -> None:
    done = run_cli("plugins", home=home)
    assert done.returncode == 0
    assert "api_server  [default]" in done.stdout
    assert "hooks: app_stopping, register_commands, register_settings" in done.stdout
