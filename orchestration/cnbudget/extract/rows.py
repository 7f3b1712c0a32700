"""Printed rows to logical rows: the code (split 类/款/项 columns joined, bracketed in the
name, or absent with the level shown by indentation), its level, the label, and
side-by-side layouts (收支总表: income ‖ expenditure, sometimes several expenditure
panels) split into one row per panel."""

from __future__ import annotations

import re
from dataclasses import dataclass

from cnbudget.extract.columns import AMOUNT, LABEL, PERCENT, column_kinds, leaf
from cnbudget.extract.tables import Table
from cnbudget.extract.text import compact, indent_level, normalize

_SPLIT_CODE_LEAVES = ("类", "款", "项")
_ROW_NUMBERS = ("序号", "行次", "栏次")
# A row printed for another year or for the change (2025年 / 2026年 / 增减变化金额).
_ROW_YEAR = re.compile(r"^(20\d\d)年(度|预算数?|执行数?)?$")
_ROW_CHANGE = re.compile(r"增减|变化|变动|比上年")
_TOTAL = re.compile(r"(合计|总计)$")
_CODE = re.compile(r"^[0-9A-Za-z]+$")
# A code printed in the name cell: [30217]公务接待费, 2011301 行政运行, 106_长沙市公安局.
_EMBEDDED_CODE = re.compile(r"^[\[［【]?(?P<code>\d{3,})[\]］】]?[\s_\-－]*(?P<name>[^\d\s年月日].*)$")
_LEVELS = {3: "类", 5: "款", 7: "项"}
# Tables whose rows are subjects of one classification, for rows printed without codes.
_SUBJECT_SYSTEM = {
    "basic_by_economic_class": "economic_class",
    "general_budget_by_economic_class": "economic_class",
    "general_budget_projects_by_economic_class": "economic_class",
    "basic_expenditure": "economic_class",
}
_FUNCTION_TABLES = (
    "income", "expenditure", "general_budget_by_function", "government_fund", "state_capital",
    "fiscal_grant_by_function", "general_budget_basic_by_function",
)


@dataclass
class LogicalRow:
    row: int  # the printed body row
    part: str  # '' for an ordinary table; the panel of a side-by-side table (本年收入 / 本年支出 …)
    code: str | None
    code_kind: str | None  # function_subject / economic_class / government_economic_class / budget_unit / project
    code_level: str | None  # 类 款 项 / 部门 单位 / 一级 二级
    label: str
    indent: int
    is_total: bool
    page: int
    other_code: str | None = None  # a second classification printed beside (政府预算支出经济分类 50x)
    other_code_kind: str | None = None
    period: str = "current"  # current / prior / change: a row printed for another year or the change


@dataclass(frozen=True)
class Panel:
    """One side of a side-by-side table: its name and columns."""

    name: str
    columns: tuple[int, ...]


def panels(table: Table) -> list[Panel]:
    """A side-by-side table prints several panels, each a label column and the amount
    columns after it; an ordinary table is one panel named ''. A panel is named by the
    top header over it (收入, 本年支出); a second panel under the same top header by
    that header and its label column (支出/部门预算支出经济科目)."""
    kinds = column_kinds(table)
    starts = [i for i, k in enumerate(kinds) if k == LABEL and (i == 0 or kinds[i - 1] in (AMOUNT, PERCENT))]
    amount_after = [s for s in starts if any(k == AMOUNT for k in kinds[s:])]
    if len(amount_after) < 2:
        return [Panel("", tuple(range(len(kinds))))]
    bounds = amount_after + [len(kinds)]
    result, seen = [], set()
    for a, b in zip(bounds, bounds[1:]):
        columns = tuple(range(a if result else 0, b))
        # named by the header over its amounts (a leading 序号 column names nothing)
        first_amount = next(i for i in columns if kinds[i] == AMOUNT)
        top = table.column_paths[first_amount].split("/")[0]
        name = top if top not in seen else table.column_paths[first_amount - 1]
        seen.add(name)
        result.append(Panel(name, columns))
    return result


def column_part(table: Table, col: int) -> str:
    """The panel a column belongs to ('' when the table is not side by side)."""
    return next((p.name for p in panels(table) if col in p.columns), "")


