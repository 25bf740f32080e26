"""The llama.cpp backend's settings (`config set llama_cpp.rpc_workers 192.168.1.20:50052`)."""

from __future__ import annotations

from pydantic import Field, field_validator

from llamadesk.core.models.base import UserOptions
from llamadesk.core.models.rpc import check_endpoint
from llamadesk.core.models.settings import SettingsSection


class LlamaCppSettings(UserOptions):
    rpc_workers: list[str] = Field(
        default_factory=list,
        description="Other machines running `llamadesk rpc-worker`, as HOST:PORT, that a model loaded "
        "with load.rpc splits its layers across (`llamadesk rpc add`).",
    )

    prompt_cache_mb: int = Field(
        2048,
        ge=0,
        description="Disk space for saved conversation states (in the data folder): a chat continued "
        "after switching chats, unloading or restarting restores its prompt instead of reading it "
        "again. The least recently used are deleted over this size; 0 turns saving off.",
    )

    @field_validator("rpc_workers")
    @classmethod
    def _host_ports(cls, workers: list[str]) -> list[str]:
        for worker in workers:
            check_endpoint(worker)
        if len(set(workers)) != len(workers):
            raise ValueError("a worker is listed twice")
        return workers


SECTION = SettingsSection(
    namespace="llama_cpp",
    model=LlamaCppSettings,
    title="llama.cpp",
    description="The built-in backend: models run by llama.cpp on this machine, and on others' RPC workers.",
)
