"""A model split across machines: two real `llamadesk rpc-worker` processes on 127.0.0.1 and
the real starter model loaded across them, as a user with three computers would run it."""

from __future__ import annotations

import json
import re
import signal
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from pydantic import BaseModel

from llamadesk.core.app import App
from llamadesk.core.commands import CommandError
from llamadesk.core.models.commands import TokenEvent
from llamadesk.core.models.llama import GenerationResult, LoadOptions, ModelState, ModelStatus
from llamadesk.core.models.rpc import RpcWorkerState
from llamadesk.core.paths import AppPaths
from llamadesk.plugins.llama_cpp.rpc_split import split_for_llama, worker_layers

from ...cli.helpers import run_cli
from .conftest import SMALL
from .rpc_workers import RpcWorkerProcess

GUARD_S = 300  # a busy 2-core machine is slow; a hang is forever
GREEDY = {"temperature": 0, "max_tokens": 48}
STORY = [{"role": "user", "content": "Tell me a story about a lighthouse keeper."}]
SPLIT = LoadOptions(**{**SMALL.model_dump(), "rpc": True})


@pytest.fixture(scope="module")
def rpc_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("rpc-home")


@pytest.fixture(scope="module")
def workers(rpc_home: Path) -> Iterator[list[RpcWorkerProcess]]:
    started = [RpcWorkerProcess(rpc_home), RpcWorkerProcess(rpc_home)]
    yield started
    for worker in started:
        worker.stop()


@pytest.fixture(scope="module")
def app(rpc_home: Path, workers: list[RpcWorkerProcess]) -> Iterator[App]:
    application = App(AppPaths.under(rpc_home), load_entrypoints=False).start()
    set_workers(application, [w.endpoint for w in workers])
    yield application
    application.close()


def set_workers(app: App, endpoints: list[str]) -> None:
    app.commands.invoke("config.set", {"values": {"llama_cpp.rpc_workers": endpoints}})


def load(app: App, model: str, options: LoadOptions) -> ModelStatus:
    status = app.commands.invoke("runtime.load", {"model": model, "options": options.model_dump()})
    assert isinstance(status, ModelStatus)
    return status


def generate(app: App, model: str, tokens: list[str] | None = None) -> GenerationResult:
    def on_event(event: BaseModel) -> None:
        if isinstance(event, TokenEvent) and tokens is not None:
            tokens.append(event.text)

    params = {"model": model, "messages": STORY, "sampling": GREEDY}
    result = app.commands.invoke("runtime.generate", params, on_event=on_event)
    assert isinstance(result, GenerationResult)
    return result


def alias(tmp_path: Path, starter_model: Path, name: str) -> str:
    """Another id for the starter model (an id is the reference a model was loaded by)."""
    link = tmp_path / f"{name}.gguf"
    link.symlink_to(starter_model)
    return str(link)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_this_llama_cpp_is_built_with_rpc() -> None:
    import llama_cpp

    assert llama_cpp.llama_supports_rpc(), "make setup builds llama-cpp-python with -DGGML_RPC=on"


@pytest.mark.slow
def test_split_model_answers_token_for_token_as_loaded_locally(
    app: App, workers: list[RpcWorkerProcess], starter_model: Path, tmp_path: Path, rpc_home: Path
) -> None:
    local, split = alias(tmp_path, starter_model, "local"), alias(tmp_path, starter_model, "split")
    load(app, local, SMALL)
    expected: list[str] = []
    here = generate(app, local, expected)
    app.commands.invoke("runtime.unload", {"model": local})

    status = load(app, split, SPLIT)
    try:
        tokens: list[str] = []
        across = generate(app, split, tokens)
        assert tokens == expected and across.content == here.content
        assert across.usage.completion_tokens == here.usage.completion_tokens == GREEDY["max_tokens"]

        # Where each part runs: this machine first, then each worker, as llama.cpp placed them.
        assert status.layer_count == 31
        this_machine, first, second = status.parts
        assert this_machine.host == "" and [first.host, second.host] == [w.endpoint for w in workers]
        assert all(part.layers > 0 and (part.memory_bytes or 0) > 0 for part in status.parts)
        assert sum(part.layers for part in status.parts) == status.layer_count
        assert status.processor == f"RPC {first.layers + second.layers}/31"
        for worker in workers:
            worker.wait_for(re.compile("a model connected"))

        # `llamadesk ps` in another process lists the parts too.
        listed = run_cli("ps", home=rpc_home)
        assert listed.returncode == 0, listed.stderr
        assert f"{first.host} (CPU): {first.layers} layers" in listed.stdout
        assert f"this machine (CPU): {this_machine.layers} layers" in listed.stdout
        assert f"RPC {first.layers + second.layers}/31" in listed.stdout
    finally:
        app.commands.invoke("runtime.unload", {"model": split})