def _system(header: str, code: str, table_kind: str) -> str:
    """The classification a code belongs to: the header's words, else its table's, else
    its first digit (支出功能分类 2xx, 部门预算支出经济分类 3xx, 政府预算支出经济分类 5xx)."""
    if "功能" in header:
        return "function_subject"
    if "经济" in header:
        return "government_economic_class" if "政府" in header else "economic_class"
    if re.search("项目(编码|代码)", header):
        return "project"
    if re.search("单位|部门", header) and re.search("编码|代码|名称", header):
        return "budget_unit"
    if table_kind in _FUNCTION_TABLES:
        return "function_subject"
    if table_kind in _SUBJECT_SYSTEM:
        return _SUBJECT_SYSTEM[table_kind]
    return {"2": "function_subject", "3": "economic_class", "5": "government_economic_class"}.get(code[:1], "function_subject")


def _level(kind: str, code: str | None, indent: int) -> str | None:
    if kind in ("function_subject", "economic_class", "government_economic_class"):
        return _LEVELS.get(len(code)) if code else {0: "类", 1: "款", 2: "项"}.get(indent)
    if kind == "budget_unit":
        # 301 is the department, 301001 its unit; without a code, the indentation says
        if code:
            return "部门" if len(code) <= 3 else "单位"
        return "部门" if indent == 0 else "单位"
    if kind == "project":
        return {0: "部门", 1: "一级", 2: "二级"}.get(indent)
    return None


def _code_groups(table: Table, label_cols: list[int]) -> list[tuple[str, list[int], bool]]:
    """Code columns grouped by classification: (header, columns, split over 类/款/项). A
    split code is a run of adjacent 类 款 项 columns; a 类 column starts a new run (two
    classifications side by side under one 科目编码 header). Its header is the run's
    and the name column printed after it (部门预算支出经济分类科目 / 政府预算…)."""
    found: list[tuple[str, list[int], bool]] = []
    run: list[int] = []

    def close() -> None:
        if run:
            after = next((i for i in label_cols if i > run[-1]), None)
            parent = table.column_paths[run[0]].rsplit("/", 1)[0] if "/" in table.column_paths[run[0]] else ""
            name = table.column_paths[after] if after is not None and after == run[-1] + 1 else ""
            found.append((f"{parent} {name}".strip(), list(run), True))
            run.clear()

    for i in label_cols:
        name = compact(table.column_paths[i].split("/")[-1])
        if name in _SPLIT_CODE_LEAVES:
            if run and (name == "类" or i != run[-1] + 1):
                close()
            run.append(i)
            continue
        close()
        if leaf(table.column_paths[i]).endswith(("编码", "代码")):
            previous = found[-1] if found else None
            if previous and previous[0] == table.column_paths[i] and previous[1][-1] == i - 1:
                # adjacent columns under one 科目编码 header: a code split over 类 | 款 | 项
                # whose sub-header cells are printed in the first body row (Shanghai 决算)
                found[-1] = (previous[0], previous[1] + [i], True)
            else:
                found.append((table.column_paths[i], [i], False))
    close()
    singles = {cols[0] for _, cols, split in found if not split}
    for i in label_cols:
        if i not in singles and not any(i in cols for _, cols, _ in found) and _prints_codes(table, i):
            found.append((table.column_paths[i], [i], False))
    return sorted(found, key=lambda g: g[1][0])


def _prints_codes(table: Table, col: int) -> bool:
    """A label column whose header does not say so but whose cells are codes (a header
    merged over the code and name columns): four in five of its printed cells."""
    printed = [compact(c.text) for c in table.cells if c.col == col and c.col_span == 1 and c.text.strip()]
    return len(printed) >= 3 and sum(bool(re.fullmatch(r"\d{3,12}", t)) for t in printed) * 5 >= 4 * len(printed)


def _joined_code(row: int, cols: list[int], split: bool, texts) -> str | None:
    pieces = [compact(texts.get((row, c), "")) for c in cols]
    if not split:
        return next((p for p in pieces if _CODE.match(p)), None)
    code = ""
    for i, piece in enumerate(pieces):
        if not _CODE.match(piece):
            break
        # 款 and 项 are two digits; some PDFs print 02 as 2.
        code += piece if i == 0 else piece.zfill(2)
    return code or None


