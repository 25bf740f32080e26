"""The external llama-server process: started with llama-server's flags, health-checked,
logged, stopped. The "binary" is a script running llama_cpp.server (no GPU needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from llamadesk.core.commands import CancelToken
from llamadesk.core.errors import ModelLoadFailed
from llamadesk.core.models.app_config import LlamaServerOptions
from llamadesk.core.models.chat import ChatTurn, Role
from llamadesk.core.models.llama import GenerateRequest, LoadOptions, SamplingParams, StopReason
from llamadesk.plugins.openai_remote.llama_server import LlamaServerProcess, server_args


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
