"""A complete llamadesk plugin: a command (`hello.greet`), a setting (`hello.greeting`) and a tool
models may call in a chat (`hello_greet`)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from llamadesk.core.commands import CommandContext, CommandSpec
from llamadesk.core.hookspecs import hookimpl
from llamadesk.core.interfaces.plugin_context import PluginContext
from llamadesk.core.models.base import CommandParams, UserOptions
from llamadesk.core.models.settings import SettingsSection
from llamadesk.core.models.tools import PluginTool


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


@hookimpl
def register_tools(context: PluginContext) -> list[PluginTool]:
    def greet(arguments: dict[str, object]) -> str:
        return f"{context.settings(HelloSettings).greeting}, {arguments['name']}!"

    return [
        PluginTool(
            name="greet",
            description="Greet a person by name, the way the user likes to be greeted.",
            parameters={
                "type": "object",
                "properties": {"name": {"type": "string", "description": "Who to greet."}},
                "required": ["name"],
            },
            handler=greet,
            read_only=True,
        )
    ]
