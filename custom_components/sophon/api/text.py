"""Clean the text a box sends before it becomes a state, and shorten text without breaking it."""

from __future__ import annotations

import re
import unicodedata

MAX_TEXT = 4096
"""How many code points of a field are cleaned: a longer text is cut (between clusters) first.

Frames may be 32 MiB, and cleaning is linear in the text: a capped field keeps the work of one
frame small on Home Assistant's event loop. No name, group or address a box holds comes near it.
"""

# Characters that separate lines or words: each becomes a space before runs of spaces collapse.
_SPACING_CONTROLS = frozenset("\t\n\r\x0b\x0c\x85\u2028\u2029")
# Format characters (Cf) that real text needs: ZWNJ and ZWJ (emoji sequences, Indic scripts).
_KEPT_FORMAT = frozenset("\u200c\u200d")
# Tag characters, which spell the region of a subdivision flag emoji (Cf, kept).
_TAGS = ("\U000e0020", "\U000e007f")
# Characters trimmed from the ends of an identifier: white space, controls, BOM, zero widths.
_EDGES = (
    "".join(
        chr(code)
        for code in (*range(0x21), *range(0x7F, 0xA1), 0x1680, *range(0x2000, 0x200C), 0x2028)
    )
    + "\u2029\u202f\u205f\u3000\ufeff"
)
# Characters that belong to the cluster before them (besides combining marks, Mn Mc Me).
_ZWJ = "\u200d"
_SKIN_TONES = ("\U0001f3fb", "\U0001f3ff")
_VARIATION_SELECTORS = (("\ufe00", "\ufe0f"), ("\U000e0100", "\U000e01ef"))
_REGIONAL_INDICATORS = ("\U0001f1e6", "\U0001f1ff")
_MARKS = frozenset({"Mn", "Mc", "Me"})
ELLIPSIS = "…"
# A terminal escape sequence (ESC [ ... or CSI ...; "\x1b[31m" sets a colour): gone as a whole.
_ESCAPE_SEQUENCE = re.compile(r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]")
# Runs of ASCII spaces (from whitespace controls, or padding): each becomes one space.
_SPACE_RUN = re.compile(" {2,}")


def clean_text(text: str) -> str:
    """Return text fit to show and store: NFC, no controls, trimmed, at most MAX_TEXT long.

    Whitespace controls become spaces and runs of spaces one; terminal escape sequences, other
    controls (Cc), lone surrogates (Cs) and format characters (Cf, but ZWJ, ZWNJ and tag
    characters) go; white space of any kind goes from the ends, other spaces inside (U+3000,
    NBSP) stay. Clean text comes back as the same object, so `cleaned is not text` tells that
    something changed.
    """
    if len(text) <= MAX_TEXT and is_clean(text):
        return text
    kept = shorten(text, MAX_TEXT)
    if "\x1b" in kept or "\x9b" in kept:
        kept = _ESCAPE_SEQUENCE.sub("", kept)
    kept = unicodedata.normalize("NFC", kept.translate(_replacements(kept)))
    cleaned = _SPACE_RUN.sub(" ", kept).strip()
    return text if cleaned == text else cleaned


def trim(text: str) -> str:
    """Return an identifier without the white space, controls and BOM padding around it."""
    return text.strip(_EDGES)


def is_clean(text: str) -> bool:
    """Return True for text that cleaning would leave alone (a quick look, most names pass)."""
    if not text:
        return True
    if not text.isprintable() or text[0] == " " or text[-1] == " " or "  " in text:
        return False
    return text.isascii() or unicodedata.is_normalized("NFC", text)


def _replacements(text: str) -> dict[int, str]:
    """Return a str.translate table for the characters of text that cleaning changes.

    Each distinct character not printable is looked at once: the work in Python grows with the
    alphabet of a text, not its length (str.translate does the rest).
    """
    table: dict[int, str] = {}
    for char in set(text):
        if not char.isprintable() and (replacement := _clean_char(char)) != char:
            table[ord(char)] = replacement
    return table


def _clean_char(char: str) -> str:
    """Return what one character of dirty text becomes: itself, a space or nothing."""
    if char in _SPACING_CONTROLS:
        return " "
    category = unicodedata.category(char)
    if category in ("Cc", "Cs"):
        return ""
    if category == "Cf" and char not in _KEPT_FORMAT and not _TAGS[0] <= char <= _TAGS[1]:
        return ""
    return char


def shorten(text: str, limit: int) -> str:
    """Return text cut to at most limit code points ending with "…", between grapheme clusters."""
    if len(text) <= limit:
        return text
    if limit < 1:
        return ""
    cut = limit - 1
    while cut > 0 and _inside_cluster(text, cut):
        cut -= 1
    return text[:cut] + ELLIPSIS


def _inside_cluster(text: str, cut: int) -> bool:
    """Return True when cutting text before index cut would split a grapheme cluster."""
    before, after = text[cut - 1], text[cut]
    if before == _ZWJ or _extends(after):
        return True
    if not _is_regional_indicator(after):
        return False
    # Flags are pairs of regional indicators: a cut after an odd number of them splits one.
    run = 0
    while run < cut and _is_regional_indicator(text[cut - 1 - run]):
        run += 1
    return run % 2 == 1


def _extends(char: str) -> bool:
    """Return True for a character that belongs to the cluster before it."""
    return (
        char == _ZWJ
        or unicodedata.category(char) in _MARKS
        or _SKIN_TONES[0] <= char <= _SKIN_TONES[1]
        or _TAGS[0] <= char <= _TAGS[1]
        or any(low <= char <= high for low, high in _VARIATION_SELECTORS)
    )


def _is_regional_indicator(char: str) -> bool:
    """Return True for one letter of a flag emoji."""
    return _REGIONAL_INDICATORS[0] <= char <= _REGIONAL_INDICATORS[1]
