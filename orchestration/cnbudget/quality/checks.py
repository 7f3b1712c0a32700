"""The identities in Dagster: the dq/identity_results asset and one asset check per
identity on marts/published_figures.

The asset is the only writer: it validates the stale documents' identities (Great
Expectations) and replaces their rows of dq.identity_results in one transaction. The
checks come from the factory the narrative checks share (check_factory.py).
"""

from __future__ import annotations

from dagster import AssetKey, MaterializeResult, MetadataValue, asset
from dagster_duckdb import DuckDBResource

from cnbudget.ingest.warehouse import warehouse_lock
from cnbudget.quality.catalogue import Identity, load_catalogue
from cnbudget.quality.check_factory import Listed, VerdictTable, identity_checks_of
from cnbudget.quality.results import judge_stale_documents, stale_reason, write_results
from cnbudget.quality.validate import FAILED, NOT_APPLICABLE, PASSED
from cnbudget.transform.assets import model_key

PUBLISHED_FIGURES = model_key("marts", "published_figures")
IDENTITY_RESULTS = AssetKey(["dq", "identity_results"])
CATALOGUE = load_catalogue()


@asset(
    key=IDENTITY_RESULTS,
    deps=[PUBLISHED_FIGURES],
    group_name="dq",
    description=(
        "Every instance of every identity in expectations/identities.yml, judged by Great Expectations: "
        "passed, failed (with both sides, page and cell boxes) or not applicable (with the reason). "
        "A run judges the documents whose verdicts are stale (new, changed, or judged by other rules)."
    ),
)
def identity_results(warehouse: DuckDBResource) -> MaterializeResult:
    # The catalogue the checks were defined from, so that results and checks agree.
    # The only writer of dq.*: under the warehouse lock like every writer.
    with warehouse_lock(warehouse.database), warehouse.get_connection() as conn:
        validation, stale = judge_stale_documents(conn, CATALOGUE)
        write_results(conn, validation, stale)
        passed, failed, not_applicable = conn.execute(
            "select coalesce(passed, 0), coalesce(failed, 0), coalesce(not_applicable, 0) from dq.identity_validation"
        ).fetchone()
    counts = validation.counts_by_document()
    by_document = "\n".join(
        f"| {d.department} {d.fiscal_year} {d.kind} | {d.document_id} | {counts.at[d.document_id, 'evaluated']} | "
        f"{counts.at[d.document_id, PASSED]} | {counts.at[d.document_id, FAILED]} | "
        f"{counts.at[d.document_id, NOT_APPLICABLE]} |"
        for d in validation.documents
    )
    return MaterializeResult(
        metadata={
            # judged in this run: the documents whose verdicts were stale; the others stand
            "documents": len(stale.fingerprints),
            "documents_judged": len(validation.documents),
            "documents_removed": len(stale.removed),
            "evaluated": int(passed + failed),  # in the whole warehouse
            "failed": int(failed),
            "not_applicable": int(not_applicable),
            # documents cnbudget failed to check (recorded in raw.load_errors); the load exits 2
            "internal_errors": MetadataValue.json([f.as_metadata() for f in validation.unchecked]),
            "by_document": MetadataValue.md(
                "| document | id | evaluated | passed | failed | not applicable |\n|---|---|---|---|---|---|\n"
                + by_document
            ),
        }
    )


def _amount(yuan) -> str:
    return "" if yuan is None else f"{yuan:,.2f}"


def _describe(identity: Identity, status: str) -> str:
    return identity.description_zh if status != NOT_APPLICABLE else f"Not applicable anywhere: {identity.description_en}"


identity_checks = identity_checks_of(
    "identity_checks", CATALOGUE.table_identities, PUBLISHED_FIGURES, IDENTITY_RESULTS,
    VerdictTable(
        "dq.identity_results", failed=f"status = '{FAILED}'", not_applicable=f"status = '{NOT_APPLICABLE}'",
        listed=(
            Listed("document_id", "document"), Listed("table_name", "table"), Listed("row_name", "row"),
            Listed("column_path", "column"), Listed("page", "page"), Listed("actual_yuan", "printed (yuan)", _amount),
            Listed("comparison", ""), Listed("expected_yuan", "expected (yuan)", _amount),
            Listed("tolerance_yuan", "tolerance", _amount),
        ),
        reason="reason",
    ),
    stale_reason=lambda conn: stale_reason(conn, CATALOGUE),
    describe=_describe,
)
