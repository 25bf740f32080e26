"""A real hub server on 127.0.0.1 with a few repos, and an app pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import huggingface_hub.constants
import pytest

from llamadesk.core.app import App
from llamadesk.core.paths import AppPaths

from .gguf_maker import llama_shape, make_gguf
from .hub_server import HubFile, HubRepo, HubServer

TOKEN = "hf_testSECRETtoken0123456789abcdef"
KB = 1000

STARTER_REPO = "tester/SmolLM2-135M-Instruct-GGUF"
STARTER_FILE = "SmolLM2-135M-Instruct-Q4_1.gguf"
TINY_REPO = "tester/TinyLlama-GGUF"
GATED_REPO = "meta-llama/Gated-Llama-GGUF"
PRIVATE_REPO = "tester/private-GGUF"

# (file name, llama.cpp file type, size): sizes grow with quality, as real quants do.
TINY_QUANTS = [
    ("tinyllama-Q2_K.gguf", 10, 200 * KB),
    ("tinyllama-IQ3_XS.gguf", 22, 250 * KB),
    ("tinyllama-Q4_K_M.gguf", 15, 400 * KB),
    ("tinyllama-Q5_K_M.gguf", 17, 500 * KB),
    ("tinyllama-Q8_0.gguf", 7, 800 * KB),
    ("tinyllama-f16.gguf", 1, 1500 * KB),
    ("tinyllama-BF16.gguf", 32, 1500 * KB),
]
TINY_SPLIT = [f"Q6_K/tinyllama-Q6_K-0000{i}-of-00003.gguf" for i in (1, 2, 3)]


@pytest.fixture(scope="session")
def starter_hub_file(starter_model: Path) -> HubFile:
    return HubFile(STARTER_FILE, starter_model)  # hashes the 98 MB once per session


@pytest.fixture(scope="session")
def tiny_files() -> list[HubFile]:
    files = [
        HubFile(name, make_gguf(llama_shape(f"TinyLlama {name}", ftype), size))
        for name, ftype, size in TINY_QUANTS
    ]
    for index, path in enumerate(TINY_SPLIT):
        meta = llama_shape("TinyLlama Q6_K", 18, **{"split.no": index, "split.count": 3})
        files.append(HubFile(path, make_gguf(meta, 220 * KB)))
    files.append(HubFile("mmproj-tinyllama-f16.gguf", make_gguf({"general.architecture": "clip"}, 300 * KB)))
    files.append(HubFile("README.md", b"# TinyLlama GGUF\n"))
    files.append(HubFile("config.json", b'{"model_type": "llama"}\n'))
    return files


@pytest.fixture
def hub(starter_hub_file: HubFile, tiny_files: list[HubFile]) -> Iterator[HubServer]:
    server = HubServer(token=TOKEN)
    server.add(
        HubRepo(
            STARTER_REPO,
            [starter_hub_file, HubFile("README.md", b"# SmolLM2 GGUF\n")],
            downloads=500,
            likes=30,
            last_modified="2026-03-01T10:00:00.000Z",
            gguf={
                "total": 134515008,
                "architecture": "llama",
                "context_length": 8192,
                "chat_template": "{% for message in messages %}<|im_start|>{{ message.content }}{% endfor %}",
            },
        )
    )
    server.add(
        HubRepo(TINY_REPO, tiny_files, downloads=9000, likes=5, last_modified="2026-01-15T08:00:00.000Z")
    )
    gated_file = HubFile("gated-Q4_K_M.gguf", make_gguf(llama_shape("Gated", 15), 100 * KB))
    server.add(
        HubRepo(
            GATED_REPO,
            [gated_file],
            gated=True,
            downloads=100,
            likes=900,
            last_modified="2026-02-01T00:00:00.000Z",
        )
    )
    server.add(HubRepo(PRIVATE_REPO, [HubFile("private-Q8_0.gguf", b"GGUF" + bytes(100))], private=True))
    server.add(
        HubRepo("tester/safetensors-only", [HubFile("model.safetensors", bytes(100))], tags=["safetensors"])
    )
    server.start()
    yield server
    server.stop()


@pytest.fixture
def hf_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No token from the environment or a real login; loopback never proxied. Returns HF_HOME."""
    hf_home = tmp_path / "hf-home"
    for name in (
        "HF_TOKEN",
        "HUGGING_FACE_HUB_TOKEN",
        "HF_ENDPOINT",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
    ):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("HF_HOME", str(hf_home))
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    # huggingface_hub read these at import; point them at this test's folder.
    monkeypatch.setattr(huggingface_hub.constants, "HF_TOKEN_PATH", str(hf_home / "token"))
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(hf_home / "hub"))
    return hf_home


@pytest.fixture
def hub_app(paths: AppPaths, hub: HubServer, hf_env: Path) -> Iterator[App]:
    """A started app whose huggingface.endpoint is the test hub."""
    application = App(paths, load_entrypoints=False).start()
    application.config.update({"huggingface.endpoint": hub.url})
    yield application
    application.close()
