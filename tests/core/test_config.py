"""Config service: defaults, partial validated updates, atomic writes, corrupt files kept aside."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from llamadesk.core.app import App
from llamadesk.core.commands import CommandError
from llamadesk.core.errors import InvalidParams
from llamadesk.core.models.app_config import AppConfig, Theme
from llamadesk.core.paths import AppPaths
from llamadesk.core.services.config import ConfigService


def test_home_env_relocates_everything(home: Path) -> None:
    paths = AppPaths.from_env()
    assert paths.config_file == home / "config" / "config.json"
    assert paths.default_models_dir == home / "data" / "models"
    assert paths.cache_dir == home / "cache"


def test_missing_file_gives_defaults_without_writing(paths: AppPaths) -> None:
    service = ConfigService(paths.config_file)
    assert service.config == AppConfig()
    assert not paths.config_file.exists()
    assert service.notices == []


def test_update_is_partial_validated_and_saved(paths: AppPaths) -> None:
    service = ConfigService(paths.config_file)
    service.update({"theme": "light", "sampling.temperature": 0.3, "load": {"context_size": 8192}})
    reloaded = ConfigService(paths.config_file).config
    assert reloaded.theme is Theme.LIGHT
    assert reloaded.sampling.temperature == 0.3
    assert reloaded.sampling.top_k == 40  # untouched siblings keep their values
    assert reloaded.load.context_size == 8192


def test_invalid_update_changes_nothing(paths: AppPaths) -> None:
    service = ConfigService(paths.config_file)
    service.update({"theme": "light"})
    before = paths.config_file.read_bytes()
    with pytest.raises(InvalidParams) as caught:
        service.update({"sampling.temperature": 99, "theme": "dark"})
    assert "sampling.temperature" in caught.value.details["fields"]
    assert service.config.theme is Theme.LIGHT
    assert paths.config_file.read_bytes() == before


def test_unknown_keys_are_rejected(paths: AppPaths) -> None:
    with pytest.raises(InvalidParams, match="colour"):
        ConfigService(paths.config_file).update({"colour": "blue"})


def test_write_is_atomic_no_temp_files_left(paths: AppPaths, monkeypatch) -> None:
    service = ConfigService(paths.config_file)
    service.update({"theme": "light"})
    replaced = []
    real_replace = os.replace
    monkeypatch.setattr(os, "replace", lambda a, b: (replaced.append((a, b)), real_replace(a, b)))
    service.update({"theme": "dark"})
    ((source, target),) = replaced
    assert Path(target) == paths.config_file and Path(source).parent == paths.config_dir
    assert [p.name for p in paths.config_dir.iterdir()] == ["config.json"]


def test_failed_write_keeps_old_file(paths: AppPaths, monkeypatch) -> None:
    service = ConfigService(paths.config_file)
    service.update({"theme": "light"})
    before = paths.config_file.read_bytes()

    def fail(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(Exception, match="the disk is full"):
        service.update({"theme": "dark"})
    assert paths.config_file.read_bytes() == before
    assert [p.name for p in paths.config_dir.iterdir()] == ["config.json"]


@pytest.mark.parametrize("content", ["{not json", '{"theme": "purple"}', "[]"])
def test_corrupt_file_is_kept_aside_and_user_told(paths: AppPaths, content: str) -> None:
    paths.config_dir.mkdir(parents=True)
    paths.config_file.write_text(content)
    service = ConfigService(paths.config_file)
    assert service.config == AppConfig()
    (backup,) = paths.config_dir.glob("config.json.corrupt-*")
    assert backup.read_text() == content
    assert not paths.config_file.exists()  # nothing was overwritten
    assert backup.name in service.notices[0]


def test_config_commands(app: App) -> None:
    assert app.commands.invoke("config.get", {"key": "theme"}).model_dump() == {
        "key": "theme",
        "value": "dark",
    }
    app.commands.invoke("config.set", {"values": {"theme": "light"}})
    assert app.commands.invoke("config.get", {"key": "theme"}).model_dump()["value"] == "light"
    assert json.loads(app.paths.config_file.read_text())["theme"] == "light"
    with pytest.raises(CommandError) as caught:
        app.commands.invoke("config.set", {"values": {"server.port": 0}})
    assert caught.value.code == "invalid_params"
    assert caught.value.message.startswith("server.port:")
    with pytest.raises(CommandError) as missing:
        app.commands.invoke("config.get", {"key": "no.such"})
    assert missing.value.code == "not_found"
    app.commands.invoke("config.reset")
    assert app.config.config == AppConfig()
    path = app.commands.invoke("config.path").model_dump()
    assert path == {"path": str(app.paths.config_file), "exists": True}


def test_listeners_hear_changes(paths: AppPaths) -> None:
    service = ConfigService(paths.config_file)
    heard = []
    unsubscribe = service.subscribe(heard.append)
    service.update({"theme": "light"})
    unsubscribe()
    service.update({"theme": "dark"})
    assert [c.theme for c in heard] == [Theme.LIGHT]


def test_a_change_on_a_full_disk_fails_in_one_line_and_keeps_the_old_file(tmp_path: Path) -> None:
    from llamadesk.core.errors import ConfigError
    from tests.small_disk import MB, small_disk

    with small_disk(tmp_path / "disk", 1 * MB) as disk:
        path = disk.root / "config" / "config.json"
        service = ConfigService(path)
        service.update({"theme": "light", "sampling.temperature": 0.3})
        before = path.read_bytes()
        disk.fill()
        with pytest.raises(ConfigError) as refused:
            service.update({"theme": "dark", "chat.generate_titles": False})
        assert "the disk is full" in refused.value.message and "\n" not in refused.value.message
        assert path.read_bytes() == before  # the old file, whole
        assert [p.name for p in path.parent.iterdir()] == ["config.json"]  # no temp file left
        assert service.config.theme is Theme.LIGHT  # nor a change that was not saved
        disk.release()
        assert ConfigService(path).config.sampling.temperature == 0.3
