"""hub.files: quant labels, split grouping, mmproj, hub metadata, fits and the recommendation."""

from __future__ import annotations

import pytest

from llamadesk.core.app import App
from llamadesk.plugins.huggingface.choices import RepoFile, find_choice, group_choices
from llamadesk.plugins.huggingface.quants import quant_label

from .conftest import STARTER_REPO, TINY_REPO, TINY_SPLIT
from .hub_server import HubServer

GIB = 1 << 30


def files(app: App, **params: object) -> dict:
    return app.commands.invoke("hub.files", params).model_dump()


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("Llama-3.2-1B-Instruct-Q4_K_M.gguf", "Q4_K_M"),
        ("tinyllama-1.1b-chat-v1.0.Q5_K_S.gguf", "Q5_K_S"),
        ("phi-2.q8_0.gguf", "Q8_0"),
        ("Meta-Llama-3.1-8B-Instruct-IQ2_XXS.gguf", "IQ2_XXS"),
        ("Qwen3-4B-IQ4_NL.gguf", "IQ4_NL"),
        ("model-UD-Q4_K_XL.gguf", "Q4_K_XL"),
        ("gemma-3-4b-it-qat-Q4_0.gguf", "Q4_0"),
        ("ggml-model-f16.gguf", "F16"),
        ("ggml-model-fp16.gguf", "F16"),
        ("Qwen2.5-7B-Instruct-BF16-00001-of-00004.gguf", "BF16"),
        ("Q8-Coder-7B-Q3_K_L.gguf", "Q3_K_L"),
        ("folder/Q6_K/model-Q6_K-00002-of-00002.gguf", "Q6_K"),
        ("mistral-7b-Q4_0_4_4.gguf", "Q4_0_4_4"),
        ("Qwen2.5-0.5B.gguf", ""),
        ("Qwen2-VL.gguf", ""),
    ],
)
def test_quant_label_from_file_name(name: str, label: str) -> None:
    assert quant_label(name) == label


def test_split_files_are_one_choice_and_incomplete_splits_say_so() -> None:
    listing = [
        RepoFile("big-Q8_0-00002-of-00003.gguf", 10, "b"),
        RepoFile("big-Q8_0-00001-of-00003.gguf", 10, "a"),
        RepoFile("big-Q4_K_M-00001-of-00002.gguf", 5, "c"),
        RepoFile("mmproj-big-f16.gguf", 3, "d"),
        RepoFile("big-Q2_K.gguf", None, None),
        RepoFile("README.md", 1),
    ]
    choices = {c.name: c for c in group_choices(listing)}
    assert list(choices) == ["Q2_K", "Q4_K_M", "Q8_0"]  # lowest quality first, mmproj apart
    q8 = choices["Q8_0"]
    assert q8.files == ["big-Q8_0-00001-of-00003.gguf", "big-Q8_0-00002-of-00003.gguf"]
    assert (q8.split_count, q8.complete, q8.size, q8.sha256) == (3, False, 20, ["a", "b"])
    assert choices["Q4_K_M"].complete is False
    assert choices["Q2_K"].size is None
    assert find_choice(list(choices.values()), "q8_0") is q8
    assert find_choice(list(choices.values()), "big-Q2_K.gguf") is choices["Q2_K"]
    assert find_choice(list(choices.values()), "Q6_K") is None


def test_two_files_of_one_quant_are_named_by_file() -> None:
    choices = group_choices([RepoFile("a-Q4_K_M.gguf", 1), RepoFile("a-imat-Q4_K_M.gguf", 1)])
    assert sorted(c.name for c in choices) == ["a-Q4_K_M.gguf", "a-imat-Q4_K_M.gguf"]


def test_repo_files_with_quants_splits_mmproj_and_sizes(hub_app: App, hub: HubServer) -> None:
    result = files(hub_app, repo=f"hf.co/{TINY_REPO}", memory_bytes=64 * GIB)
    assert result["repo_id"] == TINY_REPO
    assert result["commit"] == hub.repos[TINY_REPO].commit
    names = [c["name"] for c in result["choices"]]
    assert names == ["Q2_K", "IQ3_XS", "Q4_K_M", "Q5_K_M", "Q6_K", "Q8_0", "BF16", "F16"]
    split = next(c for c in result["choices"] if c["name"] == "Q6_K")
    assert split["files"] == TINY_SPLIT
    assert (split["split_count"], split["complete"], split["size"]) == (3, True, 3 * 220_000)
    q4 = next(c for c in result["choices"] if c["name"] == "Q4_K_M")
    tiny_q4 = hub.repos[TINY_REPO].file("tinyllama-Q4_K_M.gguf")
    assert q4["sha256"] == [tiny_q4.sha256] and q4["size"] == 400_000
    assert result["mmproj"] == ["mmproj-tinyllama-f16.gguf"]
    assert all(c["fit"] == "fits" for c in result["choices"])
    # Plenty of memory: the best quality up to Q8_0 (F16/BF16 double the size for no visible gain).
    assert result["recommended"] == "Q8_0"
    assert result["context_size"] == hub_app.config.config.load.context_size
    # The header was read (by Range, not a whole download) for the KV-cache shape.
    header_reads = [r for r in hub.requests if r.method == "GET" and "/resolve/" in r.path]
    assert header_reads and all(r.headers.get("range", "").startswith("bytes=0-") for r in header_reads)


