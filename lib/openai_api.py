"""The OpenAI HTTP API as data: what the local server accepts and answers, and what the
remote backend sends to and reads from other OpenAI-compatible servers.

Requests ignore fields they do not know (SDKs send `user`, `store`, `metadata` and more;
llama-server and LM Studio ignore them too). Responses keep unknown fields, so a remote
server's extensions (llama-server's `timings`) survive parsing.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from llamadesk.core.models.tools import ToolCall


class WireRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")


class WireResponse(BaseModel):
    model_config = ConfigDict(extra="allow")


# --- errors ---------------------------------------------------------------------------


class ErrorDetail(WireResponse):
    message: str
    type: str = "invalid_request_error"
    param: str | None = None
    code: str | None = None


class ErrorBody(WireResponse):
    """`{"error": {...}}`, the body of every non-2xx answer."""

    error: ErrorDetail


# --- models ---------------------------------------------------------------------------


class ModelCard(WireResponse):
    id: str
    object: Literal["model"] = "model"
    created: int = 0
    owned_by: str = "llamadesk"


class ModelList(WireResponse):
    object: Literal["list"] = "list"
    data: list[ModelCard] = Field(default_factory=list)


# --- chat completions -----------------------------------------------------------------


class FileIn(WireRequest):
    """A `file` content part's file: its bytes inline (base64, or a data: URL) or an uploaded id."""

    file_data: str | None = None
    filename: str | None = None
    file_id: str | None = None


class ContentPart(WireRequest):
    type: str
    text: str | None = None
    file: FileIn | None = None  # type `file`


class FunctionCallIn(WireRequest):
    name: str
    arguments: str | dict[str, Any] = "{}"  # OpenAI sends JSON text; some clients an object


class ToolCallIn(WireRequest):
    """A call an earlier assistant message made, as the client sends the history back."""

    id: str
    type: Literal["function"] = "function"
    function: FunctionCallIn


class ChatMessageIn(WireRequest):
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[ContentPart] | None = None
    name: str | None = None
    tool_calls: list[ToolCallIn] | None = None  # assistant messages
    tool_call_id: str | None = None  # tool messages: the call answered


class FunctionDefinitionIn(WireRequest):
    name: str
    description: str | None = None
    parameters: dict[str, Any] | None = None  # a JSON schema of type object
    strict: bool | None = None


class ToolIn(WireRequest):
    type: Literal["function"] = "function"
    function: FunctionDefinitionIn


class FunctionNameIn(WireRequest):
    name: str


class NamedToolChoiceIn(WireRequest):
    """`{"type": "function", "function": {"name": ...}}`: the model must call that function."""

    type: Literal["function"] = "function"
    function: FunctionNameIn


class StreamOptions(WireRequest):
    include_usage: bool = False


class ResponseFormat(WireRequest):
    type: Literal["text", "json_object", "json_schema"] = "text"
    json_schema: dict[str, Any] | None = None


class SamplingFields(WireRequest):
    """Fields chat and text completions share. None means "the user's default"."""

    model: str
    stream: bool = False
    stream_options: StreamOptions | None = None
    max_tokens: int | None = Field(None, ge=1)
    temperature: float | None = Field(None, ge=0.0, le=5.0)
    top_p: float | None = Field(None, gt=0.0, le=1.0)
    stop: str | list[str] | None = None
    seed: int | None = None
    presence_penalty: float | None = Field(None, ge=-2.0, le=2.0)
    frequency_penalty: float | None = Field(None, ge=-2.0, le=2.0)
    n: int = Field(1, ge=1, le=16, description="Answers to generate, one after the other.")
    # llama.cpp's extensions, as llama-server and llama_cpp.server accept them.
    top_k: int | None = Field(None, ge=0)
    min_p: float | None = Field(None, ge=0.0, le=1.0)
    repeat_penalty: float | None = Field(None, ge=0.0, le=5.0)
    grammar: str | None = None


