"""dq.narrative_matches and dq.narrative_results: the narrative checks' verdicts, written
by the dq/narrative_results asset (the only writer), one transaction per load, for the
documents whose verdicts are stale (freshness.py). A narrative compares figures with the
same department's other years, so a change to one document re-judges every year of its
department and kind. dq.narrative_documents is the ledger; dq.narrative_validation sums
it up."""

from __future__ import annotations

from datetime import datetime, timezone

import duckdb
import pandas as pd

from cnbudget.quality.freshness import (Staleness, document_fingerprints, replace_rows, rules_sha256, staleness,
                                        table_exists)
from cnbudget.quality.isolation import record_check_failures
from cnbudget.quality.narrative import CATALOGUE_FILE, NarrativeEvaluation
from cnbudget.quality.results import FIGURES as TABLE_FIGURES

RESULTS_DDL = """
CREATE SCHEMA IF NOT EXISTS dq;
CREATE TABLE IF NOT EXISTS dq.narrative_matches (
    document_id VARCHAR, ordinal INTEGER, narrative_figure_key VARCHAR, page INTEGER, sentence VARCHAR,
    printed_text VARCHAR, role VARCHAR, subject VARCHAR, subject_kind VARCHAR, matched BOOLEAN, reason VARCHAR,
    table_id VARCHAR, table_label VARCHAR, row_label VARCHAR, column_path VARCHAR, figure_keys VARCHAR,
    table_printed_text VARCHAR, table_amount_yuan DECIMAL(18, 2), table_page INTEGER
);
CREATE TABLE IF NOT EXISTS dq.narrative_results (
    identity_id VARCHAR, document_id VARCHAR, ordinal INTEGER, narrative_figure_key VARCHAR, page INTEGER,
    sentence VARCHAR, printed_text VARCHAR, subject VARCHAR, stated VARCHAR, expected VARCHAR, tolerance VARCHAR,
    passed BOOLEAN, detail VARCHAR
);
CREATE TABLE IF NOT EXISTS dq.narrative_documents (
    document_id VARCHAR PRIMARY KEY,
    fingerprint VARCHAR NOT NULL,         -- of its load, its narrative and table figures when judged
    rules_sha256 VARCHAR NOT NULL,        -- of expectations/narrative_identities.yml and the checking code
    validated_at TIMESTAMP NOT NULL,
    figures INTEGER NOT NULL,
    checks_passed INTEGER NOT NULL,
    checks_failed INTEGER NOT NULL,
    internal_error BOOLEAN NOT NULL       -- cnbudget failed to check it (raw.load_errors); judged again next load
);
CREATE OR REPLACE VIEW dq.narrative_validation AS
select max(validated_at) as validated_at, count(*) as documents, sum(checks_passed) as checks_passed,
       sum(checks_failed) as checks_failed, count(*) filter (where internal_error) as internal_errors
from dq.narrative_documents;
"""

LEDGER = "dq.narrative_documents"
FIGURES = {
    "marts.fact_narrative_figure": "narrative_figure_key, printed_text, amount_yuan, page, role, subject",
    **TABLE_FIGURES,
}


def narrative_staleness(conn: duckdb.DuckDBPyConnection) -> Staleness:
    """The documents to judge: those whose verdicts are stale, with every other document
    of their departments and kinds (whose comparisons with them are stale too)."""
    found = staleness(conn, LEDGER, document_fingerprints(conn, FIGURES), rules_sha256(CATALOGUE_FILE.read_bytes()))
    if not found.stale:
        return found
    groups = conn.execute("select document_id, department, kind from raw.documents").fetchall()
    touched = {(department, kind) for d, department, kind in groups if d in found.stale}
    stale = {d for d, department, kind in groups if (department, kind) in touched}
    return Staleness(found.fingerprints, frozenset(stale), found.removed)


def _upgrade(conn: duckdb.DuckDBPyConnection) -> None:
    """dq.narrative_validation was a table before the ledger: its results are re-judged."""
    kind = conn.execute(
        "select table_type from information_schema.tables where table_schema = 'dq' and table_name = 'narrative_validation'"
    ).fetchone()
    if kind and kind[0] == "BASE TABLE":
        conn.execute("drop table dq.narrative_validation; drop table if exists dq.narrative_matches; "
                     "drop table if exists dq.narrative_results")


def write_narrative_results(conn: duckdb.DuckDBPyConnection, evaluation: NarrativeEvaluation,
                            stale: Staleness | None = None) -> None:
    """Replace the matches and check results of the judged documents (`stale`; default:
    every document, as evaluate_narrative judges them by default), in one transaction."""
    if stale is None:  # every document was judged
        fingerprints = document_fingerprints(conn, FIGURES)
        stale = Staleness(fingerprints, frozenset(fingerprints), staleness(conn, LEDGER, fingerprints, "").removed)
    summary = evaluation.summary().set_index("document_id")
    unchecked = {f.document_id for f in evaluation.unchecked}
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    rules = rules_sha256(CATALOGUE_FILE.read_bytes())

    def count(document_id: str, column: str) -> int:
        return int(summary.at[document_id, column]) if document_id in summary.index else 0

    ledger = pd.DataFrame(
        [(d, stale.fingerprints[d], rules, now, count(d, "figures"), count(d, "checks_passed"),
          count(d, "checks_failed"), d in unchecked) for d in sorted(stale.stale)],
        columns=["document_id", "fingerprint", "rules_sha256", "validated_at", "figures", "checks_passed",
                 "checks_failed", "internal_error"],
    )
    conn.execute("BEGIN TRANSACTION")
    try:
        _upgrade(conn)
        conn.execute(RESULTS_DDL)
        replace_rows(conn, "dq.narrative_matches", evaluation.matches, stale.replaced)
        replace_rows(conn, "dq.narrative_results", evaluation.results, stale.replaced)
        replace_rows(conn, LEDGER, ledger, stale.replaced)
        record_check_failures(conn, evaluation.unchecked)
        conn.execute("COMMIT")
    except Exception:
        conn.execute("ROLLBACK")
        raise


def narrative_stale_reason(conn: duckdb.DuckDBPyConnection) -> str | None:
    """None when dq.narrative_results describes every document as it is now."""
    if not table_exists(conn, "raw", "documents"):
        return "no document is loaded"
    if not table_exists(conn, "dq", "narrative_documents"):
        return "dq.narrative_results has never been materialized"
    return narrative_staleness(conn).reason("the narrative verdicts")
