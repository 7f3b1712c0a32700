"""The printed documents as the identities see them: tables with their rows (raw.rows),
amount columns (raw.columns) and printed figures (marts.published_figures), amounts in
integer cents so that no sum ever goes through a float."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

import duckdb
import pandas as pd

from cnbudget.extract.catalog import table_kinds


@dataclass(frozen=True)
class Figure:
    cents: int
    text: str  # as printed
    page: int
    bbox: tuple[float, float, float, float]  # x0, y0, x1, y1 in PDF points, origin bottom-left


@dataclass(frozen=True)
class Column:
    path: str  # 基本支出/人员经费
    part: str  # side-by-side panel, '' otherwise
    index: int = -1  # raw.columns.col_index (-1 for the lines read off a form)

    @property
    def key(self) -> int | str:
        """What a figure is stored under: its column index (paths repeat across panels)."""
        return self.index if self.index >= 0 else self.path


@dataclass(frozen=True)
class Row:
    index: int
    part: str
    page: int
    code: str | None
    code_kind: str | None
    code_level: str | None
    label: str
    is_total: bool
    indent: int = 0
    other_code: str | None = None  # the second classification printed beside (政府预算经济分类)


@dataclass
class PrintedTable:
    table_id: str
    document_id: str
    kind: str
    label: str
    title: str
    unit: str
    yuan_per_unit: Decimal
    is_empty: bool
    empty_note: str
    first_page: int
    note_cell: tuple[int, tuple[float, float, float, float]] | None = None  # page and box of empty_note
    columns: list[Column] = field(default_factory=list)  # the budget year's amount columns only
    rows: list[Row] = field(default_factory=list)  # in printed order
    figures: dict[tuple[int, int | str], Figure] = field(default_factory=dict)  # (row index, column key)

    @property
    def name(self) -> str:
        """表3 where a label is printed, else the title."""
        return self.label or self.title

    def figure(self, row: Row, column: Column) -> Figure | None:
        """The number printed in that cell; None for a blank cell (an exact zero)."""
        return self.figures.get((row.index, column.key))


@dataclass
class PrintedDocument:
    document_id: str
    title: str
    department: str
    fiscal_year: int | None
    kind: str
    source_file: str
    phase: str  # budget / final: which identities it is judged by
    tables: list[PrintedTable] = field(default_factory=list)

    def tables_of(self, kind: str) -> list[PrintedTable]:
        return [t for t in self.tables if t.kind == kind]


def kind_name(kind: str) -> str:
    """The table kind's Chinese name (支出总表 …), for reasons and reports."""
    return next((k.name for k in table_kinds() if k.kind == kind), kind)


# The documents read: those of the connection's `judged_documents` (read_documents registers it).
_JUDGED = "document_id in (select document_id from judged_documents)"
_JUDGED_TABLE = f"table_id in (select table_id from raw.tables where {_JUDGED})"


def read_documents(conn: duckdb.DuckDBPyConnection, only: Iterable[str] | None = None) -> list[PrintedDocument]:
    """Every document of the warehouse as printed, or only those of `only` (ids)."""
    ids = [d for (d,) in conn.execute("select document_id from raw.documents").fetchall()] if only is None else only
    conn.register("judged_documents", pd.DataFrame({"document_id": sorted(ids)}, dtype=object))
    try:
        return _read_documents(conn)
    finally:
        conn.unregister("judged_documents")


def _read_documents(conn: duckdb.DuckDBPyConnection) -> list[PrintedDocument]:
    documents = {
        r[0]: PrintedDocument(*r)
        for r in conn.execute(
            "select document_id, coalesce(title, ''), coalesce(department, ''), fiscal_year, coalesce(kind, ''),"
            f" source_file, coalesce(phase, 'budget') from raw.documents where {_JUDGED} order by document_id"
        ).fetchall()
    }
    tables: dict[str, PrintedTable] = {}
    for r in conn.execute(
        f"""select table_id, document_id, kind, coalesce(label, ''), title, printed_unit, yuan_per_unit,
                  is_empty, coalesce(empty_note, ''), first_page
           from raw.tables where {_JUDGED} order by document_id, ordinal"""
    ).fetchall():
        table = PrintedTable(*r)
        tables[table.table_id] = table
        documents[table.document_id].tables.append(table)
    # Where an empty table's note is printed (a cell of its grid), for findings about it.
    for table_id, page, x0, y0, x1, y1 in conn.execute(
        f"""select c.table_id, c.page, c.x0, c.y0, c.x1, c.y1 from raw.cells c join raw.tables t using (table_id)
           where t.is_empty and t.empty_note <> '' and t.{_JUDGED}
             and position(replace(t.empty_note, ' ', '') in replace(c.text, ' ', '')) > 0
           order by c.table_id, c.row_index desc"""
    ).fetchall():
        tables[table_id].note_cell = (page, (x0, y0, x1, y1))
    # Amount columns of the budget year: an earlier year's (2025年执行数) or a change (增减)
    # is printed beside, never part of this year's sums.
    for table_id, path, part, index in conn.execute(
        f"""select table_id, column_path, part, col_index from raw.columns
           where {_JUDGED_TABLE} and not is_label and coalesce(value_kind, 'amount') = 'amount' and coalesce(period, 'current') = 'current'
           order by table_id, col_index"""
    ).fetchall():
        tables[table_id].columns.append(Column(path, part, index))
    for table_id, *row in conn.execute(
        f"""select table_id, row_index, part, page, code, code_kind, code_level, label, is_total, indent_level,
                  other_code
           from raw.rows where {_JUDGED_TABLE} order by table_id, row_index, part"""
    ).fetchall():
        tables[table_id].rows.append(Row(*row))
    for table_id, row_index, index, cents, text, page, x0, y0, x1, y1 in conn.execute(
        f"""select table_id, row_index, col_index, cast(amount_yuan * 100 as bigint), printed_text, page,
                  x0, y0, x1, y1
           from marts.published_figures where {_JUDGED}"""
    ).fetchall():
        tables[table_id].figures[(row_index, index)] = Figure(cents, text, page, (x0, y0, x1, y1))
    _add_department_funding(conn, tables, documents)
    _add_project_costs(conn, tables, documents)
    return list(documents.values())


