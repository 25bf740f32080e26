"""The hub calls llamadesk makes, through huggingface_hub, with errors a person can act on."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx2
from huggingface_hub import HfApi, get_session, hf_hub_url
from huggingface_hub.errors import (
    GatedRepoError,
    HfHubHTTPError,
    RemoteEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from pydantic import ValidationError

from llamadesk.core.errors import (
    N_,
    AuthRequired,
    InvalidParams,
    LlamadeskError,
    NotFound,
    RegistryError,
    Unavailable,
    validation_summary,
)
from llamadesk.core.gguf import GGUFError, read_gguf_header
from llamadesk.core.models.gguf import GGUFInfo
from llamadesk.core.models.hub import HubModel, HubSearchParams, HubSort

from .access import HubAccess, use_proxy
from .choices import RepoFile

log = logging.getLogger(__name__)

_SORT = {HubSort.DOWNLOADS: "downloads", HubSort.LIKES: "likes", HubSort.LAST_MODIFIED: "last_modified"}
_SEARCH_FIELDS = ["author", "downloads", "likes", "lastModified", "gated", "private"]
# GGUF headers are mostly the tokenizer's vocabulary: 1 MiB covers small models, 16 MiB the
# 256k-token ones; a header past the cap is not worth reading for an estimate.
HEADER_FIRST_READ = 1 << 20
HEADER_CAP = 32 << 20
_REPO_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass(frozen=True)
class RepoListing:
    """What the hub says about one repo at one commit."""

    repo_id: str
    commit: str
    gated: bool
    files: list[RepoFile]
    gguf: dict[str, Any] = field(default_factory=dict)  # the hub's GGUF metadata, when offered


class HubClient:
    def __init__(self, access: HubAccess) -> None:
        self.access = access
        use_proxy(access.proxy)
        # token=False stops huggingface_hub from looking the token up again on its own.
        self.api = HfApi(endpoint=access.endpoint, token=access.token or False)

    def search(self, params: HubSearchParams) -> list[HubModel]:
        with self._translated("searching"):
            found = self.api.list_models(
                filter="gguf",
                search=params.query or None,
                author=params.author or None,
                sort=_SORT[params.sort],  # type: ignore[arg-type]
                limit=params.limit,
                expand=_SEARCH_FIELDS,  # type: ignore[arg-type]
            )
            return [
                HubModel(
                    repo_id=info.id,
                    author=info.author or info.id.split("/")[0],
                    downloads=info.downloads or 0,
                    likes=info.likes or 0,
                    last_modified=info.last_modified,
                    gated=bool(info.gated),
                    private=bool(info.private),
                )
                for info in found
            ]

    def listing(self, repo_id: str, revision: str | None = None) -> RepoListing:
        with self._translated(f"listing hf.co/{repo_id}", repo_id=repo_id, revision=revision):
            info = self.api.model_info(repo_id, revision=revision, files_metadata=True)
        files = [
            RepoFile(
                path=s.rfilename,
                size=s.lfs.size if s.lfs else s.size,
                sha256=s.lfs.sha256 if s.lfs else None,
            )
            for s in info.siblings or []
        ]
        return RepoListing(
            repo_id=info.id,
            commit=info.sha or revision or "main",
            gated=bool(info.gated),
            files=files,
            gguf=dict(info.gguf or {}),
        )

    def file_url(self, repo_id: str, commit: str, path: str) -> str:
        return hf_hub_url(repo_id, path, revision=commit, endpoint=self.access.endpoint)

    def read_header(self, repo_id: str, commit: str, file: RepoFile) -> GGUFInfo | None:
        """The GGUF header of a hub file, read with Range requests; None if it cannot be had.

        The shape it gives (layers, heads) is the same for every quant of a repo, so one
        read serves the memory estimate of all of them.
        """
        if not file.size:
            return None
        url = self.file_url(repo_id, commit, file.path)
        want = HEADER_FIRST_READ
        while True:
            try:
                with self._translated(f"reading {file.path}", repo_id=repo_id):
                    data = _read_head(
                        url, {**self.access.auth_headers(), "Range": f"bytes=0-{want - 1}"}, want
                    )
                return read_gguf_header(data, file.size, file.path.rsplit("/", 1)[-1])
            except GGUFError as exc:
                if "truncated" not in exc.message or want >= HEADER_CAP or len(data) < want:
                    log.info("no usable GGUF header in %s: %s", file.path, exc.message)
                    return None
                want *= 4
            except LlamadeskError as exc:
                log.info("could not read the header of %s: %s", file.path, exc.message)
                return None

    @contextmanager
    def _translated(
        self, doing: str, repo_id: str | None = None, revision: str | None = None
    ) -> Iterator[None]:
        """Turn huggingface_hub and network errors into errors that say what to do."""
        try:
            yield
        except LlamadeskError:
            raise
        except GatedRepoError as exc:
            raise self._gated(repo_id or "") from exc
        except RepositoryNotFoundError as exc:
            raise self._not_found(repo_id or "") from exc
        except RevisionNotFoundError as exc:
            raise NotFound(
                N_("hf.co/{repo_id} has no branch, tag or commit {revision!r}"),
                repo_id=repo_id,
                revision=revision,
            ) from exc
        except RemoteEntryNotFoundError as exc:
            raise NotFound(
                N_("{doing}: the file is not in hf.co/{repo_id}"),
                doing=self.access.redact(doing),
                repo_id=repo_id,
            ) from exc
        except HfHubHTTPError as exc:
            status = exc.response.status_code if exc.response is not None else "an error"
            raise Unavailable(
                N_("{doing} failed: {web_host} answered {status}; try again later"),
                status=status,
                doing=doing,
                web_host=self.access.web_host,
            ) from exc
        except httpx2.HTTPStatusError as exc:
            status = exc.response.status_code
            if status in (401, 403):
                raise self._gated(repo_id or "") from exc
            raise Unavailable(
                N_("{doing} failed: {web_host} answered {status}"),
                doing=doing,
                web_host=self.access.web_host,
                status=status,
            ) from exc
        except (httpx2.TransportError, OSError) as exc:
            reason = self.access.redact(str(exc) or type(exc).__name__)
            raise Unavailable(
                N_(
                    "cannot reach the Hugging Face hub at {endpoint} ({reason}); check your connection, or "
                    "the hf_endpoint and http_proxy settings"
                ),
                endpoint=self.access.endpoint,
                reason=reason,
            ) from exc
        except (ValueError, KeyError, TypeError, AttributeError) as exc:  # an answer of the wrong shape
            log.info("%s: the hub's answer could not be read", doing, exc_info=exc)
            reason = validation_summary(exc) if isinstance(exc, ValidationError) else type(exc).__name__
            raise RegistryError(
                N_(
                    "{doing} failed: {web_host} sent an answer that is not what the hub sends ({reason}); "
                    "check the hf_endpoint setting"
                ),
                doing=self.access.redact(doing),
                web_host=self.access.web_host,
                reason=self.access.redact(reason),
            ) from exc

    def _gated(self, repo_id: str) -> AuthRequired:
        page = self.access.repo_page(repo_id)
        if self.access.token:
            return AuthRequired(
                N_(
                    "hf.co/{repo} is gated and your Hugging Face token has no access to it yet: accept its "
                    "terms at {page} (approval can take a while), then try again"
                ),
                repo=repo_id,
                page=page,
            )
        return AuthRequired(
            N_(
                "hf.co/{repo} is gated: accept its terms at {page}, then log in with `hf auth login` (or "
                "set HF_TOKEN to an access token) and try again"
            ),
            repo=repo_id,
            page=page,
        )

    def _not_found(self, repo_id: str) -> LlamadeskError:
        if self.access.token:
            return NotFound(
                N_(
                    "hf.co/{repo} was not found, or your Hugging Face token cannot see it (check the name; "
                    "a private repo needs a token with read access)"
                ),
                repo=repo_id,
            )
        return AuthRequired(
            N_(
                "hf.co/{repo} was not found. If it is private, log in with `hf auth login` (or set "
                "HF_TOKEN) and try again; otherwise check the name"
            ),
            repo=repo_id,
        )


def repo_id_of(text: str) -> str:
    """`hf.co/user/repo`, `huggingface.co/user/repo`, `https://huggingface.co/user/repo` -> `user/repo`."""
    value = text.strip()
    for prefix in ("https://", "http://"):
        value = value.removeprefix(prefix)
    for host in ("hf.co/", "huggingface.co/"):
        value = value.removeprefix(host)
    value = value.split(":", 1)[0].strip("/")
    if not _REPO_ID.match(value):
        raise InvalidParams(
            N_("{text!r} is not a Hugging Face repo; write it as user/repo or hf.co/user/repo"), text=text
        )
    return value


HEADER_READ_TIMEOUT = httpx2.Timeout(15.0)


def _read_head(url: str, headers: dict[str, str], limit: int) -> bytes:
    """At most `limit` bytes from the start of `url`, even from a server that ignores Range.

    A header is a few MB at most: a server that stalls mid-body (sending fewer bytes than it
    announced) is given up on after HEADER_READ_TIMEOUT, not the session's long timeout."""
    chunks: list[bytes] = []
    got = 0
    with get_session().stream("GET", url, headers=headers, timeout=HEADER_READ_TIMEOUT) as response:
        response.raise_for_status()
        for chunk in response.iter_bytes():
            chunks.append(chunk)
            got += len(chunk)
            if got >= limit:
                break
    return b"".join(chunks)[:limit]
