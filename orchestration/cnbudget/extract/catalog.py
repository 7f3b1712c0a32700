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
_KIND_WORD = re.compile(r"^(市级|区级|省级|县级)?(部门|预算单位|单位)?")


@dataclass(frozen=True)
class TableKind:
    kind: str
    name: str
    patterns: tuple[re.Pattern, ...]
    form: bool = False  # a form (绩效目标表): no table-wide header, no amount columns


@cache
def catalog_data() -> dict:
    return yaml.safe_load(_CATALOG_FILE.read_text(encoding="utf-8"))


BUDGET, FINAL = "budget", "final"  # a document's phases


@cache
def _final_kind_names() -> frozenset[str]:
    data = catalog_data()
    return frozenset(k["kind"] for k in data["final_kinds"]) | {data["final_other_kind"]["kind"]}


def phase_of_kind(kind: str) -> str:
    """The document phase whose tables `kind` names: the 决算 kinds are `final`."""
    return FINAL if kind in _final_kind_names() else BUDGET


@cache
def table_kinds() -> tuple[TableKind, ...]:
    return tuple(
        TableKind(k["kind"], k["name"], tuple(re.compile(p) for p in k["title_patterns"]), bool(k.get("form")))
        for k in catalog_data()["kinds"]
    )


def is_form(kind: str) -> bool:
    """A table kind printed as a form (绩效目标表): its cells are text, not amounts."""
    return any(k.form for k in table_kinds() if k.kind == kind)


def unit_multipliers() -> dict[str, Decimal]:
    return {unit: Decimal(str(m)) for unit, m in catalog_data()["units"].items()}


_TITLE_END = re.compile(r"表(\([^)]*\))*$")


def split_label(text: str) -> tuple[str, str]:
    """A line's leading table number (表1, 公开01表, 部门公开表5, (一) …) and the rest,
    both compact; ("", text) when the line starts with none."""
    text = compact(text)
    for pattern in label_patterns():
        if m := pattern.match(text):
            return m.group(0), text[m.end():].lstrip(":.、")
    return "", text


def is_title_like(text: str) -> bool:
    """A short line ending in 表 (optionally followed by parenthesized qualifiers):
    how a table title looks, whatever it names. A sentence (。，；), an unclosed
    parenthesis or a numbered list item is not a title."""
    text = compact(text)
    return (
        2 <= len(text) <= 64
        and bool(_TITLE_END.search(text))
        and not re.match(r"^\d+[.、]", text)
        and not any(mark in text for mark in "。，；,;")
        and text.count("(") == text.count(")")
    )


def classify_title(text: str) -> TableKind | None:
    """The table kind a title (its label already split off) names, or None when it is
    not a title or names no known kind."""
    text = compact(text)
    if not is_title_like(text):
        return None
    core = _KIND_WORD.sub("", _YEAR_PREFIX.sub("", text))
    for kind in table_kinds():
        if any(p.search(core) for p in kind.patterns):
            return kind
    return None


def other_kind() -> TableKind:
    spec = catalog_data()["other_kind"]
    return TableKind(spec["kind"], spec["name"], ())


@cache
def label_patterns() -> tuple[re.Pattern, ...]:
    return tuple(re.compile(p) for p in catalog_data()["label_patterns"])


def is_label_column(leaf: str) -> bool:
    leaf = compact(leaf)
    spec = catalog_data()["label_columns"]
    return leaf in spec["exact"] or any(leaf.endswith(s) for s in spec["suffixes"])


def document_kind(text: str) -> str | None:
    """部门预算 / 单位预算 from the first line of `text` naming a budget (the cover's title),
    else from any of its words."""
    lines = [compact(line) for line in text.replace("\r", "").split("\n")]
    title = next((line for line in lines if "预算" in line), "")
    for kind, words in catalog_data()["document_kinds"].items():
        if any(w in title for w in words):
            return kind
    text = compact(text)
    for kind, words in catalog_data()["document_kinds"].items():
        if any(w in text for w in words):
            return kind
    return None
