"""The resource monitor: system.metrics samples kept for the last minutes, drawn in the status
bar's popover and on the Models screen; a model worker's memory as /proc reads it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from llamadesk.core.models.commands import Empty
from llamadesk.core.models.llama import LoadParams, ModelParams, ModelState, ModelStatus, UnloadResult
from llamadesk.core.models.system import GpuMetrics, SystemMetrics, WorkerMetrics
from llamadesk.ui.viewmodels.metrics_history import MetricsHistory, detail_lines

from .conftest import pump


def proc_rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def sample(
    at: float, cpu: float, speed: float | None = None, gpus: list[GpuMetrics] | None = None
) -> SystemMetrics:
    return SystemMetrics(
        time=at,
        cpu_percent=cpu,
        app_cpu_percent=10,
        app_rss_bytes=300_000_000,
        total_memory_bytes=8_000_000_000,
        available_memory_bytes=4_000_000_000,
        workers=[WorkerMetrics(model="smollm2:135m", pid=42, rss_bytes=200_000_000, cpu_percent=90)],
        tokens_per_second=speed,
        gpus=gpus or [],
        gpu_note=""
        if gpus
        else "No GPU figures: NVIDIA's management library (nvidia-ml-py) is not installed.",
    )


def test_the_history_keeps_five_minutes_and_scales_each_figure() -> None:
    history = MetricsHistory()
    for i in range(200):
        history.add(sample(1000 + i * 2, cpu=50, speed=20 if i % 2 else 40))
    assert (
        history.samples[0].time == 1000 + 400 - 300 - 2 * 0
        or history.samples[-1].time - history.samples[0].time <= 300
    )
    cpu, memory, speed = history.series()
    assert cpu.now == "50%" and cpu.points[-1] == (0, 0.5)
    assert memory.now == "500.0 MB" and abs(memory.points[-1][1] - 0.0625) < 1e-9
    assert max(v for _a, v in speed.points) == 1.0 and speed.now == "20.0"
    gpu = GpuMetrics(
        index=0, name="NVIDIA H100", utilization_percent=75, memory_used_bytes=1, memory_total_bytes=2
    )
    history.add(sample(1500, cpu=10, gpus=[gpu]))
    assert history.series()[-1].label == "GPU" and history.series()[-1].now == "75%"
    lines = detail_lines(history.latest)
    assert any(line.startswith("smollm2:135m: 200.0 MB") for line in lines)
    assert any("NVIDIA H100: 75%" in line for line in lines)
    assert "nvidia-ml-py" in detail_lines(sample(1, 1))[-1]


def test_system_metrics_reads_a_worker_s_memory_as_proc_does(ui_app: Any) -> None:
    """A real child process standing for a worker: its RSS through system.metrics, within 10%."""
    child = subprocess.Popen(
        [sys.executable, "-c", "import time; block = bytearray(60_000_000); time.sleep(60)"]
    )
    try:
        time.sleep(1.0)
        from llamadesk.core.services.system_metrics import MetricsSampler  # the command's sampler

        status = ModelStatus(id="child", state=ModelState.READY, pid=child.pid, owner_pid=os.getpid())
        measured = MetricsSampler(lambda: [status], lambda: None).sample()
        (worker,) = measured.workers
        assert abs(worker.rss_bytes - proc_rss(child.pid)) <= 0.1 * proc_rss(child.pid)
        assert worker.rss_bytes > 60_000_000
    finally:
        child.kill()
        child.wait()


@pytest.mark.slow
def test_the_monitor_shows_the_starter_model_s_worker(ui_app: Any, starter_model: Path) -> None:
    model = str(starter_model)
    status = ui_app.bridge.invoke("runtime.load", LoadParams(model=model), ModelStatus)
    try:
        assert status.pid
        ui_app.refresh_status()
        pump(
            lambda: ui_app.metrics.latest and any(w.pid == status.pid for w in ui_app.metrics.latest.workers)
        )
        worker = next(w for w in ui_app.metrics.latest.workers if w.pid == status.pid)
        actual = proc_rss(status.pid)
        assert abs(worker.rss_bytes - actual) <= 0.1 * actual
        monitor = ui_app.open_monitor()
        pump(frames=3)
        panel = monitor.ids.panel
        assert "CPU" in panel.legend and "Memory" in panel.legend
        assert any(
            line.startswith(f"{Path(model).stem[:30]}") or "MB, CPU" in line
            for line in panel.details.splitlines()
        )
        monitor.dismiss()
        ui_app.show_screen("models")
        ui_app.refresh_status()
        pump(lambda: "MB, CPU" in ui_app.screens["models"].ids.monitor.details)
        raw = ui_app.bridge.invoke("system.metrics", Empty(), SystemMetrics)
        assert raw.app_rss_bytes > 50_000_000 and raw.total_memory_bytes > raw.available_memory_bytes
    finally:
        ui_app.bridge.invoke("runtime.unload", ModelParams(model=model), UnloadResult)
