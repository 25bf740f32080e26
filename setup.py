"""Maps the top-level folders onto one import namespace.

`core/` -> `llamadesk.core`, `plugins/` -> `llamadesk.plugins`, `ui/` -> `llamadesk.ui`,
`cli/` -> `llamadesk.cli`. Metadata lives in pyproject.toml; only the package map is
computed here, because setuptools cannot express "every sub-package of this folder,
under that prefix" in pyproject.toml alone.
"""

from pathlib import Path

from setuptools import setup

FOLDERS = ("core", "lib", "plugins", "ui", "cli")
HERE = Path(__file__).parent


def _packages() -> tuple[list[str], dict[str, str]]:
    packages: list[str] = []
    package_dir: dict[str, str] = {}
    for folder in FOLDERS:
        for init in sorted((HERE / folder).rglob("__init__.py")):
            rel = init.parent.relative_to(HERE)
            name = "llamadesk." + ".".join(rel.parts)
            packages.append(name)
            package_dir[name] = rel.as_posix()
    return packages, package_dir


packages, package_dir = _packages()
setup(
    packages=packages,
    package_dir=package_dir,
    package_data={
        name: ["*.kv", "*.json", "*.ttf", "*.png", "locale/*/LC_MESSAGES/*.mo"] for name in packages
    },
)
