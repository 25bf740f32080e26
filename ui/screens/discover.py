"""Discover: search Hugging Face, pick a GGUF file, pull by reference; the downloads panel.

A pull that was cancelled or interrupted resumes where it stopped when pulled
again (the downloader keeps partial blobs), which is what Retry does.
"""

from __future__ import annotations

from typing import Any

import psutil
from kivy.properties import BooleanProperty, ListProperty, StringProperty

from llamadesk.core.commands import CommandError
from llamadesk.core.models.commands import ProgressEvent

from ..bridge import StreamHandle
from ..viewmodels.downloads import Download
from ..viewmodels.library import file_rows
from ..viewmodels.records import items, pick
from .base import AppScreen


class DiscoverScreen(AppScreen):
    results = ListProperty()
    files = ListProperty()
    downloads = ListProperty()
    repo = StringProperty("")
    note = StringProperty("")
    searching = BooleanProperty(False)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._downloads: dict[str, Download] = {}
        self._handles: dict[str, StreamHandle] = {}

    def search(self, query: str) -> None:
        query = query.strip()
        if not query:
            return
        if not self.app.bridge.has("hub.search"):
            self.note = "Hugging Face search is not available (hub.search missing)."
            return
        self.searching = True
        self.note = f"Searching for “{query}”…"
        self.app.bridge.call("hub.search", {"query": query}, self._show_results, self._error)

    def _show_results(self, result: Any) -> None:
        self.searching = False
        repos = items(result.model_dump(mode="json"), "results", "repos", "models", "items")
        self.results = [
            {
                "repo_id": str(pick(r, "id", "repo_id", "name", default="")),
                "detail": " · ".join(
                    str(x)
                    for x in (
                        f"{pick(r, 'downloads')} downloads" if pick(r, "downloads") is not None else "",
                        f"{pick(r, 'likes')} likes" if pick(r, "likes") is not None else "",
                    )
                    if x
                ),
                "screen": self,
            }
            for r in repos
        ]
        self.note = "" if repos else "Nothing found."

    def open_repo(self, repo_id: str) -> None:
        self.repo = repo_id
        self.files = []
        self.app.bridge.call("hub.files", {"repo_id": repo_id}, self._show_files, self._error)

    def _show_files(self, result: Any) -> None:
        files = items(result.model_dump(mode="json"), "files", "items")
        rows = file_rows(files, psutil.virtual_memory().available)
        self.files = [{**row, "screen": self, "repo_id": self.repo} for row in rows]
        if not rows:
            self.note = "This repository has no GGUF files."

    def pull_file(self, repo_id: str, filename: str, quant: str) -> None:
        tag = quant or filename.rsplit(".", 1)[0]
        self.pull(f"hf.co/{repo_id}:{tag}")

    def pull(self, reference: str) -> None:
        reference = reference.strip()
        if not reference:
            return
        running = self._handles.get(reference)
        if running is not None and not running.finished:
            return
        self._downloads[reference] = Download(reference)
        self._render()
        self._handles[reference] = self.app.bridge.stream(
            "models.pull",
            {"reference": reference},
            lambda events, ref=reference: self._progress(ref, events),
            lambda _r, ref=reference: self._done(ref),
            lambda error, ref=reference: self._failed(ref, error),
        )

    def cancel(self, reference: str) -> None:
        handle = self._handles.get(reference)
        if handle is not None:
            handle.cancel()

    def _progress(self, reference: str, events: list[Any]) -> None:
        download = self._downloads[reference]
        for event in events:
            if isinstance(event, ProgressEvent):
                download.progress(event.done, event.total)
                speed = getattr(event, "bytes_per_second", 0)
                if speed:
                    download.rate = speed  # the downloader's own measure, when it gives one
        self._render()

    def _done(self, reference: str) -> None:
        self._downloads[reference].state = "done"
        self._render()
        self.app.screens["models"].refresh()
        self.app.screens["chat"].refresh_models()

    def _failed(self, reference: str, error: CommandError) -> None:
        download = self._downloads[reference]
        download.state = "cancelled" if error.code == "cancelled" else "failed"
        download.error = "Cancelled; Retry resumes" if error.code == "cancelled" else error.message
        self._render()

    def _render(self) -> None:
        self.downloads = [{**d.row(), "screen": self} for d in reversed(self._downloads.values())]

    def _error(self, error: CommandError) -> None:
        self.searching = False
        self.note = error.message
