"""A complete llamadesk plugin: one command, `hello.greet`, that uses the app's config."""

from __future__ import annotations

from pydantic import BaseModel, Field

from llamadesk.core.commands import CommandContext, CommandSpec
from llamadesk.core.hookspecs import hookimpl


class GreetParams(BaseModel):
    name: str = Field("world", description="Who to greet.")


class Greeting(BaseModel):
    text: str
    theme: str = Field(description="The app's theme, to show a plugin can read settings.")


@hookimpl
def register_commands(app) -> list[CommandSpec]:
    def greet(params: GreetParams, ctx: CommandContext) -> Greeting:
        return Greeting(text=f"Hello, {params.name}!", theme=app.config.config.theme)

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
