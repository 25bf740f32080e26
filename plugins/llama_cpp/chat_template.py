"""Turning chat turns into the prompt text a model was trained on.

The GGUF's own Jinja template (`tokenizer.chat_template`) is rendered exactly as
llama-cpp-python renders it (its `Jinja2ChatFormatter`: sandboxed Jinja with
HF-compatible `tojson`, `raise_exception`, `strftime_now`). `LoadOptions.chat_template`
overrides it with a Jinja string or one of the named formats below. A model
without a template falls back to ChatML with a warning: the most common format
among instruct models, and a readable failure when it is the wrong one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from llama_cpp.llama_chat_format import Jinja2ChatFormatter

from llamadesk.core.models.chat import ChatTurn
from llamadesk.core.models.tools import ToolDefinition

from .tool_prompt import fallback_messages, native_messages, template_reads_tools, tool_specs

FALLBACK_FORMAT = "chatml"

NAMED_TEMPLATES: dict[str, str] = {
    "chatml": (
        "{% for m in messages %}{{ '<|im_start|>' + m['role'] + '\n' + m['content'] + '<|im_end|>\n' }}"
        "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
    ),
    "llama3": (
        "{{ bos_token }}{% for m in messages %}{{ '<|start_header_id|>' + m['role'] + "
        "'<|end_header_id|>\n\n' + m['content'] + '<|eot_id|>' }}{% endfor %}"
        "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}"
    ),
    "llama2": (
        "{{ bos_token }}{% set sys = namespace(text='') %}{% for m in messages %}"
        "{% if m['role'] == 'system' %}{% set sys.text = '<<SYS>>\n' + m['content'] + '\n<</SYS>>\n\n' %}"
        "{% elif m['role'] == 'user' %}{{ '[INST] ' + sys.text + m['content'] + ' [/INST]' }}"
        "{% set sys.text = '' %}{% else %}{{ ' ' + m['content'] + eos_token }}{% endif %}{% endfor %}"
    ),
    "mistral": (
        "{{ bos_token }}{% for m in messages %}{% if m['role'] == 'assistant' %}"
        "{{ m['content'] + eos_token }}{% else %}{{ '[INST] ' + m['content'] + ' [/INST]' }}{% endif %}"
        "{% endfor %}"
    ),
    "gemma": (
        "{{ bos_token }}{% for m in messages %}{% set role = 'model' if m['role'] == 'assistant' "
        "else 'user' %}{{ '<start_of_turn>' + role + '\n' + m['content'] + '<end_of_turn>\n' }}"
        "{% endfor %}{% if add_generation_prompt %}{{ '<start_of_turn>model\n' }}{% endif %}"
    ),
    "phi3": (
        "{% for m in messages %}{{ '<|' + m['role'] + '|>\n' + m['content'] + '<|end|>\n' }}{% endfor %}"
        "{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% endif %}"
    ),
}


@dataclass
class TemplateChoice:
    """The template to use, where it came from, and what the user should be told."""

    template: str
    source: str  # "gguf", "override", or a named format
    warnings: list[str] = field(default_factory=list)


def choose_template(model_template: str | None, override: str | None) -> TemplateChoice:
    if override:
        if override in NAMED_TEMPLATES:
            return TemplateChoice(NAMED_TEMPLATES[override], override)
        return TemplateChoice(override, "override")
    if model_template:
        return TemplateChoice(model_template, "gguf")
    warning = (
        f"the model has no chat template (tokenizer.chat_template); using the {FALLBACK_FORMAT} "
        "format, which may not be the one it was trained on. Set the load option chat_template "
        f"to one of {', '.join(NAMED_TEMPLATES)} or a Jinja template if answers look wrong"
    )
    return TemplateChoice(NAMED_TEMPLATES[FALLBACK_FORMAT], FALLBACK_FORMAT, [warning])


class ChatPrompt:
    """Renders turns with a chosen template; built once per loaded model."""

    def __init__(self, choice: TemplateChoice, bos_token: str, eos_token: str) -> None:
        self.choice = choice
        self._formatter = Jinja2ChatFormatter(
            template=choice.template, eos_token=eos_token, bos_token=bos_token
        )
        self.reads_tools = template_reads_tools(choice.template)

    def render(
        self,
        messages: list[ChatTurn],
        tools: list[ToolDefinition] | None = None,
        reasoning: bool | None = None,
    ) -> str:
        """The prompt for `messages`; `tools` are offered to the model (see tool_prompt.py);
        `reasoning` is given to templates as `enable_thinking` (Qwen 3 and others read it)."""
        extra = {} if reasoning is None else {"enable_thinking": reasoning}
        if not self.reads_tools:
            turns = fallback_messages(messages, tools or [])
            return self._formatter(messages=turns, **extra).prompt  # type: ignore[arg-type]
        specs = tool_specs(tools) if tools else None
        return self._formatter(messages=native_messages(messages), tools=specs, **extra).prompt  # type: ignore[arg-type]
