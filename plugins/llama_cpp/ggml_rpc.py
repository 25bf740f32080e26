"""llama.cpp's RPC backend through ctypes, from the libraries llama-cpp-python installed.

llama-cpp-python binds llama.h but not ggml-rpc.h, and no longer takes RPC servers
itself. With `-DGGML_RPC=on` (make setup) its `lib/` folder holds `libggml-rpc` beside
`libggml`, and two processes use them:

- a model worker, before it loads a model across machines, adds each RPC worker to
  ggml's device registry (`ggml_backend_rpc_add_server` + `ggml_backend_register`,
  what llama.cpp's `--rpc` does), so llama.cpp sees their devices as its own;
- `llamadesk rpc-worker` serves this machine's devices (`ggml_backend_rpc_start_server`,
  what llama.cpp's rpc-server does).

Only these processes load it: the app's process speaks the protocol in Python
(`rpc_probe.py`). The libraries must be the very ones `llama_cpp` loaded, not a second
copy of the same file: ggml keeps its registry in a global.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from .gpu_build import llama_cpp_libraries

GGML_BACKEND_DEVICE_TYPE_CPU = 0
GGML_BACKEND_DEVICE_TYPE_ACCEL = 3
AbortCallback = ctypes.CFUNCTYPE(None, ctypes.c_char_p)


def wait_passively() -> None:
    """Let llama.cpp's CPU threads sleep, not spin, between graphs (unless the user chose).

    A worker computes its layers and then waits while the other machines compute theirs;
    OpenMP threads spin through such waits by default, taking the CPU from everything else
    on that machine (on one machine with two workers and the model's process, 1.4 tokens/s
    of the starter model instead of 72). Read by libgomp when it loads: call it first."""
    os.environ.setdefault("OMP_WAIT_POLICY", "passive")


class RpcUnavailable(RuntimeError):
    """This llama.cpp was built without its RPC backend."""


def library_names(name: str) -> list[str]:
    """File names a ggml library `name` (like `ggml-rpc`) has on this platform."""
    if sys.platform == "win32":
        return [f"{name}.dll", f"lib{name}.dll"]
    if sys.platform == "darwin":
        return [f"lib{name}.dylib", f"lib{name}.so"]
    return [f"lib{name}.so"]


def _already_loaded(name: str) -> str | None:
    """The path of library `name` as this process already mapped it (Linux), so that
    opening it again returns the same copy. pip installs libX.so and libX.so.0 as two
    files; llama.cpp's libraries find each other by the second name."""
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:
        return None
    prefix = f"lib{name}.so"
    for line in maps.splitlines():
        path = line.split(maxsplit=5)[-1]
        base = os.path.basename(path)
        if base == prefix or base.startswith(prefix + "."):
            return path
    return None


def load_library(name: str, folder: Path | None = None) -> ctypes.CDLL:
    """Open ggml library `name` from llama-cpp-python's folder (the copy already loaded, if any)."""
    loaded = _already_loaded(name)
    if loaded is not None:
        return ctypes.CDLL(loaded)
    folder = folder or llama_cpp_libraries()
    if folder is None:
        raise RpcUnavailable("llama-cpp-python is not installed")
    for file_name in library_names(name):
        path = folder / file_name
        if path.exists():
            return ctypes.CDLL(str(path))
    raise RpcUnavailable(
        f"no {library_names(name)[0]} in {folder}: llama.cpp was built without RPC "
        '(rebuild with CMAKE_ARGS="-DGGML_RPC=on", see the README)'
    )


