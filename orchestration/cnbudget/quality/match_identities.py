"""The match identity kind: a figure printed in two tables of a document is the same in both."""

from __future__ import annotations

import re
from collections.abc import Iterator

from cnbudget.quality.catalogue import Identity, Side
from cnbudget.quality.instances import DocumentContext, NotApplicable, Result, instance_of
from cnbudget.quality.printed import Column, PrintedTable, Row, kind_name


def match_instances(ctx: DocumentContext, identity: Identity) -> Iterator[Result]:
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
