"""The narrative checks' chain: their evaluation (narrative.py) and their store,
dq.narrative_matches and dq.narrative_results, written by the one chain (chain.py) for
the documents whose verdicts are stale (freshness.py). A narrative compares figures with
the same department's other years, so a change to one document re-judges every year of
its department and kind."""

from __future__ import annotations

import duckdb

from cnbudget.quality.catalogue import load_catalogue
from cnbudget.quality.chain import Chain
from cnbudget.quality.narrative import evaluate_narrative_figures
from cnbudget.quality.results import FIGURES as TABLE_FIGURES
from cnbudget.quality.verdict_store import VerdictStore

RESULTS_DDL = """
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
);"""

FIGURES = {
    "marts.fact_narrative_figure": "narrative_figure_key, printed_text, amount_yuan, page, role, subject",
    **TABLE_FIGURES,
}


def _same_department_and_kind(conn: duckdb.DuckDBPyConnection, stale: frozenset[str]) -> frozenset[str]:
    groups = conn.execute("select document_id, department, kind from raw.documents").fetchall()
    touched = {(department, kind) for d, department, kind in groups if d in stale}
    return frozenset(d for d, department, kind in groups if (department, kind) in touched)


# dq.narrative_documents is its ledger; dq.narrative_validation sums it up
STORE = VerdictStore("narrative", RESULTS_DDL, ("narrative_results", "narrative_matches"),
                     ("figures", "checks_passed", "checks_failed"), FIGURES, dependents=_same_department_and_kind)


NARRATIVE = Chain(STORE, evaluate_narrative_figures)


def narrative_stale_reason(conn: duckdb.DuckDBPyConnection) -> str | None:
    """None when dq.narrative_results describes every document as it is now."""
    return NARRATIVE.stale_reason(conn, load_catalogue())
