"""Whether the installed llama.cpp can put layers in a GPU's own memory, known without
loading it, and how much of a model then stays in RAM.

The app's process never loads llama.cpp: only the workers do (a GPU library takes
memory on the GPU just by starting). So before a load, the memory check looks at the
libraries llama-cpp-python installed beside its bindings: a build for CUDA, Vulkan,
ROCm or SYCL carries its backend's library there (README, "A GPU").

Metal is left out on purpose: Apple's GPUs share the RAM, so offloaded layers need
it all the same. A GPU build on a machine without a GPU places nothing on one; the
check then counts too little, and the worst case is a worker the OS stops for lack
of memory, which the runtime reports like any crash.
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

# Backend libraries of ggml that have memory of their own (libggml-cuda.so, ggml-cuda.dll...).
GPU_LIBRARIES = ("ggml-cuda", "ggml-vulkan", "ggml-hip", "ggml-sycl", "ggml-musa")


def llama_cpp_libraries() -> Path | None:
    """llama-cpp-python's folder of shared libraries, found without importing it."""
    spec = importlib.util.find_spec("llama_cpp")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "lib"


def gpu_libraries_in(folder: Path | None) -> list[str]:
    """Names of the GPU backends whose libraries are in `folder`."""
    if folder is None or not folder.is_dir():
        return []
    names = {path.name for path in folder.iterdir()}
    return [gpu for gpu in GPU_LIBRARIES if any(gpu in name for name in names)]


@functools.cache
def can_offload() -> bool:
    """True when this llama.cpp build has a GPU backend with memory of its own."""
    return bool(gpu_libraries_in(llama_cpp_libraries()))


def layers_on_gpu(total: int, gpu_layers: int) -> int:
    """How many of a model's `total` layers (the output layer counted, as llama.cpp
    counts it) go to the GPU when `gpu_layers` are asked for (-1: all)."""
    return total if gpu_layers < 0 else min(gpu_layers, total)


def host_share(block_count: int, gpu_layers: int, offload: bool) -> float:
    """The share of a model's layers (and so of its weights and KV cache) left in RAM,
    `offload` being whether the build can put any on a GPU."""
    if not offload:
        return 1.0
    total = block_count + 1  # the repeating layers and the output layer
    return (total - layers_on_gpu(total, gpu_layers)) / total
