"""Translations: every string in strings.json exists in English and Chinese, same placeholders."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import homeassistant
import pytest

COMPONENT = Path(__file__).parents[2] / "custom_components" / "sophon"
STRINGS = json.loads((COMPONENT / "strings.json").read_text(encoding="utf-8"))
# Home Assistant's own strings, which ours refer to as [%key:common::…%].
COMMON = json.loads((Path(homeassistant.__file__).parent / "strings.json").read_text("utf-8"))
REFERENCE = re.compile(r"\[%key:([a-z0-9_:]+)%\]")


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
    source = {key: _resolve(text) for key, text in _flatten(STRINGS).items()}
    translated = _flatten(
        json.loads((COMPONENT / "translations" / f"{language}.json").read_text(encoding="utf-8"))
    )
    assert set(translated) == set(source)
    for key, text in source.items():
        assert set(re.findall(r"{\w+}", translated[key])) == set(re.findall(r"{\w+}", text)), key
        assert translated[key].strip(), key


def _resolve(text: str) -> str:
    """Return a string with its references to Home Assistant's strings or ours written out."""

    def lookup(match: re.Match[str]) -> str:
        scope, *path = match.group(1).split("::")
        if scope == "component":
            assert path[0] == "sophon", match.group(0)  # ours, one level deep
            tree: Any = STRINGS
            path = path[1:]
        else:
            tree = COMMON[scope]
        for part in path:
            tree = tree[part]
        assert isinstance(tree, str), match.group(0)
        assert not REFERENCE.search(tree), f"{match.group(0)} refers on (one level only)"
        return tree

    return REFERENCE.sub(lookup, text)


def test_english_is_the_source_with_its_references_written_out() -> None:
    english = _flatten(
        json.loads((COMPONENT / "translations" / "en.json").read_text(encoding="utf-8"))
    )
    source = _flatten(STRINGS)
    assert english == {key: _resolve(text) for key, text in source.items()}
    assert any(REFERENCE.search(text) for text in source.values())


def test_no_translation_keeps_a_reference() -> None:
    for language in ("en", "zh-Hans"):
        text = (COMPONENT / "translations" / f"{language}.json").read_text(encoding="utf-8")
        assert "[%key:" not in text, language


def test_every_entity_and_trigger_has_an_icon_or_a_name() -> None:
    icons = json.loads((COMPONENT / "icons.json").read_text(encoding="utf-8"))
    for platform, entities in STRINGS["entity"].items():
        for key in entities:
            assert "default" in icons["entity"][platform][key], f"{platform}.{key}"


def test_chinese_uses_full_width_punctuation() -> None:
    zh = _flatten(
        json.loads((COMPONENT / "translations" / "zh-Hans.json").read_text(encoding="utf-8"))
    )
    for key, text in zh.items():
        if re.search(r"[\u3400-\u9fff]", text):
            bare = text.replace("http://", "")
            assert not re.search(r"[,();:!?]", bare), f"{key}: {text}"
