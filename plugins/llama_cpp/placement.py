"""Where llama.cpp put a model, read from what it logs while loading.

llama.cpp has no API that says which device holds a layer, but its loader logs it
(`load_tensors: layer  12 assigned to device RPC1, is_swa = 0`, at debug level) and
the size of every buffer it allocates (`RPC0[host:port] model buffer size = 40 MiB`,
`CPU KV buffer size = 12 MiB`). The model worker feeds those lines here, and reports
the parts in WorkerReady: this machine's (its CPU, then any GPU), then each RPC
worker's, with their layers and memory.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from llamadesk.core.models.llama import ModelPart

LAYER = re.compile(r"layer\s+(\d+) assigned to device ([^,\s]+)")
BUFFER = re.compile(r"(\S+) (?:model|KV) buffer size =\s*([\d.]+) MiB")
WORKER_BUFFER = re.compile(r"RPC(\d+)\[([^\]]+)\]")  # RPC0[192.168.1.20:50052]
CPU = "CPU"
MIB = 1024**2


class PlacementLog:
    """Collects the loader's lines about layers and buffers; `parts()` sums them up."""

    def __init__(self) -> None:
        self.devices: dict[int, str] = {}  # layer -> device name
        self.buffers: dict[str, int] = {}  # buffer name -> bytes

    def feed(self, line: str) -> None:
        if (match := LAYER.search(line)) is not None:
            self.devices[int(match[1])] = match[2]
        elif (match := BUFFER.search(line)) is not None:
            self.buffers[match[1]] = self.buffers.get(match[1], 0) + int(float(match[2]) * MIB)

    def parts(self, worker_devices: Mapping[str, str]) -> list[ModelPart]:
        """One part per device, this machine's first; `worker_devices` maps an RPC device name
        (RPC0) to its worker's HOST:PORT. [] when llama.cpp logged no placement."""
        if not self.devices:
            return []
        layers: dict[str, int] = {}
        for device in self.devices.values():
            layers[device] = layers.get(device, 0) + 1
        memory = self._memory_by_device(worker_devices, list(layers))
        here = sorted((d for d in layers if d not in worker_devices), key=lambda d: (d != CPU, d))
        remote = [d for d in worker_devices if d in layers]
        parts = [ModelPart(device=d, layers=layers[d], memory_bytes=memory.get(d)) for d in here]
        parts += [
            ModelPart(host=worker_devices[d], device=CPU, layers=layers[d], memory_bytes=memory.get(d))
            for d in remote
        ]
        return parts

    def _memory_by_device(self, worker_devices: Mapping[str, str], devices: list[str]) -> dict[str, int]:
        """Buffer bytes per device. A worker's buffer is named by its device's index on that
        worker and its HOST:PORT (RPC1[host:port]); a local GPU's by its device; the rest (CPU,
        CPU_Mapped, CPU_REPACK, host buffers) is this machine's CPU."""
        on_host: dict[str, list[str]] = {}
        for device, host in worker_devices.items():
            on_host.setdefault(host, []).append(device)
        memory: dict[str, int] = {}
        for name, size in self.buffers.items():
            match = WORKER_BUFFER.fullmatch(name)
            if match is not None:
                names = on_host.get(match[2], [])
                index = int(match[1])
                device = names[index] if index < len(names) else ""
            else:
                device = name if name in devices else CPU
            memory[device] = memory.get(device, 0) + size
        return memory