@pytest.mark.slow
@pytest.mark.parametrize("layer_split", [[0, 1, 1], [1, 2, 1]])
def test_a_layer_split_puts_the_layers_where_the_app_planned(
    app: App, starter_model: Path, tmp_path: Path, layer_split: list[float]
) -> None:
    model = alias(tmp_path, starter_model, "split-" + "-".join(map(str, layer_split)))
    status = load(app, model, SPLIT.model_copy(update={"layer_split": layer_split}))
    try:
        # What llama.cpp did (its loader's log) is what the app computed before loading.
        n_gpu_layers, tensor_split = split_for_llama(31, layer_split, [[1.0], [1.0]])
        here, per_worker = worker_layers(31, n_gpu_layers, tensor_split, [1, 1])
        assert [part.layers for part in status.parts if part.remote] == per_worker
        assert sum(part.layers for part in status.parts if not part.remote) == here
        if here == 0:  # this machine keeps only the input embeddings (llama.cpp's rule)
            assert status.processor == "RPC" and per_worker == [16, 15]
        assert generate(app, model).usage.completion_tokens == GREEDY["max_tokens"]
    finally:
        app.commands.invoke("runtime.unload", {"model": model})


def test_the_memory_check_counts_this_machine_and_what_each_worker_offers(
    app: App, workers: list[RpcWorkerProcess], starter_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app.runtime, "available_memory", lambda: 20 * 2**20)  # a very small machine
    with pytest.raises(CommandError) as caught:
        load(app, str(starter_model), SPLIT)
    assert caught.value.code == "insufficient_memory"
    message = caught.value.message
    assert message.startswith("not enough memory in the cluster:")
    assert "this machine" in message and "of 20 MiB available" in message
    for worker in workers:
        assert re.search(rf"{worker.endpoint} [\d.]+ [GM]iB of [\d.]+ GiB offered", message), message
    assert "too little on this machine." in message
    assert [w["host"] for w in caught.value.info.details["workers"]] == [w.endpoint for w in workers]


def test_a_worker_that_is_not_running_is_named_at_load(
    app: App, workers: list[RpcWorkerProcess], starter_model: Path
) -> None:
    missing = f"127.0.0.1:{free_port()}"
    set_workers(app, [workers[0].endpoint, missing])
    children = {p.pid for p in psutil.Process().children()}
    try:
        with pytest.raises(CommandError) as caught:
            load(app, str(starter_model), SPLIT)
    finally:
        set_workers(app, [w.endpoint for w in workers])
    assert caught.value.code == "load_failed"
    assert caught.value.message == (
        f"RPC worker {missing} is down (nothing listens on that port): start `llamadesk rpc-worker` "
        f"there, or take it off the list with `llamadesk rpc rm {missing}`"
    )
    assert "\n" not in caught.value.message
    assert {p.pid for p in psutil.Process().children()} == children  # refused before any process