class GgmlRpc:
    """The few ggml and ggml-rpc functions the model worker and the RPC worker call."""

    def __init__(self) -> None:
        import llama_cpp  # loads libllama and, through it, libggml and its backends

        if not llama_cpp.llama_supports_rpc():
            raise RpcUnavailable(
                'llama.cpp was built without RPC (rebuild with CMAKE_ARGS="-DGGML_RPC=on", see the README)'
            )
        self._base = load_library("ggml-base")
        self._ggml = load_library("ggml")
        self._rpc = load_library("ggml-rpc")
        self._declare()
        self._abort_callback: Callable[[bytes | None], None] | None = None

    def _declare(self) -> None:
        c = ctypes
        self._rpc.ggml_backend_rpc_add_server.argtypes = [c.c_char_p]
        self._rpc.ggml_backend_rpc_add_server.restype = c.c_void_p
        self._rpc.ggml_backend_rpc_start_server.argtypes = [
            c.c_char_p, c.c_char_p, c.c_size_t, c.c_size_t, c.POINTER(c.c_void_p)
        ]  # fmt: skip
        self._rpc.ggml_backend_rpc_start_server.restype = None
        self._ggml.ggml_backend_register.argtypes = [c.c_void_p]
        self._ggml.ggml_backend_register.restype = None
        self._ggml.ggml_backend_dev_count.argtypes = []
        self._ggml.ggml_backend_dev_count.restype = c.c_size_t
        self._ggml.ggml_backend_dev_get.argtypes = [c.c_size_t]
        self._ggml.ggml_backend_dev_get.restype = c.c_void_p
        self._ggml.ggml_backend_reg_dev_count.argtypes = [c.c_void_p]
        self._ggml.ggml_backend_reg_dev_count.restype = c.c_size_t
        self._ggml.ggml_backend_reg_dev_get.argtypes = [c.c_void_p, c.c_size_t]
        self._ggml.ggml_backend_reg_dev_get.restype = c.c_void_p
        for function in ("ggml_backend_dev_name", "ggml_backend_dev_description"):
            getattr(self._base, function).argtypes = [c.c_void_p]
            getattr(self._base, function).restype = c.c_char_p
        self._base.ggml_backend_dev_type.argtypes = [c.c_void_p]
        self._base.ggml_backend_dev_type.restype = c.c_int
        self._base.ggml_backend_dev_memory.argtypes = [
            c.c_void_p, c.POINTER(c.c_size_t), c.POINTER(c.c_size_t)
        ]  # fmt: skip
        self._base.ggml_backend_dev_memory.restype = None
        self._base.ggml_set_abort_callback.argtypes = [AbortCallback]
        self._base.ggml_set_abort_callback.restype = c.c_void_p

    # --- a model worker: use other machines' devices ---
    def add_servers(self, endpoints: Sequence[str]) -> list[list[str]]:
        """Register each RPC worker's devices with ggml; returns each worker's device names as
        llama.cpp names them (RPC0, RPC1...). A worker that does not answer aborts the process
        inside ggml (its own rule), so the caller checks them first."""
        names = []
        for endpoint in endpoints:
            reg = self._rpc.ggml_backend_rpc_add_server(endpoint.encode())
            if not reg:
                raise RuntimeError(f"the RPC worker {endpoint} offers no device")
            self._ggml.ggml_backend_register(reg)
            count = self._ggml.ggml_backend_reg_dev_count(reg)
            names.append(
                [self.device_name(self._ggml.ggml_backend_reg_dev_get(reg, i)) for i in range(count)]
            )
        return names

    def on_abort(self, callback: Callable[[bytes | None], None]) -> None:
        """Call `callback(message)` instead of printing a backtrace when ggml aborts (it then
        ends the process): how a model worker learns that an RPC worker went away."""
        keep = AbortCallback(callback)
        self._abort_callback = keep  # ctypes callbacks must outlive their use
        self._base.ggml_set_abort_callback(keep)

    # --- the RPC worker: offer this machine's devices ---
    def serving_devices(self) -> list[int]:
        """What llama.cpp's rpc-server offers by default: every accelerator (GPU), or else the CPU."""
        cpus = [
            d for d in self._devices() if self._base.ggml_backend_dev_type(d) == GGML_BACKEND_DEVICE_TYPE_CPU
        ]
        return self.local_gpus() or cpus[:1]

    def local_gpus(self) -> list[int]:
        """This machine's GPUs (not RPC workers' devices, which ggml also calls GPUs)."""
        cpu_like = (GGML_BACKEND_DEVICE_TYPE_CPU, GGML_BACKEND_DEVICE_TYPE_ACCEL)
        return [
            d
            for d in self._devices()
            if self._base.ggml_backend_dev_type(d) not in cpu_like
            and not self.device_name(d).startswith("RPC")
        ]

    def _devices(self) -> list[int]:
        return [self._ggml.ggml_backend_dev_get(i) for i in range(self._ggml.ggml_backend_dev_count())]

    def device_name(self, device: int) -> str:
        return bytes(self._base.ggml_backend_dev_name(device) or b"").decode()

    def device_description(self, device: int) -> str:
        return bytes(self._base.ggml_backend_dev_description(device) or b"").decode()

    def device_memory(self, device: int) -> tuple[int, int]:
        """(free, total) bytes, as the device reports them (a CPU on Linux: all RAM as free)."""
        free, total = ctypes.c_size_t(0), ctypes.c_size_t(0)
        self._base.ggml_backend_dev_memory(device, ctypes.byref(free), ctypes.byref(total))
        return free.value, total.value

    def start_server(
        self, endpoint: str, cache_dir: str | None, threads: int, devices: Sequence[int]
    ) -> None:
        """Serve `devices` at HOST:PORT until the process ends; returns only if it cannot listen."""
        array = (ctypes.c_void_p * len(devices))(*devices)
        cache = cache_dir.encode() if cache_dir else None
        self._rpc.ggml_backend_rpc_start_server(endpoint.encode(), cache, threads, len(devices), array)
