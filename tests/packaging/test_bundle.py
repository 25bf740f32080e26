"""The bundle runs where no Python is: self-test with a real model, the window, third-party plugins.

One build per session (see conftest.py); each test runs the bundled executable in
a subprocess with an environment stripped of this virtualenv.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from llamadesk.core.app import App
from llamadesk.core.paths import AppPaths
from llamadesk.core.plugins import DEFAULT_PLUGINS

from ..plugins.llama_cpp.rpc_workers import RpcWorkerProcess
from .conftest import EXAMPLE_PLUGIN, bundle_env, run_bundle

pytestmark = pytest.mark.slow  # loads the real starter model

SIZE_TARGET_BYTES = 150_000_000  # issue #8: the one-folder bundle, without models
GUI_HANG_GUARD = 90


def self_test(exe: Path, home: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], dict]:
    done = run_bundle(exe, "--self-test", "--json", *args, home=home)
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        raise AssertionError(
            f"no JSON report (rc {done.returncode}):\n{done.stdout}\n{done.stderr}"
        ) from None
    return done, report


def by_name(report: dict) -> dict[str, dict]:
    return {check["name"]: check for check in report["checks"]}


def test_self_test_generates_with_the_starter_model(
    bundle_exe: Path, home: Path, starter_model: Path
) -> None:
    done, report = self_test(bundle_exe, home, "--model", str(starter_model))
    checks = by_name(report)
    assert done.returncode == 0 and report["passed"], json.dumps(report, indent=2) + done.stderr
    assert report["frozen"] is True

    plugins = checks["plugins"]["data"]["plugins"]
    expected = [p.rsplit(".", 1)[-1] for p in DEFAULT_PLUGINS]
    assert set(expected) <= set(plugins)
    commands = checks["commands"]["data"]["commands"]
    assert {"system.info", "plugins.list", "config.get"} <= set(commands)

    # llama.cpp loaded in a spawned child of the frozen executable, which re-entered
    # through freeze_support() and found the libraries; then the runtime's own worker
    # process loaded the model and generated through the command table.
    worker = checks["worker process"]["data"]
    assert worker["frozen"] is True and worker["llama_cpp"]
    assert worker["rpc"] is True, "the bundle's llama.cpp can split a model across machines"
    generation = checks["generation"]
    assert generation["outcome"] == "ok", generation
    assert generation["data"]["tokens"] >= 1 and generation["data"]["content"].strip()
    assert checks["certificates"]["outcome"] == "ok", checks["certificates"]
    # A part that is in this build is checked, not skipped.
    assert checks["chat store"]["outcome"] == ("ok" if "chat.list" in commands else "skip")
    assert not (home / "config").exists(), "the self-test must not touch the user's home"


def test_self_test_fails_on_a_file_that_is_not_a_model(bundle_exe: Path, home: Path, tmp_path: Path) -> None:
    bogus = tmp_path / "not-a-model.gguf"
    bogus.write_bytes(b"this is not a GGUF file" * 100)
    done, report = self_test(bundle_exe, home, "--model", str(bogus))
    assert done.returncode == 1 and report["passed"] is False
    generation = by_name(report)["generation"]
    assert generation["outcome"] == "FAILED" and "GGUF" in generation["detail"], generation


def test_text_summary_lists_each_check(bundle_exe: Path, home: Path) -> None:
    done = run_bundle(bundle_exe, "--self-test", home=home)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("llamadesk self-test (bundle")
    assert any(line.split()[:3] == ["ok", "worker", "process"] for line in lines)
    assert lines[-1].startswith("self-test passed")


def test_plugin_installed_in_the_data_dir_is_found(bundle_exe: Path, home: Path) -> None:
    target = home / "data" / "plugins"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--target", str(target), str(EXAMPLE_PLUGIN)],
        capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert install.returncode == 0, install.stderr

    listed = run_bundle(bundle_exe, "plugins", home=home)
    assert "hello  [entry point (llamadesk-hello 0.1.0)]" in listed.stdout, listed.stdout + listed.stderr
    greeted = run_bundle(bundle_exe, "call", "hello.greet", "--json", '{"name": "Ada"}', home=home)
    assert greeted.returncode == 0, greeted.stderr
    assert json.loads(greeted.stdout)["text"] == "Hello, Ada!"

    _, report = self_test(bundle_exe, home)
    assert report["passed"] and by_name(report)["plugins"]["data"]["third_party"] == ["hello"]


def test_rpc_worker_serves_a_split_model(
    bundle_exe: Path, home: Path, starter_model: Path, tmp_path: Path
) -> None:
    # The bundle's rpc-worker (its server runs in a spawned child of the frozen executable,
    # with the bundle's own libggml-rpc) holds part of a model loaded by an app elsewhere.
    worker = RpcWorkerProcess(home, executable=bundle_exe, env=bundle_env(home))
    app = App(AppPaths.under(tmp_path / "client"), load_entrypoints=False).start()
    try:
        app.commands.invoke("config.set", {"values": {"llama_cpp.rpc_workers": [worker.endpoint]}})
        options = {"context_size": 512, "threads": 2}
        params = {
            "messages": [{"role": "user", "content": "Say hello."}],
            "sampling": {"temperature": 0, "max_tokens": 12},
        }
        model = str(starter_model)
        app.commands.invoke("runtime.load", {"model": model, "options": options})
        here = app.commands.invoke("runtime.generate", {"model": model, **params})
        app.commands.invoke("runtime.unload", {"model": model})

        status = app.commands.invoke("runtime.load", {"model": model, "options": {**options, "rpc": True}})
        across = app.commands.invoke("runtime.generate", {"model": model, **params})
        assert across.content == here.content
        this_machine, remote = status.parts
        assert remote.host == worker.endpoint and remote.layers > 0 and this_machine.layers > 0
        app.commands.invoke("runtime.unload", {"model": model})
    finally:
        app.close()
        assert worker.stop() == 0
    assert "a model connected" in "".join(worker.output)


def test_window_draws_a_frame_offscreen(bundle_exe: Path, home: Path, tmp_path: Path) -> None:
    marker = tmp_path / "first-frame.json"
    env = bundle_env(
        home,
        SDL_VIDEODRIVER="offscreen",
        KIVY_HOME=str(tmp_path / "kivy"),
        LLAMADESK_FIRST_FRAME_FILE=str(marker),
        LLAMADESK_QUIT_AFTER="2",  # keep drawing for a while after the first frame, then quit
    )
    started = time.time()
    done = subprocess.run(
        [str(bundle_exe)], capture_output=True, text=True, env=env, timeout=GUI_HANG_GUARD, check=False
    )
    assert done.returncode == 0, done.stderr[-5000:]
    assert marker.is_file(), f"no frame was drawn:\n{done.stderr[-5000:]}"
    frame = json.loads(marker.read_text())
    assert frame["time"] > started and frame["size"][0] > 0 and frame["size"][1] > 0


def test_bundle_is_within_the_size_target(bundle: Path) -> None:
    files = [p for p in bundle.rglob("*") if p.is_file() and not p.is_symlink()]
    total = sum(p.stat().st_size for p in files)
    biggest = sorted(files, key=lambda p: p.stat().st_size)[-5:]
    assert total <= SIZE_TARGET_BYTES, (
        f"{total / 1e6:.1f} MB; biggest: {[str(p.relative_to(bundle)) for p in biggest]}"
    )
    names = {p.name for p in files}
    # Build tooling must not ride along.
    assert not any(n.startswith(("pytest", "mypy", "PyInstaller", "setuptools")) for n in names)
