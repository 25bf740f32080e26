"""An external `llama-server` process the user chose (their own CUDA/Vulkan/Metal build).

One process per loaded model, on a free loopback port, its output written to a log
file. It counts as started once its /health answers 200 (llama-server answers 503
while the model loads); if it exits first, the error shows the end of its log.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import time
from pathlib import Path

from llamadesk.core.errors import N_, Cancelled, ModelLoadFailed
from llamadesk.core.models.llama import LoadOptions
from llamadesk.core.streaming import CancelToken
from llamadesk.lib.huge_pages import allow_huge_pages_in_children

from .client import OpenAIClient
from .settings import LlamaServerOptions

log = logging.getLogger(__name__)

STOP_GRACE_SECONDS = 5.0
LOG_TAIL_LINES = 15


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_args(binary: Path, model_path: Path, port: int, load: LoadOptions, extra: list[str]) -> list[str]:
    """llama-server's own flags for our LoadOptions."""
    args = [str(binary), "--model", str(model_path), "--host", "127.0.0.1", "--port", str(port)]
    args += ["--ctx-size", str(load.context_size), "--batch-size", str(load.batch_size)]
    args += ["--n-gpu-layers", str(999 if load.gpu_layers < 0 else load.gpu_layers)]
    if load.threads is not None:
        args += ["--threads", str(load.threads)]
    if load.seed is not None:
        args += ["--seed", str(load.seed)]
    if not load.use_mmap:
        args.append("--no-mmap")
    if load.use_mlock:
        args.append("--mlock")
    return args + list(extra)


class LlamaServerProcess:
    """A started llama-server: its client, its log, and stop()."""

    def __init__(
        self,
        options: LlamaServerOptions,
        model_path: Path,
        load: LoadOptions,
        log_path: Path,
        token: CancelToken | None = None,
    ) -> None:
        if options.binary is None:
            raise ModelLoadFailed(
                N_("no llama-server binary is set; `llamadesk config set llama_server.binary PATH`")
            )
        binary = Path(options.binary).expanduser()
        if not (binary.is_file() and os.access(binary, os.X_OK)):
            raise ModelLoadFailed(
                N_("the llama-server binary {binary} does not exist or is not executable"), binary=binary
            )
        self.port = free_port()
        self.log_path = log_path
        self.args = server_args(binary, model_path, self.port, load, options.extra_args)
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log_file = log_path.open("ab")
        log.info("starting %s", " ".join(self.args))
        allow_huge_pages_in_children()
        self.process = subprocess.Popen(
            self.args, stdin=subprocess.DEVNULL, stdout=self._log_file, stderr=subprocess.STDOUT
        )
        self.client = OpenAIClient(f"http://127.0.0.1:{self.port}/v1", label=f"llama-server ({binary.name})")
        try:
            self._wait_healthy(options.startup_timeout_seconds, token or CancelToken())
        except BaseException:
            self.stop()
            raise

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def _wait_healthy(self, timeout: float, token: CancelToken) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ModelLoadFailed(
                    N_("llama-server exited with code {returncode} while starting:\n{log_tail}"),
                    returncode=self.process.returncode,
                    log_tail=self.log_tail(),
                )
            if self.client.is_healthy():
                return
            if token.wait(0.1):
                raise Cancelled(N_("loading was cancelled; llama-server was stopped"))
        raise ModelLoadFailed(
            N_("llama-server did not become ready within {timeout:.0f} s:\n{log_tail}"),
            timeout=timeout,
            log_tail=self.log_tail(),
        )

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """Terminate, then kill if it lingers; the log file is closed either way."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log_file.close()
