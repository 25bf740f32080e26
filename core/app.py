"""The core application object: wires paths, settings, plugins, services and the command table.

UI, CLI and API servers build one `App`, call `start()`, and from then on speak only
to `app.commands`. Plugins never see the `App`: their hooks receive the plugin
context (`core/interfaces/plugin_context.py`), and services get what they need
through their constructors.
"""

from __future__ import annotations

import logging
import platform
import sys
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from . import __version__, hooks
from .commands import CommandSpec, CommandTable
from .commands.chat import chat_commands
from .commands.config import config_commands
from .commands.documents import document_commands
from .commands.models import model_commands
from .commands.runtime import runtime_commands
from .commands.system import system_commands
from .commands.tools import tool_commands
from .errors import N_, Unavailable
from .interfaces.backend import Backend
from .interfaces.model_source import ModelSource
from .interfaces.tool_provider import ToolProvider
from .models.documents import DocumentText
from .models.llama import LoadOptions
from .models.settings import SettingsSchema
from .models.system import PluginList, SystemInfo
from .paths import AppPaths
from .plugin_context import AppPluginContext
from .plugins import DEFAULT_PLUGINS, LlamadeskPluginManager, list_plugins, make_plugin_manager
from .services.chat import ChatService
from .services.config import ConfigService
from .services.function_tools import FunctionToolProvider
from .services.library import ModelLibrary
from .services.runtime import STARTER, RuntimeService
from .services.settings_schema import settings_schema
from .services.system_metrics import MetricsSampler
from .services.tools import ToolService
from .starter_model import ensure_starter_model
from .streaming import EventSink

log = logging.getLogger(__name__)


