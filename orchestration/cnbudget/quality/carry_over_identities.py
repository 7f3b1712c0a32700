"""The carry-over identity of a 决算's fund tables: per row, 年末结转和结余 = 年初结转和结余
+ 本年收入 − 本年支出 (evaluate.py dispatches the kind carry_over here)."""

from __future__ import annotations

from collections.abc import Iterator

from cnbudget.quality.catalogue import Identity
from cnbudget.quality.instances import (
    DocumentContext, Evaluation, NotApplicable, Result, involved_cell, tables_to_check,
)


def carry_over_instances(ctx: DocumentContext, identity: Identity) -> Iterator[Result]:
    for table in tables_to_check(ctx, identity):
        if isinstance(table, NotApplicable):
            yield table
            continue
        closing, problem = ctx.one_column(table, identity.total)
        sides: list[tuple[int, object]] = []  # (+1 / -1, column)
        for sign, selectors in ((1, identity.addends), (-1, identity.subtrahends)):
            for selector in selectors if not problem else ():
                column, problem = ctx.one_column(table, selector)
                if problem:
                    break
                sides.append((sign, column))
        if problem:
            yield NotApplicable(ctx.document.document_id, identity, problem, table)
            continue
        source = " ".join(("+ " if sign > 0 else "− ") + c.path for sign, c in sides).lstrip("+ ")
        evaluations = []
        for row in table.rows:
            actual = table.figure(row, closing)
            printed = [(sign, c, f) for sign, c in sides if (f := table.figure(row, c)) is not None]
            if actual is None and not printed:
                continue  # a blank row claims nothing
            evaluations.append(Evaluation(
                document_id=ctx.document.document_id,
                identity=identity,
                table=table,
                row_name=ctx.row_name(table, row),
                column_path=closing.path,
                page=actual.page if actual else row.page,
                actual_cents=actual.cents if actual else 0,
                expected_cents=sum(sign * f.cents for sign, _, f in printed),
                tolerance_cents=ctx.tolerance(identity, [table], len(printed), 1),
                expected_source=source,
                cells=([involved_cell(ctx, "actual", table, row, closing, actual)] if actual else [])
                + [involved_cell(ctx, "expected", table, row, c, f) for _, c, f in printed],
            ))
        if not evaluations:
            yield NotApplicable(ctx.document.document_id, identity, f"{table.name}: no row prints {closing.path} or {source}", table)
        yield from evaluations