@pytest.mark.slow
def test_a_worker_killed_mid_generation_ends_it_and_the_model_loads_again_once_it_is_back(
    starter_model: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    first, second = RpcWorkerProcess(home), RpcWorkerProcess(home)
    app = App(AppPaths.under(home), load_entrypoints=False).start()
    try:
        set_workers(app, [first.endpoint, second.endpoint])
        model = str(starter_model)
        load(app, model, SPLIT)
        tokens: list[str] = []
        five = threading.Event()

        def on_event(event: BaseModel) -> None:
            if isinstance(event, TokenEvent):
                tokens.append(event.text)
                if len(tokens) == 5:
                    five.set()

        params = {"model": model, "messages": STORY, "sampling": {"temperature": 0, "max_tokens": 2000}}
        running = app.commands.start("runtime.generate", params, on_event=on_event)
        assert five.wait(GUARD_S)
        second.kill()
        with pytest.raises(CommandError) as caught:
            running.result(timeout=GUARD_S)
        assert caught.value.code == "model_crashed"
        assert caught.value.message.startswith(f"RPC worker {second.endpoint} went away (nothing listens")
        assert "load it again once the worker is back, or without rpc" in caught.value.message
        status = app.runtime.status_of(model)
        assert status.state is ModelState.ERROR and second.endpoint in status.message

        # The app lives on: the same model loads here alone (it fits), and answers.
        alone = alias(tmp_path, starter_model, "alone")
        assert load(app, alone, SMALL).state is ModelState.READY
        assert generate(app, alone).usage.completion_tokens == GREEDY["max_tokens"]

        # Until the worker is back, a load across it says which one is missing; then it works.
        with pytest.raises(CommandError, match=f"RPC worker {second.endpoint} is down"):
            load(app, model, SPLIT)
        back = RpcWorkerProcess(home, port=second.port)
        try:
            reloaded = load(app, model, SPLIT)
            assert reloaded.state is ModelState.READY and len(reloaded.parts) == 3
            assert generate(app, model).usage.completion_tokens == GREEDY["max_tokens"]
        finally:
            app.commands.invoke("runtime.unload", {"model": model})
            back.stop()
    finally:
        app.close()
        first.stop()
        second.stop()


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_rpc_worker_stops_cleanly(tmp_path: Path, stop_signal: signal.Signals) -> None:
    worker = RpcWorkerProcess(tmp_path / "home")
    server = worker.server
    assert worker.stop(stop_signal) == 0
    assert not server.is_running() or server.status() == psutil.STATUS_ZOMBIE
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", worker.port), timeout=5).close()
    output = "".join(worker.output)
    assert "offering CPU" in output and "memory available on this machine now" in output
    assert "tensor cache:" in output and "WARNING" not in output  # loopback: no warning


def test_a_port_in_use_is_one_line(tmp_path: Path, workers: list[RpcWorkerProcess]) -> None:
    taken = workers[0].port
    done = run_cli("rpc-worker", "--port", str(taken), home=tmp_path / "home")
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"error: cannot listen on 127.0.0.1:{taken}: Address already in use "
        "(another rpc-worker? choose another --port)"
    ]


def test_rpc_verbs_add_list_and_remove_workers(workers: list[RpcWorkerProcess], tmp_path: Path) -> None:
    home = tmp_path / "home"
    added = run_cli("rpc", "add", workers[0].endpoint, home=home)
    assert added.returncode == 0, added.stderr
    assert re.fullmatch(rf"added RPC worker {workers[0].endpoint}  ready, offers [\d.]+ GB\n", added.stdout)

    missing = f"127.0.0.1:{free_port()}"
    refused = run_cli("rpc", "add", missing, home=home)
    assert refused.returncode == 1 and f"RPC worker {missing} is down" in refused.stderr
    assert run_cli("rpc", "add", missing, "--no-check", home=home).returncode == 0
    assert run_cli("rpc", "add", "not-a-port", home=home).returncode == 1

    listed = run_cli("rpc", "list", home=home)
    assert listed.stdout.splitlines() == [
        listed.stdout.splitlines()[0],
        f"{missing}  down: nothing listens on that port",
    ]
    assert listed.stdout.startswith(f"{workers[0].endpoint}  ready, offers ")
    as_json = run_cli("rpc", "--json", "list", home=home)
    states = [w["state"] for w in json.loads(as_json.stdout)["workers"]]
    assert states == [RpcWorkerState.READY.value, RpcWorkerState.DOWN.value]

    assert run_cli("rpc", "rm", missing, home=home).stdout == f"removed RPC worker {missing}\n"
    gone = run_cli("rpc", "rm", missing, home=home)
    assert gone.returncode == 1 and "is not listed" in gone.stderr
    shown = run_cli("config", "get", "llama_cpp.rpc_workers", home=home)
    assert workers[0].endpoint in shown.stdout and missing not in shown.stdout


@pytest.mark.slow
def test_llamadesk_run_splits_a_model_across_the_workers(
    app: App, starter_model: Path, rpc_home: Path, workers: list[RpcWorkerProcess]
) -> None:
    args = ("run", str(starter_model), "Say hi.", "--temperature", "0", "--max-tokens", "8", "--threads", "2")
    here = run_cli(*args, home=rpc_home, timeout=GUARD_S)
    across = run_cli(*args, "--rpc", "--layer-split", "1,1,2", home=rpc_home, timeout=GUARD_S)
    assert here.returncode == across.returncode == 0, across.stderr
    assert across.stdout == here.stdout and across.stdout.strip()
    bad = run_cli(*args, "--layer-split", "1,two", home=rpc_home)
    assert bad.returncode == 2 and "'1,two' is not numbers separated by commas" in bad.stderr
