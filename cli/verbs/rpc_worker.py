"""`llamadesk rpc-worker [--host H] [--port P] [--threads N] [--cache-dir D]`: offer this
machine's memory and CPU (or GPU) to a model loaded on another machine, until Ctrl+C."""

from __future__ import annotations

import argparse
import signal
import sys

from pydantic import BaseModel

from llamadesk.core.commands import CommandTable
from llamadesk.core.models.rpc import DEFAULT_PORT, RpcClientEvent, RpcServeResult, RpcServing

from ..interrupts import Interrupted
from ..output import size_label

POLL_S = 0.2
STOP_GRACE_S = 10.0


def add(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "rpc-worker",
        help="lend this machine's memory to models loaded elsewhere (llama.cpp RPC) until Ctrl+C",
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: this machine only). Anyone who can reach the "
        "port can use the worker: give another address only on a trusted network",
    )
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0 picks one)"
    )
    parser.add_argument("--threads", type=int, help="CPU threads (default: the physical core count)")
    parser.add_argument(
        "--cache-dir", help="where to keep the tensors clients send (default: the app's cache)"
    )
    parser.add_argument("--no-cache", action="store_true", help="keep no tensor cache")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, commands: CommandTable) -> int:
    params = {
        "host": args.host,
        "port": args.port,
        "threads": args.threads,
        "cache_dir": args.cache_dir,
        "cache": not args.no_cache,
    }
    # Ctrl+C and a service manager's SIGTERM only set a flag (cli/interrupts.py).
    with Interrupted(signal.SIGINT, signal.SIGTERM) as stop:
        running = commands.start("rpc.serve", params, on_event=show)
        while not stop.is_set:
            try:
                result = running.result(timeout=POLL_S)
                break
            except TimeoutError:
                continue
        else:
            print("stopping", file=sys.stderr)
            running.cancel()
            result = running.result(timeout=STOP_GRACE_S)
    assert isinstance(result, RpcServeResult)
    return 0


def show(event: BaseModel) -> None:
    if isinstance(event, RpcServing):
        for device in event.devices:
            name = f"{device.name} ({device.description})" if device.description else device.name
            print(f"offering {name}: {size_label(device.free_bytes)} (of {size_label(device.total_bytes)})")
        print(f"memory available on this machine now: {size_label(event.available_bytes)}")
        print(f"tensor cache: {event.cache_dir or 'off'}; llama.cpp's log: {event.log_file}")
        if event.exposed:
            print(
                f"WARNING: listening on {event.endpoint}: anyone who can reach this port can use this "
                "machine's memory and CPU, and send it data (llama.cpp's RPC has no authentication). "
                "Use it on a trusted network only, or bind 127.0.0.1 and reach it through an SSH tunnel.",
                file=sys.stderr,
            )
        # Flushed at once: scripts and tests read the address from this line.
        print(f"RPC worker listening on {event.endpoint}. Ctrl+C stops.", flush=True)
    elif isinstance(event, RpcClientEvent):
        print("a model connected" if event.connected else "a model disconnected", flush=True)
