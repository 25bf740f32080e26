"""What the app and its models use, sampled on demand (`system.metrics`): CPU, the app's and
each model worker's resident memory, the last generation's speed, and NVIDIA GPUs' use
when NVIDIA's management library (nvidia-ml-py, `pynvml`) is installed and finds a driver.

CPU percentages are since the previous sample (psutil keeps the last reading per process),
so the first sample of a process reads 0.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import psutil

from ..models.llama import ModelStatus
from ..models.system import GpuMetrics, SystemMetrics, WorkerMetrics


class MetricsSampler:
    def __init__(self, models: Callable[[], list[ModelStatus]], speed: Callable[[], float | None]) -> None:
        self._models = models
        self._speed = speed
        self._app = psutil.Process()
        self._processes: dict[int, psutil.Process] = {}
        self._lock = threading.Lock()
        self._nvml: Any = None
        self._gpu_note = ""
        psutil.cpu_percent(interval=None)  # the first reading: later ones are since the last
        self._app.cpu_percent(interval=None)

    def sample(self) -> SystemMetrics:
        with self._lock:
            memory = psutil.virtual_memory()
            gpus = self._gpus()
            return SystemMetrics(
                time=time.time(),
                cpu_percent=psutil.cpu_percent(interval=None),
                app_cpu_percent=self._app.cpu_percent(interval=None),
                app_rss_bytes=self._app.memory_info().rss,
                total_memory_bytes=memory.total,
                available_memory_bytes=memory.available,
                workers=self._workers(),
                tokens_per_second=self._speed(),
                gpus=gpus,
                gpu_note="" if gpus else self._gpu_note,
            )

    def _workers(self) -> list[WorkerMetrics]:
        found = []
        alive: set[int] = set()
        for status in self._models():
            if status.pid is None or status.owner_pid not in (None, self._app.pid):
                continue  # another app process's model: its own monitor shows it
            process = self._processes.get(status.pid)
            try:
                if process is None:
                    process = self._processes[status.pid] = psutil.Process(status.pid)
                    process.cpu_percent(interval=None)
                found.append(
                    WorkerMetrics(
                        model=status.id,
                        pid=status.pid,
                        rss_bytes=process.memory_info().rss,
                        cpu_percent=process.cpu_percent(interval=None),
                    )
                )
                alive.add(status.pid)
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue  # a served model (no local process), or one that just ended
        self._processes = {pid: p for pid, p in self._processes.items() if pid in alive}
        return found

    def _gpus(self) -> list[GpuMetrics]:
        nvml = self._nvml_module()
        if nvml is None:
            return []
        try:
            gpus = []
            for index in range(nvml.nvmlDeviceGetCount()):
                device = nvml.nvmlDeviceGetHandleByIndex(index)
                name = nvml.nvmlDeviceGetName(device)
                use = nvml.nvmlDeviceGetUtilizationRates(device)
                memory = nvml.nvmlDeviceGetMemoryInfo(device)
                gpus.append(
                    GpuMetrics(
                        index=index,
                        name=name.decode() if isinstance(name, bytes) else str(name),
                        utilization_percent=float(use.gpu),
                        memory_used_bytes=int(memory.used),
                        memory_total_bytes=int(memory.total),
                    )
                )
            return gpus
        except Exception as exc:  # a driver that went away: no GPU figures, nothing breaks
            self._gpu_note = f"NVIDIA's management library failed: {exc}"
            return []

    def _nvml_module(self) -> Any:
        if self._nvml is not None or self._gpu_note:
            return self._nvml
        try:
            import pynvml  # nvidia-ml-py: optional

            pynvml.nvmlInit()
        except ImportError:
            self._gpu_note = "No GPU figures: NVIDIA's management library (nvidia-ml-py) is not installed."
            return None
        except Exception as exc:  # installed, but no driver or no GPU
            self._gpu_note = f"No NVIDIA GPU found ({exc})."
            return None
        self._nvml = pynvml
        return pynvml
