"""Each trigger has a page of its own in docs/triggers, linked from the README, with valid YAML."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from homeassistant.core import HomeAssistant
from homeassistant.helpers import trigger as trigger_helper

from custom_components.sophon.compat import TARGET_TRIGGERS

REPO = Path(__file__).parents[2]
PAGES = REPO / "docs" / "triggers"
DECLARED = {
    key: spec
    for key, spec in yaml.safe_load(
        (REPO / "custom_components" / "sophon" / "triggers.yaml").read_text(encoding="utf-8")
    ).items()
    if not key.startswith(".")
}
YAML_BLOCK = re.compile(r"```yaml\n(.*?)```", re.DOTALL)


def _triggers_in(page: str) -> list[dict[str, Any]]:
    """Return the triggers of every YAML example of a page."""
    found = []
    for block in YAML_BLOCK.findall(page):
        document = yaml.safe_load(block)
        found += document["triggers"]
    return found


@pytest.mark.parametrize("key", sorted(DECLARED))
def test_each_trigger_has_a_page_linked_from_the_readme(key: str) -> None:
    page = PAGES / f"sophon.{key}.md"
    text = page.read_text(encoding="utf-8")
    for section in (
        "## Using this trigger from the user interface",
        "### Options in the UI",
        "## Using this trigger in YAML",
        "### Options in YAML",
        "### Targets of the trigger",
        "## Good to know",
        "## Try it yourself",
        "## More examples",
    ):
        assert section in text, section
    assert f"](docs/triggers/sophon.{key}.md)" in (REPO / "README.md").read_text(encoding="utf-8")
    fields = set(DECLARED[key].get("fields", {}))
    examples = _triggers_in(text)
    assert len(examples) >= 2
    for example in examples:
        assert example["trigger"] == f"sophon.{key}"
        assert set(example.get("options", {})) <= fields


@pytest.mark.skipif(not TARGET_TRIGGERS, reason="Home Assistant without integration triggers")
async def test_the_pages_examples_are_valid_triggers(hass: HomeAssistant) -> None:
    for key in DECLARED:
        for example in _triggers_in((PAGES / f"sophon.{key}.md").read_text(encoding="utf-8")):
            config = {"platform": example["trigger"], **example}
            del config["trigger"]
            assert await trigger_helper.async_validate_trigger_config(hass, [config])
