"""An extracted document as one frame per raw table, the shape the loader applies.

Numbers are parsed here, per table: a table whose amount column prints a cell that is
not a number is not loaded, and raw.table_errors says where (page, row, column); the
document's other tables load. Nothing a document prints refuses the document here.
"""

from __future__ import annotations

import pandas as pd

from cnbudget.extract.assembly import TableErrorRecord
from cnbudget.extract.catalog import unit_multipliers
from cnbudget.extract.columns import AMOUNT, LABEL, column_kinds, column_periods
from cnbudget.extract.document import ExtractedDocument
from cnbudget.extract.numbers import AmountParseError, parse_amount
from cnbudget.extract.rows import column_part, logical_rows
from cnbudget.extract.tables import Table, TableError
from cnbudget.ingest.narrative_store import narrative_frames

_GAP_COLUMNS = ["document_id", "table_id", "page", "token", "x0", "y0", "x1", "y1"]
_ERROR_COLUMNS = ["document_id", "ordinal", "page", "kind", "title", "error_kind", "message"]
# Every frame has its columns even when empty (a document whose tables all failed).
_TABLE_COLUMNS = [
    "table_id", "document_id", "ordinal", "kind", "label", "title", "fiscal_year", "printed_unit",
    "yuan_per_unit", "unit_source", "unit_line", "department_line", "first_page", "last_page",
    "header_rows", "body_rows", "column_count", "is_empty", "empty_note",
]
_COLUMN_COLUMNS = ["table_id", "col_index", "column_path", "is_label", "value_kind", "period", "part"]
_ROW_COLUMNS = [
    "table_id", "row_index", "part", "page", "code", "code_kind", "code_level", "other_code",
    "other_code_kind", "label", "indent_level", "is_total", "period",
]
_CELL_COLUMNS = [
    "document_id", "table_id", "row_index", "col_index", "row_span", "col_span", "page",
    "x0", "y0", "x1", "y1", "text", "printed_number",
]


def _numbers(table: Table, kinds: list[str]) -> list[str | None]:
    """Each cell's parsed amount (as exact text), or a TableError naming the first cell
    of an amount column that is not a number."""
    numbers = []
    for cell in table.cells:
        spanned = kinds[cell.col : cell.col + cell.col_span]
        if not spanned or any(k != AMOUNT for k in spanned):
            numbers.append(None)
            continue
        try:
            number = parse_amount(cell.text)
        except AmountParseError:
            raise TableError(
                "number_unparsable",
                f"page {cell.page}, {table.title}, row {cell.row + 1}, column "
                f"{table.column_paths[cell.col]!r}: amount {cell.text!r} does not parse",
                cell.page,
            ) from None
        numbers.append(None if number is None else str(number))
    return numbers