def test_recommendation_on_a_small_memory(hub_app: App) -> None:
    big = files(hub_app, repo=TINY_REPO, memory_bytes=64 * GIB, context_size=4096)
    needed = {c["name"]: c["required_bytes"] for c in big["choices"]}
    assert needed["Q2_K"] < needed["Q4_K_M"] < needed["Q5_K_M"] < needed["Q6_K"] < needed["Q8_0"]

    # Q5_K_M fits with room to spare; anything bigger only tightly.
    memory = int(needed["Q5_K_M"] / 0.8) + 1
    small = files(hub_app, repo=TINY_REPO, memory_bytes=memory, context_size=4096)
    fits = {c["name"]: c["fit"] for c in small["choices"]}
    assert [fits[n] for n in ("Q2_K", "IQ3_XS", "Q4_K_M", "Q5_K_M")] == ["fits"] * 4
    assert [fits[n] for n in ("Q6_K", "Q8_0", "F16")] == ["tight"] * 3
    assert small["recommended"] == "Q5_K_M"
    assert small["memory_bytes"] == memory

    # Exactly Q6_K's need: bigger files are too big, none fits with room: Q4_K_M, the default.
    tight = files(hub_app, repo=TINY_REPO, memory_bytes=needed["Q6_K"], context_size=4096)
    fits = {c["name"]: c["fit"] for c in tight["choices"]}
    assert (fits["Q4_K_M"], fits["Q6_K"], fits["Q8_0"], fits["BF16"]) == (
        "tight",
        "tight",
        "too_big",
        "too_big",
    )
    assert tight["recommended"] == "Q4_K_M"
    assert "tight" in tight["recommended_reason"]

    # A longer context needs more memory for the same file (the KV cache grows).
    longer = files(hub_app, repo=TINY_REPO, memory_bytes=memory, context_size=32768)
    longer_needed = {c["name"]: c["required_bytes"] for c in longer["choices"]}
    assert longer_needed["Q2_K"] > needed["Q2_K"]

    # Nothing fits: llama.cpp's default, Q4_K_M.
    nothing = files(hub_app, repo=TINY_REPO, memory_bytes=1000, context_size=4096)
    assert {c["fit"] for c in nothing["choices"]} == {"too_big"}
    assert nothing["recommended"] == "Q4_K_M"
    assert "nothing fits" in nothing["recommended_reason"]


def test_hub_gguf_metadata_gives_template_and_context(hub_app: App, starter_model) -> None:
    result = files(hub_app, repo=STARTER_REPO, memory_bytes=64 * GIB)
    assert [c["name"] for c in result["choices"]] == ["Q4_1"]
    assert result["context_length"] == 8192
    assert result["architecture"] == "llama"
    assert result["parameters"] == 134515008
    assert "<|im_start|>" in result["chat_template"]
    assert result["recommended"] == "Q4_1"
    assert result["choices"][0]["size"] == starter_model.stat().st_size


def test_unknown_repo_and_revision_are_clear(hub_app: App) -> None:
    from llamadesk.core.commands import CommandError

    with pytest.raises(CommandError) as caught:
        files(hub_app, repo="tester/no-such-repo")
    assert caught.value.code == "auth_required"  # without a token, it may be private
    assert "hf auth login" in caught.value.message
    with pytest.raises(CommandError) as caught:
        files(hub_app, repo=TINY_REPO, revision="v9")
    assert caught.value.code == "not_found" and "v9" in caught.value.message
    with pytest.raises(CommandError) as caught:
        files(hub_app, repo="just-a-name")
    assert caught.value.code == "invalid_params"


def test_memory_numbers_are_the_runtimes_estimate(hub_app: App, starter_model) -> None:
    from llamadesk.core.gguf import read_gguf
    from llamadesk.core.services.memory_fit import estimate_memory

    result = files(hub_app, repo=STARTER_REPO, memory_bytes=64 * GIB, context_size=2048)
    expected = estimate_memory(read_gguf(starter_model), 2048).total_bytes
    assert result["choices"][0]["required_bytes"] == expected


def test_a_gpu_build_counts_only_the_layers_left_in_ram(hub_app: App, starter_model, monkeypatch) -> None:
    """Discover judges a file by what the backend that would load it keeps in RAM."""
    from llamadesk.core.gguf import read_gguf
    from llamadesk.core.services.memory_fit import estimate_memory
    from llamadesk.plugins.llama_cpp import backend as llama_backend
    from llamadesk.plugins.llama_cpp.gpu_build import host_share

    monkeypatch.setattr(llama_backend, "can_offload", lambda: True)  # as a CUDA or Vulkan build says
    hub_app.config.update({"load.gpu_layers": 10})
    result = files(hub_app, repo=STARTER_REPO, memory_bytes=64 * GIB, context_size=2048)
    info = read_gguf(starter_model)
    share = host_share(info.block_count, 10, True)
    assert 0 < share < 1
    expected = estimate_memory(info, 2048, host_share=share).total_bytes
    assert result["choices"][0]["required_bytes"] == expected < estimate_memory(info, 2048).total_bytes


def test_header_read_stops_early_on_a_server_that_ignores_range(hub_app: App, hub: HubServer) -> None:
    hub.ignore_range = True
    result = files(hub_app, repo=STARTER_REPO, memory_bytes=64 * GIB)
    assert result["choices"][0]["required_bytes"]
    size = hub.repos[STARTER_REPO].files[0].size
    assert hub.bytes_sent["SmolLM2-135M-Instruct-Q4_1.gguf"] < size // 4
