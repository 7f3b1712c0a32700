"""Every instance of every catalogue identity on the printed documents.

An instance is one checked figure (the actual side: a row's total, a parent row, a
line, a figure of one table) against what the rest of the document says it must be
(the expected side), in one amount column. Each identity kind of the catalogue is one
function here; they share the selection of columns and rows, the tolerance rule and
the way an instance is recorded. Where an identity cannot be evaluated (a table or
column not printed, a table printed empty, a precondition not met) the result is a
NotApplicable with the reason, never a pass. The verdict on each instance is Great
Expectations' (validate.py); this module only lays out both sides, with what
instances.py provides.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from cnbudget.quality.catalogue import Catalogue, Identity, Side
from cnbudget.quality.instances import (DocumentContext, Evaluation, InvolvedCell, NotApplicable, Result,
                                        instance_of, tables_to_check)
from cnbudget.quality.outline import CARRY_OVER, CURRENT_YEAR_TOTAL, GRAND_TOTAL, Line
from cnbudget.quality.printed import Column, PrintedDocument, PrintedTable, Row, kind_name



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


def _row(ctx: DocumentContext, identity: Identity) -> Iterator[Result]:
    for table in tables_to_check(ctx, identity):
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
            if evaluation := instance_of(ctx, identity, anchor, [anchor], [(table, row, c) for c in addends], source):
                evaluations.append(evaluation)
        if not evaluations:
            yield NotApplicable(
                ctx.document.document_id, identity, f"{table.name}: no row prints {total.path} or {source}", table
            )
        yield from evaluations


def _children(ctx: DocumentContext, identity: Identity, table: PrintedTable, parent: Row) -> list[Row]:
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


def _hierarchy(ctx: DocumentContext, identity: Identity) -> Iterator[Result]:
    for table in tables_to_check(ctx, identity):
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
                evaluation = instance_of(
                    ctx, identity, anchor, [anchor], [(table, c, column) for c in children], source_rows
                )
                if evaluation:
                    yield evaluation


def _total_row(ctx: DocumentContext, identity: Identity) -> Iterator[Result]:
    def top_level(table: PrintedTable) -> tuple[list[Row], str]:
        coded = [r for r in table.rows if r.code_level and not r.is_total and ctx.level_rank(r) is not None]
        if not coded:
            return [], "coded rows"
        top_rank = min(ctx.level_rank(r) for r in coded)
        top = [r for r in coded if ctx.level_rank(r) == top_rank]
        return top, f"Σ {len(top)} {top[0].code_level} rows"

    yield from _total_against(ctx, identity, top_level)


def _total_of_lines(ctx: DocumentContext, identity: Identity) -> Iterator[Result]:
    """A table of named lines without codes (表11's 部门总体资金情况): its total = Σ its lines."""
    def lines(table: PrintedTable) -> tuple[list[Row], str]:
        found = [r for r in table.rows if not r.is_total and not r.code]
        return found, (f"Σ {len(found)} lines" if found else "lines")

    yield from _total_against(ctx, identity, lines)


def _total_against(
    ctx: DocumentContext, identity: Identity, addends_of: Callable[[PrintedTable], tuple[list[Row], str]]
) -> Iterator[Result]:
    """Each total row of each table = Σ the addend rows of its part, per amount column;
    `addends_of` gives the rows and how to name them (or what the table lacks)."""
    for table in tables_to_check(ctx, identity):
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
                evaluation = instance_of(
                    ctx, identity, anchor, [anchor], [(table, r, column) for r in addends if r.part == total.part], source
                )
                if evaluation:
                    yield evaluation


def _summary_lines(ctx: DocumentContext, identity: Identity) -> Iterator[Result]:
    for table in tables_to_check(ctx, identity):
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


def _summary_part(ctx: DocumentContext, identity: Identity, table: PrintedTable, part: str) -> Iterator[Result]:
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
            evaluation = instance_of(
                ctx, identity, anchor, [anchor], [(table, line.row, column) for line in components], source
            )
            if evaluation:
                yield evaluation


def _match(ctx: DocumentContext, identity: Identity) -> Iterator[Result]:
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


def _side_columns(ctx: DocumentContext, table: PrintedTable, side: Side):
    part = re.compile(side.rows.part) if side.rows.part else None
    return ctx.one_column(table, side.column, part)


def _match_pair(
    ctx: DocumentContext, identity: Identity, left: PrintedTable, left_side: Side, right: PrintedTable, right_side: Side
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
        evaluation = instance_of(ctx, identity, anchor, actual, expected, source, tables=[left, right])
        if evaluation and not lrows:
            evaluation.table, evaluation.page, evaluation.column_path = left, left.first_page, left_column.path
            evaluation.row_name = f"{ctx.row_name(right, rrows[0])} (not printed in {left.name})"
        if evaluation:
            yield evaluation


def _keyed_rows(ctx: DocumentContext, table: PrintedTable, side: Side, column: Column) -> dict[str, list[Row]]:
    rows: dict[str, list[Row]] = {}
    for row in ctx.select_rows(table, side.rows):
        if row.part == column.part:
            rows.setdefault(ctx.row_key(table, row, side.key), []).append(row)
    return rows


def _code_parent(ctx: DocumentContext, identity: Identity) -> Iterator[Result]:
    """Every 款 and 项 code's parent (its 类 / 款 prefix) is printed in the same table: a
    code whose parent is missing is often a wrong code (71102 where the 类 is 210). A
    table that prints no row of the parent level at all prints another cut (项 only)."""
    for table in tables_to_check(ctx, identity):
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
            evaluation = instance_of(ctx, identity, (table, row, column), [(table, row, column)], [], "")
            evaluation.actual_cents, evaluation.expected_cents, evaluation.tolerance_cents = found, 1, 0
            evaluation.expected_source = f"its parent {parent} printed in {table.name} (1 = printed, 0 = not)"
            yield evaluation
        if not checked:
            yield NotApplicable(ctx.document.document_id, identity, f"{table.name} prints no 款 or 项 under a printed level", table)


def _empty_note(ctx: DocumentContext, identity: Identity) -> Iterator[Result]:
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
    ctx = DocumentContext(document, catalogue)
    results: list[Result] = []
    for identity in catalogue.identities:
        results.extend(_EVALUATORS[identity.kind](ctx, identity))
    return results



__all__ = ["Evaluation", "InvolvedCell", "NotApplicable", "Result", "evaluate_document"]
