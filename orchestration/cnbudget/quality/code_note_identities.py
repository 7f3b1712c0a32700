"""The identity kinds that check what a table prints besides its sums: code_parent and empty_note."""

from __future__ import annotations

from collections.abc import Iterator

from cnbudget.quality.catalogue import Identity
from cnbudget.quality.instances import (DocumentContext, Evaluation, InvolvedCell, NotApplicable, Result, instance_of,
                                        tables_to_check)


def code_parent_instances(ctx: DocumentContext, identity: Identity) -> Iterator[Result]:
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


def empty_note_instances(ctx: DocumentContext, identity: Identity) -> Iterator[Result]:
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
