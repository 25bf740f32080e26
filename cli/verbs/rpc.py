"""`llamadesk rpc [list | add HOST:PORT [--no-check] | rm HOST:PORT]`: the RPC workers a model
loaded with `rpc` on splits its layers across (docs/distributed.md)."""

from __future__ import annotations

import argparse

from llamadesk.core.commands import CommandTable
from llamadesk.core.models.rpc import RpcWorkerInfo, RpcWorkerList, RpcWorkerState

from ..output import print_json, size_label


def add(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("rpc", help="list the RPC workers (other machines) models can be split across")
    parser.add_argument("--json", action="store_true", help="print the command's JSON result")
    actions = parser.add_subparsers(dest="action")
    add_ = actions.add_parser("add", help="list a machine running `llamadesk rpc-worker`")
    add_.add_argument("endpoint", metavar="HOST:PORT")
    add_.add_argument("--no-check", action="store_true", help="list it without asking it first")
    actions.add_parser("list", help="the listed workers, each asked what it offers now")
    remove = actions.add_parser("rm", help="take a worker off the list")
    remove.add_argument("endpoint", metavar="HOST:PORT")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, commands: CommandTable) -> int:
    action = args.action or "list"
    if action == "add":
        result = commands.invoke("rpc.add", {"endpoint": args.endpoint, "check": not args.no_check})
        if not args.json:
            assert isinstance(result, RpcWorkerInfo)
            print(f"added RPC worker {describe(result)}")
            return 0
    elif action == "rm":
        result = commands.invoke("rpc.remove", {"endpoint": args.endpoint})
        if not args.json:
            print(f"removed RPC worker {args.endpoint}")
            return 0
    else:
        result = commands.invoke("rpc.list")
        if not args.json:
            assert isinstance(result, RpcWorkerList)
            if not result.workers:
                print("no RPC workers listed; add one with `llamadesk rpc add HOST:PORT`")
            for worker in result.workers:
                print(describe(worker))
            return 0
    print_json(result)
    return 0


def describe(worker: RpcWorkerInfo) -> str:
    """`192.168.1.20:50052  ready, offers 15.6 GB` or `...  down: nothing listens there...`."""
    if worker.state is RpcWorkerState.READY:
        return f"{worker.endpoint}  ready, offers {size_label(worker.offered_bytes)}"
    if worker.state is RpcWorkerState.UNCHECKED:
        return f"{worker.endpoint}  (not asked)"
    return f"{worker.endpoint}  {worker.state.value}: {worker.detail}"
