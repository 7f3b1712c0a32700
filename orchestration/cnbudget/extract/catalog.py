"""The recognition data in table_kinds.yaml, loaded once."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

import yaml

from cnbudget.extract.text import compact

_CATALOG_FILE = Path(__file__).with_name("table_kinds.yaml")
_YEAR_PREFIX = re.compile(r"^(\d{4})年度?")
_KIND_WORD = re.compile(r"^(部门|预算单位|单位)")


@dataclass(frozen=True)
class TableKind:
    kind: str
    name: str
    patterns: tuple[re.Pattern, ...]
    form: bool = False  # a form (绩效目标表): no table-wide header, no amount columns


@cache
def _catalog() -> dict:
    return yaml.safe_load(_CATALOG_FILE.read_text(encoding="utf-8"))


@cache
def table_kinds() -> tuple[TableKind, ...]:
    return tuple(
        TableKind(k["kind"], k["name"], tuple(re.compile(p) for p in k["title_patterns"]), bool(k.get("form")))
        for k in _catalog()["kinds"]
    )


def is_form(kind: str) -> bool:
    """A table kind printed as a form (绩效目标表): its cells are text, not amounts."""
    return any(k.form for k in table_kinds() if k.kind == kind)


def unit_multipliers() -> dict[str, Decimal]:
    return {unit: Decimal(str(m)) for unit, m in _catalog()["units"].items()}


def classify_title(line: str) -> TableKind | None:
    """The table kind a title line names, or None when the line is not a table title.

    A title is a short line ending in 表 (optionally followed by a parenthesized
    qualifier); list items of a table of contents (`表 1.部门收支总表`, `1. 2024年…`)
    are not titles.
    """
    text = compact(line)
    if len(text) > 48 or not re.search(r"表(\([^)]*\))?$", text):
        return None
    if re.match(r"^(表\d|\d+[.、])", text):
        return None
    core = _KIND_WORD.sub("", _YEAR_PREFIX.sub("", text))
    for kind in table_kinds():
        if any(p.search(core) for p in kind.patterns):
            return kind
    return None


def is_label_column(leaf: str) -> bool:
    leaf = compact(leaf)
    spec = _catalog()["label_columns"]
    return leaf in spec["exact"] or any(leaf.endswith(s) for s in spec["suffixes"])


def document_kind(text: str) -> str | None:
    text = compact(text)
    for kind, words in _catalog()["document_kinds"].items():
        if any(w in text for w in words):
            return kind
    return None
