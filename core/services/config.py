"""The user's settings: the core's `AppConfig` and each plugin's section, in one file.

`config.json` holds the core's fields at the top level and each plugin's settings
under its namespace (`"server": {"port": 8765}`). Nothing in it is lost:

- a file that does not parse, or whose core fields do not validate, is moved aside
  (`config.json.corrupt-<time>`) and defaults are used, with a notice;
- a plugin section that does not validate gets its defaults, with a notice, and the
  file is copied aside before anything is written over it;
- sections no loaded plugin claims (a plugin disabled or uninstalled) are kept as
  they are and written back unchanged;
- top-level keys of an older file that a plugin now owns (`server_port` ->
  `server.port`) move into its namespace when it declares them (`moved_keys`).
"""

from __future__ import annotations

import json
import logging
import shutil
import threading
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError

from ..disk_space import is_out_of_space
from ..errors import N_, ConfigError, InvalidParams
from ..fileio import atomic_write_text
from ..models.app_config import AppConfig
from ..models.base import UserOptions
from ..models.settings import ConfigResult, SettingsSection

log = logging.getLogger(__name__)

Listener = Callable[[AppConfig], None]
T = TypeVar("T", bound=UserOptions)


class ConfigService:
    """Owns config.json. Thread-safe; every change is validated whole, then saved atomically."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.notices: list[str] = []
        self._lock = threading.Lock()
        self._listeners: list[Listener] = []
        self._sections: dict[str, SettingsSection] = {}
        self._owners: dict[str, str] = {}  # namespace -> the plugin that declared it
        self._values: dict[str, UserOptions] = {}
        self._backup: Path | None = None
        self._unclaimed, self._config = self._load()

    @property
    def config(self) -> AppConfig:
        return self._config

    # --- plugin sections -----------------------------------------------------------------

    def add_section(self, section: SettingsSection, plugin: str) -> None:
        """Take `plugin`'s section: its values from the file (moving keys of an older file
        into it), or its defaults. Raises ValueError when the namespace is taken."""
        namespace = section.namespace
        with self._lock:
            if namespace in AppConfig.model_fields or namespace in self._sections:
                raise ValueError(f"the settings namespace {namespace!r} is already taken")
            stored = self._unclaimed.get(namespace)
            data = dict(stored) if isinstance(stored, Mapping) else {}
            moved = {
                new: self._unclaimed[old] for old, new in section.moved_keys.items() if old in self._unclaimed
            }
            try:
                value = section.model.model_validate({**moved, **data})
            except ValidationError as exc:
                backup = self._back_up()
                self.notices.append(
                    f"Your {section.title} settings could not be read ({_short_reason(exc)}); defaults "
                    f"are used. The old file was kept as {backup.name}."
                )
                value = section.model()
            self._sections[namespace] = section
            self._owners[namespace] = plugin
            self._values[namespace] = value
            self._unclaimed.pop(namespace, None)
            if moved:
                for old in section.moved_keys:
                    self._unclaimed.pop(old, None)
                log.info("settings %s moved into %s", sorted(section.moved_keys), namespace)
                self._save(self._config, self._values)

    def section(self, model: type[T]) -> T:
        """A plugin's settings, by the model it declared."""
        value = self._values[self.namespace_of(model)]
        assert isinstance(value, model)
        return value

    def namespace_of(self, model: type[UserOptions]) -> str:
        for namespace, section in self._sections.items():
            if section.model is model:
                return namespace
        raise LookupError(f"no settings section of type {model.__name__} was declared")

    def sections(self) -> list[tuple[str, SettingsSection]]:
        """(plugin, section) for every plugin section, in the order they were declared."""
        return [(self._owners[ns], section) for ns, section in self._sections.items()]

    # --- reading and changing --------------------------------------------------------------

    def snapshot(self) -> ConfigResult:
        """Every setting: the core's, and each plugin's by namespace."""
        with self._lock:
            return self._result(self._config, self._values)

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener(core_config)` after every change. Returns an unsubscribe."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def update(self, values: Mapping[str, Any]) -> ConfigResult:
        """Merge `values` (nested objects or dotted keys, core or `<namespace>.<field>`),
        validate everything, save. A key no setting has is an InvalidParams naming it."""
        with self._lock:
            core = self._config.model_dump(mode="json")
            sections = {ns: value.model_dump(mode="json") for ns, value in self._values.items()}
            for key, value in values.items():
                head = key.split(".", 1)[0]
                if head in AppConfig.model_fields:
                    _set_dotted(core, key, value)
                elif head in sections:
                    _set_dotted(sections, key, value)
                else:
                    raise InvalidParams(N_("no setting {key!r}; see `llamadesk config get`"), key=key)
            new_config = _validated(AppConfig, core, prefix="")
            new_values = {
                ns: _validated(self._sections[ns].model, data, prefix=f"{ns}.")
                for ns, data in sections.items()
            }
            self._save(new_config, new_values)
            self._config, self._values = new_config, new_values
            result = self._result(new_config, new_values)
        self._notify(new_config)
        return result

    def reset(self) -> ConfigResult:
        """Every setting back to its default (sections no plugin claims are kept)."""
        with self._lock:
            new_config = AppConfig()
            new_values = {ns: section.model() for ns, section in self._sections.items()}
            self._save(new_config, new_values)
            self._config, self._values = new_config, new_values
            result = self._result(new_config, new_values)
        self._notify(new_config)
        return result

    # --- internals -------------------------------------------------------------------------

    @staticmethod
    def _result(config: AppConfig, values: Mapping[str, UserOptions]) -> ConfigResult:
        return ConfigResult(
            config=config, plugins={ns: value.model_dump(mode="json") for ns, value in values.items()}
        )

    def _notify(self, config: AppConfig) -> None:
        for listener in list(self._listeners):
            try:
                listener(config)
            except Exception:
                log.exception("config listener failed")

    def _load(self) -> tuple[dict[str, Any], AppConfig]:
        """(what no core field claims, the core's settings) from the file."""
        if not self.path.exists():
            return {}, AppConfig()
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if not isinstance(data, dict):
                raise ValueError("the file does not hold a JSON object")
            core = {k: v for k, v in data.items() if k in AppConfig.model_fields}
            config = AppConfig.model_validate(core)
        except (OSError, UnicodeDecodeError, ValueError) as exc:  # ValidationError is a ValueError
            backup = self._move_aside()
            reason = _short_reason(exc)
            self.notices.append(
                f"Your settings file could not be read ({reason}). It was kept as {backup.name} "
                "and default settings are used."
            )
            log.warning("config %s unreadable (%s); moved to %s", self.path, reason, backup)
            return {}, AppConfig()
        return {k: v for k, v in data.items() if k not in AppConfig.model_fields}, config

    def _aside_name(self) -> Path:
        stamp = datetime.now().strftime("%Y%m%dT%H%M%S")
        backup = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        counter = 1
        while backup.exists():
            backup = self.path.with_name(f"{self.path.name}.corrupt-{stamp}-{counter}")
            counter += 1
        return backup

    def _move_aside(self) -> Path:
        backup = self._aside_name()
        self.path.rename(backup)
        return backup

    def _back_up(self) -> Path:
        """A copy of the file as it was read, made once, before anything overwrites it."""
        if self._backup is None:
            self._backup = self._aside_name()
            if self.path.exists():
                shutil.copy2(self.path, self._backup)
        return self._backup

    def _save(self, config: AppConfig, values: Mapping[str, UserOptions]) -> None:
        data: dict[str, Any] = config.model_dump(mode="json")
        data.update({ns: value.model_dump(mode="json") for ns, value in values.items()})
        data.update(self._unclaimed)
        try:
            atomic_write_text(self.path, json.dumps(data, indent=2) + "\n")
        except OSError as exc:  # the old file is intact: the new one was a temp file until the rename
            reason = "the disk is full; free some space" if is_out_of_space(exc) else exc.strerror or exc
            raise ConfigError(
                N_("could not save settings to {path}: {reason}"), path=self.path, reason=reason
            ) from exc


def _validated(model: type[T] | type[AppConfig], data: dict[str, Any], prefix: str) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_context=False)
        fields = {prefix + ".".join(str(p) for p in e["loc"]): e["msg"] for e in errors}
        first = next(iter(fields.items()))
        raise InvalidParams(
            N_("{field}: {problem}"), fields=fields, field=first[0], problem=first[1]
        ) from None


def _set_dotted(target: dict[str, Any], key: str, value: Any) -> None:
    """`a.b` = v sets target['a']['b']; a dict value merges into a nested section."""
    *parents, last = key.split(".")
    node = target
    for part in parents:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    if isinstance(value, Mapping) and isinstance(node.get(last), dict):
        for sub_key, sub_value in value.items():
            _set_dotted(node[last], sub_key, sub_value)
    else:
        node[last] = value


def _short_reason(exc: BaseException) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        return f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
    return str(exc).splitlines()[0][:200]
