"""dq.identity_results: every identity verdict, persisted so a failure leads to the page.

Written in one transaction by the dq/identity_results asset (the only writer); the
asset checks and anyone else read it. dq.identity_validation records what the results
were computed from, so a reader can tell whether they still describe the warehouse.
"""

from __future__ import annotations

from datetime import datetime, timezone

import duckdb
import pandas as pd

from cnbudget.quality.catalogue import Catalogue
from cnbudget.quality.isolation import record_check_failures
from cnbudget.quality.validate import FAILED, NOT_APPLICABLE, PASSED, IdentityValidation

_CELL = (
    "STRUCT(role VARCHAR, table_name VARCHAR, page INTEGER, row_name VARCHAR, column_path VARCHAR,"
    " printed_text VARCHAR, x0 DOUBLE, y0 DOUBLE, x1 DOUBLE, y1 DOUBLE)"
)

DQ_DDL = f"""
CREATE SCHEMA IF NOT EXISTS dq;
CREATE OR REPLACE TABLE dq.identity_results (
    document_id VARCHAR NOT NULL,
    identity_id VARCHAR NOT NULL,         -- expectations/identities.yml
    identity_kind VARCHAR NOT NULL,       -- row / hierarchy / total_row / summary_lines / match
    severity VARCHAR NOT NULL,            -- ERROR / WARN
    status VARCHAR NOT NULL,              -- passed / failed / not_applicable
    passed BOOLEAN,                       -- null when not applicable
    table_id VARCHAR,                     -- the table holding the checked (actual) figure
    table_name VARCHAR,                   -- 表3, or the printed title where no label is printed
    printed_unit VARCHAR,                 -- of that table
    row_name VARCHAR,                     -- code and name of the checked row: 20805 行政事业单位养老支出
    column_path VARCHAR,                  -- its column: 基本支出/人员经费
    page INTEGER,                         -- where the checked figure is printed
    comparison VARCHAR,                   -- '=' or '≥' (actual against expected)
    actual_yuan DECIMAL(18, 2),           -- the checked figure (blank = 0)
    expected_yuan DECIMAL(18, 2),         -- what the rest of the document says it must be
    difference_yuan DECIMAL(18, 2),       -- actual - expected
    tolerance_yuan DECIMAL(18, 2),        -- allowed |difference| (from the printed units)
    expected_source VARCHAR,              -- what the expected side is made of
    reason VARCHAR,                       -- why not applicable
    x0 DOUBLE, y0 DOUBLE, x1 DOUBLE, y1 DOUBLE,  -- the checked cell, PDF points, origin bottom-left
    cells {_CELL}[]                       -- every printed cell involved, either side
);
CREATE OR REPLACE TABLE dq.identity_validation (
    validated_at TIMESTAMP NOT NULL,
    catalogue_sha256 VARCHAR NOT NULL,    -- of expectations/identities.yml
    warehouse_fingerprint VARCHAR NOT NULL,  -- of the rows, columns and figures validated
    documents INTEGER NOT NULL,
    passed INTEGER NOT NULL,
    failed INTEGER NOT NULL,
    not_applicable INTEGER NOT NULL,
    internal_errors INTEGER NOT NULL      -- documents cnbudget failed to check (raw.load_errors)
);
"""

_YUAN = "cast(cast({0} as decimal(18, 0)) * 0.01 as decimal(18, 2))"


# What the identities read, table by table: the columns whose change changes a verdict.
_FINGERPRINTED = {
    "marts.published_figures": "table_id, row_index, column_path, amount_yuan, printed_text, page",
    "raw.rows": "table_id, row_index, part, code, code_level, label, is_total",
    "raw.columns": "table_id, col_index, column_path, is_label, part",
    "raw.tables": "table_id, kind, printed_unit, is_empty",
}


def warehouse_fingerprint(conn: duckdb.DuckDBPyConnection) -> str:
    """A digest of everything the identities read (row counts and summed row hashes)."""
    return "|".join(
        conn.execute(f"select concat(count(*), ':', coalesce(sum(hash({columns})), 0)) from {table}").fetchone()[0]
        for table, columns in _FINGERPRINTED.items()
    )


def write_results(conn: duckdb.DuckDBPyConnection, validation: IdentityValidation) -> None:
    """Replace dq.identity_results and dq.identity_validation in one transaction."""
    frame = validation.results.copy()
    frame["passed"] = frame.status.map({PASSED: True, FAILED: False, NOT_APPLICABLE: None})
    counts = frame.status.value_counts()
    fingerprint = warehouse_fingerprint(conn)
    conn.execute("BEGIN TRANSACTION")
    try:
        conn.execute(DQ_DDL)
        conn.register("identity_results_frame", frame)
        conn.execute(
            f"""insert into dq.identity_results
                select document_id, identity_id, identity_kind, severity, status, passed, table_id, table_name,
                       printed_unit, row_name, column_path, page, comparison,
                       {_YUAN.format('actual_cents')}, {_YUAN.format('expected_cents')},
                       {_YUAN.format('difference_cents')}, {_YUAN.format('tolerance_cents')},
                       expected_source, reason, x0, y0, x1, y1, cast(cells as {_CELL}[])
                from identity_results_frame"""
        )
        conn.unregister("identity_results_frame")
        conn.execute(
            "insert into dq.identity_validation values (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                datetime.now(timezone.utc).replace(tzinfo=None),
                validation.catalogue.sha256,
                fingerprint,
                len(validation.documents),
                int(counts.get(PASSED, 0)),
                int(counts.get(FAILED, 0)),
                int(counts.get(NOT_APPLICABLE, 0)),
                len(validation.unchecked),
            ],
        )
        record_check_failures(conn, validation.unchecked)
        conn.execute("COMMIT")
    except Exception:
        conn.execute("ROLLBACK")
        raise


def stale_reason(conn: duckdb.DuckDBPyConnection, catalogue: Catalogue) -> str | None:
    """None when dq.identity_results describes the warehouse and catalogue as they are now."""
    exists = conn.execute(
        "select count(*) from information_schema.tables where table_schema = 'dq' and table_name = 'identity_validation'"
    ).fetchone()[0]
    if not exists:
        return "dq.identity_results has never been materialized"
    columns = {c for (c,) in conn.execute(
        "select column_name from information_schema.columns where table_schema = 'dq' and table_name = 'identity_validation'"
    ).fetchall()}
    if "internal_errors" not in columns:
        return "dq.identity_validation was written by an earlier cnbudget"
    recorded = conn.execute(
        "select catalogue_sha256, warehouse_fingerprint, internal_errors from dq.identity_validation"
    ).fetchone()
    if recorded is None:
        return "dq.identity_validation is empty"
    if recorded[2]:
        return f"cnbudget failed to check the identities of {recorded[2]} document(s) (raw.load_errors)"
    if recorded[0] != catalogue.sha256:
        return "expectations/identities.yml changed since dq.identity_results was materialized"
    if recorded[1] != warehouse_fingerprint(conn):
        return "the warehouse changed since dq.identity_results was materialized"
    return None


def read_results(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return conn.execute("select * from dq.identity_results").df()