def _table_frames(doc_id: str, table: Table) -> tuple[dict, list[dict], list[dict], list[dict]]:
    table_id = f"{doc_id}:{table.ordinal:02d}"
    kinds = column_kinds(table)
    periods = column_periods(table)
    numbers = _numbers(table, kinds)
    multiplier = unit_multipliers().get(table.unit) if table.unit else None
    row = {
        "table_id": table_id,
        "document_id": doc_id,
        "ordinal": table.ordinal,
        "kind": table.kind,
        "label": table.label,
        "title": table.title,
        "fiscal_year": table.fiscal_year,
        "printed_unit": table.unit,
        "yuan_per_unit": None if multiplier is None else str(multiplier),
        "unit_source": table.unit_source,
        "unit_line": table.unit_line,
        "department_line": table.department_line,
        "first_page": table.pages[0],
        "last_page": table.pages[-1],
        "header_rows": table.header_rows,
        "body_rows": table.body_rows,
        "column_count": len(table.column_paths),
        "is_empty": table.is_empty,
        "empty_note": table.empty_note,
    }
    columns = [
        {
            "table_id": table_id,
            "col_index": i,
            "column_path": path,
            "is_label": kinds[i] == LABEL,
            "value_kind": kinds[i],
            "period": periods[i],
            "part": column_part(table, i),
        }
        for i, path in enumerate(table.column_paths)
    ]
    rows = [
        {
            "table_id": table_id,
            "row_index": r.row,
            "part": r.part,
            "page": r.page,
            "code": r.code,
            "code_kind": r.code_kind,
            "code_level": r.code_level,
            "other_code": r.other_code,
            "other_code_kind": r.other_code_kind,
            "label": r.label,
            "indent_level": r.indent,
            "is_total": r.is_total,
            "period": r.period,
        }
        for r in logical_rows(table)
    ]
    cells = [
        {
            "document_id": doc_id,
            "table_id": table_id,
            "row_index": cell.row,
            "col_index": cell.col,
            "row_span": cell.row_span,
            "col_span": cell.col_span,
            "page": cell.page,
            "x0": cell.x0,
            "y0": cell.y0,
            "x1": cell.x1,
            "y1": cell.y1,
            "text": cell.text,
            "printed_number": number,
        }
        for cell, number in zip(table.cells, numbers)
    ]
    return row, columns, rows, cells


def raw_frames(document: ExtractedDocument) -> dict[str, pd.DataFrame]:
    """The document as one frame per raw table. A table that cannot be read joins the
    extraction's table errors instead of the tables."""
    doc_id = document.document_id
    errors = list(document.table_errors)
    tables, columns, rows, cells = [], [], [], []
    loaded_ordinals = set()
    for table in document.tables:
        try:
            t, c, r, ce = _table_frames(doc_id, table)
        except TableError as error:
            errors.append(TableErrorRecord(error.page, table.kind, table.title, error.kind, str(error)))
            continue
        loaded_ordinals.add(table.ordinal)
        tables.append(t)
        columns += c
        rows += r
        cells += ce
    documents = [
        {
            "document_id": doc_id,
            "source_file": document.source_file,
            "sha256": document.sha256,
            "size_bytes": document.size_bytes,
            "page_count": document.page_count,
            "title": document.title,
            "department": document.department,
            "fiscal_year": document.fiscal_year,
            "kind": document.kind,
            "phase": document.phase,
            "logical_key": f"{document.department}|{document.fiscal_year}|{document.kind}",
            "extractor_version": document.extractor_version,
            "camelot_pages": document.camelot_pages,
            "coverage_tokens": document.coverage_tokens,
            "coverage_gaps": len(document.coverage_gaps),
            "table_errors": len(errors),
            "is_complete": not errors,
        }
    ]
    gaps = [
        {
            "document_id": doc_id,
            "table_id": f"{doc_id}:{gap.table:02d}",
            "page": gap.page,
            "token": gap.token,
            "x0": gap.x0,
            "y0": gap.y0,
            "x1": gap.x1,
            "y1": gap.y1,
        }
        for gap in document.coverage_gaps
        if gap.table in loaded_ordinals
    ]
    table_errors = [
        {"document_id": doc_id, "ordinal": n, "page": e.page, "kind": e.kind, "title": e.title,
         "error_kind": e.error_kind, "message": e.message}
        for n, e in enumerate(errors, start=1)
    ]
    return {
        "coverage_gaps": pd.DataFrame(gaps, columns=_GAP_COLUMNS),
        "documents": pd.DataFrame(documents),
        "tables": pd.DataFrame(tables, columns=_TABLE_COLUMNS),
        "table_errors": pd.DataFrame(table_errors, columns=_ERROR_COLUMNS),
        "columns": pd.DataFrame(columns, columns=_COLUMN_COLUMNS),
        "rows": pd.DataFrame(rows, columns=_ROW_COLUMNS),
        "cells": pd.DataFrame(cells, columns=_CELL_COLUMNS),
        **narrative_frames(document),
    }
