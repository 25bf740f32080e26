"""Searching the hub and listing a repo's GGUF choices, judged for this machine."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from llamadesk.core.interfaces.memory import MemoryPlanner
from llamadesk.core.models.gguf import GGUFInfo
from llamadesk.core.models.hub import (
    HubFilesParams,
    HubRepoFiles,
    HubSearchParams,
    HubSearchResult,
)

from .access import HubAccess
from .choices import RepoFile, group_choices, mmproj_files
from .hub_client import HubClient, RepoListing, repo_id_of
from .memory import required_bytes
from .recommend import REASON_TEXT, judge, recommend


class HubBrowser:
    """Stateless but for a small cache of GGUF headers (one per repo commit)."""

    def __init__(
        self, access: Callable[[], HubAccess], default_context: Callable[[], int], memory: MemoryPlanner
    ) -> None:
        self._access = access
        self._default_context = default_context
        self._memory = memory
        self._shapes: dict[tuple[str, str], GGUFInfo | None] = {}
        self._lock = threading.Lock()

    def client(self) -> HubClient:
        return HubClient(self._access())

    def search(self, params: HubSearchParams) -> HubSearchResult:
        return HubSearchResult(models=self.client().search(params))

    def files(self, params: HubFilesParams) -> HubRepoFiles:
        client = self.client()
        listing = client.listing(repo_id_of(params.repo), params.revision)
        context = params.context_size or self._default_context()
        memory = params.memory_bytes if params.memory_bytes is not None else self._memory.available_memory()
        shape = self._shape(client, listing)
        choices = group_choices(listing.files)
        judged = judge(choices, memory, lambda size: required_bytes(self._memory, size, context, shape))
        name, why = recommend(judged)
        meta = listing.gguf
        return HubRepoFiles(
            repo_id=listing.repo_id,
            commit=listing.commit,
            gated=listing.gated,
            choices=judged,
            mmproj=mmproj_files(listing.files),
            recommended=name,
            recommended_reason=REASON_TEXT[why].format(name=name),
            recommended_why=why,
            context_size=context,
            memory_bytes=memory,
            chat_template=_text(meta.get("chat_template")) or (shape.chat_template if shape else None),
            context_length=_number(meta.get("context_length")) or (shape.context_length if shape else None),
            architecture=_text(meta.get("architecture")) or (shape.architecture if shape else None),
            parameters=_number(meta.get("total")),
        )

    def _shape(self, client: HubClient, listing: RepoListing) -> GGUFInfo | None:
        """Layers and heads of the model, read once per commit from its smallest GGUF header."""
        key = (listing.repo_id, listing.commit)
        with self._lock:
            if key in self._shapes:
                return self._shapes[key]
        candidates = [c for c in group_choices(listing.files) if c.size]
        shape = None
        if candidates:
            smallest = min(candidates, key=lambda c: c.size or 0)
            first = next(f for f in listing.files if f.path == smallest.files[0])
            shape = client.read_header(listing.repo_id, listing.commit, RepoFile(first.path, first.size))
        with self._lock:
            self._shapes[key] = shape
        return shape


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _number(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) and value else None
