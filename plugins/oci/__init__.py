"""The OCI model source: pulls and pushes models through OCI distribution registries.

Ollama's registry, Docker Hub's `ai/` models, and any registry (`localhost:5000/team/model`).
Media types: Ollama's, Docker model artifacts', CNCF ModelPack's (see core/models/manifest.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from llamadesk.core.hookspecs import hookimpl

from .source import OciSource

if TYPE_CHECKING:
    from llamadesk.core.interfaces.plugin_context import PluginContext


@hookimpl(trylast=True)
def register_model_sources(context: PluginContext) -> list[OciSource]:
    return [OciSource()]
