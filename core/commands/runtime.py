"""runtime.* commands: load, unload, list and stop models, and generate with them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..models.llama import (
    Embeddings,
    EmbedRequest,
    GenerateRequest,
    GenerationResult,
    KeepAliveParams,
    LoadParams,
    ModelParams,
    ModelStatus,
    PromptTokens,
    RuntimeStatus,
    StatusParams,
    StopResult,
    UnloadResult,
)
from .context import CommandContext
from .spec import CommandSpec

if TYPE_CHECKING:
    from ..services.config import ConfigService
    from ..services.runtime import RuntimeService


def runtime_commands(runtime: RuntimeService, config: ConfigService) -> list[CommandSpec]:
    def load(params: LoadParams, ctx: CommandContext) -> ModelStatus:
        return runtime.load(params.model, params.options, on_event=ctx.emit, token=ctx.token)

    def unload(params: ModelParams, ctx: CommandContext) -> UnloadResult:
        return UnloadResult(model=params.model, unloaded=runtime.unload(params.model))

    def status(params: StatusParams, ctx: CommandContext) -> RuntimeStatus:
        return RuntimeStatus(models=runtime.status_everywhere() if params.all_processes else runtime.status())

    def generate(params: GenerateRequest, ctx: CommandContext) -> GenerationResult:
        if "sampling" not in params.model_fields_set:  # the user's defaults, not the model's
            params = params.model_copy(update={"sampling": config.config.sampling})
        return runtime.generate(params, ctx.emit, ctx.token)

    def embed(params: EmbedRequest, ctx: CommandContext) -> Embeddings:
        return runtime.embed(params)

    def stop(params: ModelParams, ctx: CommandContext) -> StopResult:
        return StopResult(model=params.model, stopped=runtime.stop(params.model))

    def keep_alive(params: KeepAliveParams, ctx: CommandContext) -> ModelStatus:
        return runtime.keep_alive(params.model, params.seconds)

    def count_prompt(params: GenerateRequest, ctx: CommandContext) -> PromptTokens:
        return PromptTokens(model=params.model, prompt_tokens=runtime.count_prompt(params))

    return [
        CommandSpec(
            id="runtime.load",
            title="Load model",
            description="Load a model into its own worker process; streams loading state and progress.",
            params=LoadParams,
            result=ModelStatus,
            handler=load,
            streaming=True,
        ),
        CommandSpec(
            id="runtime.unload",
            title="Unload model",
            description="Stop the model's generation, end its worker and free its memory.",
            params=ModelParams,
            result=UnloadResult,
            handler=unload,
        ),
        CommandSpec(
            id="runtime.status",
            title="Loaded models",
            description="Every loaded model with its state, memory and options.",
            params=StatusParams,
            result=RuntimeStatus,
            handler=status,
        ),
        CommandSpec(
            id="runtime.generate",
            title="Generate",
            description="Answer chat turns with a model (loaded on demand), streaming tokens; "
            "cancel keeps the text so far.",
            params=GenerateRequest,
            result=GenerationResult,
            handler=generate,
            streaming=True,
        ),
        CommandSpec(
            id="runtime.embed",
            title="Embed texts",
            description="Turn texts into unit-length vectors with a model (loaded on demand); "
            "a chat model's token vectors are averaged.",
            params=EmbedRequest,
            result=Embeddings,
            handler=embed,
        ),
        CommandSpec(
            id="runtime.keep_alive",
            title="Keep a model loaded",
            description="How long a loaded model stays loaded after its last use, for this model "
            "(negative: always, 0: unload when idle), instead of the idle_unload_minutes setting.",
            params=KeepAliveParams,
            result=ModelStatus,
            handler=keep_alive,
        ),
        CommandSpec(
            id="runtime.count_prompt",
            title="Count prompt tokens",
            description="Tokens the prompt of a generation request would take (chat template and tools "
            "included), by the model's own tokenizer; the model is loaded on demand.",
            params=GenerateRequest,
            result=PromptTokens,
            handler=count_prompt,
        ),
        CommandSpec(
            id="runtime.stop",
            title="Stop generating",
            description="Stop the model's current generation; its text so far is kept.",
            params=ModelParams,
            result=StopResult,
            handler=stop,
        ),
    ]
