"""Every instance of every catalogue identity on the printed documents.

An instance is one checked figure (the actual side: a row's total, a parent row, a
line, a figure of one table) against what the rest of the document says it must be
(the expected side), in one amount column. Each identity kind of the catalogue is one
function here; they share the selection of columns and rows, the tolerance rule and
the way an instance is recorded. Where an identity cannot be evaluated (a table or
column not printed, a table printed empty, a precondition not met) the result is a
NotApplicable with the reason, never a pass. The verdict on each instance is Great
Expectations' (validate.py); this module only lays out both sides.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from cnbudget.quality.catalogue import Catalogue, ColumnSelector, Identity, Precondition, RowSelector, Side
from cnbudget.quality.outline import CARRY_OVER, CURRENT_YEAR_TOTAL, GRAND_TOTAL, Line, line_name, summary_outline
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


class _Context:
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
def _cell(ctx: _Context, role: str, table: PrintedTable, row: Row, column: Column, figure: Figure) -> InvolvedCell:
    return InvolvedCell(role, table.name, figure.page, ctx.row_name(table, row), column.path, figure.text, *figure.bbox)


def _instance(
    ctx: _Context,
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
        cells=[_cell(ctx, "actual", *figure) for figure in actual_figures]
        + [_cell(ctx, "expected", *figure) for figure in expected_figures],
    )


def _tables(ctx: _Context, identity: Identity) -> Iterator[PrintedTable | NotApplicable]:
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


# ── The identity kinds ───────────────────────────────────────────────────────────
# An addend selector naming the total column's sibling groups (收入合计 = 本年收入 + 上年结转):
# each group under the total's parent header counts once, by its own 小计 where printed,
# else by its leaves; 其中 columns restate part of a group and never count.
COLUMN_GROUPS = "$groups"
_GROUP_SUBTOTAL = re.compile(r"^(小计|合计|金额)$")
_OF_WHICH = re.compile(r"^其中")


def _column_groups(table: PrintedTable, total: Column) -> list[Column]:
    parent = total.path.rsplit("/", 1)[0] if "/" in total.path else ""
    depth = parent.count("/") + 1 if parent else 0
    siblings = [
        c for c in table.columns
        if c != total and c.part == total.part and c.path.count("/") >= depth
        and (not parent or c.path.startswith(parent + "/"))
        and not any(_OF_WHICH.match(p) for p in c.path.split("/")[depth:])
    ]
    return _group_addends(siblings, depth)


def _group_addends(columns: list[Column], depth: int) -> list[Column]:
    """Each group at this header depth once: its 小计 where printed, else its own column,
    else the groups below it."""
    groups: dict[str, list[Column]] = {}
    for column in columns:
        groups.setdefault(column.path.split("/")[depth], []).append(column)
    addends = []
    for members in groups.values():
        own = [c for c in members if c.path.count("/") == depth]
        subtotal = [
            c for c in members if c.path.count("/") == depth + 1 and _GROUP_SUBTOTAL.match(c.path.split("/")[-1])
        ]
        if own:
            addends.append(own[0])
        elif subtotal:
            addends.append(subtotal[0])
        else:
            addends += _group_addends(members, depth + 1)
    return addends


def _row(ctx: _Context, identity: Identity) -> Iterator[Result]:
    for table in _tables(ctx, identity):
        if isinstance(table, NotApplicable):
            yield table
            continue
        total, problem = ctx.one_column(table, identity.total)
        addends: list[Column] = []
        for selector in (identity.addends + identity.optional_addends) if total else ():
            if selector.alternatives == (COLUMN_GROUPS,):
                found = _column_groups(table, total)
            else:
                found = [c for c in ctx.columns_matching(table, selector) if c.part == total.part and c != total]
            if not found and selector in identity.addends:
                problem = f"{table.name} prints no column {selector}"
                break
            addends += [c for c in found if c not in addends]
        if not problem and len(addends) < 2 and identity.addends and identity.addends[0].alternatives == (COLUMN_GROUPS,):
            problem = f"{table.name}: {total.path} has fewer than two column groups beside it"
        if problem:
            yield NotApplicable(ctx.document.document_id, identity, problem, table)
            continue
        source = " + ".join(c.path for c in addends)
        evaluations = []
        for row in (r for r in table.rows if r.part == total.part):
            anchor = (table, row, total)
            if evaluation := _instance(ctx, identity, anchor, [anchor], [(table, row, c) for c in addends], source):
                evaluations.append(evaluation)
        if not evaluations:
            yield NotApplicable(
                ctx.document.document_id, identity, f"{table.name}: no row prints {total.path} or {source}", table
            )
        yield from evaluations


def _children(ctx: _Context, identity: Identity, table: PrintedTable, parent: Row) -> list[Row]:
    same_kind = [r for r in table.rows if r.code_kind == identity.code_kind and r.part == parent.part]
    if identity.grouping == "code_prefix" and parent.code:
        # Two classifications side by side (部门 301… beside 政府 501…): a child sits
        # under the parent in both.
        return [
            r for r in same_kind
            if r.code and r.code_level == identity.child_level and r.code.startswith(parent.code)
            and (not parent.other_code or (r.other_code or "").startswith(parent.other_code))
        ]
    # row_order (and subjects printed by name, their level shown by indentation): the
    # rows printed under the parent, up to the next row at its level or above
    children, parent_rank = [], ctx.level_rank(parent)
    for row in (r for r in table.rows if r.part == parent.part and r.index > parent.index):
        rank = ctx.level_rank(row) if row.code_level else None
        if row.is_total or (rank is not None and rank <= parent_rank):
            break
        if row.code_level == identity.child_level and row.code_kind == identity.code_kind:
            children.append(row)
    return children


def _hierarchy(ctx: _Context, identity: Identity) -> Iterator[Result]:
    for table in _tables(ctx, identity):
        if isinstance(table, NotApplicable):
            yield table
            continue
        leveled = [r for r in table.rows if r.code_level and r.code_kind == identity.code_kind and not r.is_total]
        parents = [r for r in leveled if r.code_level == identity.parent_level]
        if not parents or not any(r.code_level == identity.child_level for r in leveled):
            missing = identity.parent_level if not parents else identity.child_level
            yield NotApplicable(ctx.document.document_id, identity, f"{table.name} prints no {missing} rows", table)
            continue
        for parent in parents:
            children = _children(ctx, identity, table, parent)
            source_rows = f"Σ {len(children)} {identity.child_level} rows" + (
                f" ({', '.join(c.code or c.label for c in children[:6])}{'…' if len(children) > 6 else ''})"
                if children else ""
            )
            for column in (c for c in table.columns if c.part == parent.part):
                anchor = (table, parent, column)
                evaluation = _instance(
                    ctx, identity, anchor, [anchor], [(table, c, column) for c in children], source_rows
                )
                if evaluation:
                    yield evaluation


def _total_row(ctx: _Context, identity: Identity) -> Iterator[Result]:
    def top_level(table: PrintedTable) -> tuple[list[Row], str]:
        coded = [r for r in table.rows if r.code_level and not r.is_total and ctx.level_rank(r) is not None]
        if not coded:
            return [], "coded rows"
        top_rank = min(ctx.level_rank(r) for r in coded)
        top = [r for r in coded if ctx.level_rank(r) == top_rank]
        return top, f"Σ {len(top)} {top[0].code_level} rows"

    yield from _total_against(ctx, identity, top_level)


def _total_of_lines(ctx: _Context, identity: Identity) -> Iterator[Result]:
    """A table of named lines without codes (表11's 部门总体资金情况): its total = Σ its lines."""
    def lines(table: PrintedTable) -> tuple[list[Row], str]:
        found = [r for r in table.rows if not r.is_total and not r.code]
        return found, (f"Σ {len(found)} lines" if found else "lines")

    yield from _total_against(ctx, identity, lines)


def _total_against(
    ctx: _Context, identity: Identity, addends_of: Callable[[PrintedTable], tuple[list[Row], str]]
) -> Iterator[Result]:
    """Each total row of each table = Σ the addend rows of its part, per amount column;
    `addends_of` gives the rows and how to name them (or what the table lacks)."""
    for table in _tables(ctx, identity):
        if isinstance(table, NotApplicable):
            yield table
            continue
        totals = ctx.total_rows(table)
        addends, source = addends_of(table)
        if not totals or not addends:
            what = "total row" if not totals else source
            yield NotApplicable(ctx.document.document_id, identity, f"{table.name} prints no {what}", table)
            continue
        for total in totals:
            for column in (c for c in table.columns if c.part == total.part):
                anchor = (table, total, column)
                evaluation = _instance(
                    ctx, identity, anchor, [anchor], [(table, r, column) for r in addends if r.part == total.part], source
                )
                if evaluation:
                    yield evaluation


def _summary_lines(ctx: _Context, identity: Identity) -> Iterator[Result]:
    for table in _tables(ctx, identity):
        if isinstance(table, NotApplicable):
            yield table
            continue
        for side, pattern in ctx.catalogue.summary_lines.parts.items():
            parts = ctx.table_parts(table, pattern)
            if not parts:
                yield NotApplicable(ctx.document.document_id, identity, f"{table.name} prints no {side} side", table)
                continue
            for part in parts:
                yield from _summary_part(ctx, identity, table, part)


def _summary_part(ctx: _Context, identity: Identity, table: PrintedTable, part: str) -> Iterator[Result]:
    lines = ctx.outline(table, part)
    columns = [c for c in table.columns if c.part == part]
    relations: list[tuple[Line, list[Line]]] = []
    current = next((line for line in lines if line.role == CURRENT_YEAR_TOTAL), None)
    items = [line for line in lines if line.is_item]
    if identity.relation == "sub_lines":
        relations = [(line, line.sub_lines) for line in lines if line.sub_lines]
        missing = "no line with printed sub-lines"
    elif identity.relation == "current_year_total":
        relations = [(current, items)] if current and items else []
        missing = "no current-year total line (本年收入合计/本年支出合计) over printed items"
    else:
        grand = next((line for line in lines if line.role == GRAND_TOTAL), None)
        carry_overs = [line for line in lines if line.role == CARRY_OVER and not line.in_carry_over]
        relations = [(grand, ([current] if current else items) + carry_overs)] if grand else []
        missing = "no grand total line (收入总计/支出总计)"
    if not relations:
        yield NotApplicable(ctx.document.document_id, identity, f"{table.name} {part}: {missing}", table)
        return
    for total, components in relations:
        source = " + ".join(line.row.label for line in components) or "(no lines)"
        for column in columns:
            anchor = (table, total.row, column)
            evaluation = _instance(
                ctx, identity, anchor, [anchor], [(table, line.row, column) for line in components], source
            )
            if evaluation:
                yield evaluation


def _match(ctx: _Context, identity: Identity) -> Iterator[Result]:
    document_id = ctx.document.document_id
    for left_kind, right_kind in identity.table_pairs:
        sides = []
        for kind in (left_kind, right_kind):
            tables = ctx.document.tables_of(kind)
            if not tables:
                sides.append(f"no {kind_name(kind)} in this document")
            elif len(tables) > 1:
                sides.append(f"{len(tables)} tables of kind {kind_name(kind)}: which one is meant is ambiguous")
            elif tables[0].is_empty:
                sides.append(f"{tables[0].name} is printed empty")
            else:
                sides.append(tables[0])
        problems = [s for s in sides if isinstance(s, str)]
        if problems:
            yield NotApplicable(document_id, identity, "; ".join(problems))
            continue
        left, right = sides
        if identity.precondition:
            unmet = ctx.precondition_unmet(ctx.catalogue.preconditions[identity.precondition])
            if unmet:
                yield NotApplicable(document_id, identity, unmet, left)
                continue
        for pair in identity.pairs:
            yield from _match_pair(ctx, identity, left, pair.left, right, pair.right)


def _side_columns(ctx: _Context, table: PrintedTable, side: Side):
    part = re.compile(side.rows.part) if side.rows.part else None
    return ctx.one_column(table, side.column, part)


def _match_pair(
    ctx: _Context, identity: Identity, left: PrintedTable, left_side: Side, right: PrintedTable, right_side: Side
) -> Iterator[Result]:
    document_id = ctx.document.document_id
    left_column, left_problem = _side_columns(ctx, left, left_side)
    right_column, right_problem = _side_columns(ctx, right, right_side)
    if left_problem or right_problem:
        yield NotApplicable(document_id, identity, "; ".join(p for p in (left_problem, right_problem) if p), left)
        return
    left_rows = _keyed_rows(ctx, left, left_side, left_column)
    right_rows = _keyed_rows(ctx, right, right_side, right_column)
    if left_side.key == "code" and right_side.key == "code":
        kinds = [{r.code_kind for rows in side.values() for r in rows if r.code} for side in (left_rows, right_rows)]
        if kinds[0] and kinds[1] and not kinds[0] & kinds[1]:
            # one table by unit (201001 …), the other by subject (201 …): not the same rows
            yield NotApplicable(
                document_id, identity,
                f"{left.name} lists {', '.join(sorted(kinds[0]))} rows, {right.name} {', '.join(sorted(kinds[1]))} rows",
                left,
            )
            return
    if not left_rows or not right_rows:
        # A table without any such row (a 支出总表 by unit has no 类 rows) is another
        # layout, not a missing figure.
        absent, side = (left, left_side) if not left_rows else (right, right_side)
        what = "row" if side.rows.code is not None else "rows"  # one code names one row
        yield NotApplicable(document_id, identity, f"{absent.name} prints no {what} {side.rows}", left)
        return
    for key in list(left_rows) + [k for k in right_rows if k not in left_rows]:
        lrows, rrows = left_rows.get(key, []), right_rows.get(key, [])
        if not (lrows and rrows) and identity.missing == "not_applicable":
            absent, side = (left, left_side) if not lrows else (right, right_side)
            yield NotApplicable(document_id, identity, f"{absent.name} prints no row {key or side.rows}", left)
            continue
        expected = [(right, r, right_column) for r in rrows]
        counterpart = f"row {ctx.row_name(right, rrows[0])}" if rrows else f"(no row {key})"
        source = f"{right.name} {counterpart}, column {right_column.path}"
        # The checked table is the left one; when it lacks the row, the instance is
        # anchored at the right's row, and reported on the left table as missing there.
        anchor = (left, lrows[0], left_column) if lrows else (right, rrows[0], right_column)
        actual = [(left, r, left_column) for r in lrows]
        evaluation = _instance(ctx, identity, anchor, actual, expected, source, tables=[left, right])
        if evaluation and not lrows:
            evaluation.table, evaluation.page, evaluation.column_path = left, left.first_page, left_column.path
            evaluation.row_name = f"{ctx.row_name(right, rrows[0])} (not printed in {left.name})"
        if evaluation:
            yield evaluation


def _keyed_rows(ctx: _Context, table: PrintedTable, side: Side, column: Column) -> dict[str, list[Row]]:
    rows: dict[str, list[Row]] = {}
    for row in ctx.select_rows(table, side.rows):
        if row.part == column.part:
            rows.setdefault(ctx.row_key(table, row, side.key), []).append(row)
    return rows


def _code_parent(ctx: _Context, identity: Identity) -> Iterator[Result]:
    """Every 款 and 项 code's parent (its 类 / 款 prefix) is printed in the same table: a
    code whose parent is missing is often a wrong code (71102 where the 类 is 210). A
    table that prints no row of the parent level at all prints another cut (项 only)."""
    for table in _tables(ctx, identity):
        if isinstance(table, NotApplicable):
            yield table
            continue
        coded = [r for r in table.rows if r.code and r.code_kind in ("function_subject", "economic_class")]
        printed = {(r.part, r.code_kind, r.code) for r in coded}
        levels = {(r.part, r.code_kind, len(r.code)) for r in coded}
        checked = 0
        for row in coded:
            parent = {7: row.code[:5], 5: row.code[:3]}.get(len(row.code))
            if parent is None or (row.part, row.code_kind, len(parent)) not in levels:
                continue
            column = next((c for c in table.columns if c.part == row.part and table.figure(row, c)), None)
            if column is None:
                continue
            checked += 1
            found = int((row.part, row.code_kind, parent) in printed)
            evaluation = _instance(ctx, identity, (table, row, column), [(table, row, column)], [], "")
            evaluation.actual_cents, evaluation.expected_cents, evaluation.tolerance_cents = found, 1, 0
            evaluation.expected_source = f"its parent {parent} printed in {table.name} (1 = printed, 0 = not)"
            yield evaluation
        if not checked:
            yield NotApplicable(ctx.document.document_id, identity, f"{table.name} prints no 款 or 项 under a printed level", table)


def _empty_note(ctx: _Context, identity: Identity) -> Iterator[Result]:
    """An empty table's note speaks of its own fund: a 国有资本经营 table whose note says
    there is no 政府性基金 money was copied from the other table."""
    for kind, forbidden in identity.must_not_name:
        for table in ctx.document.tables_of(kind):
            if not (table.is_empty and table.empty_note):
                yield NotApplicable(ctx.document.document_id, identity, f"{table.name} is not an empty table with a note", table)
                continue
            named = forbidden.search(table.empty_note)
            page, box = table.note_cell or (table.first_page, None)
            cells = [InvolvedCell("actual", table.name, page, "(note)", "", table.empty_note, *box)] if box else []
            yield Evaluation(
                document_id=ctx.document.document_id, identity=identity, table=table, row_name="(note)",
                column_path=table.empty_note, page=page, actual_cents=0 if named else 1,
                expected_cents=1, tolerance_cents=0,
                expected_source=f"the note names {named.group(0) if named else 'its own fund'} (1 = its own, 0 = another)",
                cells=cells,
            )


_EVALUATORS = {
    "row": _row,
    "hierarchy": _hierarchy,
    "total_row": _total_row,
    "total_of_lines": _total_of_lines,
    "summary_lines": _summary_lines,
    "match": _match,
    "code_parent": _code_parent,
    "empty_note": _empty_note,
}


def evaluate_document(document: PrintedDocument, catalogue: Catalogue) -> list[Result]:
    ctx = _Context(document, catalogue)
    results: list[Result] = []
    for identity in catalogue.identities:
        results.extend(_EVALUATORS[identity.kind](ctx, identity))
    return results

