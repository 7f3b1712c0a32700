"""What an identity instance is made of, and the context its evaluators share.

An instance is one checked figure (the actual side) against what the rest of the
document says it must be (the expected side), in one amount column, with every printed
cell involved and the tolerance the catalogue allows; a NotApplicable says why an
identity cannot be evaluated somewhere. sum_identities.py, match_identities.py and
code_note_identities.py have one function per identity kind.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from cnbudget.quality.catalogue import Catalogue, ColumnSelector, Identity, Precondition, RowSelector
from cnbudget.quality.outline import Line, line_name, summary_outline
from cnbudget.quality.printed import Column, Figure, PrintedDocument, PrintedTable, Row, kind_name


@dataclass(frozen=True)
class InvolvedCell:
    """A printed cell taking part in an instance, so a failure leads to the page
    (stored in dq.identity_results.cells; the report outlines it on the page crop)."""

    role: str  # actual / expected
    table_name: str
    page: int
    row_name: str
    column_path: str
    printed_text: str
    x0: float  # PDF points, origin bottom-left
    y0: float
    x1: float
    y1: float

    @property
    def box(self) -> tuple[float, float, float, float]:
        return self.x0, self.y0, self.x1, self.y1


@dataclass
class Evaluation:
    document_id: str
    identity: Identity
    table: PrintedTable  # where the actual figure is printed
    row_name: str
    column_path: str
    page: int
    actual_cents: int
    expected_cents: int
    tolerance_cents: int
    expected_source: str  # what the expected side is made of, in words
    cells: list[InvolvedCell] = field(default_factory=list)

    @property
    def difference_cents(self) -> int:
        return self.actual_cents - self.expected_cents

    @property
    def excess_cents(self) -> int:
        """How far the instance is outside what its tolerance allows (≤ 0: it holds)."""
        if self.identity.comparison == "at_least":
            return self.expected_cents - self.actual_cents - self.tolerance_cents
        return abs(self.difference_cents) - self.tolerance_cents


@dataclass
class NotApplicable:
    document_id: str
    identity: Identity
    reason: str
    table: PrintedTable | None = None


Result = Evaluation | NotApplicable


class DocumentContext:
    """What the evaluators share about one document: the catalogue's vocabulary."""

    def __init__(self, document: PrintedDocument, catalogue: Catalogue):
        self.document = document
        self.catalogue = catalogue
        self._outlines: dict[tuple[str, str], list[Line]] = {}

    # ── Tolerance ────────────────────────────────────────────────────────────────
    def half_unit_cents(self, table: PrintedTable) -> int:
        cents = self.catalogue.half_unit[table.unit] * table.yuan_per_unit * 100
        if cents != cents.to_integral_value():
            raise ValueError(f"half a unit of {table.unit} is not a whole number of cents")
        return int(cents)

    def tolerance(self, identity: Identity, tables: list[PrintedTable], printed_expected: int, printed_actual: int) -> int:
        """The catalogue's tolerance rules, in cents; never a relative percentage."""
        half = max(self.half_unit_cents(t) for t in tables)
        if identity.tolerance == "per_printed_addend":
            return half * max(printed_expected, 1)
        # coarser_unit: each figure compared may be off by half a unit of the coarser table
        return half * max(printed_expected, printed_actual, 1)

    # ── Columns ──────────────────────────────────────────────────────────────────
    @staticmethod
    def columns_matching(table: PrintedTable, selector: ColumnSelector, part: re.Pattern | None = None) -> list[Column]:
        """All columns matching the first alternative that matches any column."""
        candidates = [c for c in table.columns if part is None or part.search(c.part)]
        for alternative in selector.alternatives:
            found = [c for c in candidates if selector.matches(alternative, c.path)]
            if found:
                return found
        return []

    def one_column(self, table: PrintedTable, selector: ColumnSelector, part: re.Pattern | None = None):
        """(column, None), or (None, why there is no single such column)."""
        found = self.columns_matching(table, selector, part)
        if not found:
            return None, f"{table.name} prints no column {selector}"
        if len(found) > 1:
            return None, f"{table.name}: column {selector} is ambiguous ({', '.join(c.path for c in found)})"
        return found[0], None

    # ── Rows ─────────────────────────────────────────────────────────────────────
    def total_rows(self, table: PrintedTable) -> list[Row]:
        """The rows raw.rows marks as the table's grand total (合计/总计, or 表10's unnamed one)."""
        return [r for r in table.rows if r.is_total]

    def row_name(self, table: PrintedTable, row: Row) -> str:
        if row.code or row.label:
            return " ".join(p for p in (row.code, row.label) if p)
        if row in self.total_rows(table):
            return "合计 (printed without a name)"
        return "(the only row)" if len(table.rows) == 1 else f"(unnamed row {row.index + 1})"

    def level_rank(self, row: Row) -> int | None:
        levels = self.catalogue.code_levels.get(row.code_kind or "", ())
        return levels.index(row.code_level) if row.code_level in levels else None

    def outline(self, table: PrintedTable, part: str) -> list[Line]:
        key = (table.table_id, part)
        if key not in self._outlines:
            self._outlines[key] = summary_outline(table, part, self.catalogue)
        return self._outlines[key]

    @staticmethod
    def table_parts(table: PrintedTable, pattern: re.Pattern) -> list[str]:
        return sorted({r.part for r in table.rows if r.part and pattern.search(r.part)})

    def select_rows(self, table: PrintedTable, selector: RowSelector) -> list[Row]:
        if selector.part is not None or selector.line is not None:
            part_pattern = re.compile(selector.part or ".")
            lines = [line for part in self.table_parts(table, part_pattern) for line in self.outline(table, part)]
            if selector.line == "items":
                lines = [line for line in lines if line.listed]
            elif selector.line is not None:
                lines = [line for line in lines if line.role == selector.line]
            rows = [line.row for line in lines]
        elif selector.total:
            rows = self.total_rows(table)
        elif selector.coded:
            rows = self.total_rows(table) + [r for r in table.rows if r.code]
        elif selector.level is not None:
            rows = [r for r in table.rows if r.code_level == selector.level and not r.is_total]
        elif selector.code is not None:
            rows = [r for r in table.rows if r.code == selector.code]
        elif selector.only_row:
            rows = table.rows if len(table.rows) == 1 else []
        else:
            rows = list(table.rows)
        if selector.label is not None:
            rows = [r for r in rows if re.search(selector.label, r.label)]
        return rows

    def row_key(self, table: PrintedTable, row: Row, key: str) -> str:
        """What pairs a row with its counterpart in the other table."""
        if key == "none":
            return ""
        if row in self.total_rows(table):
            return "合计"
        if key == "code":
            return row.code or row.label
        return line_name(row.label, self.catalogue)

    # ── Preconditions ────────────────────────────────────────────────────────────
    def precondition_unmet(self, precondition: Precondition) -> str | None:
        """None when it holds; else the reason it does not, or cannot be told."""
        for condition in precondition.zero:
            tables = [t for t in self.document.tables_of(condition.table) if not t.is_empty]
            if not tables and condition.required:
                return (
                    f"precondition {precondition.name} cannot be established: "
                    f"no {kind_name(condition.table)} in this document"
                )
            for table in tables:
                selected = self.select_rows(table, condition.rows)
                if not selected and condition.required:
                    return (
                        f"precondition {precondition.name} cannot be established: "
                        f"{table.name} prints no {condition.rows} row"
                    )
                for row in selected:
                    for column in table.columns:
                        if column.part != row.part or not any(
                            condition.columns.matches(a, column.path) for a in condition.columns.alternatives
                        ):
                            continue
                        figure = table.figure(row, column)
                        if figure is not None and figure.cents != 0:
                            return (
                                f"precondition {precondition.name} not met: {table.name} row {self.row_name(table, row)}, "
                                f"column {column.path} prints {figure.text}"
                            )
        return None


