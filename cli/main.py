"""The `llamadesk` command: Ollama-like verbs, each a thin client of the command table."""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import sys
import tempfile
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from types import ModuleType

from llamadesk.core import __version__
from llamadesk.core.app import App
from llamadesk.core.commands import CommandError
from llamadesk.core.paths import AppPaths

from .output import exit_code, print_error
from .verbs import (
    call,
    chats,
    collections,
    commands,
    config,
    cp,
    import_model,
    list_models,
    mcp,
    plugins,
    ps,
    pull,
    push,
    remote,
    rm,
    rpc,
    rpc_worker,
    run,
    search,
    self_test,
    serve,
    show,
    tools,
)

# Each verb module has add(subparsers) and run(args, commands) -> exit code.
# A verb that sets `isolated_home=True` runs on an App in a throwaway home
# (the user's plugins folder is still searched).
VERBS: tuple[ModuleType, ...] = (
    run,
    ps,
    pull,
    list_models,
    show,
    rm,
    cp,
    import_model,
    push,
    serve,
    remote,
    mcp,
    rpc,
    rpc_worker,
    commands,
    call,
    config,
    plugins,
    self_test,
    search,
    chats,
    collections,
    tools,
)

# Spelled as a flag too, because that is how packagers and installers probe an executable.
FLAG_ALIASES = {"--self-test": "self-test"}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="llamadesk",
        description="Run local LLMs with llama.cpp. With no verb, opens the app window.",
    )
    parser.add_argument("--version", action="version", version=f"llamadesk {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens to stderr")
    sub = parser.add_subparsers(dest="verb", metavar="VERB")
    for verb in VERBS:
        verb.add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    multiprocessing.freeze_support()  # model workers re-enter here in a frozen bundle
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in FLAG_ALIASES:
        argv[0] = FLAG_ALIASES[argv[0]]
    args = build_parser().parse_args(argv)
    _log_to_stderr(verbose=args.verbose)
    with ExitStack() as stack:
        app = _make_app(args, stack)
        return _run(args, app)


class _OneLineFormatter(logging.Formatter):
    """Log records without their traceback: those are for `-v`, never shown to a user by default."""

    def format(self, record: logging.LogRecord) -> str:
        if record.exc_info or record.stack_info:
            record = logging.makeLogRecord({**record.__dict__, "exc_info": None, "exc_text": None})
            record.stack_info = None
        return super().format(record)


def _log_to_stderr(*, verbose: bool) -> None:
    handler = logging.StreamHandler()
    line = "%(levelname)s %(name)s: %(message)s"
    handler.setFormatter(logging.Formatter(line) if verbose else _OneLineFormatter(line))
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, handlers=[handler])


def _make_app(args: argparse.Namespace, stack: ExitStack) -> App:
    if not getattr(args, "isolated_home", False):
        return App().start()
    user_paths = AppPaths.from_env()
    home = stack.enter_context(tempfile.TemporaryDirectory(prefix="llamadesk-", ignore_cleanup_errors=True))
    return App(AppPaths.under(Path(home)), plugin_dirs=[user_paths.plugins_dir]).start()


def _run(args: argparse.Namespace, app: App) -> int:
    try:
        for notice in app.notices:
            print(f"note: {notice}", file=sys.stderr)
        if args.verb is None:
            from llamadesk.ui.launch import launch

            return launch(app.commands)
        try:
            code: int = args.run(args, app.commands)
            return code
        except CommandError as error:
            print_error(error)
            return exit_code(error)
        except KeyboardInterrupt:
            return 130
    finally:
        app.close()


if __name__ == "__main__":
    sys.exit(main())
