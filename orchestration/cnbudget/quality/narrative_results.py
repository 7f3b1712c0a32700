"""dq.narrative_matches and dq.narrative_results: the narrative checks' verdicts, written
in one transaction by the dq/narrative_results asset (the only writer);
dq.narrative_validation records what they were computed from, so that a load can tell
whether they still describe the warehouse."""

from __future__ import annotations

from datetime import datetime, timezone

import duckdb

from cnbudget.quality.isolation import record_check_failures
from cnbudget.quality.narrative import NarrativeEvaluation
from cnbudget.quality.results import warehouse_fingerprint

RESULTS_DDL = """
CREATE SCHEMA IF NOT EXISTS dq;
CREATE OR REPLACE TABLE dq.narrative_matches (
    document_id VARCHAR, ordinal INTEGER, narrative_figure_key VARCHAR, page INTEGER, sentence VARCHAR,
    printed_text VARCHAR, role VARCHAR, subject VARCHAR, subject_kind VARCHAR, matched BOOLEAN, reason VARCHAR,
    table_id VARCHAR, table_label VARCHAR, row_label VARCHAR, column_path VARCHAR, figure_keys VARCHAR,
    table_printed_text VARCHAR, table_amount_yuan DECIMAL(18, 2), table_page INTEGER
);
CREATE OR REPLACE TABLE dq.narrative_results (
    identity_id VARCHAR, document_id VARCHAR, ordinal INTEGER, narrative_figure_key VARCHAR, page INTEGER,
    sentence VARCHAR, printed_text VARCHAR, subject VARCHAR, stated VARCHAR, expected VARCHAR, tolerance VARCHAR,
    passed BOOLEAN, detail VARCHAR
);
CREATE OR REPLACE TABLE dq.narrative_validation (
    validated_at TIMESTAMP NOT NULL,
    warehouse_fingerprint VARCHAR NOT NULL,  -- results.warehouse_fingerprint when they were computed
    internal_errors INTEGER NOT NULL         -- documents cnbudget failed to check (raw.load_errors)
);
"""


def write_narrative_results(conn: duckdb.DuckDBPyConnection, evaluation: NarrativeEvaluation) -> None:
    """Replace the matches and check results with this evaluation, in one transaction."""
    conn.execute("BEGIN TRANSACTION")
    try:
        conn.execute(RESULTS_DDL)
        for name, frame in (("narrative_matches", evaluation.matches), ("narrative_results", evaluation.results)):
            if frame.empty:
                continue
            conn.register("incoming_narrative_results", frame)
            try:
                conn.execute(f"INSERT INTO dq.{name} SELECT * FROM incoming_narrative_results")
            finally:
                conn.unregister("incoming_narrative_results")
        conn.execute(
            "insert into dq.narrative_validation values (?, ?, ?)",
            [datetime.now(timezone.utc).replace(tzinfo=None), warehouse_fingerprint(conn), len(evaluation.unchecked)],
        )
        record_check_failures(conn, evaluation.unchecked)
        conn.execute("COMMIT")
    except Exception:
        conn.execute("ROLLBACK")
        raise


def narrative_stale_reason(conn: duckdb.DuckDBPyConnection) -> str | None:
    """None when dq.narrative_results describes the warehouse as it is now."""
    exists = conn.execute(
        "select count(*) from information_schema.tables where table_schema = 'dq' and table_name = 'narrative_validation'"
    ).fetchone()[0]
    if not exists:
        return "dq.narrative_results has never been materialized"
    recorded = conn.execute("select warehouse_fingerprint, internal_errors from dq.narrative_validation").fetchone()
    if recorded is None:
        return "dq.narrative_validation is empty"
    if recorded[1]:
        return f"cnbudget failed to check the narrative of {recorded[1]} document(s) (raw.load_errors)"
    if recorded[0] != warehouse_fingerprint(conn):
        return "the warehouse changed since dq.narrative_results was materialized"
    return None
