"""A complete llamadesk plugin: one command, `hello.greet`, and one setting, `hello.greeting`."""

from __future__ import annotations

from pydantic import BaseModel, Field

from llamadesk.core.commands import CommandContext, CommandSpec
from llamadesk.core.hookspecs import hookimpl
from llamadesk.core.interfaces.plugin_context import PluginContext
from llamadesk.core.models.base import CommandParams, UserOptions
from llamadesk.core.models.settings import SettingsSection


class HelloSettings(UserOptions):
    greeting: str = Field("Hello", min_length=1, description="The word hello.greet greets with.")


class GreetParams(CommandParams):
    name: str = Field("world", description="Who to greet.")


class Greeting(BaseModel):
    text: str
    theme: str = Field(description="The app's theme, to show a plugin can read the core's settings.")


@hookimpl
def register_settings() -> SettingsSection:
    return SettingsSection(
        namespace="hello", model=HelloSettings, title="Hello", description="The tutorial plugin's greeting."
    )


@hookimpl
def register_commands(context: PluginContext) -> list[CommandSpec]:
    def greet(params: GreetParams, ctx: CommandContext) -> Greeting:
        greeting = context.settings(HelloSettings).greeting
        return Greeting(text=f"{greeting}, {params.name}!", theme=context.app_settings.theme)

    return [
        CommandSpec(
            id="hello.greet",
            title="Say hello",
            description="Greets someone; the tutorial plugin's only command.",
            params=GreetParams,
            result=Greeting,
            handler=greet,
        )
    ]
