"""dq.identity_results: every identity verdict, persisted so a failure leads to the page.

Written by the dq/identity_results asset (the only writer), one transaction per load,
for the documents whose verdicts are stale (freshness.py): new, changed, or judged by
other rules; the asset checks and anyone else read it. dq.identity_documents is its
ledger (what each document's verdicts were computed from); dq.identity_validation sums
it up.
"""

from __future__ import annotations

from datetime import datetime, timezone

import duckdb
import pandas as pd

from cnbudget.quality.catalogue import Catalogue
from cnbudget.quality.freshness import (Staleness, document_fingerprints, replace_rows, rules_sha256, staleness,
                                        table_exists)
from cnbudget.quality.isolation import record_check_failures
from cnbudget.quality.printed import read_documents
from cnbudget.quality.validate import FAILED, NOT_APPLICABLE, PASSED, IdentityValidation, validate_documents

_CELL = (
    "STRUCT(role VARCHAR, table_name VARCHAR, page INTEGER, row_name VARCHAR, column_path VARCHAR,"
    " printed_text VARCHAR, x0 DOUBLE, y0 DOUBLE, x1 DOUBLE, y1 DOUBLE)"
)

DQ_DDL = f"""
CREATE SCHEMA IF NOT EXISTS dq;
CREATE TABLE IF NOT EXISTS dq.identity_results (
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
CREATE TABLE IF NOT EXISTS dq.identity_documents (
    document_id VARCHAR PRIMARY KEY,
    fingerprint VARCHAR NOT NULL,         -- of its load and its figures when judged (freshness.py)
    rules_sha256 VARCHAR NOT NULL,        -- of expectations/identities.yml and the code judging by it
    validated_at TIMESTAMP NOT NULL,
    passed INTEGER NOT NULL,
    failed INTEGER NOT NULL,
    not_applicable INTEGER NOT NULL,
    internal_error BOOLEAN NOT NULL       -- cnbudget failed to check it (raw.load_errors); judged again next load
);
CREATE OR REPLACE VIEW dq.identity_validation AS
select max(validated_at) as validated_at, count(*) as documents, sum(passed) as passed, sum(failed) as failed,
       sum(not_applicable) as not_applicable, count(*) filter (where internal_error) as internal_errors
from dq.identity_documents;
"""

LEDGER = "dq.identity_documents"
# What a verdict reads, per document: the figures as the models built them and the rows,
# columns and tables they are read with (a rebuild or an edit that changes any re-judges).
_OF_TABLE = "(select left(table_id, 16) as document_id, * from raw.{})"
FIGURES = {
    "marts.published_figures": "figure_key, row_code, row_label, column_path, amount_yuan, printed_text, page",
    "raw.tables": "table_id, kind, printed_unit, yuan_per_unit, is_empty, empty_note",
    _OF_TABLE.format("rows"): "table_id, row_index, part, code, code_kind, code_level, label, is_total, period",
    _OF_TABLE.format("columns"): "table_id, col_index, column_path, is_label, value_kind, period, part",
}

_YUAN = "cast(cast({0} as decimal(18, 0)) * 0.01 as decimal(18, 2))"


def identity_staleness(conn: duckdb.DuckDBPyConnection, catalogue: Catalogue) -> Staleness:
    return staleness(conn, LEDGER, document_fingerprints(conn, FIGURES), rules_sha256(catalogue.sha256))


def judge_stale_documents(conn: duckdb.DuckDBPyConnection, catalogue: Catalogue) -> tuple[IdentityValidation, Staleness]:
    """Every identity on the documents whose verdicts are stale (only reads)."""
    stale = identity_staleness(conn, catalogue)
    return validate_documents(read_documents(conn, stale.stale), catalogue), stale


def _upgrade(conn: duckdb.DuckDBPyConnection) -> None:
    """dq.identity_validation was a table before the ledger: its results are re-judged."""
    kind = conn.execute(
        "select table_type from information_schema.tables where table_schema = 'dq' and table_name = 'identity_validation'"
    ).fetchone()
    if kind and kind[0] == "BASE TABLE":
        conn.execute("drop table dq.identity_validation; drop table if exists dq.identity_results")


def write_results(conn: duckdb.DuckDBPyConnection, validation: IdentityValidation, stale: Staleness) -> None:
    """Replace the verdicts of the judged (and of the removed) documents, in one transaction."""
    frame = validation.results.copy()
    frame["passed"] = frame.status.map({PASSED: True, FAILED: False, NOT_APPLICABLE: None})
    counts = validation.counts_by_document()
    unchecked = {f.document_id for f in validation.unchecked}
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    rules = rules_sha256(validation.catalogue.sha256)
    ledger = pd.DataFrame(
        [(d.document_id, stale.fingerprints[d.document_id], rules, now, int(counts.at[d.document_id, PASSED]),
          int(counts.at[d.document_id, FAILED]), int(counts.at[d.document_id, NOT_APPLICABLE]),
          d.document_id in unchecked) for d in validation.documents],
        columns=["document_id", "fingerprint", "rules_sha256", "validated_at", "passed", "failed", "not_applicable",
                 "internal_error"],
    )
    conn.execute("BEGIN TRANSACTION")
    try:
        _upgrade(conn)
        conn.execute(DQ_DDL)
        replace_rows(conn, "dq.identity_results", frame, stale.replaced, f"""
            document_id, identity_id, identity_kind, severity, status, passed, table_id, table_name,
            printed_unit, row_name, column_path, page, comparison,
            {_YUAN.format('actual_cents')}, {_YUAN.format('expected_cents')},
            {_YUAN.format('difference_cents')}, {_YUAN.format('tolerance_cents')},
            expected_source, reason, x0, y0, x1, y1, cast(cells as {_CELL}[])""")
        replace_rows(conn, LEDGER, ledger, stale.replaced)
        record_check_failures(conn, validation.unchecked)
        conn.execute("COMMIT")
    except Exception:
        conn.execute("ROLLBACK")
        raise


def stale_reason(conn: duckdb.DuckDBPyConnection, catalogue: Catalogue) -> str | None:
    """None when dq.identity_results describes every document as it is now, by these rules."""
    if not table_exists(conn, "raw", "documents"):
        return "no document is loaded"
    if not table_exists(conn, "dq", "identity_documents"):
        return "dq.identity_results has never been materialized"
    return identity_staleness(conn, catalogue).reason("the identity verdicts")


def read_results(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return conn.execute("select * from dq.identity_results").df()
