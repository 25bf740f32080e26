"""The OCI distribution API, as much as pulling and pushing models needs.

`RegistryClient` knows one host: its base URL, its auth (anonymous bearer
tokens, Basic, Docker config credentials), and how to fetch manifests, check
blobs and upload them. The source (`source.py`) decides what to fetch.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from urllib.parse import urljoin

from llamadesk.core.errors import N_, DigestMismatch, NotFound, RegistryError
from llamadesk.core.interfaces.http import HttpClient, HttpError, HttpResponse
from llamadesk.core.models.manifest import INDEX_MEDIA_TYPES, MANIFEST_MEDIA_TYPES

from .auth import Challenge, TokenCache, credentials_for, parse_challenge

# Hosts whose API lives elsewhere than their name.
API_HOSTS = {"docker.io": "registry-1.docker.io"}
ENV_INSECURE = "LLAMADESK_INSECURE_REGISTRIES"  # comma-separated hosts spoken to over plain http
MANIFEST_ACCEPT = ", ".join((*MANIFEST_MEDIA_TYPES, *INDEX_MEDIA_TYPES))
MAX_MANIFEST_BYTES = 4 * 1024 * 1024
UPLOAD_PIECE = 1024 * 1024


def base_url(host: str) -> str:
    """`https://host`, or `http://` for loopback and hosts listed in LLAMADESK_INSECURE_REGISTRIES."""
    name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    insecure = {h.strip() for h in os.environ.get(ENV_INSECURE, "").split(",") if h.strip()}
    scheme = "http" if _is_loopback(name) or host in insecure else "https"
    return f"{scheme}://{API_HOSTS.get(host, host)}"


def _is_loopback(name: str) -> bool:
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name.strip("[]")).is_loopback
    except ValueError:
        return False


class RegistryClient:
    """Requests to one registry host, authenticating when challenged."""

    def __init__(self, host: str, http: HttpClient, tokens: TokenCache) -> None:
        self.host = host
        self.base = base_url(host)
        self.http = http
        self.tokens = tokens
        self._basic: dict[str, str] = {}  # scope -> Basic header, for registries that want Basic

    def auth_headers(self, scope: str, *, refresh: bool = False) -> dict[str, str]:
        """What to send for `scope` now: a cached token, or nothing until challenged."""
        if refresh:
            self._authenticate(scope)
        token = self.tokens.get(self.host, scope)
        if token is not None:
            return {"Authorization": f"Bearer {token}"}
        if scope in self._basic:
            return {"Authorization": self._basic[scope]}
        return {}

    def request(
        self,
        method: str,
        url: str,
        scope: str,
        headers: Mapping[str, str] | None = None,
        body: bytes | Iterator[bytes] | None = None,
        *,
        follow_redirects: bool = True,
    ) -> HttpResponse:
        """Send; on a 401 challenge get a token (or use Basic credentials) and send once more."""
        retry_body_ok = not isinstance(body, Iterator)
        full = url if url.startswith(("http://", "https://")) else self.base + url
        sent = {**(headers or {}), **self.auth_headers(scope)}
        response = self._send(method, full, sent, body, follow_redirects)
        if response.status != 401 or not retry_body_ok:
            return response
        challenge = parse_challenge(response.header("WWW-Authenticate"))
        response.close()
        self._answer(challenge, scope)
        sent = {**(headers or {}), **self.auth_headers(scope)}
        return self._send(method, full, sent, body, follow_redirects)

    def _send(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: bytes | Iterator[bytes] | None,
        follow_redirects: bool,
    ) -> HttpResponse:
        try:
            return self.http.request(method, url, headers, body, follow_redirects=follow_redirects)
        except HttpError as exc:
            raise RegistryError(
                N_("cannot reach the registry {host}: {error}"), host=self.host, error=exc
            ) from exc

    def _authenticate(self, scope: str) -> None:
        with self._send("GET", f"{self.base}/v2/", {}, None, True) as probe:
            challenge = parse_challenge(probe.header("WWW-Authenticate")) if probe.status == 401 else None
        if challenge is not None:
            self._answer(challenge, scope)

    def _answer(self, challenge: Challenge | None, scope: str) -> None:
        if challenge is None:
            raise RegistryError(
                N_("{host} refused the request (401) without saying how to log in"), host=self.host
            )
        if challenge.scheme == "bearer":
            self.tokens.fetch(self.http, self.host, challenge, scope)
            return
        credentials = credentials_for(self.host)
        if challenge.scheme != "basic" or credentials is None:
            raise RegistryError(
                N_(
                    "{host} needs credentials; add them with `docker login {host}` (llamadesk reads the "
                    "Docker config file)"
                ),
                host=self.host,
            )
        self._basic[scope] = credentials.basic_header()

    # -- manifests and blobs ---------------------------------------------------------------

    def get_manifest(self, repository: str, reference: str, scope: str) -> tuple[str, bytes]:
        """(media type, raw bytes) of a manifest or index, its digest checked when the server sends one."""
        url = f"/v2/{repository}/manifests/{reference}"
        with self.request("GET", url, scope, {"Accept": MANIFEST_ACCEPT}) as response:
            if response.status == 404:
                raise NotFound(
                    N_("{host}/{repository}:{reference} does not exist on the registry"),
                    host=self.host,
                    repository=repository,
                    reference=reference,
                )
            if response.status != 200:
                raise RegistryError(
                    N_("{host} answered {status} for the manifest of {repository}:{reference}"),
                    host=self.host,
                    status=response.status,
                    repository=repository,
                    reference=reference,
                )
            data = response.read(MAX_MANIFEST_BYTES + 1)
            media_type = response.header("Content-Type").split(";")[0].strip()
            claimed = response.header("Docker-Content-Digest")
        if len(data) > MAX_MANIFEST_BYTES:
            raise RegistryError(
                N_(
                    "the manifest of {repository}:{reference} is too large to be a model manifest (over "
                    "{limit_mb} MiB)"
                ),
                repository=repository,
                reference=reference,
                limit_mb=MAX_MANIFEST_BYTES // (1024 * 1024),
            )
        if media_type.startswith("text/html") or data.lstrip()[:1] == b"<":
            raise RegistryError(
                N_(
                    "{host} answered with a web page instead of the manifest of {repository}:{reference}; "
                    "is it a registry (or does it need a login in a browser)?"
                ),
                host=self.host,
                repository=repository,
                reference=reference,
            )
        actual = "sha256:" + hashlib.sha256(data).hexdigest()
        if reference.startswith("sha256:") and actual != reference:
            raise DigestMismatch(
                N_(
                    "the manifest {host}/{repository}@{expected} that came back hashes to {actual}; it was "
                    "not used (the registry may be corrupt or tampered with)"
                ),
                expected=reference,
                actual=actual,
                host=self.host,
                repository=repository,
            )
        if claimed.startswith("sha256:") and claimed != actual:
            raise RegistryError(
                N_("the manifest of {repository}:{reference} does not match the digest the registry sent"),
                repository=repository,
                reference=reference,
            )
        return media_type, data

    def blob_url(self, repository: str, digest: str) -> str:
        return f"{self.base}/v2/{repository}/blobs/{digest}"

    def has_blob(self, repository: str, digest: str, scope: str) -> bool:
        with self.request("HEAD", f"/v2/{repository}/blobs/{digest}", scope) as response:
            return response.status == 200

    def upload_blob(
        self,
        repository: str,
        digest: str,
        path: Path,
        scope: str,
        on_bytes: Callable[[int], None] | None = None,
    ) -> None:
        """Monolithic upload: POST for a session, then PUT the bytes with their digest."""
        with self.request(
            "POST", f"/v2/{repository}/blobs/uploads/", scope, {"Content-Length": "0"}, b""
        ) as started:
            location = started.header("Location")
            if started.status != 202 or not location:
                raise RegistryError(
                    N_("{host} refused an upload to {repository} ({status})"),
                    host=self.host,
                    repository=repository,
                    status=started.status,
                )
        target = urljoin(self.base + "/", location)
        target += ("&" if "?" in target else "?") + f"digest={digest}"
        size = path.stat().st_size
        headers = {"Content-Type": "application/octet-stream", "Content-Length": str(size)}
        with self.request(
            "PUT", target, scope, headers, _read_pieces(path, on_bytes), follow_redirects=False
        ) as done:
            if done.status not in (201, 204):
                raise RegistryError(
                    N_("{host} did not accept blob {digest} ({status})"),
                    host=self.host,
                    digest=digest[:19],
                    status=done.status,
                )

    def put_manifest(self, repository: str, tag: str, media_type: str, data: bytes, scope: str) -> None:
        headers = {"Content-Type": media_type, "Content-Length": str(len(data))}
        with self.request("PUT", f"/v2/{repository}/manifests/{tag}", scope, headers, data) as done:
            if done.status not in (200, 201):
                detail = done.read(2000).decode(errors="replace").strip()
                raise RegistryError(
                    N_("{host} did not accept the manifest of {repository}:{tag} ({status} {detail})"),
                    host=self.host,
                    repository=repository,
                    tag=tag,
                    status=done.status,
                    detail=detail,
                )


def _read_pieces(path: Path, on_bytes: Callable[[int], None] | None) -> Iterator[bytes]:
    with path.open("rb") as file:
        while piece := file.read(UPLOAD_PIECE):
            if on_bytes is not None:
                on_bytes(len(piece))
            yield piece
