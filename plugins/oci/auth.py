"""Registry credentials: the Docker config file, credential helpers, and bearer-token challenges.

Docker's rules, kept small: `$DOCKER_CONFIG/config.json` (else `~/.docker/config.json`)
may hold `auths.<host>.auth` (base64 `user:password`), or name a credential
helper for the host (`credHelpers`) or for all hosts (`credsStore`), which we run
as `docker-credential-<name> get`. Docker Hub's entry is keyed by its legacy
index URL.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from llamadesk.core.errors import N_, RegistryError
from llamadesk.core.interfaces.http import HttpClient, HttpError

DOCKER_HUB_KEYS = ("https://index.docker.io/v1/", "index.docker.io", "docker.io", "registry-1.docker.io")
_CHALLENGE_PARAM = re.compile(r'(\w+)\s*=\s*(?:"([^"]*)"|([^,\s]*))')
TOKEN_LIFETIME = 60.0  # seconds; registries give at least this, and a stale token is refreshed on 401


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str

    def basic_header(self) -> str:
        raw = f"{self.username}:{self.password}".encode()
        return "Basic " + base64.b64encode(raw).decode()


@dataclass(frozen=True)
class Challenge:
    scheme: str  # bearer or basic
    params: dict[str, str]


def parse_challenge(header: str) -> Challenge | None:
    """`Bearer realm="https://auth/token",service="registry",scope="repository:a/b:pull"`."""
    scheme, _, rest = header.strip().partition(" ")
    if not scheme:
        return None
    params = {
        m.group(1).lower(): m.group(2) if m.group(2) is not None else m.group(3)
        for m in _CHALLENGE_PARAM.finditer(rest)
    }
    return Challenge(scheme.lower(), params)


def docker_config_path() -> Path:
    folder = os.environ.get("DOCKER_CONFIG")
    return (Path(folder) if folder else Path.home() / ".docker") / "config.json"


def credentials_for(host: str) -> Credentials | None:
    """Credentials for a registry host from the Docker config, or None."""
    try:
        config = json.loads(docker_config_path().read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(config, dict):
        return None
    keys = DOCKER_HUB_KEYS if host == "docker.io" else (host, f"https://{host}", f"http://{host}")
    helpers = config.get("credHelpers") or {}
    for key in keys:
        if isinstance(helpers, dict) and helpers.get(key):
            return _from_helper(str(helpers[key]), key)
    auths = config.get("auths") or {}
    for key in keys:
        entry = auths.get(key) if isinstance(auths, dict) else None
        if isinstance(entry, dict) and entry.get("auth"):
            try:
                user, _, password = base64.b64decode(entry["auth"]).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                continue
            return Credentials(user, password)
    if config.get("credsStore"):
        return _from_helper(str(config["credsStore"]), keys[0])
    return None


def _from_helper(helper: str, server: str) -> Credentials | None:
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", helper):
        return None
    program = shutil.which(f"docker-credential-{helper}")
    if program is None:
        return None
    try:
        done = subprocess.run(
            [program, "get"], input=server, capture_output=True, text=True, timeout=30, check=False
        )
        answer = json.loads(done.stdout) if done.returncode == 0 else None
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return None
    if not isinstance(answer, dict) or not answer.get("Secret"):
        return None
    return Credentials(str(answer.get("Username", "")), str(answer["Secret"]))


class TokenCache:
    """Bearer tokens per (host, scope), fetched from the realm a challenge names."""

    def __init__(self) -> None:
        self._tokens: dict[tuple[str, str], tuple[str, float]] = {}
        self._lock = threading.Lock()

    def get(self, host: str, scope: str) -> str | None:
        with self._lock:
            entry = self._tokens.get((host, scope))
        if entry is None or entry[1] < time.monotonic():
            return None
        return entry[0]

    def fetch(self, http: HttpClient, host: str, challenge: Challenge, scope: str) -> str:
        realm = challenge.params.get("realm")
        if not realm:
            raise RegistryError(N_("{host} asked for a token but named no realm to get it from"), host=host)
        query = {"scope": challenge.params.get("scope") or scope}
        if challenge.params.get("service"):
            query["service"] = challenge.params["service"]
        headers = {}
        credentials = credentials_for(host)
        if credentials is not None:
            headers["Authorization"] = credentials.basic_header()
        separator = "&" if "?" in realm else "?"
        try:
            response = http.request("GET", f"{realm}{separator}{urlencode(query)}", headers)
        except HttpError as exc:
            raise RegistryError(
                N_("cannot reach the token service of {host}: {error}"), host=host, error=exc
            ) from exc
        with response:
            body = response.read(1024 * 1024)
            if response.status != 200:
                hint = (
                    ""
                    if credentials
                    else " (no credentials for it in the Docker config; `docker login` first)"
                )
                raise RegistryError(
                    N_("{host} refused a token for {scope}: {status}{hint}"),
                    host=host,
                    scope=query["scope"],
                    status=response.status,
                    hint=hint,
                )
        try:
            answer = json.loads(body)
            token = str(answer.get("token") or answer.get("access_token"))
            lifetime = float(answer.get("expires_in") or TOKEN_LIFETIME)
        except (ValueError, AttributeError) as exc:
            raise RegistryError(N_("{host} sent a token answer that is not JSON"), host=host) from exc
        if not token or token == "None":
            raise RegistryError(N_("{host} sent a token answer without a token"), host=host)
        with self._lock:
            # Refresh a little early so a token does not expire between check and use.
            self._tokens[(host, scope)] = (token, time.monotonic() + max(1.0, lifetime - 10))
        return token
