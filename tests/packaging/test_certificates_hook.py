"""The bundle's certificates runtime hook: certifi only where OpenSSL finds no system store.

Seen for real by hiding /usr/lib/ssl from the bundle (unshare + bind mount): the
self-test then reports certifi's bundle. Here the hook runs in-process, with the
answer of `ssl.get_default_verify_paths` standing in for another machine's layout.
"""

from __future__ import annotations

import os
import runpy
import ssl
from pathlib import Path

import certifi
import pytest

HOOK = Path(__file__).resolve().parents[2] / "packaging" / "rthook_certificates.py"


def verify_paths(cafile: str | None, capath: str | None) -> ssl.DefaultVerifyPaths:
    return ssl.DefaultVerifyPaths(cafile, capath, "SSL_CERT_FILE", str(cafile), "SSL_CERT_DIR", str(capath))


@pytest.fixture
def no_cert_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """The hook writes os.environ; give it a copy without SSL_CERT_*, so nothing leaks out."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SSL_CERT_")}
    monkeypatch.setattr(os, "environ", env)
    return monkeypatch


def test_falls_back_to_certifi_when_the_system_store_is_missing(no_cert_env: pytest.MonkeyPatch) -> None:
    no_cert_env.setattr(ssl, "get_default_verify_paths", lambda: verify_paths(None, "/nonexistent/certs"))
    runpy.run_path(str(HOOK))
    assert os.environ["SSL_CERT_FILE"] == certifi.where()


def test_leaves_a_working_system_store_alone(no_cert_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    bundle = tmp_path / "cert.pem"
    bundle.write_text("system certificates")
    no_cert_env.setattr(ssl, "get_default_verify_paths", lambda: verify_paths(str(bundle), None))
    runpy.run_path(str(HOOK))
    assert "SSL_CERT_FILE" not in os.environ


def test_respects_the_users_own_setting(no_cert_env: pytest.MonkeyPatch) -> None:
    os.environ["SSL_CERT_DIR"] = "/my/certs"
    no_cert_env.setattr(ssl, "get_default_verify_paths", lambda: verify_paths(None, None))
    runpy.run_path(str(HOOK))
    assert "SSL_CERT_FILE" not in os.environ
