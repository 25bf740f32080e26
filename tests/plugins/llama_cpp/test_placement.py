"""Where llama.cpp put a model, read from the lines its loader logs (as this version writes them)."""

from __future__ import annotations

from llamadesk.plugins.llama_cpp.placement import PlacementLog

MIB = 1024**2


def feed(log: PlacementLog, lines: list[str]) -> None:
    for line in lines:
        log.feed(line)


def test_layers_and_buffers_per_machine() -> None:
    log = PlacementLog()
    feed(log, [f"load_tensors: layer {i:3d} assigned to device CPU, is_swa = 0" for i in range(10)])
    feed(log, [f"load_tensors: layer {i:3d} assigned to device RPC0, is_swa = 0" for i in range(10, 21)])
    feed(log, [f"load_tensors: layer {i:3d} assigned to device RPC1, is_swa = 0" for i in range(21, 31)])
    feed(
        log,
        [
            "load_tensors: RPC0[127.0.0.1:50052] model buffer size =    31.50 MiB",
            "load_tensors: RPC1[127.0.0.1:50053] model buffer size =    54.46 MiB",
            "load_tensors:   CPU_Mapped model buffer size =    57.33 MiB",
            "llama_kv_cache:        CPU KV buffer size =     7.50 MiB",
            "llama_kv_cache: RPC0[127.0.0.1:50052] KV buffer size =     8.25 MiB",
            "llama_context:        CPU compute buffer size =    98.00 MiB",  # not counted: scratch
        ],
    )
    here, first, second = log.parts({"RPC0": "127.0.0.1:50052", "RPC1": "127.0.0.1:50053"})
    assert (here.host, here.device, here.layers) == ("", "CPU", 10)
    assert here.memory_bytes == int(57.33 * MIB) + int(7.5 * MIB)
    assert (first.host, first.layers, first.memory_bytes) == (
        "127.0.0.1:50052",
        11,
        int(31.5 * MIB) + int(8.25 * MIB),
    )
    assert (second.host, second.layers) == ("127.0.0.1:50053", 10)
    assert (
        first.label() == "127.0.0.1:50052 (CPU): 11 layers"
        and here.label() == "this machine (CPU): 10 layers"
    )


def test_a_local_gpu_is_a_part_of_this_machine() -> None:
    log = PlacementLog()
    feed(log, ["load_tensors: layer   0 assigned to device CPU, is_swa = 0"])
    feed(log, [f"load_tensors: layer {i:3d} assigned to device CUDA0, is_swa = 0" for i in range(1, 31)])
    feed(log, ["load_tensors:        CUDA0 model buffer size =    80.00 MiB"])
    cpu, gpu = log.parts({})
    assert (cpu.device, cpu.layers, gpu.device, gpu.layers) == ("CPU", 1, "CUDA0", 30)
    assert gpu.memory_bytes == 80 * MIB and not gpu.remote


def test_nothing_logged_is_no_parts() -> None:
    assert PlacementLog().parts({"RPC0": "h:1"}) == []
