"""The tutorial plugin, installed for real with pip and found through its entry point."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.cli.helpers import run_cli

EXAMPLE = Path(__file__).parents[1] / "examples" / "hello-plugin"


def test_installed_example_plugin_adds_its_command(home: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--target", str(target), str(EXAMPLE)],
        capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert install.returncode == 0, install.stderr
    env = {"PYTHONPATH": os.pathsep.join(filter(None, [str(target), os.environ.get("PYTHONPATH")]))}

    listed = run_cli("plugins", home=home, env=env)
    assert "hello  [entry point (llamadesk-hello 0.1.0)]" in listed.stdout

    done = run_cli("call", "hello.greet", "--json", '{"name": "Ada"}', home=home, env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"text": "Hello, Ada!", "theme": "dark"}

    # Its setting, as a user changes it.
    changed = run_cli("config", "set", "hello.greeting", "Howdy", home=home, env=env)
    assert changed.returncode == 0 and changed.stdout.strip() == 'hello.greeting = "Howdy"', changed.stderr
    assert json.loads(run_cli("config", "get", "hello", home=home, env=env).stdout) == {"greeting": "Howdy"}
    done = run_cli("call", "hello.greet", home=home, env=env)
    assert json.loads(done.stdout)["text"] == "Howdy, world!"
    refused = run_cli("config", "set", "hello.greeting", '""', home=home, env=env)
    assert refused.returncode == 1 and refused.stderr.startswith("error: hello.greeting:")

    blocked = run_cli("call", "hello.greet", home=home, env={**env, "LLAMADESK_PLUGINS": "other"})
    assert blocked.returncode == 1 and "no command 'hello.greet'" in blocked.stderr


def test_plugins_folder_in_data_dir_is_searched(home: Path) -> None:
    target = home / "data" / "plugins"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--target", str(target), str(EXAMPLE)],
        capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert install.returncode == 0, install.stderr
    done = run_cli("call", "hello.greet", home=home)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["text"] == "Hello, world!"