def logical_rows(table: Table) -> list[LogicalRow]:
    texts: dict[tuple[int, int], str] = {(c.row, c.col): c.text for c in table.cells}
    pages: dict[int, int] = {}
    for c in table.cells:
        pages.setdefault(c.row, c.page)
    kinds = column_kinds(table)
    rows = []
    for panel in panels(table):
        label_cols = [i for i in panel.columns if kinds[i] == LABEL]
        groups = _code_groups(table, label_cols)
        code_cols = {i for _, cols, _ in groups for i in cols}
        name_cols = [i for i in label_cols if i not in code_cols and leaf(table.column_paths[i]) not in _ROW_NUMBERS]
        # The row's own name: the one printed after its code, else the last one printed
        # (预算单位 | 年度: a row is named by its 年度 where the unit is merged over rows).
        after_code = [i for i in name_cols if groups and i == max(groups[0][1]) + 1]
        name_order = after_code + [i for i in reversed(name_cols) if i not in after_code]
        name_header = " ".join(table.column_paths[i] for i in name_cols)
        first_of_panel = len(rows)
        for r in range(table.body_rows):
            values = [texts.get((r, i), "") for i in panel.columns]
            if not any(v.strip() for v in values):
                continue  # a side-by-side panel with nothing printed
            codes = [(_joined_code(r, cols, split, texts), header) for header, cols, split in groups]
            codes = [(code, header) for code, header in codes if code]
            # The name column; else a label printed across the code columns (合计).
            printed_label = next(
                (texts.get((r, i), "") for i in name_order + sorted(code_cols)
                 if texts.get((r, i), "").strip() and not _CODE.match(compact(texts.get((r, i), "")))),
                "",
            )
            label = normalize(printed_label)
            if not codes and (m := _EMBEDDED_CODE.match(label)):
                codes, label = [(m.group("code"), name_header)], normalize(m.group("name"))
            indent = indent_level(printed_label or (texts.get((r, min(code_cols)), "") if code_cols else ""))
            code, header = codes[0] if codes else (None, name_header)
            kind = _system(header, code or "", table.kind) if code else None
            other = codes[1] if len(codes) > 1 else (None, "")
            rows.append(
                LogicalRow(
                    row=r,
                    part=panel.name,
                    code=code,
                    code_kind=kind,
                    code_level=_level(kind, code, indent) if kind else None,
                    label=label,
                    indent=indent,
                    is_total=bool(_TOTAL.search(compact(label))) and not code,
                    page=pages.get(r, table.pages[0]),
                    other_code=other[0],
                    other_code_kind=_system(other[1], other[0], table.kind) if other[0] else None,
                    period=_row_period(label, table.fiscal_year),
                )
            )
        _mark_unnamed_total(rows[first_of_panel:])
        _levels_by_indent(table, rows[first_of_panel:], name_header)
    return rows


def _row_period(label: str, fiscal_year: int | None) -> str:
    text = compact(label)
    if (m := _ROW_YEAR.match(text)) and fiscal_year and int(m.group(1)) != fiscal_year:
        return "prior"
    return "change" if _ROW_CHANGE.search(text) else "current"


def _mark_unnamed_total(rows: list[LogicalRow]) -> None:
    """The first row, printed without a code before the coded rows, is the grand total
    when it prints no name (表10) or the department's name (a 支出总表 whose total row is
    labelled 深圳市审计局). A table without coded rows (三公) has none."""
    coded = [i for i, row in enumerate(rows) if row.code]
    if len(coded) >= 2 and coded[0] > 0 and not rows[0].code and not any(r.is_total for r in rows):
        if coded[0] == 1:
            rows[0].is_total = True


def _levels_by_indent(table: Table, rows: list[LogicalRow], name_header: str) -> None:
    """Subjects printed by name only, the hierarchy by indentation (一般公共服务支出 /
    　社会工作事务 / 　　其他社会工作事务支出): level from the indent, code left null.
    Only where the name column names subjects (科目), not units or projects."""
    if table.kind not in _FUNCTION_TABLES and table.kind not in _SUBJECT_SYSTEM:
        return
    if re.search("单位|部门|项目名称", name_header) or not re.search("科目|项目|支出|类别", name_header or "项目"):
        return
    named = [r for r in rows if not r.code and not r.is_total and r.label]
    if any(r.code for r in rows) or len({r.indent for r in named}) < 2:
        return
    kind = _SUBJECT_SYSTEM.get(table.kind, "function_subject")
    for row in named:
        row.code_kind, row.code_level = kind, _level(kind, None, row.indent)
