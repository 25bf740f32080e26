"""The model worker: a child process that owns one `llama_cpp.Llama`.

Started with the multiprocessing spawn context (a fresh interpreter, so it also
works frozen once `multiprocessing.freeze_support()` ran). It speaks the typed
messages of `llamadesk.core.models.llama` over one duplex pipe: requests in
(WorkerGenerate, WorkerEmbed, WorkerCountTokens, WorkerCountPrompt, WorkerShutdown), events out (WorkerLoadProgress, WorkerReady or
WorkerLoadFailed, then WorkerTokens... and WorkerToolCall..., WorkerDone or WorkerJobFailed; WorkerEmbeddings or WorkerTokenCounts for the others). A stop is
not a message: the parent writes the job id into a shared integer that the loop
reads between tokens, so it is seen within one token even while the pipe is busy.
If the parent dies, the pipe closes and the worker exits.
"""

from __future__ import annotations

import ctypes
import os
import signal
from collections import deque
from collections.abc import Callable
from functools import partial
from multiprocessing.connection import Connection
from typing import Any

from llamadesk.core.models.llama import LoadOptions, ModelPart, StopReason

from .gpu_build import can_offload, layers_on_gpu
from .messages import (
    WorkerCountPrompt,
    WorkerCountTokens,
    WorkerDone,
    WorkerEmbed,
    WorkerEmbeddings,
    WorkerGenerate,
    WorkerJobFailed,
    WorkerLoadFailed,
    WorkerLoadProgress,
    WorkerReady,
    WorkerRpcLaunch,
    WorkerShutdown,
    WorkerTokenCounts,
    WorkerToolCall,
)
from .placement import PlacementLog
from .token_sender import ScoredTokenSender, TokenSender

PROGRESS_STEP = 0.05  # send loading progress in 5% steps, not once per tensor
GGML_LOG_LEVEL_WARN, GGML_LOG_LEVEL_ERROR = 3, 4


def worker_main(
    conn: Connection,
    cancel_flag: Any,
    path: str,
    options_json: str,
    rpc_json: str | None = None,
    abort_message: Any = None,
) -> None:
    """Entry point of the child process. With `rpc_json` (a WorkerRpcLaunch) the model is split
    across RPC workers; a ggml abort (an RPC worker gone) leaves its message in `abort_message`
    (a shared char array) for the parent, which sees this process end."""
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
    try:
        _serve(conn, cancel_flag, llm, options, placement.parts(worker_devices))
    finally:
        llm.close()


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


def _is_cancelled(cancel_flag: Any, job: int) -> bool:
    """The parent wrote this job's id into the shared flag: stop it."""
    return bool(cancel_flag.value == job)


