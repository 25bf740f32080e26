"""The model worker: a child process that owns one `llama_cpp.Llama`.

Started with the multiprocessing spawn context (a fresh interpreter, so it also
works frozen once `multiprocessing.freeze_support()` ran). It speaks the typed
messages of `messages.py` over one duplex pipe: requests in (WorkerGenerate,
WorkerEmbed, WorkerCountTokens, WorkerCountPrompt, WorkerCancel, WorkerShutdown), events
out (WorkerLoadProgress, WorkerReady or WorkerLoadFailed, then per job WorkerTokens...
and WorkerToolCall..., WorkerDone or WorkerJobFailed; WorkerEmbeddings or
WorkerTokenCounts for the others). The model has `parallel` slots, and every active
generation advances in one batch per step (`worker_loop.py`, `batch_loop.py`). A stop
is a shared integer per slot that the parent writes the job id into and the loop reads
every step, so it is seen within one token even while the pipe is busy. If the parent
dies, the pipe closes and the worker exits.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
from collections import deque
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from llamadesk.core.models.llama import LoadOptions, ModelPart

from .drafting import drafting_kind
from .gpu_build import can_offload, layers_on_gpu
from .messages import WorkerLoadFailed, WorkerLoadProgress, WorkerPromptCache, WorkerReady, WorkerRpcLaunch
from .placement import PlacementLog

PROGRESS_STEP = 0.05  # send loading progress in 5% steps, not once per tensor
GGML_LOG_LEVEL_WARN, GGML_LOG_LEVEL_ERROR = 3, 4
CACHE_TYPES = {"f32": 0, "f16": 1, "q4_0": 2, "q8_0": 8}  # ggml's type ids


def worker_main(
    conn: Connection,
    cancel_flags: Any,
    path: str,
    options_json: str,
    rpc_json: str | None = None,
    abort_message: Any = None,
    cache_json: str | None = None,
) -> None:
    """Entry point of the child process. With `rpc_json` (a WorkerRpcLaunch) the model is split
    across RPC workers; a ggml abort (an RPC worker gone) leaves its message in `abort_message`
    (a shared char array) for the parent, which sees this process end. With `cache_json` (a
    WorkerPromptCache) conversations' states are saved and restored."""
    # Ctrl+C in a terminal reaches the whole process group; stopping is the parent's call.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    options = LoadOptions.model_validate_json(options_json)
    rpc = WorkerRpcLaunch.model_validate_json(rpc_json) if rpc_json else None
    if rpc is not None:  # this process mostly waits for the workers: let its threads sleep meanwhile
        from .ggml_rpc import wait_passively

        wait_passively()
    errors, placement = _capture_llama_log()  # loads llama.cpp
    try:
        worker_devices = _use_rpc_workers(rpc, abort_message) if rpc is not None else {}
        llm = _load(path, options, lambda p: conn.send(WorkerLoadProgress(progress=p)), rpc)
        if rpc is not None:
            from .rpc_sockets import watch_connections

            watch_connections(rpc.endpoints)  # the model's connections exist once it is loaded
    except Exception as exc:
        detail = errors[-1] if errors else str(exc)
        conn.send(WorkerLoadFailed(message=f"llama.cpp could not load {os.path.basename(path)}: {detail}"))
        return
    draft = None
    try:
        if drafting_kind(options) == "model":
            draft = _load_draft(llm, options, errors)
        cache = WorkerPromptCache.model_validate_json(cache_json) if cache_json else None
        _serve(
            conn,
            cancel_flags,
            llm,
            options,
            placement.parts(worker_devices),
            _store(path, options, cache),
            draft,
        )
    except DraftModelRefused as exc:
        conn.send(WorkerLoadFailed(message=str(exc)))
    finally:
        if draft is not None:
            draft.close()
        llm.close()


class DraftModelRefused(Exception):
    """The draft model did not load, or cannot draft for the model."""


