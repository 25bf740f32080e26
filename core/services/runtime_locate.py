"""Where a model is, what its file says, which backend loads it and with what options.

These are the questions the runtime answers before a load starts (`LoadPlan`), and that
`estimate_memory` asks without one. They live apart from runtime.py, which keeps the
loaded models' state, because none of them touches that state: they read files and ask
the installed backends.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import N_, InvalidParams, NotFound, Unavailable
from ..gguf import read_gguf
from ..interfaces.backend import Backend
from ..models.gguf import GGUFInfo
from ..models.llama import LoadOptions
from ..starter_model import ensure_starter_model
from . import runtime_memory

STARTER = "starter"  # the model reference that means "the starter model"


def resolve_local(model: str, cache_dir: Path) -> str:
    """`starter`, or the path of an existing GGUF file; NotFound otherwise."""
    if model == STARTER:
        return str(ensure_starter_model(cache_dir))
    path = Path(model).expanduser()
    if not path.is_file():
        raise NotFound(N_("no model file {model!r}; give the path to a GGUF file, or `starter`"), model=model)
    return str(path.resolve())


def read_header(location: str) -> GGUFInfo | None:
    """The GGUF header of a local file (a bad file fails here, before any process starts)."""
    return read_gguf(location) if Path(location).is_file() else None


@dataclass(frozen=True)
class LoadPlan:
    """What a load was decided to be, before its backend starts."""

    location: str  # the file's path, or the id itself for a backend that loads it as it is
    backend: Backend
    options: LoadOptions  # with the slots and the draft model's path filled in
    warnings: list[str]  # the memory fit's warning when it will be tight


class ModelLocator:
    """Finds a model's file, its draft model's, and the first backend that accepts it, and
    puts them together into a load's plan."""

    def __init__(self, *, resolve: Callable[[str], str], backends: Callable[[], list[Backend]]) -> None:
        """`resolve` turns a reference into a file's path (the runtime's resolve_model_path);
        `backends` gives the installed backends, asked on each use."""
        self._resolve = resolve
        self._backends = backends

    def locate(self, model: str) -> str:
        """Where `model` is: what resolve_model_path finds, or the id itself when no file is
        found but a backend loads it as it is (a model on a remote server, `@gpubox/qwen`)."""
        try:
            return self._resolve(model)
        except (NotFound, InvalidParams):  # InvalidParams: not even a library reference
            if any(backend.can_load(model, None) for backend in self._backends()):
                return model
            raise

    def plan(self, model: str, options: LoadOptions, available: Callable[[], int]) -> LoadPlan:
        """How `model` loads with `options`, given the memory `available` now. Raises NotFound,
        GGUFError (invalid_model_file), Unavailable (no backend), InsufficientMemory."""
        location = self.locate(model)
        info = read_header(location)
        backend = self.backend_for(location, info)
        resolved = runtime_memory.with_slots(info, options, backend, available())
        resolved, draft_info = self.with_draft(resolved)
        draft_bytes = runtime_memory.draft_bytes(draft_info, resolved)
        warnings = runtime_memory.load_warnings(info, resolved, backend, lambda: available() - draft_bytes)
        return LoadPlan(location, backend, resolved, warnings)

    def with_draft(self, options: LoadOptions) -> tuple[LoadOptions, GGUFInfo | None]:
        """`options` with the draft model (a library reference or a path) as its file's path,
        and its header, where drafting may use one."""
        if not options.draft_model or options.draft not in ("auto", "model"):
            return options, None
        location = self._resolve(options.draft_model)
        return options.model_copy(update={"draft_model": location}), read_header(location)

    def first_backend(self, location: str, info: GGUFInfo | None) -> Backend | None:
        return next((b for b in self._backends() if b.can_load(location, info)), None)

    def backend_for(self, location: str, info: GGUFInfo | None) -> Backend:
        backend = self.first_backend(location, info)
        if backend is not None:
            return backend
        names = ", ".join(b.name for b in self._backends()) or "none installed"
        raise Unavailable(
            N_("no backend can load {location} (backends: {names})"), location=location, names=names
        )
