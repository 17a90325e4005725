"""Translations: every string in strings.json exists in English and Chinese, same placeholders."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

COMPONENT = Path(__file__).parents[2] / "custom_components" / "sophon"
STRINGS = json.loads((COMPONENT / "strings.json").read_text(encoding="utf-8"))


def _flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """Return {dotted.key: text} for every leaf."""
    leaves: dict[str, str] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            leaves.update(_flatten(value, f"{prefix}{key}."))
        else:
            leaves[f"{prefix}{key}"] = value
    return leaves


@pytest.mark.parametrize("language", ["en", "zh-Hans"])
def test_every_string_is_translated_with_the_same_placeholders(language: str) -> None:
    source = _flatten(STRINGS)
    translated = _flatten(
        json.loads((COMPONENT / "translations" / f"{language}.json").read_text(encoding="utf-8"))
    )
    assert set(translated) == set(source)
    for key, text in source.items():
        assert set(re.findall(r"{\w+}", translated[key])) == set(re.findall(r"{\w+}", text)), key
        assert translated[key].strip(), key


def test_english_is_the_source() -> None:
    english = json.loads((COMPONENT / "translations" / "en.json").read_text(encoding="utf-8"))
    assert english == STRINGS


def test_every_entity_and_trigger_has_an_icon_or_a_name() -> None:
    icons = json.loads((COMPONENT / "icons.json").read_text(encoding="utf-8"))
    for platform, entities in STRINGS["entity"].items():
        for key in entities:
            assert "default" in icons["entity"][platform][key], f"{platform}.{key}"