def _serve(
    conn: Connection, cancel_flag: Any, llm: Any, options: LoadOptions, parts: list[ModelPart]
) -> None:
    from .chat_template import ChatPrompt, choose_template
    from .embedding import Embedder
    from .generation import GenerationError, Generator
    from .tool_use import ToolCallSink, ToolUse

    try:
        choice = choose_template(llm.metadata.get("tokenizer.chat_template"), options.chat_template)
        bos, eos = _token_text(llm, llm.token_bos()), _token_text(llm, llm.token_eos())
        prompt = ChatPrompt(choice, bos_token=bos, eos_token=eos)
        generator = Generator(
            llm, prompt, split_reasoning=options.reasoning_format != "none", seed=options.seed
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
            chat_template=choice.source,
            warnings=choice.warnings,
            gpu_layers_offloaded=offloaded,
            layer_count=layer_count,
            parts=parts,
        )
    )
    send = conn.send
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return  # the app is gone
        if isinstance(request, WorkerShutdown):
            return
        if isinstance(request, WorkerEmbed):
            send(_embed(embedder, generator, request))
            continue
        if isinstance(request, WorkerCountTokens):
            counts = [
                len(llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))
                for text in request.texts
            ]
            send(WorkerTokenCounts(job_id=request.job_id, counts=counts))
            continue
        if isinstance(request, WorkerCountPrompt):
            send(_count_prompt(prompt, generator, request))
            continue
        if not isinstance(request, WorkerGenerate):
            continue
        job = request.job_id
        scorer = generator.scorer(request.logprobs) if request.logprobs is not None else None
        tokens = TokenSender(send, job) if scorer is None else ScoredTokenSender(send, job, scorer.take)

        def send_call(call: Any, job: int = job, tokens: TokenSender = tokens, scorer: Any = scorer) -> None:
            tokens.flush()  # the text before the call goes first
            if scorer is not None:
                scorer.take()  # the call's own tokens are not text of the answer
            send(WorkerToolCall(job_id=job, call=call))

        try:
            tools = ToolUse(request.tools, request.tool_choice)
            raw = request.prompt is not None
            text = (
                request.prompt if raw else prompt.render(request.messages, tools.offered, request.reasoning)
            )
            sink, out = None, tokens.emit
            if tools.offered:  # content goes through the tool-call splitter first
                sink = ToolCallSink(tokens.emit, send_call, tools.offered)
                out = sink.emit
            reason, usage = generator.run(
                text or "",
                tools.sampling(request.sampling),
                out,
                partial(_is_cancelled, cancel_flag, job),
                scorer=scorer,
                raw=raw,
            )
            if sink is not None:
                sink.flush()
                if sink.calls and reason is StopReason.STOP:
                    reason = StopReason.TOOL_CALLS
        except (GenerationError, ValueError) as exc:  # jinja errors are ValueErrors too
            tokens.flush()
            send(WorkerJobFailed(job_id=job, message=str(exc)))
            continue
        except Exception as exc:
            tokens.flush()
            send(WorkerJobFailed(job_id=job, message=f"{type(exc).__name__}: {exc}"))
            continue
        tokens.flush()
        send(WorkerDone(job_id=job, stop_reason=reason, usage=usage, stop_sequence=generator.stop_sequence))


def _count_prompt(
    prompt: Any, generator: Any, request: WorkerCountPrompt
) -> WorkerTokenCounts | WorkerJobFailed:
    from .generation import GenerationError
    from .tool_use import ToolUse

    try:
        if request.prompt is not None:
            tokens = generator.tokenize(request.prompt, raw=True)
        else:
            offered = ToolUse(request.tools, request.tool_choice).offered
            tokens = generator.tokenize(prompt.render(request.messages, offered, request.reasoning))
    except (GenerationError, ValueError) as exc:
        return WorkerJobFailed(job_id=request.job_id, message=str(exc))
    return WorkerTokenCounts(job_id=request.job_id, counts=[len(tokens)])


def _embed(embedder: Any, generator: Any, request: WorkerEmbed) -> WorkerEmbeddings | WorkerJobFailed:
    from .generation import GenerationError

    try:
        vectors, tokens = embedder.embed(request.texts)
    except GenerationError as exc:
        return WorkerJobFailed(job_id=request.job_id, message=str(exc))
    except Exception as exc:
        return WorkerJobFailed(job_id=request.job_id, message=f"{type(exc).__name__}: {exc}")
    finally:
        generator.forget_cache()  # embedding cleared the KV cache
    return WorkerEmbeddings(job_id=request.job_id, vectors=vectors, prompt_tokens=tokens)


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

    threads = options.threads or psutil.cpu_count(logical=False) or os.cpu_count() or 1
    setattr(low_level, "llama_model_default_params", params_with_progress)  # noqa: B010
    try:
        return llama_cpp.Llama(
            model_path=path,
            n_ctx=options.context_size,
            n_gpu_layers=options.gpu_layers if rpc is None else rpc.n_gpu_layers,
            tensor_split=rpc.tensor_split if rpc is not None and rpc.tensor_split else None,
            n_threads=threads,
            n_threads_batch=threads,
            n_batch=options.batch_size,
            n_ubatch=min(options.batch_size, 512),
            flash_attn=options.flash_attention,
            use_mmap=options.use_mmap,
            use_mlock=options.use_mlock,
            seed=llama_cpp.LLAMA_DEFAULT_SEED if options.seed is None else options.seed,
            verbose=False,
        )
    finally:
        setattr(low_level, "llama_model_default_params", default_params)  # noqa: B010


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
