"""Model references parse like Ollama's, and nothing that could leave the store gets through."""

from __future__ import annotations

import pytest

from llamadesk.core.errors import InvalidReference
from llamadesk.core.models.reference import parse_reference


@pytest.mark.parametrize(
    ("text", "full", "short"),
    [
        ("smollm2", "registry.ollama.ai/library/smollm2:latest", "smollm2:latest"),
        ("smollm2:135m", "registry.ollama.ai/library/smollm2:135m", "smollm2:135m"),
        ("user/model:v1.2", "registry.ollama.ai/user/model:v1.2", "user/model:v1.2"),
        ("ai/smollm2", "docker.io/ai/smollm2:latest", "ai/smollm2:latest"),
        ("docker.io/ai/smollm2:360M-Q4_K_M", "docker.io/ai/smollm2:360M-Q4_K_M", "ai/smollm2:360M-Q4_K_M"),
        ("localhost:5000/team/model:q4", "localhost:5000/team/model:q4", "localhost:5000/team/model:q4"),
        (
            "127.0.0.1:5000/model",
            "127.0.0.1:5000/library/model:latest",
            "127.0.0.1:5000/library/model:latest",
        ),
        ("Registry.Example.com/ns/m", "registry.example.com/ns/m:latest", "registry.example.com/ns/m:latest"),
        (
            "hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M",
            "hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M",
            None,
        ),
        ("huggingface.co/user/repo", "hf.co/user/repo:latest", None),
        (
            "registry.ollama.ai/library/smollm2:latest",
            "registry.ollama.ai/library/smollm2:latest",
            "smollm2:latest",
        ),
    ],
)
def test_references_parse_like_ollama(text: str, full: str, short: str | None) -> None:
    ref = parse_reference(text)
    assert ref.full == full
    assert ref.short == (short or full)
    assert parse_reference(ref.short) == ref == parse_reference(ref.full)


HEX = "0123456789abcdef" * 4


@pytest.mark.parametrize(
    ("text", "full"),
    [
        (f"smollm2@sha256:{HEX}", f"registry.ollama.ai/library/smollm2:sha256-{HEX}"),
        (f"smollm2:135m@sha256:{HEX}", "registry.ollama.ai/library/smollm2:135m"),
        (f"ai/smollm2@sha256:{HEX}", f"docker.io/ai/smollm2:sha256-{HEX}"),
        (f"localhost:5000/team/model:q4@sha256:{HEX}", "localhost:5000/team/model:q4"),
    ],
)
def test_references_pinned_by_digest(text: str, full: str) -> None:
    """Docker's and Ollama's `@sha256:` pins: stored under the tag, or under the digest without one."""
    ref = parse_reference(text)
    assert ref.full == full and ref.digest == f"sha256:{HEX}"
    assert ref.pinned == f"{ref.short}@sha256:{HEX}"
    assert parse_reference(ref.pinned) == ref
    assert parse_reference(ref.short).digest is None  # the stored name alone, unpinned


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "../etc",
        "a/../b",
        "..",
        ".hidden",
        "x:..",
        "x:.",
        "ns/.",
        "/etc/passwd",
        "~/models/x",
        "C:\\models\\x",
        "a\\b",
        "a//b",
        "a/",
        "x y",
        "x\ny",
        "x\x00y",
        "m:tag/extra",
        "host.com/a/b/c",
        "localhost:99999/a/b",
        "localhost:0/a/b",
        "bad_host.com/a/b",
        "a:",
        "model@sha256:" + "0" * 63,
        "model@sha256:" + "A" * 64,
        "model@sha256:" + "0" * 64 + "/x",
        "model@sha512:" + "0" * 128,
        "model@latest",
        "model@",
        "@sha256:" + "0" * 64,
        "a@b@sha256:" + "0" * 64,
        "user@host.com/ns/model",
        "../x@sha256:" + "0" * 64,
        "hf.co/user/repo:Q4_K_M@sha256:" + "0" * 64,
        "con",
        "ns/nul:latest",
        "name.",
        "-name",
        "a" * 200,
        "é/model",
        "model:tag:more",
    ],
)
def test_hostile_or_malformed_references_are_refused(text: str) -> None:
    with pytest.raises(InvalidReference):
        parse_reference(text)
