"""The chat screen's model picker: the library's models, load state, load and unload.

A mixin of `ChatScreen`, which owns the properties it sets (`model_id`,
`model_choices`, `model_state`, `starter_offer`, `hint`).
"""

from __future__ import annotations

from typing import Any

from llamadesk.core.commands import CommandError

from ..viewmodels.records import items
from ..viewmodels.status import loaded_models, short_model_name

STARTER = "starter"  # runtime.load's name for the starter model


class ChatModels:
    """Model picking for the chat screen, through models.list and runtime.*."""

    app: Any
    model_id: str
    model_choices: list[str]
    model_state: str
    starter_offer: bool
    hint: str
    _library: list[str]
    _loaded: dict[str, str]
    error: Any  # ChatScreen.error: shows a command's error

    def refresh_models(self) -> None:
        if self.app.bridge.has("models.list"):
            self.app.bridge.call("models.list", {"discover": False}, self._show_library, self.error)
        else:
            self._update_choices()

    def _show_library(self, result: Any) -> None:
        models = items(result.model_dump(mode="json"), "models", "items")
        self._library = [str(m.get("reference") or m.get("name")) for m in models]
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
            if short_model_name(model) == shown and model != self.model_id:
                self.model_id = model
                self.model_state = self._loaded.get(model, "")
                self._update_hint()

    def on_runtime_status(self, status: dict[str, Any]) -> None:
        self._loaded = {str(m["id"]): str(m.get("state", "")) for m in loaded_models(status)}
        if not self.model_id:
            ready = [mid for mid, state in self._loaded.items() if state in ("ready", "generating")]
            if ready:
                self.model_id = ready[0]
        if self.model_state != "loading" or self.model_id in self._loaded:
            self.model_state = self._loaded.get(self.model_id, "")
        self._update_choices()

    def _update_hint(self) -> None:
        if self.model_state in ("ready", "generating"):
            self.hint = ""
        elif self.model_state == "loading":
            self.hint = f"Loading {self.model_id}…"
        elif self.model_state == "error":
            pass  # the load error stays shown
        elif self.starter_offer and not self.model_id:
            self.hint = "No model yet: get the starter model (98 MB) to begin."
        elif self.model_id:
            self.hint = f"Load {self.model_id} to start chatting."
        else:
            self.hint = "Pick a model, or find one under Discover."

    def load_model(self, model: str | None = None) -> None:
        model = model or self.model_id
        if not model:
            return
        self.model_id = model
        self.model_state = "loading"
        self._update_hint()
        self.app.bridge.stream("runtime.load", {"model": model}, None, self._loaded_ok, self._load_failed)

    def _loaded_ok(self, result: Any) -> None:
        status = result.model_dump(mode="json")
        self._loaded[str(status["id"])] = str(status["state"])
        if status["id"] == self.model_id:
            self.model_state = str(status["state"])
        self._update_choices()
        self.app.refresh_status()

    def _load_failed(self, error: CommandError) -> None:
        self.model_state = "error"
        self.hint = error.message
        self.error(error)

    def unload_model(self) -> None:
        if self.model_id:
            self.app.bridge.call("runtime.unload", {"model": self.model_id}, self._unloaded, self.error)

    def _unloaded(self, _result: Any) -> None:
        self._loaded.pop(self.model_id, None)
        self.model_state = ""
        self._update_choices()
        self.app.refresh_status()

    def get_starter_model(self) -> None:
        """First launch with an empty library: fetch (once) and load the starter model."""
        self.starter_offer = False
        self.load_model(STARTER)
