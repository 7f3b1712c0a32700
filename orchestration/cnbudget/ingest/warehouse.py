"""The DuckDB raw layer: what the PDFs print, one document replaced atomically."""

from __future__ import annotations

from datetime import datetime, timezone

import duckdb
import pandas as pd

from cnbudget.extract.catalog import is_label_column, unit_multipliers
from cnbudget.extract.document import ExtractedDocument
from cnbudget.extract.numbers import AmountParseError, parse_amount
from cnbudget.extract.errors import DocumentError
from cnbudget.extract.rows import column_part, logical_rows
from cnbudget.ingest.narrative_store import NARRATIVE_TABLES, delete_narrative, ensure_narrative_schema, narrative_frames

RAW_TABLES = ("documents", "tables", "columns", "rows", "cells", "coverage_gaps") + NARRATIVE_TABLES

RAW_SCHEMA_DDL = """
CREATE SCHEMA IF NOT EXISTS raw;
CREATE TABLE IF NOT EXISTS raw.documents (
    document_id VARCHAR PRIMARY KEY,      -- first 16 hex digits of the PDF's sha256
    source_file VARCHAR NOT NULL,
    sha256 VARCHAR NOT NULL,
    size_bytes BIGINT NOT NULL,
    page_count INTEGER NOT NULL,
    title VARCHAR,
    department VARCHAR,
    fiscal_year INTEGER,
    kind VARCHAR,                         -- 部门预算 / 单位预算
    extractor_version VARCHAR NOT NULL,
    camelot_pages INTEGER[],              -- pages the grid reader was run on
    coverage_tokens INTEGER NOT NULL,     -- numbers printed inside table grids
    coverage_gaps INTEGER NOT NULL,       -- ...of which no stored cell accounts for (see raw.coverage_gaps)
    loaded_at TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS raw.tables (
    table_id VARCHAR PRIMARY KEY,         -- document_id:ordinal
    document_id VARCHAR NOT NULL,
    ordinal INTEGER NOT NULL,             -- order of the table in the document
    kind VARCHAR NOT NULL,                -- see extract/table_kinds.yaml
    label VARCHAR,                        -- 表3, 表5-1 … as printed ('' if none)
    title VARCHAR NOT NULL,
    fiscal_year INTEGER,                  -- from the title (2025年…), else the document's
    printed_unit VARCHAR NOT NULL,        -- 元 / 千元 / 万元 / 亿元
    yuan_per_unit DECIMAL(18, 0) NOT NULL,
    unit_line VARCHAR,
    department_line VARCHAR,
    first_page INTEGER NOT NULL,
    last_page INTEGER NOT NULL,
    header_rows INTEGER NOT NULL,
    body_rows INTEGER NOT NULL,
    column_count INTEGER NOT NULL,
    is_empty BOOLEAN NOT NULL,
    empty_note VARCHAR
);
CREATE TABLE IF NOT EXISTS raw.columns (
    table_id VARCHAR NOT NULL,
    col_index INTEGER NOT NULL,
    column_path VARCHAR NOT NULL,         -- header texts top to bottom: 基本支出/人员经费
    is_label BOOLEAN NOT NULL,            -- codes and names, not amounts
    part VARCHAR NOT NULL,                -- side-by-side half (本年收入 / 本年支出 …), '' otherwise
    PRIMARY KEY (table_id, col_index)
);
CREATE TABLE IF NOT EXISTS raw.rows (
    table_id VARCHAR NOT NULL,
    row_index INTEGER NOT NULL,
    part VARCHAR NOT NULL,                -- a side-by-side table gives two logical rows per printed row
    page INTEGER NOT NULL,
    code VARCHAR,                         -- 2011301 (split 类/款/项 columns joined), 30101, 301001 …
    code_kind VARCHAR,                    -- function_subject / economic_class / budget_unit / project
    code_level VARCHAR,                   -- 类 款 项 / 部门 单位 / 一级 二级
    label VARCHAR NOT NULL,               -- the row's name, NFKC-normalized, indentation removed
    indent_level INTEGER NOT NULL,        -- leading full-width spaces printed
    is_total BOOLEAN NOT NULL,            -- 合计 / 总计 rows
    PRIMARY KEY (table_id, row_index, part)
);
CREATE TABLE IF NOT EXISTS raw.coverage_gaps (
    document_id VARCHAR NOT NULL,
    table_id VARCHAR NOT NULL,
    page INTEGER NOT NULL,
    token VARCHAR NOT NULL,               -- a number printed inside the grid that no stored cell holds
    x0 DOUBLE NOT NULL,
    y0 DOUBLE NOT NULL,
    x1 DOUBLE NOT NULL,
    y1 DOUBLE NOT NULL
);
CREATE TABLE IF NOT EXISTS raw.cells (
    document_id VARCHAR NOT NULL,
    table_id VARCHAR NOT NULL,
    row_index INTEGER NOT NULL,           -- body row within the table, across pages
    col_index INTEGER NOT NULL,
    row_span INTEGER NOT NULL,
    col_span INTEGER NOT NULL,
    page INTEGER NOT NULL,
    x0 DOUBLE NOT NULL,                   -- bounding box in PDF points,
    y0 DOUBLE NOT NULL,                   -- origin at the page's bottom left
    x1 DOUBLE NOT NULL,
    y1 DOUBLE NOT NULL,
    text VARCHAR NOT NULL,                -- as printed ('' for a blank cell)
    printed_number DECIMAL(18, 4),        -- parsed amount, amount columns only
    PRIMARY KEY (table_id, row_index, col_index)
);
"""


