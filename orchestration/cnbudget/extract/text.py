"""Normalizing printed text so that what a PDF's text layer carries can be matched."""

from __future__ import annotations

import re
import unicodedata

# Characters of the CJK Radicals Supplement that some PDFs' text layers carry
# instead of the ideograph; NFKC maps the Kangxi radicals block (⽀ -> 支) but not these.
_RADICAL_LOOKALIKES = str.maketrans(
    {
        "⻔": "门",
        "⻋": "车",
        "⻓": "长",
        "⻛": "风",
        "⻜": "飞",
        "⻢": "马",
        "⻅": "见",
        "⻉": "贝",
        "⻆": "角",
        "⻣": "骨",
        "⻥": "鱼",
        "⻝": "食",
        "⻚": "页",
        "⻬": "齐",
        "⻰": "龙",
        "⻤": "鬼",
        "⺠": "民",
        "⻄": "西",
        "⺟": "母",
        "⺁": "厂",
        "⻩": "黄",
    }
)

FULL_WIDTH_SPACE = "\u3000"
_WHITESPACE = re.compile(r"\s+")


def normalize(text: str) -> str:
    """NFKC plus radical look-alikes; line breaks joined; runs of blanks kept as one space."""
    text = unicodedata.normalize("NFKC", text.translate(_RADICAL_LOOKALIKES))
    return _WHITESPACE.sub(" ", text.replace("\r", "")).strip()


def compact(text: str) -> str:
    """`normalize` with every blank removed: for matching titles and header words."""
    return _WHITESPACE.sub("", normalize(text))


def join_cell_lines(text: str) -> str:
    """A cell's text as one line: wrapped lines joined without a separator (CJK wraps
    mid-word), leading full-width indentation kept (it prints the hierarchy), ASCII
    blanks around the text dropped (padding, not print)."""
    lines = [line.strip(" \t") for line in text.replace("\r", "").split("\n")]
    lines = [line for line in lines if line.strip()]
    if not lines:
        return ""
    head, rest = lines[0], [line.strip() for line in lines[1:]]
    return (head.rstrip() + "".join(rest)).rstrip()


def indent_level(text: str) -> int:
    """Hierarchy shown by leading full-width spaces (or pairs of ASCII spaces)."""
    level = 0
    for ch in text:
        if ch == FULL_WIDTH_SPACE:
            level += 1
        elif ch == " ":
            level += 0.5
        else:
            break
    return int(level)
