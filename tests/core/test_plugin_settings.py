"""Plugin settings: declared by a hook, addressed as <namespace>.<field>, shown in the
Settings form, kept when their plugin is gone, and moved out of an older config file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import Field

from llamadesk.core.app import App
from llamadesk.core.commands import CommandError
from llamadesk.core.hookspecs import hookimpl
from llamadesk.core.models.base import UserOptions
from llamadesk.core.models.settings import SettingKind, SettingsSchema, SettingsSection
from llamadesk.core.paths import AppPaths
from llamadesk.core.services.config import ConfigService

# A config.json as the release before plugin settings wrote it (every field, defaults
# but for the ones a user had changed).
OLD_RELEASE_CONFIG = {
    "models_dir": None,
    "theme": "light",
    "language": "en",
    "load": {"context_size": 8192, "gpu_layers": -1, "threads": None, "batch_size": 512},
    "sampling": {"temperature": 0.5},
    "idle_unload_minutes": None,
    "server_host": "0.0.0.0",
    "server_port": 9001,
    "server_api_key": "s3cret",
    "remotes": [{"name": "gpubox", "base_url": "http://gpubox:8080/v1", "api_key": None}],
    "llama_server": {"binary": "/opt/llama-server", "extra_args": ["--flash-attn", "on"]},
    "http_proxy": None,
    "hf_endpoint": "https://hf-mirror.example",
    "chat": {"keep_history": True, "persist_interval_ms": 250, "generate_titles": False},
    "disabled_plugins": [],
}


class Notes(UserOptions):
    folder: str = Field("notes", description="Where notes go.")
    limit: int = Field(10, ge=1, description="How many to keep.")


class NotesPlugin:
    @hookimpl
    def register_settings(self):
        return SettingsSection(
            namespace="notes", model=Notes, title="Notes", moved_keys={"notes_limit": "limit"}
        )


def write_config(paths: AppPaths, data: dict) -> None:
    paths.config_dir.mkdir(parents=True, exist_ok=True)
    paths.config_file.write_text(json.dumps(data))


def notes_app(paths: AppPaths) -> App:
    import sys
    import types

    module = types.ModuleType("fixture_notes_plugin")
    module.register_settings = NotesPlugin().register_settings  # type: ignore[attr-defined]
    sys.modules["fixture_notes_plugin"] = module
    return App(paths, load_entrypoints=False, default_plugins=("fixture_notes_plugin",)).start()


def test_config_from_the_previous_release_is_migrated_nothing_lost(paths: AppPaths) -> None:
    write_config(paths, OLD_RELEASE_CONFIG)
    app = App(paths, load_entrypoints=False).start()
    try:
        get = lambda key: app.commands.invoke("config.get", {"key": key}).model_dump()["value"]  # noqa: E731
        assert get("server") == {"host": "0.0.0.0", "port": 9001, "api_key": "s3cret", "max_body_mb": 4}
        assert get("remote.servers") == OLD_RELEASE_CONFIG["remotes"]
        assert get("remote.llama_server.binary") == "/opt/llama-server"
        assert get("remote.llama_server.extra_args") == ["--flash-attn", "on"]
        assert get("huggingface.endpoint") == "https://hf-mirror.example"
        assert get("theme") == "light" and get("load.context_size") == 8192
        assert get("chat.generate_titles") is False
        assert app.notices == []
        saved = json.loads(paths.config_file.read_text())
        for old in ("server_host", "server_port", "server_api_key", "remotes", "llama_server", "hf_endpoint"):
            assert old not in saved
        assert (
            saved["server"]["port"] == 9001
            and saved["huggingface"]["endpoint"] == "https://hf-mirror.example"
        )
    finally:
        app.close()
    again = App(paths, load_entrypoints=False).start()  # the migrated file reads back the same
    try:
        assert again.commands.invoke("config.get", {"key": "server.port"}).model_dump()["value"] == 9001
    finally:
        again.close()


def test_keys_of_a_plugin_not_loaded_are_kept(paths: AppPaths) -> None:
    write_config(paths, {**OLD_RELEASE_CONFIG, "elsewhere": {"x": 1}})
    app = App(paths, load_entrypoints=False, blocked=["api_server"]).start()
    try:
        app.commands.invoke("config.set", {"values": {"theme": "dark"}})
        saved = json.loads(paths.config_file.read_text())
        assert saved["server_port"] == 9001  # no plugin claims it now: kept as it was
        assert saved["elsewhere"] == {"x": 1}
        with pytest.raises(CommandError, match=r"no setting 'server\.port'"):
            app.commands.invoke("config.set", {"values": {"server.port": 1}})
    finally:
        app.close()
    back = App(paths, load_entrypoints=False).start()  # the plugin is back: its settings too
    try:
        assert back.commands.invoke("config.get", {"key": "server.port"}).model_dump()["value"] == 9001
    finally:
        back.close()


def test_plugin_section_is_get_set_and_validated(paths: AppPaths) -> None:
    app = notes_app(paths)
    try:
        assert app.commands.invoke("config.get", {"key": "notes"}).model_dump()["value"] == {
            "folder": "notes",
            "limit": 10,
        }
        app.commands.invoke("config.set", {"values": {"notes.limit": 3}})
        assert app.context.settings(Notes).limit == 3
        with pytest.raises(CommandError) as bad:
            app.commands.invoke("config.set", {"values": {"notes.limit": 0}})
        assert bad.value.code == "invalid_params" and bad.value.message.startswith("notes.limit:")
        with pytest.raises(CommandError, match=r"notes\.lmit"):
            app.commands.invoke("config.set", {"values": {"notes.lmit": 4}})
        assert json.loads(paths.config_file.read_text())["notes"] == {"folder": "notes", "limit": 3}
        assert app.context.update_settings(Notes, {"folder": "n2"}).folder == "n2"
        app.commands.invoke("config.reset")
        assert app.context.settings(Notes) == Notes()
    finally:
        app.close()


def test_an_invalid_plugin_section_gets_defaults_and_the_file_is_kept(paths: AppPaths) -> None:
    write_config(paths, {"theme": "light", "notes": {"limit": -5}, "notes_limit": 7})
    app = notes_app(paths)
    try:
        assert app.context.settings(Notes) == Notes()
        assert app.config.config.theme == "light"  # the core's settings are untouched
        (notice,) = app.notices
        assert "Notes settings could not be read" in notice
        (backup,) = paths.config_dir.glob("config.json.corrupt-*")
        assert json.loads(backup.read_text())["notes"] == {"limit": -5}
    finally:
        app.close()


def test_a_taken_namespace_disables_the_plugin(paths: AppPaths, monkeypatch) -> None:
    import sys
    import types

    module = types.ModuleType("fixture_theme_plugin")
    module.register_settings = hookimpl(  # type: ignore[attr-defined]
        lambda: SettingsSection(namespace="theme", model=Notes, title="Clash")
    )
    monkeypatch.setitem(sys.modules, "fixture_theme_plugin", module)
    app = App(paths, load_entrypoints=False, default_plugins=("fixture_theme_plugin",)).start()
    try:
        (failure,) = app.pm.failures
        assert failure.stage == "declaring settings" and "'theme' is already taken" in failure.error
        assert not app.pm.has_plugin("fixture_theme_plugin")
    finally:
        app.close()


def test_settings_schema_has_a_group_per_plugin(app: App) -> None:
    schema = app.commands.invoke("config.schema")
    assert isinstance(schema, SettingsSchema)
    groups = {g.id: g for g in schema.groups}
    assert list(groups)[:4] == ["general", "load", "sampling", "chat"]
    assert groups["server"].plugin == "api_server" and groups["server"].title == "API server"
    fields = {f.key: f for g in schema.groups for f in g.fields}
    assert fields["theme"].kind is SettingKind.CHOICE and fields["theme"].choices == ["dark", "light"]
    assert fields["server.port"].kind is SettingKind.INT
    assert fields["server.api_key"].secret and fields["server.api_key"].optional
    assert fields["remote.llama_server.binary"].kind is SettingKind.TEXT
    assert fields["load.reasoning_format"].choices == ["auto", "none"]
    assert all(f.description for f in fields.values()), [k for k, f in fields.items() if not f.description]


def test_config_service_keeps_unclaimed_sections_across_reset(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"theme": "light", "someplugin": {"a": 1}}))
    service = ConfigService(path)
    service.reset()
    assert json.loads(path.read_text())["someplugin"] == {"a": 1}
