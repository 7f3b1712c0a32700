"""决算 (final accounts): the document's phase, and its tables named by the 决算 kinds.

A 决算 prints the budget family's tables under 决算 titles (收入支出决算总表, 支出决算表 …).
They are found and read exactly as a budget's tables are; only their kinds differ, so
that a 决算's figures never pass for budget figures. The wordings are data, in
table_kinds.yaml (`phases`, `final_kinds`, `final_document_kinds`).
"""

from __future__ import annotations

import re
from functools import cache

from cnbudget.extract.catalog import BUDGET, FINAL, TableKind, catalog_data
from cnbudget.extract.tables import Table
from cnbudget.extract.text import compact

_YEAR_PREFIX = re.compile(r"^(\d{4})年度?")
_KIND_WORD = re.compile(r"^(市级|区级|省级|县级)?(部门|预算单位|单位)?")


def document_phase(cover_text: str) -> str:
    """`final` when the cover names a 决算 and no 预算, else `budget`."""
    spec = catalog_data()["phases"]["final"]
    cover = compact(cover_text)
    if any(w in cover for w in spec["cover_words"]) and not any(w in cover for w in spec["unless_cover_words"]):
        return FINAL
    return BUDGET


@cache
def final_kinds() -> tuple[TableKind, ...]:
    return tuple(
        TableKind(k["kind"], k["name"], tuple(re.compile(p) for p in k["title_patterns"]), bool(k.get("form")))
        for k in catalog_data()["final_kinds"]
    )


def final_kind_of_title(title: str) -> TableKind:
    """The 决算 kind a table title names; `final_other` when it names none."""
    core = _KIND_WORD.sub("", _YEAR_PREFIX.sub("", compact(title)))
    for kind in final_kinds():
        if any(p.search(core) for p in kind.patterns):
            return kind
    spec = catalog_data()["final_other_kind"]
    return TableKind(spec["kind"], spec["name"], ())


def name_final_tables(tables: list[Table]) -> None:
    """Give a 决算's tables their 决算 kinds (in place). A table of no known kind keeps no
    unit lent from the document's other tables: nothing says its figures are money (a
    绩效评价 score table prints 分值 / 得分)."""
    for table in tables:
        table.kind = final_kind_of_title(table.title).kind
        if table.kind == "final_other" and table.unit_source == "document":
            table.unit, table.unit_source = None, ""


def final_document_kind(cover_text: str, titles: str) -> str | None:
    """部门决算 / 单位决算, from the cover's words, else the tables' titles."""
    for text in (compact(cover_text), compact(titles)):
        for kind, words in catalog_data()["final_document_kinds"].items():
            if any(w in text for w in words):
                return kind
    return None

