"""A small Hugging Face hub on 127.0.0.1, speaking the routes huggingface_hub and llamadesk use.

Routes (as the real hub answers them, trimmed to what clients read):
- `GET /api/models?filter=gguf&search=&author=&sort=&limit=&expand=`: search.
- `GET /api/models/{repo}[/revision/{rev}]?blobs=true`: model info, siblings with `lfs.sha256`,
  the hub's `gguf` metadata when the repo offers it.
- `GET /api/models/{repo}/tree/{rev}?recursive=true`: file listing with `lfs.oid`.
- `HEAD|GET /{repo}/resolve/{rev}/{file}`: file bytes with `X-Repo-Commit`, `ETag`,
  `X-Linked-Etag`, `X-Linked-Size`, `Accept-Ranges`; `Range` answers 206.
- `GET /api/whoami-v2`: who a token belongs to (for `hf auth login`).

Gated and private repos answer 401 without the right `Authorization: Bearer` token, with
the `X-Error-Code` the real hub sends. Faults for tests: `cut_after` (close the connection
after N bytes of a file) and `corrupt` (serve different bytes than the advertised sha256).
`throttle` slows a file down (to interrupt a pull mid-way). A request whose line carries an absolute URL (as a client sends to an HTTP proxy) is
served too and recorded with `proxied=True`.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

CHUNK = 1 << 20


@dataclass
class HubFile:
    path: str
    source: Path | bytes
    sha256: str = ""
    size: int = 0

    def __post_init__(self) -> None:
        if isinstance(self.source, bytes):
            self.size = len(self.source)
            self.sha256 = self.sha256 or hashlib.sha256(self.source).hexdigest()
        else:
            self.size = self.source.stat().st_size
            if not self.sha256:
                digest = hashlib.sha256()
                with self.source.open("rb") as stream:
                    while block := stream.read(CHUNK):
                        digest.update(block)
                self.sha256 = digest.hexdigest()

    @property
    def is_lfs(self) -> bool:
        # The real hub stores every GGUF (and anything big) in LFS; small text stays in git.
        return self.path.endswith(".gguf") or self.size > 10_000

    @property
    def git_oid(self) -> str:
        return hashlib.sha1(f"blob {self.size}\0{self.sha256}".encode()).hexdigest()

    def read(self, start: int, end: int) -> bytes:
        """Bytes [start, end) of the file."""
        if isinstance(self.source, bytes):
            return self.source[start:end]
        with self.source.open("rb") as stream:
            stream.seek(start)
            return stream.read(end - start)


@dataclass
class HubRepo:
    repo_id: str
    files: list[HubFile]
    commit: str = ""
    gated: bool = False
    private: bool = False
    downloads: int = 0
    likes: int = 0
    last_modified: str = "2026-01-01T00:00:00.000Z"
    gguf: dict[str, Any] | None = None
    tags: list[str] = field(default_factory=lambda: ["gguf"])

    def __post_init__(self) -> None:
        if not self.commit:
            self.commit = hashlib.sha1(self.repo_id.encode()).hexdigest()

    @property
    def author(self) -> str:
        return self.repo_id.split("/")[0]

    def file(self, path: str) -> HubFile | None:
        return next((f for f in self.files if f.path == path), None)


@dataclass
class SeenRequest:
    method: str
    path: str
    headers: dict[str, str]  # names in lower case
    proxied: bool


class HubServer:
    """Start with `start()`, stop with `stop()`; `url` is the endpoint to give clients."""

    def __init__(self, token: str = "") -> None:
        self.repos: dict[str, HubRepo] = {}
        self.token = token  # the one token that opens gated and private repos
        self.cut_after: dict[str, int] = {}  # file path -> bytes sent before the connection drops
        self.corrupt: set[str] = set()  # file paths served with flipped bytes
        self.throttle: dict[str, float] = {}  # file path -> seconds to wait per MiB sent
        self.bytes_sent: dict[str, int] = {}  # file path -> body bytes sent so far
        self.ignore_range = False  # answer every GET with the whole file, as some mirrors do
        self.requests: list[SeenRequest] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="hub-server", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def add(self, repo: HubRepo) -> HubRepo:
        self.repos[repo.repo_id] = repo
        return repo

    def start(self) -> HubServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=10)

    def record(self, request: SeenRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def count_sent(self, path: str, size: int) -> None:
        with self._lock:
            self.bytes_sent[path] = self.bytes_sent.get(path, 0) + size

    def downloads_of(self, path: str) -> list[SeenRequest]:
        """GET requests of `/{repo}/resolve/...` whose file is `path`."""
        return [
            r for r in self.requests if r.method == "GET" and "/resolve/" in r.path and r.path.endswith(path)
        ]


_RESOLVE = re.compile(r"^/(?P<repo>[^/]+/[^/]+)/resolve/(?P<rev>[^/]+)/(?P<file>.+)$")
_TREE = re.compile(r"^/api/models/(?P<repo>[^/]+/[^/]+)/tree/(?P<rev>[^/]+)(?:/(?P<sub>.*))?$")
_INFO = re.compile(r"^/api/models/(?P<repo>[^/]+/[^/]+)(?:/revision/(?P<rev>[^/]+))?$")

_SORT_KEYS = {
    "downloads": lambda r: r.downloads,
    "likes": lambda r: r.likes,
    "lastModified": lambda r: r.last_modified,
}


def _make_handler(hub: HubServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            pass

        # -- plumbing -------------------------------------------------------------------------
        def _route(self) -> tuple[str, dict[str, list[str]]]:
            proxied = self.path.startswith(("http://", "https://"))
            parts = urlsplit(self.path)
            path = unquote(parts.path)
            hub.record(
                SeenRequest(self.command, path, {k.lower(): v for k, v in self.headers.items()}, proxied)
            )
            return path, parse_qs(parts.query)

        def _json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        def _error(self, status: int, code: str, message: str) -> None:
            self._json(status, {"error": message}, {"X-Error-Code": code, "X-Error-Message": message})

        def _authorized(self, repo: HubRepo) -> bool:
            if not (repo.gated or repo.private):
                return True
            return bool(hub.token) and self.headers.get("Authorization") == f"Bearer {hub.token}"

        def _repo_or_error(self, repo_id: str, rev: str | None) -> HubRepo | None:
            repo = hub.repos.get(repo_id)
            if repo is None or (repo.private and not self._authorized(repo)):
                self._error(401 if repo else 404, "RepoNotFound", "Repository not found")
                return None
            if not self._authorized(repo):
                self._error(
                    401,
                    "GatedRepo",
                    f"Access to model {repo_id} is restricted. You must have access to it "
                    "and be authenticated to access it. Please log in.",
                )
                return None
            if rev not in (None, "main", repo.commit):
                self._error(404, "RevisionNotFound", f"Invalid rev id: {rev}")
                return None
            return repo

        # -- verbs ----------------------------------------------------------------------------
        def do_HEAD(self) -> None:
            self.do_GET()

        def do_GET(self) -> None:
            path, query = self._route()
            if path == "/api/models":
                return self._search(query)
            if path == "/api/whoami-v2":
                return self._whoami()
            if match := _TREE.match(path):
                return self._tree(match["repo"], match["rev"], match["sub"] or "")
            if match := _INFO.match(path):
                return self._info(match["repo"], match["rev"], query)
            if match := _RESOLVE.match(path):
                return self._resolve(match["repo"], match["rev"], match["file"])
            self._error(404, "NotFound", f"no route {path}")

        # -- routes ---------------------------------------------------------------------------
        def _search(self, query: dict[str, list[str]]) -> None:
            repos = [r for r in hub.repos.values() if not r.private]
            for tag in query.get("filter", []):
                repos = [r for r in repos if tag in r.tags]
            if search := query.get("search", [""])[0].lower():
                repos = [r for r in repos if search in r.repo_id.lower()]
            if author := query.get("author", [""])[0]:
                repos = [r for r in repos if r.author == author]
            sort = query.get("sort", [""])[0]
            if sort in _SORT_KEYS:
                repos.sort(key=_SORT_KEYS[sort], reverse=True)
            limit = int(query.get("limit", ["1000"])[0])
            self._json(200, [self._summary(r) for r in repos[:limit]])

        @staticmethod
        def _summary(repo: HubRepo) -> dict[str, Any]:
            return {
                "_id": repo.commit[:24],
                "id": repo.repo_id,
                "modelId": repo.repo_id,
                "author": repo.author,
                "downloads": repo.downloads,
                "likes": repo.likes,
                "lastModified": repo.last_modified,
                "gated": "auto" if repo.gated else False,
                "private": repo.private,
                "tags": repo.tags,
                "library_name": "gguf",
            }

        def _info(self, repo_id: str, rev: str | None, query: dict[str, list[str]]) -> None:
            repo = self._repo_or_error(repo_id, rev)
            if repo is None:
                return
            blobs = query.get("blobs", [""])[0].lower() == "true"
            siblings = []
            for f in repo.files:
                sibling: dict[str, Any] = {"rfilename": f.path}
                if blobs:
                    sibling["size"] = f.size
                    sibling["blobId"] = f.git_oid
                    if f.is_lfs:
                        sibling["lfs"] = {"sha256": f.sha256, "size": f.size, "pointerSize": 134}
                siblings.append(sibling)
            body = {**self._summary(repo), "sha": repo.commit, "siblings": siblings}
            if repo.gguf is not None:
                body["gguf"] = repo.gguf
            self._json(200, body)

        def _tree(self, repo_id: str, rev: str, sub: str) -> None:
            repo = self._repo_or_error(repo_id, rev)
            if repo is None:
                return
            entries = []
            for f in repo.files:
                if sub and not f.path.startswith(sub.rstrip("/") + "/"):
                    continue
                entry: dict[str, Any] = {"type": "file", "oid": f.git_oid, "size": f.size, "path": f.path}
                if f.is_lfs:
                    entry["lfs"] = {"oid": f.sha256, "size": f.size, "pointerSize": 134}
                entries.append(entry)
            self._json(200, entries)

        def _whoami(self) -> None:
            auth = self.headers.get("Authorization", "")
            if not hub.token or auth != f"Bearer {hub.token}":
                self._error(401, "Unauthorized", "Invalid credentials in Authorization header")
                return
            self._json(
                200,
                {
                    "type": "user",
                    "name": "tester",
                    "auth": {"type": "access_token", "accessToken": {"displayName": "test", "role": "read"}},
                },
            )

        def _resolve(self, repo_id: str, rev: str, file_path: str) -> None:
            repo = self._repo_or_error(repo_id, rev)
            if repo is None:
                return
            hub_file = repo.file(file_path)
            if hub_file is None:
                self._error(404, "EntryNotFound", f"{file_path} does not exist on {rev}")
                return
            size = hub_file.size
            start, end, status = 0, size, 200
            wanted = self.headers.get("Range")
            if wanted and not hub.ignore_range and (m := re.fullmatch(r"bytes=(\d+)-(\d*)", wanted.strip())):
                start = int(m[1])
                end = min(int(m[2]) + 1, size) if m[2] else size
                if start >= size:
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{size}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                status = 206
            self.send_response(status)
            etag = f'"{hub_file.sha256 if hub_file.is_lfs else hub_file.git_oid}"'
            self.send_header("X-Repo-Commit", repo.commit)
            self.send_header("ETag", etag)
            if hub_file.is_lfs:
                self.send_header("X-Linked-Etag", etag)
                self.send_header("X-Linked-Size", str(size))
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(end - start))
            if status == 206:
                self.send_header("Content-Range", f"bytes {start}-{end - 1}/{size}")
            self.end_headers()
            if self.command == "HEAD":
                return
            limit = hub.cut_after.get(file_path)
            position = start
            while position < end:
                block = hub_file.read(position, min(position + CHUNK, end))
                if file_path in hub.corrupt:
                    block = bytes(b ^ 0xFF for b in block[:16]) + block[16:]
                if limit is not None and position + len(block) >= limit:
                    block = block[: max(limit - position, 0)]
                    self.wfile.write(block)
                    self.wfile.flush()
                    self.close_connection = True
                    return
                try:
                    self.wfile.write(block)
                except (BrokenPipeError, ConnectionResetError):  # the client had enough
                    self.close_connection = True
                    return
                hub.count_sent(file_path, len(block))
                position += len(block)
                if file_path in hub.throttle:
                    time.sleep(hub.throttle[file_path])

    return Handler
