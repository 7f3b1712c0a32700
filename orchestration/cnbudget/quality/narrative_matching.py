"""Matching a narrative figure to the table figure it names: the printed grids behind
marts.published_figures (staging.stg_budget__cells with their rows, blanks included: a
blank cell in a matched row and column is an exact zero), resolved by the catalogue's
subject rules, in exact Decimal arithmetic."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from decimal import Decimal

import duckdb
import pandas as pd

from cnbudget.extract.narrative import AMOUNT
from cnbudget.extract.narrative_subjects import FUNCTION_SUBJECT
from cnbudget.extract.text import compact
from cnbudget.quality.narrative_arithmetic import to_decimal
from cnbudget.quality.narrative_catalogue import NAMED, NarrativeCatalogue, Selector

_NUMBERING = re.compile(r"^(\([一二三四五六七八九十廿]+\)|[一二三四五六七八九十廿]+、|\d+[.、]|\(\d+\))\s*")
_QUOTES = str.maketrans("", "", "“”\"'‘’「」")


# ── Reading the warehouse ────────────────────────────────────────────────────────────

GRID_SQL = """
select
    cells.document_id,
    cells.table_id,
    cells.table_kind,
    cells.table_label,
    cells.table_title,
    cells.row_index,
    cells.col_index,
    cells.table_id || ':' || cast(cells.row_index as varchar) || ':' || cast(cells.col_index as varchar) as figure_key,
    cells.column_path,
    cells.is_label_column,
    cells.part,
    cells.page,
    cells.printed_text,
    cells.printed_unit,
    cast(tables.yuan_per_unit as varchar) as yuan_per_unit,
    cast(cells.amount_yuan as varchar) as amount_yuan,
    rows.row_code,
    rows.code_kind,
    rows.code_level,
    coalesce(rows.row_label, '') as row_label,
    coalesce(rows.is_total, false) as is_total
from staging.stg_budget__cells as cells
inner join staging.stg_budget__tables as tables using (table_id)
left join staging.stg_budget__rows as rows
    on cells.table_id = rows.table_id and cells.row_index = rows.row_index and cells.part = rows.part
"""


def read_document_index(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    columns = {r[0] for r in conn.execute("describe marts.dim_document").fetchall()}
    current = "is_current" if "is_current" in columns else "true"
    return conn.execute(
        f"select document_id, department, fiscal_year, kind, {current} as is_current from marts.dim_document"
    ).df()


def _text_decimals(text: str) -> int:
    text = (text or "").replace(",", "").strip()
    return len(text.split(".")[1]) if "." in text else 0


@lru_cache(maxsize=1 << 16)  # a document's grid repeats its row names on every cell of the row
def _name_key(text: str) -> str:
    """A row or subject name as compared: blanks, quotes and leading numbering removed."""
    key = compact(text or "").translate(_QUOTES)
    previous = None
    while previous != key:
        previous, key = key, _NUMBERING.sub("", key)
    return key


# ── Matching a narrative figure to its table figure ──────────────────────────────────


@dataclass
class TableFigure:
    """The table figure a narrative figure names: one printed cell, or a sum of cells."""

    document_id: str
    table_id: str
    table_kind: str
    table_label: str
    row_index: int
    row_label: str
    column_path: str
    figure_keys: list[str]
    printed_texts: list[str]
    page: int
    amount_yuan: Decimal  # a blank cell counts as an exact zero
    precision_yuan: Decimal  # the finest printed digit among its cells, in yuan

    @property
    def where(self) -> str:
        table = self.table_label or self.table_kind
        return f"{table} p{self.page} {self.row_label or '(row ' + str(self.row_index + 1) + ')'} / {self.column_path}"


def _total_rows(cells: pd.DataFrame) -> pd.DataFrame:
    """Grand-total rows: those raw.rows marks as totals; in a table of uncoded rows only
    (三公), which has none, its first unnamed row stands for the whole table."""
    marked = cells[cells["is_total"]]
    if not marked.empty or cells["row_code"].notna().any():
        return marked
    unlabeled = cells[cells["row_label"] == ""]
    return unlabeled[unlabeled["row_index"] == unlabeled["row_index"].min()]


class _CodePaths:
    """A frame's function-subject rows by level and name, and its cells by code: the
    lookups of a 类/款/项 path, built once per frame (a path is resolved for every such
    figure, and filtering the frame each time cost most of the matching)."""

    def __init__(self, cells: pd.DataFrame):
        self.codes: dict[tuple[str, str], set[str]] = {}
        self.positions: dict[str, list[int]] = {}
        kinds, codes, levels, names = (cells[c].to_numpy() for c in ("code_kind", "row_code", "code_level", "name_key"))
        for position, (kind, code, level, name) in enumerate(zip(kinds, codes, levels, names)):
            if not isinstance(code, str):  # uncoded (None / NaN)
                continue
            self.positions.setdefault(code, []).append(position)
            if kind == "function_subject":
                self.codes.setdefault((level, name), set()).add(code)

    def rows(self, cells: pd.DataFrame, path: list[str]) -> pd.DataFrame:
        """The row of a function subject printed as 类/款/项 names: each name under the one before."""
        prefix = ""
        for level, name in zip(("类", "款", "项"), path):
            codes = {code for code in self.codes.get((level, _name_key(name)), ()) if code.startswith(prefix)}
            if len(codes) != 1:
                return cells.iloc[0:0]
            prefix = codes.pop()
        return cells.iloc[self.positions[prefix]] if prefix else cells.iloc[0:0]


def _figure_from(cells: pd.DataFrame, selector: Selector) -> TableFigure | None:
    """The figure of the selected rows: their cells in the selected column(s). Read from
    the frame's columns by position: this runs for every figure, on a few rows."""
    column = {name: cells[name].to_numpy() for name in _FIGURE_COLUMNS}
    paths = column["column_path"]
    keep = [i for i, is_label in enumerate(column["is_label_column"])
            if not is_label and (not selector.column or re.search(selector.column, paths[i]))]
    if not keep:
        return None
    if not selector.sum:
        if len({column["row_index"][i] for i in keep}) != 1:
            return None
        first_column = min(column["col_index"][i] for i in keep)
        keep = [i for i in keep if column["col_index"][i] == first_column]
    total, precision = Decimal(0), None
    for i in keep:
        value = to_decimal(column["amount_yuan"][i])
        total += value or Decimal(0)
        unit = to_decimal(column["yuan_per_unit"][i]) or Decimal(1)
        digit = unit * Decimal(10) ** -(_text_decimals(column["printed_text"][i]) if value is not None else 2)
        precision = digit if precision is None else min(precision, digit)
    first = keep[0]
    return TableFigure(
        document_id=column["document_id"][first],
        table_id=column["table_id"][first],
        table_kind=column["table_kind"][first],
        table_label=column["table_label"][first] or "",
        row_index=int(column["row_index"][first]),
        row_label=column["row_label"][first],
        column_path=paths[first],
        figure_keys=[column["figure_key"][i] for i in keep],
        printed_texts=[column["printed_text"][i] for i in keep],
        page=int(column["page"][first]),
        amount_yuan=total,
        precision_yuan=precision,
    )