class App:
    version = __version__

    def __init__(
        self,
        paths: AppPaths | None = None,
        *,
        load_entrypoints: bool = True,
        blocked: Iterable[str] = (),
        default_plugins: Sequence[str] = DEFAULT_PLUGINS,
        plugin_dirs: Sequence[Path] | None = None,
    ) -> None:
        """`plugin_dirs`: folders of pip-installed plugins; default `paths.plugins_dir`.
        (The self-test runs in a throwaway home but still looks in the user's folder.)"""
        self.paths = paths or AppPaths.from_env()
        self.config = ConfigService(self.paths.config_file)
        self._notices: list[str] = []  # what plugins asked to tell the user
        # Commands that wait on I/O or inference run here, never on the UI thread.
        self.executor = ThreadPoolExecutor(max_workers=16, thread_name_prefix="llamadesk-cmd")
        self.commands = CommandTable(self.executor)
        self.pm: LlamadeskPluginManager = make_plugin_manager(
            load_entrypoints=load_entrypoints,
            blocked=[*blocked, *self.config.config.disabled_plugins],
            defaults=default_plugins,
            plugin_dirs=[self.paths.plugins_dir] if plugin_dirs is None else plugin_dirs,
        )
        for plugin, section in hooks.collect_settings(self.pm):
            try:
                self.config.add_section(section, plugin)
            except ValueError as exc:
                self.pm.disable(plugin, "declaring settings", exc)
        self.runtime = RuntimeService(
            settings=lambda: self.config.config,
            data_dir=self.paths.data_dir,
            cache_dir=self.paths.cache_dir,
            backends=self._backends,
        )
        self.runtime.resolve_model_path = self._resolve_model_path
        self._metrics = MetricsSampler(self.runtime.status, lambda: self.runtime.last_speed)
        self.context = AppPluginContext(
            commands=self.commands,
            paths=self.paths,
            config=self.config,
            memory=self.runtime,
            notices=self._notices,
        )
        self.library = ModelLibrary(
            models_dir=lambda: self.models_dir,
            sources=self._model_sources,
            proxy=lambda: self.config.config.http_proxy,
            memory_estimate=self.runtime.estimate_memory,
            remote_models=self.runtime.remote_models,
            discover=lambda: hooks.discover_local_models(self.pm, self.context),
            options=lambda: self.config.config.downloads,
        )
        self.tools = ToolService(
            providers=self._tool_providers,
            settings=lambda: self.config.config.tools,
            allow_always=self._allow_tool_always,
        )
        self._function_tools: list[ToolProvider] = []  # plugins' plain-Python tools, made at start
        self._sources: list[ModelSource] | None = None
        self._backend_list: list[Backend] | None = None
        self._chat: ChatService | None = None
        self._disposers: list[Callable[[], None]] = []
        self._started = False

    @property
    def models_dir(self) -> Path:
        return self.config.config.models_dir or self.paths.default_models_dir

    def _resolve_model_path(self, model: str) -> str:
        """What `runtime.load` loads: `starter`, a GGUF file, or else a library reference."""
        if model == STARTER or model.endswith(".gguf") or Path(model).expanduser().is_file():
            return self.runtime.resolve_local(model)
        return str(self.library.resolve_model_path(model))

    def _model_sources(self) -> list[ModelSource]:
        # Asked once, after plugins registered: a source object may keep tokens between pulls.
        if self._sources is None:
            self._sources = hooks.collect_model_sources(self.pm, self.context)
        return self._sources

    def _backends(self) -> list[Backend]:
        if self._backend_list is None:
            self._backend_list = hooks.collect_backends(self.pm, self.context)
        return self._backend_list

    def _tool_providers(self) -> list[ToolProvider]:
        return [*self._function_tools, *hooks.collect_tool_providers(self.pm, self.context)]

    def _allow_tool_always(self, name: str) -> None:
        allowed = self.config.config.tools.always_allowed
        if name not in allowed:
            self.config.update({"tools.always_allowed": [*allowed, name]})

    @property
    def notices(self) -> list[str]:
        """Things the user should be told once: settings moved aside, plugins that failed."""
        plugin_notes = [f"Plugin {f.name} was disabled: {f.error}" for f in self.pm.failures]
        chat_notes = self._chat.notices if self._chat else []
        return [*self.config.notices, *plugin_notes, *self._notices, *chat_notes]

    @property
    def chat(self) -> ChatService:
        """Chat sessions and answers; opened at `start()` from the `get_chat_store` hook."""
        if self._chat is None:
            raise Unavailable(
                N_("chat history is not available: the app is not started or no store plugin loaded")
            )
        return self._chat

    def _open_chat(self) -> None:
        store = hooks.find_chat_store(self.pm, self.context)
        if store is None:
            log.warning("no plugin provides a chat store; chat commands are unavailable")
            return
        self._chat = ChatService(
            store,
            self.config,
            self.runtime.generate,
            prepare_model=self._prepare_model,
            count_model_tokens=self.runtime.count_tokens,
            tools=self.tools,
            documents=hooks.find_document_index(self.pm, self.context),
        )

    def _prepare_model(self, model: str, load: LoadOptions | None, on_event: EventSink | None) -> int:
        """Load `model` if needed, with a preset's `load` options when given (a model loaded
        otherwise is reloaded with them); loading events go to the chat's caller. Its context size."""
        if load is not None:
            status = self.runtime.load(model, load, on_event=on_event)
        else:
            status = self.runtime.ensure_loaded(model, on_event=on_event)
        return status.context_size or self.config.config.load.context_size

    # --- the core's own commands ---------------------------------------------------------

    def _core_commands(self) -> list[CommandSpec]:
        return [
            *config_commands(self.config, self._settings_schema),
            *system_commands(self._system_info, self._plugin_list, self._metrics.sample),
            *runtime_commands(self.runtime, self.config),
            *model_commands(self.library, lambda: ensure_starter_model(self.paths.cache_dir)),
            *chat_commands(lambda: self.chat),
            *tool_commands(self.tools),
            *document_commands(self._read_document),
        ]

    def _read_document(self, path: Path, max_bytes: int) -> DocumentText | None:
        return hooks.read_document(self.pm, self.context, path, max_bytes)

    def _settings_schema(self) -> SettingsSchema:
        return settings_schema(self.config.sections())

    def _system_info(self) -> SystemInfo:
        return SystemInfo(
            version=self.version,
            python=sys.version.split()[0],
            platform=platform.platform(),
            config_dir=str(self.paths.config_dir),
            data_dir=str(self.paths.data_dir),
            cache_dir=str(self.paths.cache_dir),
            models_dir=str(self.models_dir),
            notices=self.notices,
        )

    def _plugin_list(self) -> PluginList:
        return PluginList(plugins=list_plugins(self.pm), failures=list(self.pm.failures))

    # --- life ----------------------------------------------------------------------------

    def start(self) -> App:
        """Register the core's commands, then every plugin's, then tell plugins the app is up."""
        if self._started:
            return self
        # The core's ids go first, so no plugin can take them.
        self._disposers += [self.commands.register(spec) for spec in self._core_commands()]
        for plugin, spec in hooks.collect_commands(self.pm, self.context):
            try:
                self._disposers.append(self.commands.register(spec))
            except ValueError as exc:
                self.pm.add_failure(plugin, "registering commands", exc)
        self._function_tools = [
            FunctionToolProvider(plugin, tools)
            for plugin, tools in hooks.collect_plugin_tools(self.pm, self.context)
        ]
        self._open_chat()
        hooks.send_app_started(self.pm, self.context)
        self._started = True
        return self

    def close(self) -> None:
        self.library.cancel_all()
        if self._started:
            hooks.send_app_stopping(self.pm, self.context)
            self._started = False
        if self._chat is not None:
            self._chat.close()  # stops answers being written, before the runtime goes
            self._chat = None
        self.tools.close()
        self.runtime.close()  # unload every model, end every worker process
        self.executor.shutdown(wait=False, cancel_futures=True)

    def __enter__(self) -> App:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