def _load_draft(llm: Any, options: LoadOptions, errors: deque[str]) -> Any:
    """The draft model, loaded like the model (same context, slots, threads and cache types)
    and checked to share its vocabulary; DraftModelRefused says why not."""
    import llama_cpp

    from .draft_model import DraftModel, vocab_mismatch

    assert options.draft_model is not None
    name = os.path.basename(options.draft_model)
    try:
        draft_llm = _load(options.draft_model, options, lambda _p: None, None)
    except Exception as exc:
        detail = errors[-1] if errors else str(exc)
        raise DraftModelRefused(f"llama.cpp could not load the draft model {name}: {detail}") from None
    problem = vocab_mismatch(llm, draft_llm)
    if problem is not None:
        draft_llm.close()
        raise DraftModelRefused(
            f"{name} cannot draft for {os.path.basename(llm.model_path)}: {problem}; "
            "a draft model must share the model's vocabulary (a smaller model of the same family)"
        )
    return DraftModel(draft_llm, int(llama_cpp.llama_vocab_n_tokens(llm._model.vocab)))


def _use_rpc_workers(rpc: WorkerRpcLaunch, abort_message: Any) -> dict[str, str]:
    """Add the RPC workers' devices to ggml's; returns device name (RPC0...) -> HOST:PORT."""
    from .ggml_rpc import GgmlRpc

    ggml = GgmlRpc()
    if abort_message is not None:

        def keep_message(message: bytes | None) -> None:
            # Called on ggml's failing thread just before it aborts the process.
            abort_message.value = (message or b"")[: len(abort_message) - 1]

        ggml.on_abort(keep_message)
    names = ggml.add_servers(rpc.endpoints)
    return {
        device: endpoint for endpoint, devices in zip(rpc.endpoints, names, strict=True) for device in devices
    }


def _store(path: str, options: LoadOptions, cache: WorkerPromptCache | None) -> Any:
    """The model's prompt store, or None when the cache is off (or its folder unusable)."""
    if cache is None:
        return None
    import llama_cpp

    from .prompt_store import PromptStore, state_key

    try:
        return PromptStore(
            Path(cache.folder), state_key(path, options, llama_cpp.__version__), cache.max_bytes
        )
    except OSError as exc:
        logging.getLogger(__name__).warning("prompt cache off: %s", exc)
        return None


def _serve(
    conn: Connection,
    cancel_flags: Any,
    llm: Any,
    options: LoadOptions,
    parts: list[ModelPart],
    store: Any = None,
    draft: Any = None,
) -> None:
    from .batch_loop import BatchLoop
    from .chat_template import ChatPrompt, choose_template
    from .embedding import Embedder
    from .generation import Generator
    from .worker_loop import RequestLoop

    try:
        choice = choose_template(llm.metadata.get("tokenizer.chat_template"), options.chat_template)
        bos, eos = _token_text(llm, llm.token_bos()), _token_text(llm, llm.token_eos())
        prompt = ChatPrompt(choice, bos_token=bos, eos_token=eos)
        loop = BatchLoop(llm, store)
        generator = Generator(
            llm,
            prompt,
            split_reasoning=options.reasoning_format != "none",
            seed=options.seed,
            loop=loop,
            drafting=drafting_kind(options),
            draft_model=draft,
        )
        embedder = Embedder(llm)
    except Exception as exc:  # a chat template that does not compile, mostly
        conn.send(
            WorkerLoadFailed(message=f"{os.path.basename(llm.model_path)}: {type(exc).__name__}: {exc}")
        )
        return
    offloaded, layer_count = _offloaded_layers(llm, options.gpu_layers, parts)
    conn.send(
        WorkerReady(
            context_size=generator.n_ctx,
            slots=loop.n_seq,
            chat_template=choice.source,
            warnings=choice.warnings,
            gpu_layers_offloaded=offloaded,
            layer_count=layer_count,
            parts=parts,
        )
    )
    try:
        RequestLoop(conn, cancel_flags, prompt, generator, embedder).serve()
    finally:
        loop.close()


