"""A configuration folder for the hass process: YAML, HTTP port, onboarding, the integration."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from devtools import REPO

TEMPLATE = REPO / "config_template"
# Steps of the onboarding that a person clicks through in the UI but a script need not: core_config
# also starts flows (met, radio_browser, google_translate, shopping_list) that reach the internet.
SEEDED_ONBOARDING_STEPS = ["core_config", "analytics", "integration"]


def _write_storage(path: Path, key: str, version: int, minor: int, data: Any) -> None:
    """Write one .storage file the way Home Assistant does."""
    document = {"version": version, "minor_version": minor, "key": key, "data": data}
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


def prepare_config(config_dir: Path, port: int) -> None:
    """Seed a configuration folder once: YAML, HTTP on 127.0.0.1:port, onboarding, integration."""
    storage = config_dir / ".storage"
    storage.mkdir(parents=True, exist_ok=True)
    link = config_dir / "custom_components"
    if not link.is_symlink():
        link.symlink_to(REPO / "custom_components", target_is_directory=True)
    if not (config_dir / "configuration.yaml").exists():
        shutil.copy(TEMPLATE / "configuration.yaml", config_dir / "configuration.yaml")
    # Home Assistant 2026.8+ keeps its HTTP settings in .storage/http; a YAML http: block would
    # only be a pending trial that reverts after five minutes.
    http = storage / "http"
    if not http.exists():
        document = json.loads((TEMPLATE / "http.json").read_text(encoding="utf-8"))
        document["data"]["stable"]["server_port"] = port
        http.write_text(json.dumps(document) + "\n", encoding="utf-8")
    onboarding = storage / "onboarding"
    if not onboarding.exists():
        _write_storage(onboarding, "onboarding", 4, 1, {"done": SEEDED_ONBOARDING_STEPS})
