"""Loading, unloading, crashing and reloading real model workers."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import psutil
import pytest
from pydantic import BaseModel

from llamadesk.core.app import App
from llamadesk.core.commands import CommandError
from llamadesk.core.models.commands import ProgressEvent, StateEvent, TokenEvent
from llamadesk.core.models.llama import GenerationResult, ModelState
from llamadesk.core.paths import AppPaths
from llamadesk.core.services import memory_fit
from llamadesk.plugins.llama_cpp import backend as backend_module

from .conftest import SMALL

pytestmark = pytest.mark.slow  # loads the real starter model

HANG_GUARD_S = 300  # generous: a busy 2-core box is slow, a hang is forever
SAY_HI = [{"role": "user", "content": "Say hi."}]


def load(app: App, model: str, events: list[BaseModel] | None = None, **options):
    params = {"model": model, "options": {**SMALL.model_dump(), **options}}
    return app.commands.invoke("runtime.load", params, on_event=events.append if events is not None else None)


def say_hi(app: App, model: str) -> GenerationResult:
    params = {"model": model, "messages": SAY_HI, "sampling": {"temperature": 0, "max_tokens": 8}}
    result = app.commands.invoke("runtime.generate", params)
    assert isinstance(result, GenerationResult)
    return result


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_load_streams_state_and_progress(shared_app: App, model_alias: str) -> None:
    events: list[BaseModel] = []
    status = load(shared_app, model_alias, events)
    assert status.state is ModelState.READY
    states = [e.state for e in events if isinstance(e, StateEvent)]
    assert states[0] == "loading" and states[-1] == "ready"
    progress = [e.done for e in events if isinstance(e, ProgressEvent)]
    assert progress and progress[-1] == 1.0 and progress == sorted(progress)
    shared_app.commands.invoke("runtime.unload", {"model": model_alias})


def test_two_models_at_once_and_unload_frees_the_worker(
    shared_app: App, loaded_model: str, model_alias: str
) -> None:
    load(shared_app, model_alias)
    by_id = {m.id: m for m in shared_app.commands.invoke("runtime.status").models}
    first, second = by_id[loaded_model], by_id[model_alias]
    assert first.state is second.state is ModelState.READY
    assert first.pid != second.pid
    assert say_hi(shared_app, model_alias).content and say_hi(shared_app, loaded_model).content

    assert shared_app.commands.invoke("runtime.unload", {"model": model_alias}).unloaded
    assert second.pid is not None and gone(second.pid)
    assert shared_app.runtime.status_of(model_alias).state is ModelState.STOPPED
    assert shared_app.runtime.status_of(loaded_model).state is ModelState.READY
    assert not shared_app.commands.invoke("runtime.unload", {"model": model_alias}).unloaded


def test_sigkill_during_generation_sets_error_and_reload_works(shared_app: App, model_alias: str) -> None:
    pid = load(shared_app, model_alias).pid
    started = threading.Event()

    def on_event(event: BaseModel) -> None:
        if isinstance(event, TokenEvent):
            started.set()

    params = {"model": model_alias, "messages": SAY_HI, "sampling": {"max_tokens": 900, "temperature": 0}}
    running = shared_app.commands.start("runtime.generate", params, on_event=on_event)
    assert started.wait(HANG_GUARD_S)
    os.kill(pid, signal.SIGKILL)
    with pytest.raises(CommandError) as caught:
        running.result(timeout=HANG_GUARD_S)
    assert caught.value.code == "model_crashed"
    assert "killed" in caught.value.message

    status = shared_app.runtime.status_of(model_alias)
    assert status.state is ModelState.ERROR and "SIGKILL" in status.message
    reloaded = load(shared_app, model_alias)
    assert reloaded.state is ModelState.READY and reloaded.pid != pid
    assert say_hi(shared_app, model_alias).content
    shared_app.commands.invoke("runtime.unload", {"model": model_alias})


def test_worker_killed_while_idle_is_reported(shared_app: App, model_alias: str) -> None:
    pid = load(shared_app, model_alias).pid
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + HANG_GUARD_S
    while shared_app.runtime.status_of(model_alias).state is not ModelState.ERROR:
        assert time.monotonic() < deadline, "the dead worker was never noticed"
        time.sleep(0.05)
    assert "SIGKILL" in shared_app.runtime.status_of(model_alias).message
    # generate reloads a model in error on demand (ensure_loaded)
    assert say_hi(shared_app, model_alias).content
    shared_app.commands.invoke("runtime.unload", {"model": model_alias})


def test_not_a_gguf_is_refused_before_any_worker(shared_app: App, tmp_path: Path) -> None:
    fake = tmp_path / "notes.gguf"
    fake.write_text("these are not weights\n" * 10)
    with pytest.raises(CommandError) as caught:
        load(shared_app, str(fake))
    assert caught.value.code == "invalid_model_file"
    assert "not a GGUF" in caught.value.message


def test_truncated_header_is_refused(shared_app: App, tmp_path: Path, starter_model: Path) -> None:
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(starter_model.read_bytes()[: 4 * 2**20])
    with pytest.raises(CommandError) as caught:
        load(shared_app, str(cut))
    assert caught.value.code == "invalid_model_file" and "truncated" in caught.value.message


def test_truncated_weights_fail_to_load_without_hanging(
    shared_app: App, tmp_path: Path, starter_model: Path
) -> None:
    data = starter_model.read_bytes()
    cut = tmp_path / "cut-weights.gguf"
    cut.write_bytes(data[: len(data) - 1000])  # the header is whole; the last tensor is not
    with pytest.raises(CommandError) as caught:
        load(shared_app, str(cut))
    assert caught.value.code == "load_failed"
    assert "cut-weights.gguf" in caught.value.message
    status = shared_app.runtime.status_of(str(cut))
    assert status.state is ModelState.ERROR and status.message


def test_missing_file_is_not_found(shared_app: App, tmp_path: Path) -> None:
    with pytest.raises(CommandError) as caught:
        load(shared_app, str(tmp_path / "nope.gguf"))
    assert caught.value.code == "not_found"


def test_context_that_cannot_fit_is_refused(shared_app: App, model_alias: str) -> None:
    runtime = shared_app.runtime
    runtime.available_memory = lambda: 300 * 2**20  # a small machine: 300 MiB free
    try:
        with pytest.raises(CommandError) as caught:
            load(shared_app, model_alias, context_size=65536)
    finally:
        runtime.available_memory = memory_fit.available_memory
    error = caught.value
    assert error.code == "insufficient_memory"
    assert "context 65536" in error.message and "KV cache" in error.message
    assert "smaller context size" in error.message
    assert error.info.details["total_bytes"] > 300 * 2**20
    assert runtime.status_of(model_alias).state is ModelState.STOPPED


def test_idle_models_are_unloaded(shared_app: App, model_alias: str) -> None:
    pid = load(shared_app, model_alias).pid
    runtime = shared_app.runtime
    assert runtime.unload_idle(now=time.time() + 3600) == []  # off by default
    shared_app.config.update({"idle_unload_minutes": 5})
    try:
        assert model_alias not in runtime.unload_idle(now=time.time() + 60)
        assert model_alias in runtime.unload_idle(now=time.time() + 6 * 60)
    finally:
        shared_app.config.update({"idle_unload_minutes": None})
    assert gone(pid)


def test_app_close_ends_every_worker(tmp_path: Path, starter_model: Path) -> None:
    app = App(AppPaths(tmp_path / "c", tmp_path / "d", tmp_path / "k"), load_entrypoints=False).start()
    pid = load(app, str(starter_model)).pid
    app.close()
    assert gone(pid)


def test_model_without_template_falls_back_with_a_warning(
    shared_app: App, model_without_template: Path
) -> None:
    events: list[BaseModel] = []
    status = load(shared_app, str(model_without_template), events)
    assert status.chat_template == "chatml"
    assert any("no chat template" in w for w in status.warnings)
    assert any(isinstance(e, StateEvent) and "no chat template" in e.message for e in events)
    assert say_hi(shared_app, str(model_without_template)).content  # ChatML is SmolLM2's format anyway
    shared_app.commands.invoke("runtime.unload", {"model": str(model_without_template)})


def test_template_that_opens_reasoning_streams_reasoning(shared_app: App, model_alias: str) -> None:
    thinking = (
        "{% for m in messages %}{{ '<|im_start|>' + m['role'] + '\\n' + m['content'] + '<|im_end|>\\n' }}"
        "{% endfor %}{{ '<|im_start|>assistant\\n<think>\\n' }}"
    )
    load(shared_app, model_alias, chat_template=thinking)
    events: list[BaseModel] = []
    params = {"model": model_alias, "messages": SAY_HI, "sampling": {"temperature": 0, "max_tokens": 12}}
    result = shared_app.commands.invoke("runtime.generate", params, on_event=events.append)
    channels = {e.channel for e in events if isinstance(e, TokenEvent)}
    assert "reasoning" in channels and result.reasoning
    shared_app.commands.invoke("runtime.unload", {"model": model_alias})


def test_cancelled_load_leaves_nothing_behind(shared_app: App, model_alias: str) -> None:
    running = shared_app.commands.start("runtime.load", {"model": model_alias, "options": SMALL.model_dump()})
    running.cancel()
    with pytest.raises(CommandError) as caught:
        running.result(timeout=HANG_GUARD_S)
    assert caught.value.code == "cancelled"
    assert shared_app.runtime.status_of(model_alias).state is ModelState.STOPPED


def test_weights_are_read_onto_huge_pages(shared_app: App, model_alias: str) -> None:
    """The default reads the weights into memory, and the worker's glibc puts large
    allocations on transparent huge pages, unless the kernel has them off."""
    pid = load(shared_app, model_alias).pid
    environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    assert b"GLIBC_TUNABLES=glibc.malloc.hugetlb=1" in environ
    mode = Path("/sys/kernel/mm/transparent_hugepage/enabled").read_text()
    rollup = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
    huge_kib = next(int(line.split()[1]) for line in rollup if line.startswith("AnonHugePages:"))
    if "[never]" in mode:
        assert huge_kib == 0
    else:
        assert huge_kib >= 2048, f"no huge pages in the worker (mode: {mode.strip()})"
    shared_app.commands.invoke("runtime.unload", {"model": model_alias})


def test_the_fit_leaves_out_what_a_gpu_build_offloads(
    shared_app: App, model_alias: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As on a GPU build (this one is for the CPU): 10 of 31 layers on the GPU are not
    counted against RAM, and the refusal says so."""
    monkeypatch.setattr(backend_module, "can_offload", lambda: True)
    monkeypatch.setattr(shared_app.runtime, "available_memory", lambda: 300 * 2**20)
    with pytest.raises(CommandError) as caught:
        load(shared_app, model_alias, context_size=65536, gpu_layers=10)
    details = caught.value.info.details
    assert details["gpu_bytes"] > 0
    ram = details["weights_bytes"] + details["kv_cache_bytes"]
    assert ram / (ram + details["gpu_bytes"]) == pytest.approx(21 / 31, abs=1e-6)
    assert "more on the GPU" in caught.value.message
