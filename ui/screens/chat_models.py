"""The chat screen's model picker: the library's models and the models backends serve
(a remote server's `@gpubox/qwen`, a backend plugin's), load state, load and unload.

A mixin of `ChatScreen`, which owns the properties it sets (`model_id`,
`model_choices`, `model_state`, `starter_offer`, `hint`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from llamadesk.core.commands import CommandError
from llamadesk.core.models.commands import Empty
from llamadesk.core.models.library import ImportResult, ListParams, ModelList
from llamadesk.core.models.llama import LoadParams, ModelParams, ModelStatus, RuntimeStatus, UnloadResult

from ..catalogs import N_, error_text, tr
from ..viewmodels.status import loaded_states, short_model_name

if TYPE_CHECKING:
    from .base import AppScreen as _Screen
else:
    _Screen = object

STARTER = "starter"  # runtime.load's name for the starter model, offered while the library is empty
ANSWERING = ("ready", "generating")


# A loaded model's states (ModelState) as the header and the Models list show them.
MODEL_STATES = (N_("not loaded"), N_("stopped"), N_("loading"), N_("ready"), N_("generating"), N_("error"))


class ChatModels(_Screen):
    """Model picking for the chat screen, through models.list and runtime.*."""

    model_id: str
    model_choices: list[str]
    model_state: str
    starter_offer: bool
    hint: str
    _library: list[str]
    _loaded: dict[str, str]
    error: Callable[[CommandError], None]  # ChatScreen's: shows a command's error

    def refresh_models(self) -> None:
        if self.app.bridge.has("models.list"):
            self.app.bridge.call(
                "models.list", ListParams(discover=False), ModelList, self._show_library, self.error
            )
        else:
            self._update_choices()

    def _show_library(self, listing: ModelList) -> None:
        self._library = [m.reference for m in listing.models] + [m.id for m in listing.remote]
        self._update_choices()

    def _update_choices(self) -> None:
        choices = [*self._library, *(m for m in self._loaded if m not in self._library)]
        self.starter_offer = not choices
        self.model_choices = choices or [STARTER]
        if not self.model_id and choices:
            self.model_id = choices[0]
        self._update_hint()

    def pick_model(self, shown: str) -> None:
        """The picker shows short names; map the choice back to the model id."""
        for model in self.model_choices:
            if shown in (short_model_name(model), model) and model != self.model_id:
                self.model_id = model
                self.model_state = self._loaded.get(model, "")
                self._update_hint()
                return

    def on_runtime_status(self, status: RuntimeStatus) -> None:
        self._loaded = loaded_states(status)
        if not self.model_id:
            ready = [mid for mid, state in self._loaded.items() if state in ANSWERING]
            if ready:
                self.model_id = ready[0]
        if self.model_state != "loading" or self.model_id in self._loaded:
            self.model_state = self._loaded.get(self.model_id, "")
        self._update_choices()

    def _update_hint(self) -> None:
        if self.model_state in ANSWERING:
            self.hint = ""
        elif self.model_state == "loading" and not self.model_id:
            self.hint = tr("Fetching the starter model (98 MB)…")
        elif self.model_state == "loading":
            self.hint = tr("Loading {model}…").format(model=self.model_id)
        elif self.model_state == "error":
            pass  # the load error stays shown
        elif self.starter_offer and not self.model_id:
            self.hint = tr("No model yet: get the starter model (98 MB) to begin.")
        elif self.model_id:
            self.hint = tr("Load {model} to start chatting.").format(model=self.model_id)
        else:
            self.hint = tr("Pick a model, or find one under Discover.")

    def load_model(
        self, model: str | None = None, on_loaded: Callable[[ModelStatus], None] | None = None
    ) -> None:
        model = model or self.model_id
        if not model:
            return
        self.model_id = model
        self.model_state = "loading"
        self._update_hint()
        self.app.bridge.stream(
            "runtime.load",
            LoadParams(model=model),
            ModelStatus,
            None,
            on_loaded or self._loaded_ok,
            self._load_failed,
        )

    def _loaded_ok(self, status: ModelStatus) -> None:
        self._loaded[status.id] = status.state.value
        if status.id == self.model_id:
            self.model_state = status.state.value
        self._update_choices()
        self.app.refresh_status()

    def _load_failed(self, error: CommandError) -> None:
        self.model_state = "error"
        self.hint = error_text(error)
        self.error(error)

    def unload_model(self) -> None:
        if self.model_id:
            self.app.bridge.call(
                "runtime.unload", ModelParams(model=self.model_id), UnloadResult, self._unloaded, self.error
            )

    def _unloaded(self, _result: UnloadResult) -> None:
        self._loaded.pop(self.model_id, None)
        self.model_state = ""
        self._update_choices()
        self.app.refresh_status()

    def get_starter_model(self) -> None:
        """First launch with an empty library: fetch (once) the starter model into the library
        (in place, where it was fetched), then load it under its library name, so this chat
        and the next launch name it alike."""
        self.starter_offer = False
        self.model_id = ""
        self.model_state = "loading"
        self._update_hint()
        self.app.bridge.call("models.starter", Empty(), ImportResult, self._starter_kept, self._load_failed)

    def _starter_kept(self, imported: ImportResult) -> None:
        self.refresh_models()
        self.load_model(imported.reference)
