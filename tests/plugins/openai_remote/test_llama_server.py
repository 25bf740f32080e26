"""The external llama-server process: started with llama-server's flags, health-checked,
logged, stopped. The "binary" is a script running llama_cpp.server (no GPU needed)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import psutil
import pytest

from llamadesk.core.app import App
from llamadesk.core.commands import CancelToken, CommandError
from llamadesk.core.errors import ModelLoadFailed
from llamadesk.core.models.chat import ChatTurn, Role
from llamadesk.core.models.llama import GenerateRequest, LoadOptions, SamplingParams, StopReason
from llamadesk.plugins.openai_remote.llama_server import LlamaServerProcess, server_args
from llamadesk.plugins.openai_remote.settings import LlamaServerOptions

HANG_GUARD_SECONDS = 60


def test_load_options_become_llama_server_flags(tmp_path: Path) -> None:
    load = LoadOptions(context_size=2048, threads=2, gpu_layers=-1, use_mmap=False, seed=7)
    args = server_args(Path("/opt/llama-server"), tmp_path / "m.gguf", 9000, load, ["--flash-attn", "on"])
    assert args[:7] == [
        "/opt/llama-server",
        "--model",
        str(tmp_path / "m.gguf"),
        "--host",
        "127.0.0.1",
        "--port",
        "9000",
    ]
    for flag, value in (
        ("--ctx-size", "2048"),
        ("--threads", "2"),
        ("--n-gpu-layers", "999"),
        ("--seed", "7"),
    ):
        assert args[args.index(flag) + 1] == value
    assert "--no-mmap" in args and args[-2:] == ["--flash-attn", "on"]


def test_starts_serves_and_stops(fake_llama_server: Path, starter_model: Path, tmp_path: Path) -> None:
    options = LlamaServerOptions(binary=fake_llama_server, startup_timeout_seconds=120)
    log_path = tmp_path / "logs" / "llama-server.log"
    server = LlamaServerProcess(options, starter_model, LoadOptions(context_size=1024, threads=2), log_path)
    try:
        assert server.running and server.client.is_healthy()
        request = GenerateRequest(
            model="starter",
            messages=[ChatTurn(role=Role.USER, content="Hello")],
            sampling=SamplingParams(temperature=0, max_tokens=8),
        )
        result = server.client.chat(request, "starter", lambda e: None, CancelToken())
        assert result.content and result.stop_reason == StopReason.LENGTH
        assert "fake llama-server starting" in log_path.read_text()
    finally:
        server.stop()
    assert not server.running
    assert not server.client.is_healthy()


def test_a_server_that_exits_reports_its_log(
    failing_llama_server: Path, starter_model: Path, tmp_path: Path
) -> None:
    options = LlamaServerOptions(binary=failing_llama_server)
    with pytest.raises(ModelLoadFailed, match="exited with code 3") as caught:
        LlamaServerProcess(options, starter_model, LoadOptions(), tmp_path / "server.log")
    assert "failed to load model" in caught.value.message


def test_missing_binary_is_a_clear_error(starter_model: Path, tmp_path: Path) -> None:
    options = LlamaServerOptions(binary=tmp_path / "nowhere" / "llama-server")
    with pytest.raises(ModelLoadFailed, match="does not exist"):
        LlamaServerProcess(options, starter_model, LoadOptions(), tmp_path / "server.log")


def use_llama_server(app: App, binary: Path) -> None:
    app.commands.invoke(
        "config.set",
        {
            "values": {
                "remote.llama_server": {"binary": str(binary)},
                "load.threads": 2,
                "load.context_size": 1024,
            }
        },
    )


def test_the_runtime_runs_gguf_models_with_the_chosen_binary(
    app: App, fake_llama_server: Path, starter_model: Path
) -> None:
    use_llama_server(app, fake_llama_server)
    status = app.commands.invoke("runtime.load", {"model": str(starter_model)}).model_dump()
    assert status["backend"] == "llama_server" and status["state"] == "ready" and status["pid"]
    assert status["memory_bytes"] and status["context_size"] == 1024
    params = {
        "model": str(starter_model),
        "messages": [{"role": "user", "content": "Hello"}],
        "sampling": {"max_tokens": 6, "temperature": 0},
    }
    result = app.commands.invoke("runtime.generate", params)
    assert result.content and result.stop_reason == StopReason.LENGTH
    logs = list(app.paths.logs_dir.glob("llama-server-*.log"))
    assert logs and "fake llama-server starting" in logs[0].read_text()
    process = psutil.Process(status["pid"])
    assert app.commands.invoke("runtime.unload", {"model": str(starter_model)}).model_dump()["unloaded"]
    assert not process.is_running()


def test_a_llama_server_that_dies_puts_its_model_in_error(
    app: App, fake_llama_server: Path, starter_model: Path
) -> None:
    use_llama_server(app, fake_llama_server)
    status = app.commands.invoke("runtime.load", {"model": str(starter_model)}).model_dump()
    os.kill(status["pid"], signal.SIGKILL)
    deadline = time.monotonic() + HANG_GUARD_SECONDS
    while time.monotonic() < deadline:
        (model,) = app.commands.invoke("runtime.status").model_dump()["models"]
        if model["state"] == "error":
            break
        time.sleep(0.05)
    assert model["state"] == "error" and "exited on its own" in model["message"]
    # Loading again starts a new server.
    again = app.commands.invoke("runtime.load", {"model": str(starter_model)}).model_dump()
    assert again["state"] == "ready" and again["pid"] != status["pid"]


def test_a_failing_binary_is_a_load_error(app: App, failing_llama_server: Path, starter_model: Path) -> None:
    use_llama_server(app, failing_llama_server)
    with pytest.raises(CommandError) as caught:
        app.commands.invoke("runtime.load", {"model": str(starter_model)})
    assert caught.value.code == "load_failed" and "failed to load model" in caught.value.message
