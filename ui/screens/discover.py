"""Discover: search Hugging Face, open a repository's GGUF choices, pull by reference; the
downloads panel.

A pull that was cancelled or interrupted resumes where it stopped when pulled
again (the downloader keeps partial blobs), which is what Retry does.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from kivy.properties import BooleanProperty, ListProperty, StringProperty
from pydantic import BaseModel

from llamadesk.core.commands import CommandError
from llamadesk.core.models.commands import ProgressEvent
from llamadesk.core.models.hub import HubFilesParams, HubModel, HubRepoFiles, HubSearchParams, HubSearchResult
from llamadesk.core.models.library import PullProgress, PullResult, ReferenceParams

from ..bridge import StreamHandle
from ..catalogs import error_text, tr, trn
from ..viewmodels.downloads import Download
from ..viewmodels.library import choice_rows, recommendation_note
from .base import AppScreen


def repo_detail(model: HubModel) -> str:
    parts = [
        trn("{count} download", "{count} downloads", model.downloads).format(count=f"{model.downloads:,}"),
        trn("{count} like", "{count} likes", model.likes).format(count=f"{model.likes:,}"),
    ]
    if model.gated:
        parts.append(tr("gated: needs a token"))
    return " · ".join(parts)


class DiscoverScreen(AppScreen):
    results = ListProperty()
    files = ListProperty()
    downloads = ListProperty()
    repo = StringProperty("")
    repo_note = StringProperty("")
    note = StringProperty("")
    searching = BooleanProperty(False)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._downloads: dict[str, Download] = {}
        self._handles: dict[str, StreamHandle] = {}
        # What was last shown, to word again when the language changes.
        self._shown_results: HubSearchResult | None = None
        self._shown_files: HubRepoFiles | None = None

    def on_language_switch(self) -> None:
        if self._shown_results is not None:
            self._show_results(self._shown_results)
        if self._shown_files is not None:
            self._show_files(self._shown_files)

    def search(self, query: str) -> None:
        query = query.strip()
        if not query:
            return
        if not self.app.bridge.has("hub.search"):
            self.note = tr("Hugging Face search is not available (hub.search missing).")
            return
        self.searching = True
        self.note = tr("Searching for “{query}”…").format(query=query)
        self.app.bridge.call(
            "hub.search", HubSearchParams(query=query), HubSearchResult, self._show_results, self._error
        )

    def _show_results(self, result: HubSearchResult) -> None:
        self._shown_results = result
        self.searching = False
        self.results = [
            {
                "repo_id": model.repo_id,
                "detail": repo_detail(model),
                "selected": model.repo_id == self.repo,
                "screen": self,
            }
            for model in result.models
        ]
        self.note = "" if result.models else tr("Nothing found.")

    def open_repo(self, repo_id: str) -> None:
        self.repo = repo_id
        self.repo_note = tr("Reading the repository…")
        self.files = []
        self.results = [{**row, "selected": row["repo_id"] == repo_id} for row in self.results]
        self.app.bridge.call(
            "hub.files", HubFilesParams(repo=repo_id), HubRepoFiles, self._show_files, self._files_failed
        )

    def _show_files(self, repo: HubRepoFiles) -> None:
        if repo.repo_id != self.repo:
            return  # another repository was opened meanwhile
        self._shown_files = repo
        self.files = [{**row, "screen": self} for row in choice_rows(repo)]
        if not repo.choices:
            self.repo_note = tr("This repository has no GGUF files.")
        else:
            self.repo_note = recommendation_note(repo) or trn(
                "{count} file to choose from", "{count} files to choose from", len(repo.choices)
            ).format(count=len(repo.choices))

    def _files_failed(self, error: CommandError) -> None:
        self.repo_note = error_text(error)

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
            ReferenceParams(reference=reference),
            PullResult,
            partial(self._progress, reference),
            partial(self._done, reference),
            partial(self._failed, reference),
        )

    def cancel(self, reference: str) -> None:
        handle = self._handles.get(reference)
        if handle is not None:
            handle.cancel()

    def _progress(self, reference: str, events: list[BaseModel]) -> None:
        download = self._downloads[reference]
        for event in events:
            if isinstance(event, ProgressEvent):
                download.progress(event.done, event.total)
            if isinstance(event, PullProgress) and event.bytes_per_second:
                download.rate = event.bytes_per_second  # the downloader's own measure
        self._render()

    def _done(self, reference: str, _result: PullResult) -> None:
        self._downloads[reference].state = "done"
        self._render()
        self.app.library_changed()

    def _failed(self, reference: str, error: CommandError) -> None:
        download = self._downloads[reference]
        download.state = "cancelled" if error.code == "cancelled" else "failed"
        download.error = tr("Cancelled; Retry resumes") if error.code == "cancelled" else error_text(error)
        self._render()

    def _render(self) -> None:
        self.downloads = [{**d.row(), "screen": self} for d in reversed(self._downloads.values())]

    def _error(self, error: CommandError) -> None:
        self.searching = False
        self.note = error_text(error)
