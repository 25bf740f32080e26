"""llamadesk's core: models, hookspecs, plugin manager, command table, services."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("llamadesk")  # the one source of truth is pyproject.toml
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"