# ── Recording an instance ────────────────────────────────────────────────────────
def involved_cell(ctx: DocumentContext, role: str, table: PrintedTable, row: Row, column: Column, figure: Figure) -> InvolvedCell:
    return InvolvedCell(role, table.name, figure.page, ctx.row_name(table, row), column.path, figure.text, *figure.bbox)


def instance_of(
    ctx: DocumentContext,
    identity: Identity,
    anchor: tuple[PrintedTable, Row, Column],
    actual: list[tuple[PrintedTable, Row, Column]],
    expected: list[tuple[PrintedTable, Row, Column]],
    expected_source: str,
    tables: list[PrintedTable] | None = None,
) -> Evaluation | None:
    """One instance: the figures of `actual` summed against those of `expected`; the
    anchor names where the actual side is (or should be) printed, `tables` whose units
    set the tolerance (default: the anchor's). None when neither side prints anything:
    a blank table region claims nothing."""
    actual_figures = [(t, r, c, f) for t, r, c in actual if (f := t.figure(r, c)) is not None]
    expected_figures = [(t, r, c, f) for t, r, c in expected if (f := t.figure(r, c)) is not None]
    if not actual_figures and not expected_figures:
        return None
    table, row, column = anchor
    return Evaluation(
        document_id=ctx.document.document_id,
        identity=identity,
        table=table,
        row_name=ctx.row_name(table, row),
        column_path=column.path,
        page=actual_figures[0][3].page if actual_figures else row.page,
        actual_cents=sum(f.cents for *_, f in actual_figures),
        expected_cents=sum(f.cents for *_, f in expected_figures),
        tolerance_cents=ctx.tolerance(identity, tables or [table], len(expected_figures), len(actual_figures)),
        expected_source=expected_source,
        cells=[involved_cell(ctx, "actual", *figure) for figure in actual_figures]
        + [involved_cell(ctx, "expected", *figure) for figure in expected_figures],
    )


def tables_to_check(ctx: DocumentContext, identity: Identity) -> Iterator[PrintedTable | NotApplicable]:
    """The non-empty tables of the identity's kinds, or why a kind cannot be evaluated."""
    for kind in identity.tables:
        tables = ctx.document.tables_of(kind)
        if not tables:
            yield NotApplicable(ctx.document.document_id, identity, f"no {kind_name(kind)} in this document")
        for table in tables:
            if table.is_empty:
                note = f": {table.empty_note}" if table.empty_note else ""
                yield NotApplicable(ctx.document.document_id, identity, f"{table.name} is printed empty{note}", table)
            else:
                yield table


