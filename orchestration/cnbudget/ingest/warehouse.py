"""The DuckDB raw layer: what the PDFs print, one document version per content hash.

Extraction turns a document into frames (`raw_frames`, which also validates: nothing
is written for a document that would be refused); the loader applies frames in one
transaction (`apply_frames`). Between them the frames travel as Parquet (handoff.py),
so extraction can run in parallel while writes to the DuckDB file stay serialized
(`warehouse_lock`).
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pandas as pd
from filelock import FileLock

from cnbudget.extract.catalog import is_form, is_label_column, table_kinds, unit_multipliers
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
    logical_key VARCHAR NOT NULL,         -- department|fiscal year|kind: versions of one budget share it
    version INTEGER NOT NULL,             -- 1, 2 … in load order within a logical key
    is_current BOOLEAN NOT NULL,          -- the latest version loaded; earlier ones stay queryable
    extractor_version VARCHAR NOT NULL,
    camelot_pages INTEGER[],              -- pages the grid reader was run on
    coverage_tokens INTEGER NOT NULL,     -- numbers printed inside table grids
    coverage_gaps INTEGER NOT NULL,       -- ...of which no stored cell accounts for (see raw.coverage_gaps)
    loaded_at TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS raw.load_errors (
    source_file VARCHAR NOT NULL,
    sha256 VARCHAR,
    document_id VARCHAR,
    error_kind VARCHAR NOT NULL,          -- empty_file, not_pdf, corrupt_pdf, encrypted_pdf, no_text_layer …
    message VARCHAR NOT NULL,             -- names the file and the reason
    failed_at TIMESTAMP NOT NULL
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


# Every budget of both families prints these; without them nothing can be verified.
REQUIRED_TABLE_KINDS = ("income_expenditure_summary", "income", "expenditure")


def _check_required_tables(document: ExtractedDocument, source: str) -> None:
    found = {t.kind for t in document.tables}
    names = {k.kind: k.name for k in table_kinds()}
    missing = [f"{names[k]} ({k})" for k in REQUIRED_TABLE_KINDS if k not in found]
    if missing:
        raise DocumentError("missing_tables", f"{source}: required tables missing: {', '.join(missing)}")


def raw_frames(document: ExtractedDocument) -> dict[str, pd.DataFrame]:
    """The document as one frame per raw table, validated for loading: required tables
    present, every amount parses (else a DocumentError naming file, page and cell)."""
    doc_id = document.document_id
    source = document.source_file.rsplit("/", 1)[-1]
    _check_required_tables(document, source)
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
            # A form's cells are text (cnbudget.extract.performance reads their quantities).
            spans_label = is_form(table.kind) or any(c in label_cols for c in range(cell.col, cell.col + cell.col_span))
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
            "logical_key": f"{document.department}|{document.fiscal_year}|{document.kind}",
            "extractor_version": document.extractor_version,
            "camelot_pages": document.camelot_pages,
            "coverage_tokens": document.coverage_tokens,
            "coverage_gaps": len(document.coverage_gaps),
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


@dataclass
class LoadResult:
    document_id: str
    status: str  # loaded | unchanged (this content with this extractor is already there)
    version: int
    rows: dict[str, int]


def apply_frames(conn: duckdb.DuckDBPyConnection, frames: dict[str, pd.DataFrame]) -> LoadResult:
    """Load one document's frames in a single transaction.

    The same content loaded again changes nothing. New content for the same department,
    year and kind becomes the current version; earlier versions stay, flagged not current.
    A failure rolls everything back: no partial document is ever visible.
    """
    ensure_raw_schema(conn)
    document = frames["documents"].iloc[0]
    doc_id, logical_key = document["document_id"], document["logical_key"]
    conn.execute("BEGIN TRANSACTION")
    try:
        existing = conn.execute(
            "SELECT extractor_version, version, is_current FROM raw.documents WHERE document_id = ?", [doc_id]
        ).fetchone()
        if existing and existing[0] == document["extractor_version"]:
            conn.execute("ROLLBACK")
            return LoadResult(doc_id, "unchanged", existing[1], {})
        if existing:  # re-extracted by a newer extractor: same version, same currency
            version, is_current = existing[1], existing[2]
        else:
            latest = conn.execute(
                "SELECT max(version) FROM raw.documents WHERE logical_key = ?", [logical_key]
            ).fetchone()[0]
            version, is_current = (latest or 0) + 1, True
            conn.execute("UPDATE raw.documents SET is_current = false WHERE logical_key = ?", [logical_key])
        _delete_document(conn, doc_id)
        versioned = frames["documents"].assign(
            version=version, is_current=is_current, loaded_at=datetime.now(timezone.utc).replace(tzinfo=None)
        )
        for name in RAW_TABLES:
            _insert(conn, name, versioned if name == "documents" else frames[name])
        conn.execute("COMMIT")
    except Exception:
        conn.execute("ROLLBACK")
        raise
    return LoadResult(doc_id, "loaded", version, {name: len(frames[name]) for name in RAW_TABLES})


def _delete_document(conn: duckdb.DuckDBPyConnection, doc_id: str) -> None:
    for child in ("columns", "rows"):
        conn.execute(
            f"DELETE FROM raw.{child} WHERE table_id IN (SELECT table_id FROM raw.tables WHERE document_id = ?)",
            [doc_id],
        )
    for table in ("cells", "coverage_gaps", "tables", "documents"):
        conn.execute(f"DELETE FROM raw.{table} WHERE document_id = ?", [doc_id])
    delete_narrative(conn, doc_id)


def _insert(conn: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame) -> None:
    if frame.empty:
        return
    conn.register("incoming", frame)
    try:
        # Columns by name; DECIMAL columns arrive as text and are cast exactly.
        columns = conn.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'raw' AND table_name = ? ORDER BY ordinal_position",
            [name],
        ).fetchall()
        select = ", ".join(f'CAST("{column}" AS {data_type})' for column, data_type in columns)
        conn.execute(f"INSERT INTO raw.{name} SELECT {select} FROM incoming")
    finally:
        conn.unregister("incoming")


def write_document(conn: duckdb.DuckDBPyConnection, document: ExtractedDocument) -> LoadResult:
    """Validate and load one extracted document (extraction and loading in one process)."""
    return apply_frames(conn, raw_frames(document))


def record_load_error(conn: duckdb.DuckDBPyConnection, source_file: str, error: DocumentError,
                      sha256: str | None = None, document_id: str | None = None) -> None:
    ensure_raw_schema(conn)
    conn.execute(
        "INSERT INTO raw.load_errors VALUES (?, ?, ?, ?, ?, ?)",
        [source_file, sha256, document_id, error.kind, str(error), datetime.now(timezone.utc).replace(tzinfo=None)],
    )


@contextmanager
def warehouse_lock(warehouse: Path | str):
    """Serialize writers to one DuckDB file across processes (DuckDB allows one writer
    per file; waiting on a lock file beats failing with "could not set lock").

    Holding the lock file is not quite enough: a process that released it may still be
    closing the database (a dbt subprocess exiting), so wait until DuckDB can open it.
    """
    with FileLock(f"{warehouse}.lock"):
        _wait_until_free(Path(warehouse))
        yield


def _wait_until_free(warehouse: Path, timeout_seconds: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_seconds
    while warehouse.exists():
        try:
            duckdb.connect(str(warehouse), read_only=True).close()
            return
        except duckdb.IOException as error:
            if "lock" not in str(error).lower() or time.monotonic() > deadline:
                raise
            time.sleep(0.2)
        except duckdb.Error:
            return  # not ours to judge here (e.g. not a DuckDB file): the caller's connect says why
