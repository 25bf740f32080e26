"""Loads, validates and saves the user's AppConfig; never loses or silently overwrites it."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..errors import ConfigError, InvalidParams
from ..fileio import atomic_write_text
from ..models.app_config import AppConfig

log = logging.getLogger(__name__)

Listener = Callable[[AppConfig], None]


class ConfigService:
    """Owns config.json. A file that does not parse or validate is moved aside, not overwritten.

    Anything the user should hear about (a file moved aside) is kept in `notices`.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.notices: list[str] = []
        self._lock = threading.Lock()
        self._listeners: list[Listener] = []
        self._config = self._load()

    @property
    def config(self) -> AppConfig:
        return self._config

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener(new_config)` after every change. Returns an unsubscribe."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def update(self, values: Mapping[str, Any]) -> AppConfig:
        """Merge `values` (nested dicts or dotted keys) into the config, validate, save."""
        with self._lock:
            merged = self._config.model_dump(mode="json")
            for key, value in values.items():
                _set_dotted(merged, key, value)
            try:
                new = AppConfig.model_validate(merged)
            except ValidationError as exc:
                errors = exc.errors(include_url=False, include_context=False)
                fields = {".".join(str(p) for p in e["loc"]): e["msg"] for e in errors}
                first = next(iter(fields.items()))
                raise InvalidParams(f"{first[0]}: {first[1]}", fields=fields) from None
            self._save(new)
            self._config = new
        self._notify(new)
        return new

    def reset(self) -> AppConfig:
        with self._lock:
            new = AppConfig()
            self._save(new)
            self._config = new
        self._notify(new)
        return new

    def _notify(self, config: AppConfig) -> None:
        for listener in list(self._listeners):
            try:
                listener(config)
            except Exception:
                log.exception("config listener failed")

    def _load(self) -> AppConfig:
        if not self.path.exists():
            return AppConfig()
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return AppConfig.model_validate(data)
        except (OSError, UnicodeDecodeError, ValueError) as exc:  # ValidationError is a ValueError
            backup = self._move_aside()
            reason = _short_reason(exc)
            self.notices.append(
                f"Your settings file could not be read ({reason}). It was kept as {backup.name} "
                "and default settings are used."
            )
            log.warning("config %s unreadable (%s); moved to %s", self.path, reason, backup)
            return AppConfig()

    def _move_aside(self) -> Path:
        stamp = datetime.now().strftime("%Y%m%dT%H%M%S")
        backup = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        counter = 1
        while backup.exists():
            backup = self.path.with_name(f"{self.path.name}.corrupt-{stamp}-{counter}")
            counter += 1
        self.path.rename(backup)
        return backup

    def _save(self, config: AppConfig) -> None:
        try:
            atomic_write_text(self.path, config.model_dump_json(indent=2, exclude_defaults=False) + "\n")
        except OSError as exc:
            raise ConfigError(f"could not save settings to {self.path}: {exc.strerror or exc}") from exc


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
