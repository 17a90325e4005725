"""The e2e's configuration folder: the development instance's, with the README's logbook exclude."""

from __future__ import annotations

from pathlib import Path

from devtools.hass.config import prepare_config

# The README's advice against Home Assistant's own state-change lines in the Activity panel,
# written into the e2e's configuration.yaml only: scripts/develop keeps every line to look at.
LOGBOOK_EXCLUDE = """logbook:
  exclude:
    entity_globs:
      - sensor.*_last_identity
      - sensor.*_person_type
      - sensor.*_last_seen
      - event.*_recognition"""
# The sensors whose state-change lines that exclude hides.
EXCLUDED_SENSORS = ("last_identity", "person_type", "last_seen")


def exclude_state_lines(config_dir: Path) -> None:
    """Put the README's logbook exclude into configuration.yaml in place of a bare logbook:."""
    path = config_dir / "configuration.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines = [LOGBOOK_EXCLUDE if line == "logbook:" else line for line in lines]
    if LOGBOOK_EXCLUDE not in lines:
        lines.append(LOGBOOK_EXCLUDE)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def prepare(config_dir: Path, port: int) -> None:
    """Seed the configuration folder for hass on 127.0.0.1:port, Activity without state lines."""
    prepare_config(config_dir, port)
    exclude_state_lines(config_dir)