# 表11's 部门总体资金情况 as two small tables of lines, one per composition (kind
# department_funding_income / _expenditure), with its amount columns (占比 is a share).
DEPARTMENT_FUNDING_COMPOSITIONS = {"income": "收入构成", "expenditure": "支出构成"}


def _add_department_funding(conn, tables: dict[str, PrintedTable], documents: dict[str, PrintedDocument]) -> None:
    funding: dict[tuple[str, str], PrintedTable] = {}
    for table_id, composition, line, item, column, page, cents, text, x0, y0, x1, y1 in conn.execute(
        f"""select f.table_id, f.composition, f.line, f.item, f.column_name, f.page,
                  cast(f.printed_number * t.yuan_per_unit * 100 as bigint), f.printed_text, f.x0, f.y0, f.x1, f.y1
           from raw.performance_overall_funding f join raw.tables t using (table_id)
           where t.{_JUDGED} and f.column_name <> '占比' and f.printed_number is not null
           order by f.table_id, f.composition, f.line"""
    ).fetchall():
        form = tables[table_id]
        key = (table_id, composition)
        if key not in funding:
            funding[key] = PrintedTable(
                table_id, form.document_id, f"department_funding_{composition}", form.label,
                f"{form.title} 部门总体资金情况", form.unit, form.yuan_per_unit, False, "", page,
            )
            documents[form.document_id].tables.append(funding[key])
        table = funding[key]
        if Column(column, "") not in table.columns:
            table.columns.append(Column(column, ""))
        if not table.rows or table.rows[-1].index != line:
            label = f"{DEPARTMENT_FUNDING_COMPOSITIONS[composition]} {item}"
            table.rows.append(Row(line, "", page, None, None, None, label, item.replace(" ", "") in ("合计", "总计")))
        table.figures[(line, column)] = Figure(cents, text, page, (x0, y0, x1, y1))


# A 表12 project's 项目支出明细测算 as a table of lines (kind project_cost_lines) whose
# total is the project's 项目当年预算, printed in its header.
PROJECT_CURRENT_BUDGET = "项目当年预算"


def _add_project_costs(conn, tables: dict[str, PrintedTable], documents: dict[str, PrintedDocument]) -> None:
    costs: dict[str, PrintedTable] = {}
    for table_id, budget_cents, budget_text, page, x0, y0, x1, y1 in conn.execute(
        f"""select p.table_id, cast(p.current_budget * p.yuan_per_unit * 100 as bigint), p.current_budget_text,
                  p.current_budget_page, p.current_budget_x0, p.current_budget_y0, p.current_budget_x1,
                  p.current_budget_y1
           from raw.performance_projects p
           where p.{_JUDGED_TABLE} and p.current_budget is not null and p.current_budget_page is not null
             and exists (select 1 from raw.performance_project_costs c where c.table_id = p.table_id)"""
    ).fetchall():
        form = tables[table_id]
        table = PrintedTable(
            table_id, form.document_id, "project_cost_lines", form.label, f"{form.title} 项目支出明细测算",
            form.unit, form.yuan_per_unit, False, "", page, columns=[Column("金额", "")],
        )
        table.rows.append(Row(0, "", page, None, None, None, PROJECT_CURRENT_BUDGET, True))
        table.figures[(0, "金额")] = Figure(budget_cents, budget_text, page, (x0, y0, x1, y1))
        costs[table_id] = table
        documents[form.document_id].tables.append(table)
    for table_id, ordinal, page, activity, economic_class, cents, text, x0, y0, x1, y1 in conn.execute(
        f"""select c.table_id, c.ordinal, c.page, c.activity, c.economic_class,
                  cast(c.amount * p.yuan_per_unit * 100 as bigint), c.amount_text,
                  c.amount_x0, c.amount_y0, c.amount_x1, c.amount_y1
           from raw.performance_project_costs c join raw.performance_projects p using (table_id)
           where c.{_JUDGED_TABLE} order by c.table_id, c.ordinal"""
    ).fetchall():
        if table_id not in costs:
            continue
        table = costs[table_id]
        table.rows.append(Row(ordinal, "", page, None, None, None, f"{activity} {economic_class}".strip(), False))
        if cents is not None and x0 is not None:
            table.figures[(ordinal, "金额")] = Figure(cents, text, page, (x0, y0, x1, y1))
