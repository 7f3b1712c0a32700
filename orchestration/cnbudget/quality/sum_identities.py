"""The identity kinds that add up one table's own figures: row, hierarchy, total_row, total_of_lines, summary_lines."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from cnbudget.quality.catalogue import Identity
from cnbudget.quality.instances import DocumentContext, NotApplicable, Result, instance_of, tables_to_check
from cnbudget.quality.outline import CARRY_OVER, CURRENT_YEAR_TOTAL, GRAND_TOTAL, Line
from cnbudget.quality.printed import Column, PrintedTable, Row

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


def row_instances(ctx: DocumentContext, identity: Identity) -> Iterator[Result]:
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


def hierarchy_instances(ctx: DocumentContext, identity: Identity) -> Iterator[Result]:
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


def total_row_instances(ctx: DocumentContext, identity: Identity) -> Iterator[Result]:
    def top_level(table: PrintedTable) -> tuple[list[Row], str]:
        coded = [r for r in table.rows if r.code_level and not r.is_total and ctx.level_rank(r) is not None]
        if not coded:
            return [], "coded rows"
        top_rank = min(ctx.level_rank(r) for r in coded)
        top = [r for r in coded if ctx.level_rank(r) == top_rank]
        return top, f"Σ {len(top)} {top[0].code_level} rows"

    yield from _total_against(ctx, identity, top_level)


def total_of_lines_instances(ctx: DocumentContext, identity: Identity) -> Iterator[Result]:
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


def summary_lines_instances(ctx: DocumentContext, identity: Identity) -> Iterator[Result]:
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

