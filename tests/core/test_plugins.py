"""Plugin manager: defaults, entry points, blocking, isolation of plugins that fail, and
hooks that keep their promises (firstresult, historic) through pluggy's own calls."""

from __future__ import annotations

import logging
import sys
import types

import pytest
from pydantic import BaseModel

from llamadesk.core import hooks
from llamadesk.core.app import App
from llamadesk.core.commands import CommandSpec
from llamadesk.core.hookspecs import hookimpl
from llamadesk.core.models.commands import Empty
from llamadesk.core.paths import AppPaths
from llamadesk.core.plugins import list_plugins, make_plugin_manager


class Greeting(BaseModel):
    text: str


def greet_spec(command_id: str = "fixture.greet") -> CommandSpec:
    return CommandSpec(
        id=command_id, title="Greet", params=Empty, result=Greeting, handler=lambda p, c: Greeting(text="hi")
    )


class GreeterPlugin:
    @hookimpl
    def register_commands(self, context):
        return [greet_spec()]


class RaisingPlugin:
    @hookimpl
    def register_commands(self, context):
        raise RuntimeError("boom in hook")


class MisspelledPlugin:
    @hookimpl
    def register_comands(self, context):  # a typo must fail fast, not be ignored
        return []


class FirstEditionPlugin:
    """A plugin written for hooks that received the whole App."""

    @hookimpl
    def register_commands(self, app):
        return []


def install_module(monkeypatch: pytest.MonkeyPatch, name: str, source: str) -> None:
    module = types.ModuleType(name)
    exec(source, module.__dict__)
    monkeypatch.setitem(sys.modules, name, module)


def test_no_plugins_but_the_defaults_given(pm) -> None:
    assert list_plugins(pm) == []


def test_misspelled_hookimpl_is_rejected_and_reported(pm) -> None:
    assert not pm.register_isolated(MisspelledPlugin(), "typo", origin="test")
    assert not pm.has_plugin("typo")
    assert pm.failures[-1].name == "typo"
    assert "register_comands" in pm.failures[-1].error


def test_hook_asking_for_the_app_is_rejected_with_the_reason(pm) -> None:
    assert not pm.register_isolated(FirstEditionPlugin(), "old", origin="test")
    assert "'app'" in pm.failures[-1].error


def test_hook_wrappers_are_refused(pm) -> None:
    class Wrapper:
        @hookimpl(wrapper=True)
        def register_commands(self, context):
            return (yield)

    assert not pm.register_isolated(Wrapper(), "wrapper", origin="test")
    assert "wrappers are not supported" in pm.failures[-1].error


def test_plugin_raising_in_hook_is_disabled_others_still_run(pm, app: App) -> None:
    pm.register_isolated(GreeterPlugin(), "greeter", origin="test")
    pm.register_isolated(RaisingPlugin(), "raiser", origin="test")  # called first: registered last
    found = hooks.collect_commands(pm, app.context)
    assert [(plugin, spec.id) for plugin, spec in found] == [("greeter", "fixture.greet")]
    assert not pm.has_plugin("raiser")
    (failure,) = pm.failures
    assert failure.stage == "in hook register_commands"
    assert "boom in hook" in failure.error
    assert hooks.collect_commands(pm, app.context)[0][0] == "greeter"  # and it stays out


def test_firstresult_stops_at_the_first_answer(pm, app: App) -> None:
    asked = []

    class Store:
        def __init__(self, name: str, answer: object) -> None:
            self.name, self.answer = name, answer

        @hookimpl
        def get_chat_store(self, context):
            asked.append(self.name)
            return self.answer

    pm.register_isolated(Store("last", "the last store"), "last", origin="test")
    pm.register_isolated(Store("winner", "the winning store"), "winner", origin="test")
    pm.register_isolated(Store("abstains", None), "abstains", origin="test")
    assert hooks.find_chat_store(pm, app.context) == "the winning store"
    assert asked == ["abstains", "winner"]  # never "last"


def test_firstresult_asks_the_next_plugin_when_one_raises(pm, app: App) -> None:
    class Broken:
        @hookimpl
        def get_chat_store(self, context):
            raise OSError("disk gone")

    class Working:
        @hookimpl
        def get_chat_store(self, context):
            return "store"

    pm.register_isolated(Working(), "working", origin="test")
    pm.register_isolated(Broken(), "broken", origin="test")
    assert hooks.find_chat_store(pm, app.context) == "store"
    assert [f.name for f in pm.failures] == ["broken"]


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


def test_app_starts_despite_broken_plugins_and_reports_them(paths: AppPaths, monkeypatch) -> None:
    install_module(
        monkeypatch,
        "fixture_dup_plugin",
        "from llamadesk.core.hookspecs import hookimpl\n"
        "from tests.core.test_plugins import greet_spec\n"
        "@hookimpl\n"
        "def register_commands(context):\n"
        "    return [greet_spec('config.get')]\n",
    )
    install_module(
        monkeypatch,
        "fixture_good_plugin",
        "from llamadesk.core.hookspecs import hookimpl\n"
        "from tests.core.test_plugins import greet_spec\n"
        "@hookimpl\n"
        "def register_commands(context):\n"
        "    return [greet_spec()]\n",
    )
    app = App(
        paths,
        load_entrypoints=False,
        default_plugins=("fixture_dup_plugin", "fixture_good_plugin", "missing_module_xyz"),
    ).start()
    try:
        assert app.commands.invoke("fixture.greet") == Greeting(text="hi")
        assert app.commands.get("config.get").title == "Get settings"  # the core's stays
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
        def app_started(self, context):
            seen.append(context)

    assert app.pm.register_isolated(Late(), "late", origin="test")
    assert seen == [app.context]


def test_late_plugin_raising_in_replayed_app_started_is_left_out(app: App) -> None:
    class LateAndBroken:
        @hookimpl
        def app_started(self, context):
            raise RuntimeError("cannot start")

    assert not app.pm.register_isolated(LateAndBroken(), "late", origin="test")
    assert not app.pm.has_plugin("late")
    assert "cannot start" in app.pm.failures[-1].error


def test_app_stopping_reaches_plugins(paths: AppPaths) -> None:
    stopped = []

    class Stopper:
        @hookimpl
        def app_stopping(self, context):
            stopped.append(context)

    app = App(paths, load_entrypoints=False).start()
    app.pm.register_isolated(Stopper(), "stopper", origin="test")
    app.close()
    assert stopped == [app.context]


def test_trace_env_logs_hook_calls_with_pluggy_tracing(monkeypatch, caplog, app: App) -> None:
    monkeypatch.setenv("LLAMADESK_TRACE_HOOKS", "1")
    pm = make_plugin_manager(load_entrypoints=False, defaults=())
    pm.register_isolated(GreeterPlugin(), "greeter", origin="test")
    with caplog.at_level(logging.INFO, logger="llamadesk.core.plugins"):
        hooks.collect_commands(pm, app.context)
    assert any("register_commands" in record.getMessage() for record in caplog.records)


def test_plugins_list_names_every_default_plugin(app: App) -> None:
    listed = app.commands.invoke("plugins.list").model_dump()
    names = [p["name"] for p in listed["plugins"]]
    assert names == [
        "llama_cpp",
        "oci",
        "huggingface",
        "lmstudio",
        "sqlite",
        "api_server",
        "openai_remote",
        "mcp",
        "documents",
    ]
    assert listed["failures"] == []