def ensure_raw_schema(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute(RAW_SCHEMA_DDL)
    ensure_narrative_schema(conn)


def _frames(document: ExtractedDocument) -> dict[str, pd.DataFrame]:
    doc_id = document.document_id
    source = document.source_file.rsplit("/", 1)[-1]
    multipliers = unit_multipliers()
    tables, columns, rows, cells = [], [], [], []
    for table in document.tables:
        table_id = f"{doc_id}:{table.ordinal:02d}"
        label_cols = {i for i, path in enumerate(table.column_paths) if is_label_column(path.split("/")[-1])}
        tables.append(
            {
                "table_id": table_id,
                "document_id": doc_id,
                "ordinal": table.ordinal,
                "kind": table.kind,
                "label": table.label,
                "title": table.title,
                "fiscal_year": table.fiscal_year,
                "printed_unit": table.unit,
                "yuan_per_unit": str(multipliers[table.unit]),
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
        )
        for i, path in enumerate(table.column_paths):
            columns.append(
                {
                    "table_id": table_id,
                    "col_index": i,
                    "column_path": path,
                    "is_label": i in label_cols,
                    "part": column_part(table, i),
                }
            )
        for row in logical_rows(table):
            rows.append(
                {
                    "table_id": table_id,
                    "row_index": row.row,
                    "part": row.part,
                    "page": row.page,
                    "code": row.code,
                    "code_kind": row.code_kind,
                    "code_level": row.code_level,
                    "label": row.label,
                    "indent_level": row.indent,
                    "is_total": row.is_total,
                }
            )
        for cell in table.cells:
            number = None
            spans_label = any(c in label_cols for c in range(cell.col, cell.col + cell.col_span))
            if not spans_label:
                try:
                    number = parse_amount(cell.text)
                except AmountParseError:
                    raise DocumentError(
                        "number_unparsable",
                        f"{source}: page {cell.page}, {table.title}, row {cell.row + 1}, column "
                        f"{table.column_paths[cell.col]!r}: amount {cell.text!r} does not parse"
                    ) from None
            cells.append(
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
                    "printed_number": None if number is None else str(number),
                }
            )
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
            "extractor_version": document.extractor_version,
            "camelot_pages": document.camelot_pages,
            "coverage_tokens": document.coverage_tokens,
            "coverage_gaps": len(document.coverage_gaps),
            "loaded_at": datetime.now(timezone.utc).replace(tzinfo=None),
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
    ]
    return {
        "coverage_gaps": pd.DataFrame(gaps, columns=["document_id", "table_id", "page", "token", "x0", "y0", "x1", "y1"]),
        "documents": pd.DataFrame(documents),
        "tables": pd.DataFrame(tables),
        "columns": pd.DataFrame(columns),
        "rows": pd.DataFrame(rows),
        "cells": pd.DataFrame(cells),
        **narrative_frames(document),
    }


def write_document(conn: duckdb.DuckDBPyConnection, document: ExtractedDocument) -> dict[str, int]:
    """Replace one document's raw rows in a single transaction; returns rows written per table.

    Everything is validated (amounts parsed) before the transaction starts, so a bad
    document leaves the warehouse exactly as it was.
    """
    frames = _frames(document)
    ensure_raw_schema(conn)
    doc_id = document.document_id
    conn.execute("BEGIN TRANSACTION")
    try:
        conn.execute("DELETE FROM raw.cells WHERE document_id = ?", [doc_id])
        conn.execute("DELETE FROM raw.coverage_gaps WHERE document_id = ?", [doc_id])
        for child in ("columns", "rows"):
            conn.execute(
                f"DELETE FROM raw.{child} WHERE table_id IN (SELECT table_id FROM raw.tables WHERE document_id = ?)",
                [doc_id],
            )
        conn.execute("DELETE FROM raw.tables WHERE document_id = ?", [doc_id])
        conn.execute("DELETE FROM raw.documents WHERE document_id = ?", [doc_id])
        delete_narrative(conn, doc_id)
        for name in RAW_TABLES:
            frame = frames[name]
            if frame.empty:
                continue
            conn.register("incoming", frame)
            # Columns by name; DECIMAL columns arrive as text and are cast exactly.
            target_cols = [r[0] for r in conn.execute(f"DESCRIBE raw.{name}").fetchall()]
            select = ", ".join(f'CAST("{c}" AS {_type(conn, name, c)})' for c in target_cols)
            conn.execute(f"INSERT INTO raw.{name} SELECT {select} FROM incoming")
            conn.unregister("incoming")
        conn.execute("COMMIT")
    except Exception:
        conn.execute("ROLLBACK")
        raise
    return {name: len(frames[name]) for name in RAW_TABLES}


def _type(conn: duckdb.DuckDBPyConnection, table: str, column: str) -> str:
    return conn.execute(
        "SELECT data_type FROM information_schema.columns WHERE table_schema = 'raw' AND table_name = ? "
        "AND column_name = ?",
        [table, column],
    ).fetchone()[0]
