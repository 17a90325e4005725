"""Print the requirements Home Assistant would install at its first start with a configuration."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import homeassistant
import yaml
from homeassistant import bootstrap
from homeassistant.const import BASE_PLATFORMS
from homeassistant.requirements import DISCOVERY_INTEGRATIONS

COMPONENTS = Path(homeassistant.__file__).parent / "components"


class _Loader(yaml.SafeLoader):  # type: ignore[misc]  # no PyYAML stubs in the lint environment
    """Read configuration.yaml, ignoring tags such as !secret or !include."""


_Loader.add_multi_constructor("!", lambda _loader, _suffix, _node: None)


def _manifest(domain: str, custom: Path) -> dict[str, Any] | None:
    """Return an integration's manifest, custom integrations first, or None when unknown."""
    for base in (custom, COMPONENTS):
        path = base / domain / "manifest.json"
        if path.is_file():
            manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
            return manifest
    return None


def requirements(configuration: Path, custom: Path) -> list[str]:
    """Walk what bootstrap sets up (as Home Assistant's requirements check does); list its needs."""
    config = yaml.load(configuration.read_text(encoding="utf-8"), Loader=_Loader) or {}  # noqa: S506
    todo = {str(key).split(" ")[0] for key in config}
    todo |= bootstrap.CORE_INTEGRATIONS | bootstrap.DEFAULT_INTEGRATIONS | set(BASE_PLATFORMS)
    todo |= {path.parent.name for path in custom.glob("*/manifest.json")}
    seen: set[str] = set()
    found: set[str] = set()
    while todo:
        domain = todo.pop()
        seen.add(domain)
        manifest = _manifest(domain, custom)
        if manifest is None:
            continue
        found.update(manifest.get("requirements", []))
        todo.update(manifest.get("dependencies", []) + manifest.get("after_dependencies", []))
        for discovery, keys in DISCOVERY_INTEGRATIONS.items():
            if any(key in manifest for key in keys):
                todo.add(discovery)
        todo -= seen
    return sorted(found, key=str.lower)


def main() -> int:
    """Print one requirement a line for CONFIGURATION_YAML and CUSTOM_COMPONENTS_DIR."""
    if len(sys.argv) != 3:  # noqa: PLR2004
        usage = "python -m devtools.hass.requirements CONFIGURATION_YAML CUSTOM_COMPONENTS_DIR"
        print(__doc__, f"\nusage: {usage}")
        return 2
    print("\n".join(requirements(Path(sys.argv[1]), Path(sys.argv[2]))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