_FIGURE_COLUMNS = ("document_id", "table_id", "table_kind", "table_label", "row_index", "col_index", "row_label",
                   "column_path", "is_label_column", "figure_key", "printed_text", "page", "amount_yuan",
                   "yuan_per_unit")


class TableResolver:
    """Resolves narrative subjects to table figures within one document."""

    def __init__(self, catalogue: NarrativeCatalogue, grid: pd.DataFrame):
        self.catalogue = catalogue
        # Each row's name as compared, once per document: the subject rules filter on it per figure.
        self.grid = grid = grid.assign(name_key=grid["row_label"].map(_name_key))
        self.by_kind = {kind: frame for kind, frame in grid.groupby("table_kind")}
        self._scopes: dict[tuple, pd.DataFrame] = {}
        self._code_paths: dict[tuple, _CodePaths] = {}

    def resolve(self, figure, parent: TableFigure | None, parent_kind: str) -> tuple[TableFigure | None, str]:
        kind = figure.subject_kind or NAMED
        rule = self.catalogue.subjects.get(kind)
        if rule is None:
            return None, f"subject kind {kind!r} has no rule in the catalogue's narrative_subjects"
        tried = []
        for selector in rule.figures:
            if selector.when_parent_table and (parent is None or parent.table_kind != selector.when_parent_table):
                continue
            if selector.when_parent_kind and parent_kind != selector.when_parent_kind:
                continue
            cells = self.by_kind.get(selector.table)
            if cells is None:
                tried.append(selector.table)
                continue
            rows = self._rows(cells, selector, figure, parent)
            if rows is None or rows.empty:
                tried.append(selector.table)
                continue
            found = _figure_from(rows, selector)
            if found is not None:
                return found, ""
            tried.append(selector.table)
        if rule.unprinted and not any(k in self.by_kind for k in {s.table for s in rule.figures}):
            return None, rule.unprinted
        if rule.unprinted and not rule.figures:
            return None, rule.unprinted
        if kind == NAMED:
            return None, f"no row of the function-subject, economic-class or project tables is named {figure.subject!r}"
        if kind == FUNCTION_SUBJECT:
            return None, f"no function-subject row follows the path {' / '.join(figure.subject_path)}"
        if rule.unprinted:
            return None, rule.unprinted
        return None, f"{rule.description_zh}: not found in this document ({', '.join(dict.fromkeys(tried)) or 'no table'})"

    def _scope(self, cells: pd.DataFrame, table: str, part: str, total: bool) -> pd.DataFrame:
        """A kind's cells of the selected part, of its total rows only if `total`: the
        same for every figure of the document, so filtered once."""
        key = (table, part, total)
        if key not in self._scopes:
            if part:
                cells = cells[cells["part"].map(lambda printed: bool(re.search(part, printed)))]
            if total:
                parts = [_total_rows(rows) for _, rows in cells.groupby(["table_id", "part"])]
                cells = pd.concat(parts) if parts else cells.iloc[0:0]
            self._scopes[key] = cells
        return self._scopes[key]

    def _labelled(self, cells: pd.DataFrame, scope: tuple, label: str) -> pd.DataFrame:
        """The scope's rows whose name matches `label`: the same for every figure, so filtered once."""
        key = (*scope, "label", label)
        if key not in self._scopes:
            self._scopes[key] = cells[cells["name_key"].map(lambda name: bool(re.search(label, name)))]
        return self._scopes[key]

    def _rows(self, cells: pd.DataFrame, selector: Selector, figure, parent: TableFigure | None) -> pd.DataFrame | None:
        if selector.row == "parent":
            if parent is None:
                return None
            cells = self._scope(cells, selector.table, selector.part, total=False)
            return cells[(cells["table_id"] == parent.table_id) & (cells["row_index"] == parent.row_index)]
        scope = (selector.table, selector.part, bool(selector.total))
        cells = self._scope(cells, *scope)
        if selector.only_row:
            if cells["row_index"].nunique() != 1:
                return None
        if selector.label:
            cells = self._labelled(cells, scope, selector.label)
        if selector.code_path:
            key = (*scope, selector.label)
            if key not in self._code_paths:
                self._code_paths[key] = _CodePaths(cells)
            cells = self._code_paths[key].rows(cells, list(figure.subject_path))
        if selector.name:
            cells = cells[cells["name_key"] == _name_key(figure.subject)]
            if selector.name == "function_class":
                cells = cells[(cells["code_kind"] == "function_subject") & (cells["code_level"] == "类")]
        return cells


