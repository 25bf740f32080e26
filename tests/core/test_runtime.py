"""The runtime's state machine on a scripted backend: load, reload, fail, cancel, generate,
stop, crash, unload and idle unload, in milliseconds. The real llama.cpp backend has its
own tests (tests/plugins/llama_cpp, marked slow where they load the model)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from pydantic import BaseModel

from llamadesk.core.errors import Cancelled, ModelCrashed, ModelLoadFailed, NotFound
from llamadesk.core.models.app_config import AppConfig, ModelLoadOptions
from llamadesk.core.models.chat import ChatTurn, Role
from llamadesk.core.models.commands import ProgressEvent, StateEvent, TokenEvent
from llamadesk.core.models.llama import (
    EmbedRequest,
    GenerateRequest,
    GenerationDoneEvent,
    LoadOptions,
    ModelState,
    SamplingParams,
    StopReason,
)
from llamadesk.core.services.runtime import RuntimeService
from llamadesk.core.streaming import CancelToken
from tests.fake_backend.llamadesk_scripted.backend import Script, ScriptedBackend, wait_until

ECHO = "scripted/echo"
HANG_GUARD_S = 10


@pytest.fixture
def script() -> Script:
    return Script()


@pytest.fixture
def backend(script: Script) -> ScriptedBackend:
    return ScriptedBackend(script)


@pytest.fixture
def settings() -> dict[str, AppConfig]:
    return {"now": AppConfig()}


@pytest.fixture
def runtime(tmp_path: Path, backend: ScriptedBackend, settings: dict[str, AppConfig]):
    service = RuntimeService(
        settings=lambda: settings["now"],
        data_dir=tmp_path / "data",
        cache_dir=tmp_path / "cache",
        backends=lambda: [backend],
    )
    yield service
    service.close()


def ask(text: str, **sampling: object) -> GenerateRequest:
    return GenerateRequest(
        model=ECHO, messages=[ChatTurn(role=Role.USER, content=text)], sampling=SamplingParams(**sampling)
    )


def test_load_streams_state_and_progress_then_ready(runtime: RuntimeService) -> None:
    events: list[BaseModel] = []
    status = runtime.load(ECHO, on_event=events.append)
    assert status.state is ModelState.READY
    assert status.backend == "scripted" and status.pid and status.processor == "CPU"
    assert status.context_size == 2048 and status.path == ECHO
    states = [e.state for e in events if isinstance(e, StateEvent)]
    assert states[0] == "loading" and states[-1] == "ready"
    progress = [e.done for e in events if isinstance(e, ProgressEvent)]
    assert progress == [0.25, 0.5, 0.75, 1.0]
    assert runtime.elsewhere._file(ECHO).is_file()  # other processes' `ps` sees it


def test_same_options_reuse_the_model_other_options_reload(runtime: RuntimeService, backend) -> None:
    runtime.load(ECHO)
    runtime.load(ECHO)
    assert len(backend.loaded) == 1
    runtime.load(ECHO, LoadOptions(context_size=1024))
    first, second = backend.loaded
    assert not first.alive and second.alive
    assert runtime.status_of(ECHO).options == LoadOptions(context_size=1024)


def test_a_model_s_own_load_options_apply_whenever_it_loads_without_options(
    runtime: RuntimeService, backend, settings: dict[str, AppConfig]
) -> None:
    own = ModelLoadOptions(model=ECHO, options=LoadOptions(context_size=1536, threads=1))
    settings["now"] = AppConfig(model_load=[own])
    assert runtime.ensure_loaded(ECHO).options == LoadOptions(context_size=1536, threads=1)  # chat, API
    assert runtime.load(ECHO).options == LoadOptions(context_size=1536, threads=1)
    assert len(backend.loaded) == 1
    runtime.load(ECHO, LoadOptions(context_size=1024))  # options given win
    assert runtime.status_of(ECHO).options == LoadOptions(context_size=1024)
    assert runtime.default_options("scripted/other") == settings["now"].load  # others: the defaults


def test_a_failed_load_is_an_error_state_and_loading_again_recovers(runtime: RuntimeService, script) -> None:
    script.load_error = "out of video memory"
    with pytest.raises(ModelLoadFailed):
        runtime.load(ECHO)
    status = runtime.status_of(ECHO)
    assert status.state is ModelState.ERROR and status.message == "out of video memory"
    script.load_error = None
    assert runtime.load(ECHO).state is ModelState.READY


def test_a_cancelled_load_leaves_nothing_behind(runtime: RuntimeService, script) -> None:
    script.load_delay = 5.0
    token = CancelToken()
    threading.Timer(0.05, token.cancel).start()
    started = time.monotonic()
    with pytest.raises(Cancelled):
        runtime.load(ECHO, token=token)
    assert time.monotonic() - started < HANG_GUARD_S
    assert runtime.status_of(ECHO).state is ModelState.STOPPED
    assert runtime.status() == []


def test_an_unknown_model_is_not_found(runtime: RuntimeService) -> None:
    with pytest.raises(NotFound):
        runtime.load("scripted/nobody")


def test_generate_loads_on_demand_and_streams_tokens(runtime: RuntimeService) -> None:
    events: list[BaseModel] = []
    result = runtime.generate(ask("hello there world"), events.append)
    assert result.content == "hello there world" and result.stop_reason is StopReason.STOP
    assert [e.text for e in events if isinstance(e, TokenEvent)] == ["hello", " there", " world"]
    assert isinstance(events[-1], GenerationDoneEvent)
    status = runtime.status_of(ECHO)
    assert status.state is ModelState.READY and status.last_used is not None


def test_max_tokens_stops_with_length(runtime: RuntimeService) -> None:
    result = runtime.generate(ask("one two three", max_tokens=2))
    assert result.content == "one two" and result.stop_reason is StopReason.LENGTH


def test_stop_keeps_the_text_so_far_and_is_quick(runtime: RuntimeService, script) -> None:
    script.tokens, script.token_delay = ["tok "] * 1000, 0.005
    runtime.load(ECHO)
    events: list[BaseModel] = []
    done: dict[str, object] = {}
    worker = threading.Thread(target=lambda: done.update(result=runtime.generate(ask("go"), events.append)))
    worker.start()
    assert wait_until(lambda: len(events) >= 3)
    assert runtime.status_of(ECHO).state is ModelState.GENERATING
    stopped_at = time.monotonic()
    assert runtime.stop(ECHO)
    worker.join(HANG_GUARD_S)
    assert time.monotonic() - stopped_at < 0.1
    result = done["result"]
    assert result.stop_reason is StopReason.CANCELLED and 3 <= len(result.content) // 4 < 1000
    assert runtime.status_of(ECHO).state is ModelState.READY
    assert not runtime.stop(ECHO)  # nothing generating now


def test_a_cancelled_token_stops_generation(runtime: RuntimeService, script) -> None:
    script.tokens, script.token_delay = ["x"] * 1000, 0.005
    token = CancelToken()
    threading.Timer(0.03, token.cancel).start()
    result = runtime.generate(ask("go"), None, token)
    assert result.stop_reason is StopReason.CANCELLED and 0 < len(result.content) < 1000


def test_a_crash_mid_answer_is_reported_and_loading_again_recovers(runtime: RuntimeService, script) -> None:
    script.crash_after = 2
    with pytest.raises(ModelCrashed):
        runtime.generate(ask("a b c d"))
    status = runtime.status_of(ECHO)
    assert status.state is ModelState.ERROR and "died" in status.message and status.pid is None
    assert not runtime.elsewhere._file(ECHO).exists()
    assert runtime.count_tokens(ECHO, ["x"]) is None and not runtime.stop(ECHO)
    script.crash_after = None
    assert runtime.generate(ask("back again")).content == "back again"


def test_a_model_dying_while_idle_goes_to_error(runtime: RuntimeService, backend) -> None:
    runtime.load(ECHO)
    backend.loaded[0].crash("killed by the OOM killer")
    status = runtime.status_of(ECHO)
    assert status.state is ModelState.ERROR and status.message == "killed by the OOM killer"
    assert runtime.ensure_loaded(ECHO).state is ModelState.READY  # ensure_loaded reloads it
    assert len(backend.loaded) == 2


def test_unload_frees_the_model(runtime: RuntimeService, backend) -> None:
    runtime.load(ECHO)
    assert runtime.unload(ECHO)
    assert not backend.loaded[0].alive
    assert runtime.status() == [] and not runtime.unload(ECHO)


def test_idle_models_are_unloaded_busy_ones_kept(runtime: RuntimeService, settings, script) -> None:
    script.models = ["echo", "busy"]
    settings["now"] = AppConfig(idle_unload_minutes=1)
    runtime.load(ECHO)
    runtime.load("scripted/busy")
    last_used = runtime.status_of(ECHO).last_used
    assert runtime.unload_idle(now=last_used + 30) == []
    script.tokens, script.token_delay = ["x"] * 1000, 0.005
    busy = threading.Thread(
        target=runtime.generate, args=(ask("go").model_copy(update={"model": "scripted/busy"}),)
    )
    busy.start()
    assert wait_until(lambda: runtime.status_of("scripted/busy").state is ModelState.GENERATING)
    assert runtime.unload_idle(now=time.time() + 61) == [ECHO]
    runtime.stop("scripted/busy")
    busy.join(HANG_GUARD_S)
    assert [s.id for s in runtime.status()] == ["scripted/busy"]


def test_a_models_own_keep_alive_replaces_the_idle_setting(runtime: RuntimeService, settings) -> None:
    settings["now"] = AppConfig(idle_unload_minutes=1)
    runtime.load(ECHO)
    status = runtime.status_of(ECHO)
    assert status.keep_alive_s is None and status.expires_at == pytest.approx(status.last_used + 60)
    kept = runtime.keep_alive(ECHO, 600)
    assert kept.keep_alive_s == 600 and kept.expires_at == pytest.approx(kept.last_used + 600)
    assert runtime.unload_idle(now=time.time() + 120) == []  # the setting's minute no longer applies
    forever = runtime.keep_alive(ECHO, -1)
    assert forever.expires_at is None and runtime.unload_idle(now=time.time() + 10**6) == []
    assert runtime.keep_alive(ECHO, None).expires_at == pytest.approx(forever.last_used + 60)
    with pytest.raises(NotFound):
        runtime.keep_alive("scripted/other", 5)


def test_keep_alive_zero_unloads_once_the_generation_ends(runtime: RuntimeService, script) -> None:
    runtime.load(ECHO)
    script.tokens, script.token_delay = ["a", "b", "c"], 0.01
    result = runtime.generate(ask("go").model_copy(update={"keep_alive_s": 0}))
    assert result.content == "abc"  # answered first
    assert wait_until(lambda: runtime.status() == [])  # then unloaded, by the watcher, at once
    runtime.load(ECHO)
    runtime.keep_alive(ECHO, 0.2)
    assert runtime.status_of(ECHO).state is ModelState.READY
    assert wait_until(lambda: runtime.status() == [], timeout=3)  # the watcher woke at its deadline


def test_generations_at_once_on_one_model_all_finish(runtime: RuntimeService, script) -> None:
    script.token_delay = 0.002
    results: list[str] = []
    threads = [
        threading.Thread(target=lambda i=i: results.append(runtime.generate(ask(f"answer {i}")).content))
        for i in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(HANG_GUARD_S)
    assert sorted(results) == [f"answer {i}" for i in range(4)]
    assert runtime.status_of(ECHO).state is ModelState.READY


def test_embed_and_count_tokens(runtime: RuntimeService) -> None:
    assert runtime.count_tokens(ECHO, ["a b"]) is None  # not loaded: the chat estimates
    embeddings = runtime.embed(EmbedRequest(model=ECHO, input=["a b", "c"]))
    assert embeddings.vectors == [[1.0, 0.0], [0.0, 1.0]] and embeddings.prompt_tokens == 3
    assert runtime.count_tokens(ECHO, ["a b", "c d e"]) == [2, 3]


def test_remote_models_of_every_backend_and_a_failing_one_is_skipped(tmp_path: Path, backend) -> None:
    class Broken(ScriptedBackend):
        name = "broken"

        def remote_models(self):
            raise OSError("unreachable")

    runtime = RuntimeService(
        settings=AppConfig, data_dir=tmp_path, cache_dir=tmp_path, backends=lambda: [Broken(), backend]
    )
    assert [m.id for m in runtime.remote_models()] == [ECHO]


def test_close_unloads_everything(runtime: RuntimeService, backend, script) -> None:
    script.models = ["echo", "other"]
    runtime.load(ECHO)
    runtime.load("scripted/other")
    runtime.close()
    assert runtime.status() == [] and not any(m.alive for m in backend.loaded)
