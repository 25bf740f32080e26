"""hub.* commands: search the Hugging Face hub and list a repo's GGUF choices."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from llamadesk.core.commands import CommandContext, CommandSpec
from llamadesk.core.models.hub import HubFilesParams, HubRepoFiles, HubSearchParams, HubSearchResult

if TYPE_CHECKING:
    from .browser import HubBrowser


def hub_commands(browser: Callable[[], HubBrowser]) -> list[CommandSpec]:
    def search(params: HubSearchParams, ctx: CommandContext) -> HubSearchResult:
        return browser().search(params)

    def files(params: HubFilesParams, ctx: CommandContext) -> HubRepoFiles:
        return browser().files(params)

    return [
        CommandSpec(
            id="hub.search",
            title="Search Hugging Face",
            description="Find model repos with GGUF files by text, most downloaded or liked first.",
            params=HubSearchParams,
            result=HubSearchResult,
            handler=search,
        ),
        CommandSpec(
            id="hub.files",
            title="Files of a Hugging Face repo",
            description="A repo's GGUF files grouped into choices (split files as one), with quant "
            "labels, sizes, whether each fits this machine's memory, and a recommended choice.",
            params=HubFilesParams,
            result=HubRepoFiles,
            handler=files,
        ),
    ]
