"""Write docs/settings.md from the settings' own fields: every setting of the core and of
each default plugin, with its default and description (tests/test_docs.py checks that
every setting is there). Run it after adding or changing a setting:

    .venv/bin/python scripts/settings_doc.py
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from llamadesk.core.app import App
from llamadesk.core.models.settings import ConfigValue, SettingsSchema
from llamadesk.core.paths import AppPaths

DOC = Path(__file__).parents[1] / "docs" / "settings.md"

HEADER = """# Settings

Every setting, as `llamadesk config get/set KEY` and the window's Settings screen
address it. The core's settings sit at the top level; each plugin keeps its own
under its namespace (`server.port`), declared with the `register_settings` hook
(docs/plugins.md). They are saved in `config.json` in the config folder
(`llamadesk config path`).

```sh
llamadesk config get                      # every setting
llamadesk config set server.port 9000     # one, validated before it is saved
llamadesk config set load '{"context_size": 8192, "threads": 4}'
```

A settings file from a release before plugin settings is moved into the plugins'
namespaces when it is read (`server_port` becomes `server.port`, `remotes` becomes
`remote.servers`, `llama_server` becomes `remote.llama_server`, `hf_endpoint` becomes
`huggingface.endpoint`); the settings of a plugin that is not loaded are kept as they are.

This page is written by `scripts/settings_doc.py` from the settings' own descriptions.
"""


def render() -> str:
    with tempfile.TemporaryDirectory() as home:
        app = App(AppPaths.under(Path(home)), load_entrypoints=False).start()
        try:
            schema = app.commands.invoke("config.schema")
            values = app.commands.invoke("config.get")
        finally:
            app.close()
    assert isinstance(schema, SettingsSchema) and isinstance(values, ConfigValue)
    parts = [HEADER]
    for group in schema.groups:
        owner = f" (plugin `{group.plugin}`)" if group.plugin else ""
        parts.append(f"\n## {group.title}{owner}\n")
        if group.description:
            parts.append(f"\n{group.description}\n")
        parts.append("\n| setting | default | what it does |\n|---|---|---|\n")
        for field in group.fields:
            default = _default(values.value, field.key)
            parts.append(f"| `{field.key}` | {default} | {field.description.replace('|', '/')} |\n")
    return "".join(parts)


def _default(values: dict[str, Any], key: str) -> str:
    value: Any = values
    for part in key.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return "empty" if value is None else f"`{json.dumps(value)}`"


if __name__ == "__main__":
    DOC.write_text(render(), encoding="utf-8")
    print(f"wrote {DOC}")
