"""Plugin manager: defaults, entry points, blocking, and isolation of plugins that fail."""

from __future__ import annotations

import sys
import types

import pytest
from pydantic import BaseModel

from llamadesk.core.app import App
from llamadesk.core.commands import CommandSpec
from llamadesk.core.hookspecs import hookimpl
from llamadesk.core.models.commands import Empty
from llamadesk.core.paths import AppPaths
from llamadesk.core.plugins import call_each, list_plugins, make_plugin_manager


class Greeting(BaseModel):
    text: str


def greet_spec(command_id: str = "fixture.greet") -> CommandSpec:
    return CommandSpec(
        id=command_id, title="Greet", params=Empty, result=Greeting, handler=lambda p, c: Greeting(text="hi")
    )


class GreeterPlugin:
    @hookimpl
    def register_commands(self, app):
        return [greet_spec()]


class RaisingPlugin:
    @hookimpl
    def register_commands(self, app):
        raise RuntimeError("boom in hook")


class MisspelledPlugin:
    @hookimpl
    def register_comands(self, app):  # a typo must fail fast, not be ignored
        return []


def install_module(monkeypatch: pytest.MonkeyPatch, name: str, source: str) -> None:
    module = types.ModuleType(name)
    exec(source, module.__dict__)
    monkeypatch.setitem(sys.modules, name, module)


def test_core_plugins_always_load(pm) -> None:
    names = [info.name for info in list_plugins(pm)]
    assert names == ["core.config", "core.system", "core.runtime", "core.models"]
    assert all("register_commands" in info.hooks for info in list_plugins(pm))


def test_misspelled_hookimpl_is_rejected_and_reported(pm) -> None:
    assert not pm.register_isolated(MisspelledPlugin(), "typo", origin="test")
    assert not pm.has_plugin("typo")
    assert pm.failures[-1].name == "typo"
    assert "register_comands" in pm.failures[-1].error


def test_plugin_raising_in_hook_is_disabled_others_still_run(pm, app: App) -> None:
    pm.register_isolated(RaisingPlugin(), "raiser", origin="test")
    pm.register_isolated(GreeterPlugin(), "greeter", origin="test")
    results = dict(call_each(pm, "register_commands", app=app))
    assert "greeter" in results and "raiser" not in results
    assert not pm.has_plugin("raiser")
    (failure,) = pm.failures
    assert failure.stage == "in hook register_commands"
    assert "boom in hook" in failure.error


def test_default_plugin_failing_import_is_reported(monkeypatch) -> None:
    install_module(monkeypatch, "fixture_ok_plugin", "")
    pm = make_plugin_manager(
        load_entrypoints=False, defaults=("fixture_does_not_exist.broken", "fixture_ok_plugin")
    )
    assert pm.has_plugin("fixture_ok_plugin")
    assert [f.name for f in pm.failures] == ["broken"]
    assert pm.failures[0].stage == "importing"


def test_blocked_and_env_limited_plugins_do_not_load(monkeypatch) -> None:
    install_module(monkeypatch, "fixture_a", "")
    install_module(monkeypatch, "fixture_b", "")
    pm = make_plugin_manager(
        load_entrypoints=False, defaults=("fixture_a", "fixture_b"), blocked=["fixture_a"]
    )
    assert not pm.has_plugin("fixture_a") and pm.has_plugin("fixture_b")
    monkeypatch.setenv("LLAMADESK_PLUGINS", "fixture_a")
    pm = make_plugin_manager(load_entrypoints=False, defaults=("fixture_a", "fixture_b"))
    assert pm.has_plugin("fixture_a") and not pm.has_plugin("fixture_b")
    assert pm.has_plugin("core.config")  # the core is never limited away


def test_app_starts_despite_broken_plugins_and_reports_them(paths: AppPaths, monkeypatch) -> None:
    install_module(
        monkeypatch,
        "fixture_dup_plugin",
        "from llamadesk.core.hookspecs import hookimpl\n"
        "from tests.core.test_plugins import greet_spec\n"
        "@hookimpl\n"
        "def register_commands(app):\n"
        "    return [greet_spec('config.get')]\n",
    )
    install_module(
        monkeypatch,
        "fixture_good_plugin",
        "from llamadesk.core.hookspecs import hookimpl\n"
        "from tests.core.test_plugins import greet_spec\n"
        "@hookimpl\n"
        "def register_commands(app):\n"
        "    return [greet_spec()]\n",
    )
    app = App(
        paths,
        load_entrypoints=False,
        default_plugins=("fixture_dup_plugin", "fixture_good_plugin", "missing_module_xyz"),
    ).start()
    try:
        assert app.commands.invoke("fixture.greet") == Greeting(text="hi")
        failures = {f.name: f.stage for f in app.pm.failures}
        assert failures == {"fixture_dup_plugin": "registering commands", "missing_module_xyz": "importing"}
        assert any("missing_module_xyz" in notice for notice in app.notices)
        listed = app.commands.invoke("plugins.list").model_dump()
        assert {f["name"] for f in listed["failures"]} == set(failures)
    finally:
        app.close()


def test_app_started_is_replayed_to_late_plugins(app: App) -> None:
    seen = []

    class Late:
        @hookimpl
        def app_started(self, app):
            seen.append(app)

    app.pm.register_isolated(Late(), "late", origin="test")
    assert seen == [app]


def test_app_stopping_reaches_plugins(paths: AppPaths) -> None:
    stopped = []

    class Stopper:
        @hookimpl
        def app_stopping(self, app):
            stopped.append(app)

    app = App(paths, load_entrypoints=False).start()
    app.pm.register_isolated(Stopper(), "stopper", origin="test")
    app.close()
    assert stopped == [app]