class ChatCompletionRequest(SamplingFields):
    messages: list[ChatMessageIn] = Field(min_length=1)
    max_completion_tokens: int | None = Field(None, ge=1)
    response_format: ResponseFormat | None = None
    tools: list[ToolIn] | None = None
    tool_choice: Literal["auto", "none", "required"] | NamedToolChoiceIn | None = None
    parallel_tool_calls: bool | None = None  # accepted; a model may always make several calls
    logprobs: bool | None = None
    top_logprobs: int | None = Field(None, ge=0, le=20)
    # Known, and refused by the server when set (it answers 400 naming them, never ignores them).
    logit_bias: dict[str, float] | None = None
    functions: list[Any] | None = None
    function_call: Any = None
    audio: Any = None
    modalities: list[str] | None = None
    prediction: Any = None
    web_search_options: Any = None


class CompletionRequest(SamplingFields):
    prompt: str | list[str]
    max_tokens: int | None = Field(16, ge=1)  # OpenAI's default for text completions
    logprobs: int | None = Field(None, ge=0, le=5)
    # Known, and refused by the server when set.
    echo: bool | None = None
    suffix: str | None = None
    best_of: int | None = None
    logit_bias: dict[str, float] | None = None


class EmbeddingRequest(WireRequest):
    model: str
    input: str | list[str]
    # The official client asks for base64 (float32, little-endian) unless told otherwise.
    encoding_format: Literal["float", "base64"] = "float"


class UsageOut(WireResponse):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0


class Timings(WireResponse):
    """llama-server's `timings` extension; both directions use it."""

    prompt_n: int | None = None
    prompt_ms: float | None = None
    predicted_n: int | None = None
    predicted_ms: float | None = None
    predicted_per_second: float | None = None


class FunctionCallOut(WireResponse):
    name: str
    arguments: str  # JSON text


class ToolCallOut(WireResponse):
    """A call as OpenAI writes it, in answers and in the history sent back to a server."""

    id: str
    type: Literal["function"] = "function"
    function: FunctionCallOut

    @classmethod
    def of(cls, call: ToolCall) -> ToolCallOut:
        return cls(id=call.id, function=FunctionCallOut(name=call.name, arguments=call.arguments))


class AssistantMessage(WireResponse):
    role: Literal["assistant"] = "assistant"
    content: str | None = None
    reasoning_content: str | None = None
    tool_calls: list[ToolCallOut] | None = None


class ChatChoice(WireResponse):
    index: int = 0
    message: AssistantMessage
    finish_reason: str | None = None
    logprobs: dict[str, Any] | None = None  # {"content": [{token, logprob, bytes, top_logprobs}]}


class ChatCompletion(WireResponse):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[ChatChoice]
    usage: UsageOut | None = None
    timings: Timings | None = None


class FunctionCallDelta(WireResponse):
    name: str | None = None
    arguments: str | None = None


class ToolCallDelta(WireResponse):
    """A piece of a streamed call: the first names it (`id`, `function.name`), the rest add
    to `function.arguments`; `index` says which call of the answer it belongs to."""

    index: int = 0
    id: str | None = None
    type: str | None = None
    function: FunctionCallDelta | None = None


class ChunkDelta(WireResponse):
    role: str | None = None
    content: str | None = None
    reasoning_content: str | None = None
    tool_calls: list[ToolCallDelta] | None = None


class ChunkChoice(WireResponse):
    index: int = 0
    delta: ChunkDelta = Field(default_factory=ChunkDelta)
    finish_reason: str | None = None


class ChatCompletionChunk(WireResponse):
    id: str = ""
    object: str = "chat.completion.chunk"
    created: int = 0
    model: str = ""
    choices: list[ChunkChoice] = Field(default_factory=list)
    usage: UsageOut | None = None
    timings: Timings | None = None


class CompletionChoice(WireResponse):
    index: int = 0
    text: str
    finish_reason: str | None = None
    logprobs: dict[str, Any] | None = None  # {tokens, token_logprobs, top_logprobs, text_offset}


class Completion(WireResponse):
    id: str
    object: Literal["text_completion"] = "text_completion"
    created: int
    model: str
    choices: list[CompletionChoice]
    usage: UsageOut | None = None


class EmbeddingItem(WireResponse):
    object: Literal["embedding"] = "embedding"
    index: int
    embedding: list[float] | str = Field(description="The floats, or base64 of float32 when asked.")


class EmbeddingList(WireResponse):
    object: Literal["list"] = "list"
    data: list[EmbeddingItem]
    model: str
    usage: UsageOut