class MatchedDocument:
    """One document's narrative figures, matched."""

    def __init__(self, document_id: str, figures: pd.DataFrame, resolver: TableResolver):
        self.document_id = document_id
        self.figures = {int(f.ordinal): f for f in figures.itertuples()}
        self.resolver = resolver
        self.table_figure: dict[int, TableFigure | None] = {}
        self.reason: dict[int, str] = {}
        for ordinal, figure in self.figures.items():
            if figure.role == AMOUNT:
                self.match(ordinal)

    def match(self, ordinal: int) -> TableFigure | None:
        if ordinal in self.table_figure:
            return self.table_figure[ordinal]
        figure = self.figures[ordinal]
        if figure.qualifier == "threshold":
            self.table_figure[ordinal], self.reason[ordinal] = None, "a threshold (以上 / 以下), not a budget figure"
            return None
        parent, parent_kind = None, ""
        if figure.parent_figure_key:
            parent_ordinal = figure_ordinal(figure.parent_figure_key)
            parent = self.match(parent_ordinal)
            parent_kind = self.figures[parent_ordinal].subject_kind
        found, reason = self.resolver.resolve(figure, parent, parent_kind)
        self.table_figure[ordinal], self.reason[ordinal] = found, reason
        return found

    def resolve_like(self, figure, other: MatchedDocument) -> tuple[TableFigure | None, str]:
        """The figure this document prints for the subject of a figure of another document
        (last year's figure of the same subject)."""
        parent, parent_kind = None, ""
        if figure.parent_figure_key:
            source_parent = other.figures[figure_ordinal(figure.parent_figure_key)]
            parent, _ = self.resolve_like(source_parent, other)
            parent_kind = source_parent.subject_kind
        return self.resolver.resolve(figure, parent, parent_kind)


def figure_ordinal(key: str) -> int:
    return int(key.rsplit(":n", 1)[1])


class ResolverOnly:
    """A loaded document without narrative figures of its own: its tables only."""

    def __init__(self, resolver: TableResolver | None):
        self.resolver = resolver

    def resolve_like(self, figure, other: MatchedDocument) -> tuple[TableFigure | None, str]:
        if self.resolver is None:
            return None, "it prints no tables"
        parent, parent_kind = None, ""
        if figure.parent_figure_key:
            source_parent = other.figures[figure_ordinal(figure.parent_figure_key)]
            parent, _ = self.resolve_like(source_parent, other)
            parent_kind = source_parent.subject_kind
        return self.resolver.resolve(figure, parent, parent_kind)
