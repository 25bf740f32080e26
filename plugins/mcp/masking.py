"""Secrets in a server's settings (environment variables, HTTP headers, a password in a URL)
as commands show them: never in full. The settings file keeps the real values."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

HIDDEN = "****"
SHOWN_PREFIX = 3  # "ghp****" tells which token it is without giving it away
SECRET_QUERY = re.compile(r"key|token|secret|pass|auth|sig", re.IGNORECASE)


def mask(value: str) -> str:
    """The first characters of a long value, then stars; a short value is all stars."""
    return value[:SHOWN_PREFIX] + HIDDEN if len(value) >= 12 else HIDDEN


def mask_values(values: dict[str, str]) -> dict[str, str]:
    return {key: mask(value) for key, value in values.items()}


def keep_masked(new: dict[str, str], stored: dict[str, str]) -> dict[str, str]:
    """A value sent back exactly as it was shown masked means "keep the stored one", so a
    form that edits a server from `mcp.list` does not overwrite a key with its mask."""
    return {
        key: stored[key] if key in stored and value == mask(stored[key]) else value
        for key, value in new.items()
    }


def mask_url(url: str | None) -> str | None:
    """The URL with its password and secret-looking query values hidden."""
    if not url:
        return url
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}:{HIDDEN}@{host}" if ":" in userinfo else f"{HIDDEN}@{host}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode([(k, HIDDEN if SECRET_QUERY.search(k) else v) for k, v in pairs], safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def scrub(text: str, secrets: list[str]) -> str:
    """`text` (an error from a library) with every secret value replaced by its mask."""
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= 4:
            text = text.replace(secret, mask(secret))
    return text
