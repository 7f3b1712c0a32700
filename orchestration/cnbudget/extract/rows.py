"""Printed rows to logical rows: the code (split 类/款/项 columns joined), its level, the
label, and side-by-side layouts (收支总表: income ‖ expenditure) split into two rows."""

from __future__ import annotations

import re
from dataclasses import dataclass

from cnbudget.extract.catalog import is_label_column
from cnbudget.extract.tables import Table
from cnbudget.extract.text import compact, indent_level, normalize

_SPLIT_CODE_LEAVES = ("类", "款", "项")
_TOTAL = re.compile(r"(合计|总计)$")
_CODE = re.compile(r"^[0-9A-Za-z]+$")


@dataclass
class LogicalRow:
    row: int  # the printed body row
    part: str  # '' for an ordinary table; the top header (本年收入 / 本年支出 …) of a side-by-side half
    code: str | None
    code_kind: str | None  # function_subject / economic_class / budget_unit / project
    code_level: str | None  # 类 款 项 / 部门 单位 / 一级 二级
    label: str
    indent: int
    is_total: bool
    page: int


def column_part(table: Table, col: int) -> str:
    """The half of a side-by-side table a column belongs to ('' when not side by side)."""
    parts = side_by_side_parts(table)
    return table.column_paths[col].split("/")[0] if parts else ""


def side_by_side_parts(table: Table) -> list[str]:
    """Top header groups that each carry their own 项目 column (收支总表, 财政拨款收支总表)."""
    groups: dict[str, bool] = {}
    for path in table.column_paths:
        top, _, rest = path.partition("/")
        groups.setdefault(top, False)
        if rest and compact(rest.split("/")[-1]) == "项目":
            groups[top] = True
    with_items = [g for g, has_item in groups.items() if has_item]
    return with_items if len(with_items) >= 2 else []


def _code_kind(paths: list[str]) -> str:
    joined = "".join(paths)
    if "经济分类" in joined:
        return "economic_class"
    if "项目编码" in joined:
        return "project"
    if "单位" in joined:
        return "budget_unit"
    return "function_subject"


def _level(kind: str, code: str, indent: int) -> str | None:
    if kind in ("function_subject", "economic_class"):
        return {3: "类", 5: "款", 7: "项"}.get(len(code))
    if kind == "budget_unit":
        return "部门" if indent == 0 else "单位"
    if kind == "project":
        return {0: "部门", 1: "一级", 2: "二级"}.get(indent)
    return None


def logical_rows(table: Table) -> list[LogicalRow]:
    parts = side_by_side_parts(table) or [""]
    texts: dict[tuple[int, int], str] = {(c.row, c.col): c.text for c in table.cells}
    pages: dict[int, int] = {}
    for c in table.cells:
        pages.setdefault(c.row, c.page)
    rows = []
    for part in parts:
        cols = [i for i, p in enumerate(table.column_paths) if part == "" or p.split("/")[0] == part]
        leaves = {i: compact(table.column_paths[i].split("/")[-1]) for i in cols}
        label_cols = [i for i in cols if is_label_column(leaves[i])]
        split_cols = [i for i in label_cols if leaves[i] in _SPLIT_CODE_LEAVES]
        code_cols = split_cols or [i for i in label_cols if leaves[i].endswith(("编码", "代码"))]
        name_cols = [i for i in label_cols if i not in code_cols]
        kind = _code_kind([table.column_paths[i] for i in code_cols]) if code_cols else None
        first_of_part = len(rows)
        for r in range(table.body_rows):
            code = _code(r, code_cols, split_cols, texts)
            # The name column; else a label printed across the code columns (合计).
            printed_label = next(
                (texts.get((r, i), "") for i in name_cols + code_cols
                 if texts.get((r, i), "").strip() and not _CODE.match(compact(texts.get((r, i), "")))),
                "",
            )
            values = [texts.get((r, i), "") for i in cols]
            if not any(v.strip() for v in values):
                continue  # a side-by-side half with nothing printed
            label = normalize(printed_label)
            indent = indent_level(printed_label or (texts.get((r, code_cols[0]), "") if code_cols else ""))
            rows.append(
                LogicalRow(
                    row=r,
                    part=part,
                    code=code,
                    code_kind=kind if code else None,
                    code_level=_level(kind, code, indent) if code and kind else None,
                    label=label,
                    indent=indent,
                    is_total=bool(_TOTAL.search(compact(label))) and not code,
                    page=pages.get(r, table.pages[0]),
                )
            )
        _mark_unnamed_total(rows[first_of_part:])
    return rows


def _mark_unnamed_total(rows: list[LogicalRow]) -> None:
    """A row printed with neither code nor name before the first coded row is the grand
    total (表10 prints its 合计 that way). A table without coded rows (三公) has none."""
    first_coded = next((i for i, row in enumerate(rows) if row.code), None)
    if first_coded and not rows[0].code and not rows[0].label:
        rows[0].is_total = True


def _code(row: int, code_cols: list[int], split_cols: list[int], texts) -> str | None:
    if split_cols:
        pieces = [compact(texts.get((row, c), "")) for c in split_cols]
        code = ""
        for i, piece in enumerate(pieces):
            if not _CODE.match(piece):
                break
            # 款 and 项 are two digits; some PDFs print 02 as 2.
            code += piece if i == 0 else piece.zfill(2)
        return code or None
    for c in code_cols:
        if _CODE.match(text := compact(texts.get((row, c), ""))):
            return text
    return None
