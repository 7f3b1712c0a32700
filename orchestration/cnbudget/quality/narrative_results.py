"""dq.narrative_matches and dq.narrative_results: the narrative checks' verdicts, written
through the verdict store every chain shares (verdict_store.py) by the
dq/narrative_results asset, one transaction per load, for the documents whose verdicts
are stale (freshness.py). A narrative compares figures with the same department's other
years, so a change to one document re-judges every year of its department and kind."""

from __future__ import annotations

import duckdb

from cnbudget.quality.freshness import Staleness, rules_sha256
from cnbudget.quality.catalogue import load_catalogue
from cnbudget.quality.narrative import NarrativeEvaluation
from cnbudget.quality.results import FIGURES as TABLE_FIGURES
from cnbudget.quality.verdict_store import Rows, VerdictStore

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


def _rules() -> str:
    return rules_sha256(load_catalogue().sha256)


def narrative_staleness(conn: duckdb.DuckDBPyConnection) -> Staleness:
    """The documents to judge: those whose verdicts are stale, with every other document
    of their departments and kinds (whose comparisons with them are stale too)."""
    return STORE.staleness(conn, _rules())


def write_narrative_results(conn: duckdb.DuckDBPyConnection, evaluation: NarrativeEvaluation,
                            stale: Staleness | None = None) -> None:
    """Replace the matches and check results of the judged documents (`stale`; default:
    every document, as evaluate_narrative judges them by default), in one transaction."""
    STORE.write(conn, STORE.everything(conn) if stale is None else stale, _rules(),
                {"narrative_matches": Rows(evaluation.matches), "narrative_results": Rows(evaluation.results)},
                evaluation.summary().set_index("document_id"), evaluation.unchecked)


def narrative_stale_reason(conn: duckdb.DuckDBPyConnection) -> str | None:
    """None when dq.narrative_results describes every document as it is now."""
    return STORE.stale_reason(conn, _rules())
