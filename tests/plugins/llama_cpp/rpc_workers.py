"""Real `llamadesk rpc-worker` processes on 127.0.0.1, for the tests (and the bundle's)."""

from __future__ import annotations

import contextlib
import os
import queue
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import psutil

BIN = Path(sys.executable).parent / "llamadesk"
START_TIMEOUT_S = 120  # a busy 2-core machine; a hang is forever
LISTENING = re.compile(r"RPC worker listening on (\S+)\. Ctrl\+C stops\.")


class RpcWorkerProcess:
    """`llamadesk rpc-worker --port PORT` (0: any free one), started and read line by line."""

    def __init__(
        self, home: Path, port: int = 0, executable: Path = BIN, env: dict[str, str] | None = None
    ) -> None:
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        self.process = subprocess.Popen(
            [str(executable), "rpc-worker", "--port", str(port), "--threads", "2"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env or {**os.environ, "LLAMADESK_HOME": str(home)},
        )
        threading.Thread(target=self._read, daemon=True).start()
        self.endpoint = self.wait_for(LISTENING)[1]
        self.port = int(self.endpoint.rsplit(":", 1)[1])
        self.server = self._listener()

    def _listener(self) -> psutil.Process:
        """The process that serves and holds the port: a child of the command."""
        for child in psutil.Process(self.process.pid).children(recursive=True):
            with contextlib.suppress(psutil.Error):
                if any(c.laddr.port == self.port for c in child.net_connections(kind="tcp")):
                    return child
        raise AssertionError(f"no child of the worker listens on {self.port}")

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line)
            self.lines.put(line)
        self.lines.put("")  # the end

    def wait_for(self, pattern: re.Pattern[str], timeout: float = START_TIMEOUT_S) -> re.Match[str]:
        while True:
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"no line like {pattern.pattern!r}:\n{''.join(self.output)}") from None
            if not line:
                raise AssertionError(f"the worker ended:\n{''.join(self.output)}")
            match = pattern.search(line)
            if match is not None:
                return match

    def kill(self) -> None:
        """Both processes at once, as a crash or a pulled plug would."""
        for process in (self.server, psutil.Process(self.process.pid)):
            with contextlib.suppress(psutil.NoSuchProcess):
                process.send_signal(signal.SIGKILL)
        self.process.wait(30)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout)
