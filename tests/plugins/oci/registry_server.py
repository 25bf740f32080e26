"""A real OCI registry for tests and benchmarks: Debian's docker-registry on 127.0.0.1.

Pushing here uses plain `http.client`, not llamadesk's code, so a bug in the
code under test cannot hide itself by being on both sides.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

REGISTRY_BIN = shutil.which("docker-registry") or "/usr/bin/docker-registry"

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while piece := file.read(8 * 1024 * 1024):
            digest.update(piece)
    return "sha256:" + digest.hexdigest()


@dataclass
class Blob:
    media_type: str
    data: bytes | None = None
    path: Path | None = None
    annotations: dict[str, str] | None = None

    @property
    def size(self) -> int:
        return len(self.data) if self.data is not None else self.path.stat().st_size  # type: ignore[union-attr]

    @property
    def digest(self) -> str:
        if self.data is not None:
            return "sha256:" + hashlib.sha256(self.data).hexdigest()
        assert self.path is not None
        return sha256_file(self.path)

    def descriptor(self) -> dict[str, object]:
        entry: dict[str, object] = {"mediaType": self.media_type, "digest": self.digest, "size": self.size}
        if self.annotations:
            entry["annotations"] = self.annotations
        return entry


class RegistryServer:
    """docker-registry serving a temp folder; `host` is `127.0.0.1:PORT`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.storage = root / "storage"
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        self.url = f"http://{self.host}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> RegistryServer:
        if self.process is not None:  # `with RegistryServer(...).start()` must not start a second one
            return self
        self.storage.mkdir(parents=True, exist_ok=True)
        config = self.root / "config.yml"
        config.write_text(
            "version: 0.1\n"
            "log:\n  level: error\n  accesslog:\n    disabled: true\n"
            f"storage:\n  filesystem:\n    rootdirectory: {self.storage}\n  delete:\n    enabled: true\n"
            f"http:\n  addr: {self.host}\n"
            "health:\n  storagedriver:\n    enabled: false\n"
        )
        env = {**os.environ, "REGISTRY_HTTP_ADDR": self.host}
        log = (self.root / "registry.log").open("wb")
        self.process = subprocess.Popen([REGISTRY_BIN, "serve", str(config)], stdout=log, stderr=log, env=env)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"docker-registry exited: {(self.root / 'registry.log').read_text()[-2000:]}"
                )
            try:
                if self.request("GET", "/v2/")[0] == 200:
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("docker-registry did not answer within 30 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> RegistryServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- pushing ---------------------------------------------------------------------------

    def request(
        self, method: str, target: str, body: object = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(target)
        path = parts.path + ("?" + parts.query if parts.query else "")
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120, blocksize=1024 * 1024)
        try:
            conn.request(method, path, body=body, headers=headers or {})  # type: ignore[arg-type]
            response = conn.getresponse()
            return response.status, dict(response.headers), response.read()
        finally:
            conn.close()

    def push_blob(self, repository: str, blob: Blob) -> str:
        digest = blob.digest
        if self.request("HEAD", f"/v2/{repository}/blobs/{digest}")[0] == 200:
            return digest
        status, headers, _ = self.request(
            "POST", f"/v2/{repository}/blobs/uploads/", b"", {"Content-Length": "0"}
        )
        assert status == 202, status
        location = headers["Location"]
        location += ("&" if "?" in location else "?") + f"digest={digest}"
        if blob.data is not None:
            body: object = blob.data
        else:
            assert blob.path is not None
            body = blob.path.open("rb")
        try:
            status, _, text = self.request(
                "PUT",
                location,
                body,
                {"Content-Length": str(blob.size), "Content-Type": "application/octet-stream"},
            )
        finally:
            if hasattr(body, "close"):
                body.close()  # type: ignore[union-attr]
        assert status == 201, (status, text)
        return digest

    def push_manifest(self, repository: str, tag: str, media_type: str, data: bytes) -> str:
        status, _, text = self.request(
            "PUT", f"/v2/{repository}/manifests/{tag}", data, {"Content-Type": media_type}
        )
        assert status == 201, (status, text)
        return "sha256:" + hashlib.sha256(data).hexdigest()

    def push_model(
        self, repository: str, tag: str, config: Blob, layers: list[Blob], media_type: str = DOCKER_MANIFEST
    ) -> bytes:
        for blob in (config, *layers):
            self.push_blob(repository, blob)
        manifest = {
            "schemaVersion": 2,
            "mediaType": media_type,
            "config": config.descriptor(),
            "layers": [layer.descriptor() for layer in layers],
        }
        data = json.dumps(manifest, indent=2).encode()
        self.push_manifest(repository, tag, media_type, data)
        return data

    def blob_data_path(self, digest: str) -> Path:
        """Where the registry keeps a blob's bytes (to corrupt it on purpose)."""
        hex_ = digest.split(":", 1)[1]
        return self.storage / "docker/registry/v2/blobs/sha256" / hex_[:2] / hex_ / "data"


# -- model artifacts built from a real GGUF ------------------------------------------------

OLLAMA_TEMPLATE = "{{ if .System }}<|im_start|>system\n{{ .System }}<|im_end|>\n{{ end }}<|im_start|>user\n{{ .Prompt }}<|im_end|>\n<|im_start|>assistant\n"


def ollama_model(gguf: Path) -> tuple[Blob, list[Blob]]:
    """What `ollama push` sends: a Docker image config plus model, template, params and license layers."""
    weights = Blob("application/vnd.ollama.image.model", path=gguf)
    config = Blob(
        "application/vnd.docker.container.image.v1+json",
        data=json.dumps(
            {"model_format": "gguf", "model_family": "llama", "model_type": "135M", "file_type": "Q4_1",
             "rootfs": {"type": "layers", "diff_ids": [weights.digest]}}
        ).encode(),
    )  # fmt: skip
    layers = [
        weights,
        Blob("application/vnd.ollama.image.template", data=OLLAMA_TEMPLATE.encode()),
        Blob("application/vnd.ollama.image.params", data=b'{"stop": ["<|im_end|>"], "temperature": 0.2}'),
        Blob("application/vnd.ollama.image.license", data=b"Apache License 2.0"),
    ]
    return config, layers


def docker_model(gguf: Path, *, config_version: str = "v0.1") -> tuple[Blob, list[Blob]]:
    """What `docker model push` sends: a model config and a GGUF layer (plus a license)."""
    config = Blob(
        f"application/vnd.docker.ai.model.config.{config_version}+json",
        data=json.dumps(
            {"config": {"format": "gguf", "quantization": "Q4_1", "parameters": "135M", "architecture": "llama",
                        "size": str(gguf.stat().st_size)},
             "descriptor": {"created": "2025-01-01T00:00:00Z"}}
        ).encode(),
    )  # fmt: skip
    layers = [
        Blob(
            "application/vnd.docker.ai.gguf.v3",
            path=gguf,
            annotations={"org.opencontainers.image.title": gguf.name},
        ),
        Blob("application/vnd.docker.ai.license", data=b"Apache License 2.0"),
    ]
    return config, layers
