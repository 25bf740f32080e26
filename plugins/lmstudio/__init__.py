"""LM Studio's downloaded models, offered for import (`llamadesk list --importable`).

Read-only: LM Studio keeps its GGUFs under `~/.lmstudio/models/<publisher>/<repo>/`
(older versions: `~/.cache/lm-studio/models`); the library can use them in place.
"""

from __future__ import annotations

from pathlib import Path

from llamadesk.core.hookspecs import hookimpl
from llamadesk.core.interfaces.plugin_context import PluginContext
from llamadesk.core.models.library import DiscoveredModel
from llamadesk.lib.gguf_folders import found_model, model_ggufs


def lmstudio_dirs() -> list[Path]:
    home = Path.home()
    return [home / ".lmstudio" / "models", home / ".cache" / "lm-studio" / "models"]


@hookimpl(trylast=True)
def discover_local_models(context: PluginContext) -> list[DiscoveredModel]:
    found = []
    for root in lmstudio_dirs():
        for path in model_ggufs(root):
            rel = path.relative_to(root).parts
            found.append(found_model(path, "lmstudio", "/".join(rel[:2]) if len(rel) >= 3 else None))
    return found
