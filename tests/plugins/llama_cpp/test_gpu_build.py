"""Knowing a GPU build of llama.cpp before loading it, and what then stays in RAM."""

from __future__ import annotations

from pathlib import Path

import llama_cpp

from llamadesk.plugins.llama_cpp.ggml_rpc import GgmlRpc
from llamadesk.plugins.llama_cpp.gpu_build import (
    can_offload,
    gpu_libraries_in,
    host_share,
    llama_cpp_libraries,
)


def test_the_installed_build_is_judged_as_llama_cpp_judges_itself() -> None:
    assert llama_cpp_libraries() == Path(llama_cpp.__file__).parent / "lib"
    # llama_supports_gpu_offload() also says yes for an RPC build (other machines' devices);
    # what counts here is a GPU of this machine's own.
    assert can_offload() == bool(GgmlRpc().local_gpus())
    assert llama_cpp.llama_supports_gpu_offload()  # RPC is built in (make setup)


def test_gpu_libraries_by_name(tmp_path: Path) -> None:
    for name in ["libggml-base.so", "libggml-cpu.so", "libllama.so", "libggml-metal.dylib"]:
        (tmp_path / name).touch()
    assert gpu_libraries_in(tmp_path) == []  # Metal shares the RAM
    (tmp_path / "libggml-cuda.so").touch()
    (tmp_path / "ggml-vulkan.dll").touch()
    assert gpu_libraries_in(tmp_path) == ["ggml-cuda", "ggml-vulkan"]
    assert gpu_libraries_in(tmp_path / "missing") == [] and gpu_libraries_in(None) == []


def test_host_share_counts_the_output_layer_as_llama_cpp_does() -> None:
    assert host_share(30, -1, offload=False) == 1.0  # a CPU build keeps everything
    assert host_share(30, -1, offload=True) == 0.0
    assert host_share(30, 0, offload=True) == 1.0
    assert host_share(30, 10, offload=True) == 21 / 31
    assert host_share(30, 99, offload=True) == 0.0
