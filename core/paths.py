"""Where the app keeps its files. `LLAMADESK_HOME` moves all of them under one folder."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "llamadesk"
ENV_HOME = "LLAMADESK_HOME"


@dataclass(frozen=True)
class AppPaths:
    config_dir: Path
    data_dir: Path
    cache_dir: Path

    @classmethod
    def from_env(cls) -> AppPaths:
        """Platform folders, or `$LLAMADESK_HOME/{config,data,cache}` when that is set."""
        home = os.environ.get(ENV_HOME)
        if home:
            return cls.under(Path(home))
        return cls(
            Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
            Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
            Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)),
        )

    @classmethod
    def under(cls, root: Path) -> AppPaths:
        """Every folder under one root: `root/{config,data,cache}`."""
        root = root.expanduser().resolve()
        return cls(root / "config", root / "data", root / "cache")

    @property
    def config_file(self) -> Path:
        return self.config_dir / "config.json"

    @property
    def default_models_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def plugins_dir(self) -> Path:
        """Extra plugin packages (pip install --target here) found beside a bundled app."""
        return self.data_dir / "plugins"

    @property
    def logs_dir(self) -> Path:
        return self.data_dir / "logs"
