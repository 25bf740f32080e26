"""Token challenges, Docker config credentials, and blobs redirected to another origin."""

from __future__ import annotations

import base64
import json
import stat
from pathlib import Path

import pytest

from llamadesk.core.errors import RegistryError
from llamadesk.plugins.oci.auth import credentials_for, parse_challenge
from tests.http_servers import BlobCdn, RegistryFront


def front_ref(front: RegistryFront, repository: str, tag: str = "latest") -> str:
    return f"127.0.0.1:{front.port}/{repository}:{tag}"


def test_anonymous_bearer_token_challenge(app, registry) -> None:
    with RegistryFront(registry.server.url, require_token=True) as front:
        result = app.library.pull(front_ref(front, "library/smollm2"))
        assert result.downloaded == result.size
        # One token for the repository's pull scope, fetched after a 401, used for every request after.
        assert len(front.token_requests) == 1
        query = front.token_requests[0]["query"]
        assert query == {"scope": ["repository:library/smollm2:pull"], "service": ["test-registry"]}
        statuses = [r["headers"].get("Authorization", "").startswith("Bearer ") for r in front.requests[1:]]
        blob_requests = [r for r in front.requests if "/blobs/" in r["path"]]
        assert blob_requests and all(
            r["headers"]["Authorization"].startswith("Bearer ") for r in blob_requests
        )
        assert sum(statuses) >= 6


def test_docker_config_credentials_are_sent_to_the_token_realm(app, registry, tmp_path, monkeypatch) -> None:
    with RegistryFront(registry.server.url, require_token=True, basic_user=("ada", "s3cret")) as front:
        host = f"127.0.0.1:{front.port}"
        ref = front_ref(front, "library/smollm2")
        monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker"))
        with pytest.raises(RegistryError, match="docker login"):
            app.library.pull(ref)  # no credentials yet: a clear hint, not a traceback

        (tmp_path / "docker").mkdir()
        auth = base64.b64encode(b"ada:s3cret").decode()
        (tmp_path / "docker" / "config.json").write_text(json.dumps({"auths": {host: {"auth": auth}}}))
        assert app.library.pull(ref).size > 0
        assert front.token_requests[-1]["authorization"] == "Basic " + auth


def test_credential_helper_from_docker_config(tmp_path, monkeypatch) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    helper = bin_dir / "docker-credential-testhelper"
    helper.write_text(
        "#!/bin/sh\nread server\n"
        'echo "{\\"ServerURL\\": \\"$server\\", \\"Username\\": \\"bob\\", \\"Secret\\": \\"tok-$server\\"}"\n'
    )
    helper.chmod(helper.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}:{Path('/usr/bin')}:{Path('/bin')}")
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    (tmp_path / "config.json").write_text(json.dumps({"credHelpers": {"registry.example.com": "testhelper"}}))
    creds = credentials_for("registry.example.com")
    assert creds is not None and creds.username == "bob" and creds.password == "tok-registry.example.com"
    assert credentials_for("other.example.com") is None


def test_blob_redirect_to_another_origin_does_not_leak_the_token(app, registry) -> None:
    with (
        BlobCdn(registry.server.blob_data_path) as cdn,
        RegistryFront(registry.server.url, require_token=True) as front,
    ):
        front.blob_host = cdn
        result = app.library.pull(front_ref(front, "ai/smollm2"))
        assert result.downloaded == result.size
        assert cdn.requests, "blobs should have come from the CDN"
        assert all("Authorization" not in r["headers"] for r in cdn.requests)
        assert all("?sig=" in r["path"] for r in cdn.requests)
        redirected = [r for r in front.requests if "/blobs/" in r["path"]]
        assert redirected and all(r["headers"]["Authorization"].startswith("Bearer ") for r in redirected)
    assert (
        app.library.resolve_model_path(front_ref(front, "ai/smollm2")).stat().st_size
        == registry.gguf.stat().st_size
    )


def test_challenge_parsing() -> None:
    challenge = parse_challenge(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:ai/smollm2:pull"'
    )
    assert challenge is not None and challenge.scheme == "bearer"
    assert challenge.params == {
        "realm": "https://auth.docker.io/token",
        "service": "registry.docker.io",
        "scope": "repository:ai/smollm2:pull",
    }
    basic = parse_challenge('Basic realm="Registry Realm"')
    assert basic is not None and basic.scheme == "basic"
