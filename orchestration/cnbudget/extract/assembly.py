"""Page items to table instances: a titled grid starts a table, an untitled grid on the
same or the next page continues it, a title repeated on the next page over the same
columns continues it too. A table that cannot be read becomes a TableErrorRecord (page,
title, reason) and the document's other tables still load."""

from __future__ import annotations

from dataclasses import dataclass

from cnbudget.extract.anchors import PageItem
from cnbudget.extract.catalog import is_form, unit_multipliers
from cnbudget.extract.numbers import looks_like_amount
from cnbudget.extract.tables import _EMPTY_NOTE, Table, TableError, continue_table, opening_row, start_table
from cnbudget.extract.text import compact


@dataclass
class TableErrorRecord:
    """A table cnbudget found but could not read (raw.table_errors)."""

    page: int
    kind: str
    title: str
    error_kind: str  # layout, unit_missing, unit_unknown, number_unparsable, no_grid …
    message: str


def _repeats(table: Table, item: PageItem) -> bool:
    """The next page's title is this table's again: a continuation printing its title,
    unless the table is a form and the page starts another instance of it (a project's
    form opens with the same field label as the first, 项目名称, for another project)."""
    block = item.block
    if not (
        item.grid is not None
        and item.page == table.pages[-1] + 1
        and block.kind.kind == table.kind
        and compact(block.title) == compact(table.title)
        and block.label == table.label
    ):
        return False
    if not block.kind.form:
        return True
    first, opening = opening_row(item.grid), table.first_row_texts
    return first == opening or not (first and opening and first[0] == opening[0])


def _is_gridless_table(item: PageItem) -> bool:
    """A title with no grid below it is a table only when what follows it looks like
    one (a unit line, or a note that it is empty); otherwise it is a title quoted in text."""
    block = item.block
    return block.unit_source == "title_block" or any(_EMPTY_NOTE.search(n) for n in item.notes)


def _continue(table: Table, item: PageItem, errors: list[TableErrorRecord]) -> bool:
    """Append a continuation page to the table; a page that does not fit its columns is
    recorded (the table keeps the pages before) and ends the table."""
    try:
        continue_table(table, item.grid)
        return True
    except TableError as error:
        errors.append(TableErrorRecord(error.page, table.kind, table.title, error.kind, str(error)))
        return False


def _is_printed_figure(word: str) -> bool:
    """An amount as tables print it (1,234.56 or 12.00), not a year or a page number."""
    return looks_like_amount(word) and ("." in word or "," in word)


def assemble_tables(items: list[PageItem]) -> tuple[list[Table], list[TableErrorRecord]]:
    tables: list[Table] = []
    errors: list[TableErrorRecord] = []
    open_table: Table | None = None
    pending: PageItem | None = None  # a title at a page's foot whose grid starts the next page
    for n, item in enumerate(items):
        if open_table is not None and item.page > open_table.pages[-1] + 1:
            open_table = None
        if item.block is None:
            if pending is not None and item.page <= pending.page + 1:
                item = PageItem(item.page, pending.block, item.grid, item.notes)
                pending = None
            elif open_table is not None:
                if not _continue(open_table, item, errors):
                    open_table = None
                continue
            else:
                continue  # a grid outside any titled table (a narrative's own table)
        pending = None
        if open_table is not None and _repeats(open_table, item):
            if not _continue(open_table, item, errors):
                open_table = None
            continue
        if item.grid is None:
            following = items[n + 1] if n + 1 < len(items) else None
            if following and following.block is None and following.page == item.page + 1 and not item.notes:
                pending = item
                continue
            if not _is_gridless_table(item):
                continue
            if any(_is_printed_figure(word) for note in item.notes for word in note.split()):
                errors.append(
                    TableErrorRecord(
                        item.page, item.block.kind.kind, item.block.title, "no_grid",
                        f"page {item.page}: {item.block.title} prints figures without ruling lines, "
                        "which cnbudget does not read yet",
                    )
                )
                open_table = None
                continue
        table = start_table(len(tables) + 1, item.block, item.block.unit, item.grid, item.notes)
        tables.append(table)
        open_table = table if item.grid is not None else None
    return tables, errors


def resolve_units(tables: list[Table], errors: list[TableErrorRecord]) -> None:
    """A table whose page prints no unit takes the unit all the document's other tables
    print, recorded as unit_source 'document' (the identities then check it); with no
    such unit, or an unknown one, the table is reported instead of loaded."""
    known = unit_multipliers()
    # “三公” tables often print 万元 beside 元 tables: the unit lent is the one all others agree on.
    printed = {t.unit for t in tables if t.unit in known and t.kind != "three_public"}
    common = printed.pop() if len(printed) == 1 else None
    kept = []
    for table in tables:
        if is_form(table.kind) and not table.unit:
            kept.append(table)  # a form's amounts carry their own unit (项目资金(万元)) or none
            continue
        if table.unit and table.unit not in known:
            errors.append(
                TableErrorRecord(
                    table.pages[0], table.kind, table.title, "unit_unknown",
                    f"page {table.pages[0]}, {table.title}: unknown unit {table.unit!r} "
                    f"(expected {' / '.join(known)})",
                )
            )
            continue
        if not table.unit:
            if common is None:
                errors.append(
                    TableErrorRecord(
                        table.pages[0], table.kind, table.title, "unit_missing",
                        f"page {table.pages[0]}, {table.title}: no unit printed (单位：…), and the document's "
                        "other tables do not agree on one",
                    )
                )
                continue
            table.unit, table.unit_source = common, "document"
        kept.append(table)
    for ordinal, table in enumerate(kept, start=1):
        table.ordinal = ordinal
    tables[:] = kept
