"""The DuckDB raw layer: what the PDFs print, one document version per content hash.

Extraction turns a document into frames (`frames.raw_frames`); the loader applies
frames in one transaction (`apply_frames`). Between them the frames travel as Parquet (handoff.py),
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

from cnbudget import settings
from cnbudget.extract.errors import DocumentError
from cnbudget.ingest.narrative_store import NARRATIVE_TABLES, delete_narrative, ensure_narrative_schema

RAW_TABLES = ("documents", "tables", "table_errors", "columns", "rows", "cells", "coverage_gaps") + NARRATIVE_TABLES

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
    kind VARCHAR,                         -- 部门预算 / 单位预算 / 部门决算 / 单位决算
    phase VARCHAR NOT NULL DEFAULT 'budget', -- budget (预算) / final (决算, final accounts)
    logical_key VARCHAR NOT NULL,         -- department|fiscal year|kind: versions of one budget share it
    version INTEGER NOT NULL,             -- 1, 2 … in load order within a logical key
    is_current BOOLEAN NOT NULL,          -- the latest version loaded; earlier ones stay queryable
    extractor_version VARCHAR NOT NULL,
    camelot_pages INTEGER[],              -- pages the grid reader was run on
    coverage_tokens INTEGER NOT NULL,     -- numbers printed inside table grids
    coverage_gaps INTEGER NOT NULL,       -- ...of which no stored cell accounts for (see raw.coverage_gaps)
    table_errors INTEGER NOT NULL DEFAULT 0, -- tables found but not read (see raw.table_errors)
    is_complete BOOLEAN NOT NULL DEFAULT true, -- every table found was read
    loaded_at TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS raw.table_errors (
    document_id VARCHAR NOT NULL,
    ordinal INTEGER NOT NULL,             -- order among the document's table errors
    page INTEGER NOT NULL,
    kind VARCHAR NOT NULL,                -- the table's kind, as its title names it ('' if unknown)
    title VARCHAR NOT NULL,
    error_kind VARCHAR NOT NULL,          -- layout, unit_missing, unit_unknown, number_unparsable, no_grid
    message VARCHAR NOT NULL              -- names the page, the table and the reason
);
CREATE TABLE IF NOT EXISTS raw.load_errors (
    source_file VARCHAR NOT NULL,
    sha256 VARCHAR,
    document_id VARCHAR,
    error_kind VARCHAR NOT NULL,          -- empty_file, not_pdf, corrupt_pdf, encrypted_pdf, no_text_layer …
    message VARCHAR NOT NULL,             -- names the file and the reason
    failed_at TIMESTAMP NOT NULL,
    stage VARCHAR                         -- extraction / loading: the file was refused, it is not in
                                          -- raw.documents; identities / narrative: it is, and cnbudget
                                          -- failed checking it (internal_error)
);
CREATE TABLE IF NOT EXISTS raw.tables (
    table_id VARCHAR PRIMARY KEY,         -- document_id:ordinal
    document_id VARCHAR NOT NULL,
    ordinal INTEGER NOT NULL,             -- order of the table in the document
    kind VARCHAR NOT NULL,                -- see extract/table_kinds.yaml
    label VARCHAR,                        -- 表3, 表5-1 … as printed ('' if none)
    title VARCHAR NOT NULL,
    fiscal_year INTEGER,                  -- from the title (2025年…), else the document's
    printed_unit VARCHAR,                 -- 元 / 千元 / 万元 / 亿元 (null: a form printing no unit)
    yuan_per_unit DECIMAL(18, 0),
    unit_source VARCHAR,                  -- where the unit is printed: title_block / header / page, or
                                          -- document: not printed, taken from the document's other tables
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
    value_kind VARCHAR,                   -- label / amount / percent / text
    period VARCHAR,                       -- current (the budget year) / prior (2025年执行数) / change (增减)
    part VARCHAR NOT NULL,                -- side-by-side panel (本年收入 / 本年支出 …), '' otherwise
    PRIMARY KEY (table_id, col_index)
);
CREATE TABLE IF NOT EXISTS raw.rows (
    table_id VARCHAR NOT NULL,
    row_index INTEGER NOT NULL,
    part VARCHAR NOT NULL,                -- a side-by-side table gives two logical rows per printed row
    page INTEGER NOT NULL,
    code VARCHAR,                         -- 2011301 (split 类/款/项 columns joined), 30101, 301001 …
    code_kind VARCHAR,                    -- function_subject / economic_class / government_economic_class /
                                          -- budget_unit / project
    code_level VARCHAR,                   -- 类 款 项 / 部门 单位 / 一级 二级 (by indentation where no code)
    other_code VARCHAR,                   -- a second classification printed beside (政府预算支出经济分类)
    other_code_kind VARCHAR,
    label VARCHAR NOT NULL,               -- the row's name, NFKC-normalized, indentation removed
    indent_level INTEGER NOT NULL,        -- leading full-width spaces printed
    is_total BOOLEAN NOT NULL,            -- 合计 / 总计 rows
    period VARCHAR,                       -- current; prior / change: a row printed for another year (2025年) or the change
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


# Columns added since the first release: a warehouse created before gets them.
_SCHEMA_UPGRADES = """
ALTER TABLE raw.documents ADD COLUMN IF NOT EXISTS table_errors INTEGER DEFAULT 0;
ALTER TABLE raw.documents ADD COLUMN IF NOT EXISTS is_complete BOOLEAN DEFAULT true;
ALTER TABLE raw.documents ADD COLUMN IF NOT EXISTS phase VARCHAR DEFAULT 'budget';
ALTER TABLE raw.tables ADD COLUMN IF NOT EXISTS unit_source VARCHAR;
ALTER TABLE raw.tables ALTER COLUMN printed_unit DROP NOT NULL;
ALTER TABLE raw.tables ALTER COLUMN yuan_per_unit DROP NOT NULL;
ALTER TABLE raw.columns ADD COLUMN IF NOT EXISTS value_kind VARCHAR;
ALTER TABLE raw.columns ADD COLUMN IF NOT EXISTS period VARCHAR;
ALTER TABLE raw.rows ADD COLUMN IF NOT EXISTS other_code VARCHAR;
ALTER TABLE raw.rows ADD COLUMN IF NOT EXISTS other_code_kind VARCHAR;
ALTER TABLE raw.rows ADD COLUMN IF NOT EXISTS period VARCHAR;
ALTER TABLE raw.load_errors ADD COLUMN IF NOT EXISTS stage VARCHAR;
"""


def ensure_raw_schema(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute(RAW_SCHEMA_DDL)
    conn.execute(_SCHEMA_UPGRADES)
    ensure_narrative_schema(conn)


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
            if name == "cells":  # the drill of a load killed inside its transaction
                settings.inject_fault("transaction", document["source_file"])
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
    for table in ("cells", "coverage_gaps", "table_errors", "tables", "documents"):
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


def record_load_error(conn: duckdb.DuckDBPyConnection, source_file: str, error: DocumentError,
                      sha256: str | None = None, document_id: str | None = None, stage: str = "extraction") -> None:
    ensure_raw_schema(conn)
    conn.execute(
        "INSERT INTO raw.load_errors (source_file, sha256, document_id, error_kind, message, failed_at, stage)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        [source_file, sha256, document_id, error.kind, str(error), datetime.now(timezone.utc).replace(tzinfo=None),
         stage],
    )


@contextmanager
def warehouse_lock(warehouse: Path | str):
    """Serialize writers to one DuckDB file across processes (DuckDB allows one writer
    per file; waiting on a lock file beats failing with "could not set lock").

    Holding the lock file is not quite enough: a process that released it may still be
    closing the database (a dbt subprocess exiting), so wait until DuckDB can open it.
    """
    with FileLock(f"{warehouse}.lock"):
        wait_until_free(Path(warehouse))
        yield


def wait_until_free(warehouse: Path, timeout_seconds: float = 120.0) -> None:
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