def _load(
    path: str, options: LoadOptions, on_progress: Callable[[float], None], rpc: WorkerRpcLaunch | None
) -> Any:
    import llama_cpp
    import llama_cpp.llama_cpp as low_level  # what llama_cpp.Llama builds its params with
    import psutil

    last = [-1.0]

    def report(value: float, _data: Any) -> bool:
        if value - last[0] >= PROGRESS_STEP or value >= 1.0:
            last[0] = value
            on_progress(float(value))
        return True

    progress = llama_cpp.llama_progress_callback(report)

    # Llama() builds its model params internally and offers no progress hook; this
    # process exists only to hold this one model, so wrapping the default-params
    # function for the duration of the constructor affects nothing else.
    default_params = getattr(low_level, "llama_model_default_params")  # noqa: B009 (made by a decorator)

    def params_with_progress() -> Any:
        params = default_params()
        params.progress_callback = progress
        return params

    # Likewise the context's: one sequence per slot, each with its own KV cache stream (not
    # llama.cpp's unified cache: there a sequence's attention runs over the others' cells
    # too, masked, which changes its logits in the last bits and greedy text with them).
    default_context_params = getattr(low_level, "llama_context_default_params")  # noqa: B009
    slots = options.parallel or 1

    def context_params_with_slots() -> Any:
        params = default_context_params()
        params.n_seq_max = slots
        params.kv_unified = False
        return params

    threads = options.threads or psutil.cpu_count(logical=False) or os.cpu_count() or 1
    setattr(low_level, "llama_model_default_params", params_with_progress)  # noqa: B010
    setattr(low_level, "llama_context_default_params", context_params_with_slots)  # noqa: B010
    try:
        return llama_cpp.Llama(
            model_path=path,
            n_ctx=options.context_size * slots,  # llama.cpp's n_ctx is all the slots' cells
            n_gpu_layers=options.gpu_layers if rpc is None else rpc.n_gpu_layers,
            tensor_split=rpc.tensor_split if rpc is not None and rpc.tensor_split else None,
            n_threads=threads,
            n_threads_batch=threads,
            n_batch=options.batch_size,
            n_ubatch=min(options.batch_size, 512),
            flash_attn=options.flash_attention,
            type_k=CACHE_TYPES[options.cache_type_k],
            type_v=CACHE_TYPES[options.value_cache_type],
            use_mmap=options.use_mmap,
            use_mlock=options.use_mlock,
            seed=llama_cpp.LLAMA_DEFAULT_SEED if options.seed is None else options.seed,
            verbose=False,
        )
    finally:
        setattr(low_level, "llama_model_default_params", default_params)  # noqa: B010
        setattr(low_level, "llama_context_default_params", default_context_params)  # noqa: B010


def _offloaded_layers(llm: Any, requested: int, parts: list[ModelPart]) -> tuple[int, int]:
    """(layers on this machine's GPU, layers in all). Where llama.cpp logged the placement, its
    own count; else as it places them: the last `requested` of the repeating layers plus the
    output layer (-1: all), or none with a build that has no GPU backend. (Not llama.cpp's
    `llama_supports_gpu_offload()`: an RPC build says yes to that with no GPU at all.)"""
    import llama_cpp

    total = int(llama_cpp.llama_model_n_layer(llm._model.model)) + 1  # + the output layer
    if parts:
        return sum(p.layers for p in parts if not p.remote and p.device != "CPU"), total
    if not can_offload():
        return 0, total
    return layers_on_gpu(total, requested), total


def _capture_llama_log() -> tuple[deque[str], PlacementLog]:
    """Keep llama.cpp's last warning and error lines (they say why a load failed) instead of
    printing them, and what it says about where it puts the model."""
    import llama_cpp

    errors: deque[str] = deque(maxlen=5)
    placement = PlacementLog()

    def log(level: int, text: bytes, _data: Any) -> None:
        line = text.decode("utf-8", errors="replace").strip()
        if not line:
            return
        if level in (GGML_LOG_LEVEL_WARN, GGML_LOG_LEVEL_ERROR):
            errors.append(line)
        elif "load_tensors" in line or "buffer size" in line:
            placement.feed(line)

    on_log = llama_cpp.llama_log_callback(log)

    _capture_llama_log.callback = on_log  # type: ignore[attr-defined]  # keep it alive
    llama_cpp.llama_log_set(on_log, ctypes.c_void_p(0))
    return errors, placement


def _token_text(llm: Any, token: int) -> str:
    return str(llm._model.token_get_text(token)) if token != -1 else ""
