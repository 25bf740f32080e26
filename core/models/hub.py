"""Hugging Face hub data: search hits, a repo's GGUF choices, and how each fits this machine.

The `hub.search` and `hub.files` commands take and return these; the UI's model browser
and `llamadesk search` render them.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import Field

from .base import CommandParams, Record


class HubSort(StrEnum):
    DOWNLOADS = "downloads"
    LIKES = "likes"
    LAST_MODIFIED = "last_modified"


class Fit(StrEnum):
    """How a file fits the memory this machine has (or the budget given)."""

    FITS = "fits"  # needs at most 80% of the budget: room left for the app and the OS
    TIGHT = "tight"  # fits, but leaves less than 20% free: may swap or fail under load
    TOO_BIG = "too_big"
    UNKNOWN = "unknown"  # the hub did not say how big the file is


class HubSearchParams(CommandParams):
    query: str = Field("", description="Text contained in the repo id, e.g. 'qwen 7b'; empty lists all.")
    author: str | None = Field(None, description="Only repos of this user or organisation.")
    sort: HubSort = Field(HubSort.DOWNLOADS, description="Most downloaded, most liked, or newest first.")
    limit: int = Field(20, ge=1, le=200, description="How many repos to return.")


class HubModel(Record):
    """One repo of a search: who made it and how popular it is."""

    repo_id: str = Field(description="user/repo, as in hf.co/user/repo.")
    author: str = ""
    downloads: int = Field(0, description="Downloads over the last 30 days.")
    likes: int = 0
    last_modified: datetime | None = None
    gated: bool = Field(False, description="Its files need an accepted licence and a token.")
    private: bool = False


class HubSearchResult(Record):
    models: list[HubModel]


class HubFilesParams(CommandParams):
    repo: str = Field(description="user/repo or hf.co/user/repo.")
    revision: str | None = Field(None, description="Branch, tag or commit; empty uses main.")
    context_size: int | None = Field(
        None, ge=256, le=1_048_576, description="Context to plan memory for; empty uses the load setting."
    )
    memory_bytes: int | None = Field(
        None, ge=0, description="Memory to plan for; empty measures what this machine has available."
    )


class HubFileChoice(Record):
    """One thing a user can pick: a GGUF, or all shards of a split GGUF together."""

    name: str = Field(
        description="What `models.pull hf.co/user/repo:NAME` takes: the quant label, or the file."
    )
    quant: str = Field("", description="Q4_K_M, IQ3_XS, F16...; empty if the name does not say.")
    files: list[str] = Field(description="Paths in the repo: one file, or every shard in order.")
    size: int | None = Field(None, description="Bytes over all files; None when the hub did not say.")
    sha256: list[str] = Field(default_factory=list, description="LFS sha256 of each file, in order.")
    split_count: int = Field(1, description="Shards of a split GGUF.")
    complete: bool = Field(True, description="False when some shards of a split GGUF are missing.")
    required_bytes: int | None = Field(None, description="Estimated memory to run it with the context.")
    fit: Fit = Fit.UNKNOWN


class RecommendReason(StrEnum):
    """Why a repo's `recommended` choice was picked: a code the window words in its own
    language (`recommended_reason` says it in English, for the command line)."""

    BEST_FIT = "best_fit"  # the best quality that fits with room to spare
    DEFAULT_TIGHT = "default_tight"  # llama.cpp's usual default, though memory is tight
    ONLY_TIGHT = "only_tight"  # nothing fits comfortably; this one fits, tightly
    DEFAULT_NO_SIZES = "default_no_sizes"  # the usual default; the hub gave no sizes to judge
    NOTHING_FITS_DEFAULT = "nothing_fits_default"  # nothing fits; the usual default anyway
    NOTHING_FITS_SMALLEST = "nothing_fits_smallest"  # nothing fits; the smallest there is
    NO_COMPLETE_FILE = "no_complete_file"  # no choice has all its files


class HubRepoFiles(Record):
    """A repo's GGUF files, grouped into choices, with a recommendation for this machine."""

    repo_id: str
    commit: str = Field(description="The commit listed: pulls pin it for reproducibility.")
    gated: bool = False
    choices: list[HubFileChoice] = Field(description="Model files, lowest quality first.")
    mmproj: list[str] = Field(
        default_factory=list, description="Multimodal projector files (vision), pulled beside a model."
    )
    recommended: str | None = Field(None, description="Name of the choice suggested for this machine.")
    recommended_reason: str = Field("", description="Why `recommended`, in English.")
    recommended_why: RecommendReason | None = Field(None, description="Why `recommended`, as a code.")
    context_size: int = Field(description="Context the memory estimates are for.")
    memory_bytes: int = Field(description="Memory the fits are judged against.")
    chat_template: str | None = Field(None, description="From the hub's GGUF metadata, when offered.")
    context_length: int | None = Field(None, description="Trained context, from the hub's GGUF metadata.")
    architecture: str | None = None
    parameters: int | None = Field(None, description="Weights in the model, from the hub's GGUF metadata.")
