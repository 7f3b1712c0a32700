"""The identities in Dagster: the dq/identity_results asset and one asset check per
identity on marts/published_figures.

The asset is the only writer: it validates every identity (Great Expectations) and
replaces dq.identity_results in one transaction. The checks run after it (it is their
additional dependency) and only read, through read-only connections, so they never
contend for DuckDB's single writer lock. A check whose results do not describe the
warehouse as it is now (published_figures rebuilt without the asset) fails as stale
rather than report old verdicts.
"""

from __future__ import annotations

import duckdb
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    MaterializeResult,
    MetadataValue,
    asset,
    multi_asset_check,
)
from dagster_duckdb import DuckDBResource

from cnbudget.quality.catalogue import Identity, load_catalogue
from cnbudget.ingest.warehouse import warehouse_lock
from cnbudget.quality.check_summaries import CheckSummary, summarize_checks
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


_LISTED_COLUMNS = ["document_id", "table_name", "row_name", "column_path", "page",
                   "actual_yuan", "comparison", "expected_yuan", "tolerance_yuan"]


def _check_result(identity: Identity, summary: CheckSummary) -> AssetCheckResult:
    # Dagster checks are pass/fail: an identity evaluated nowhere does not fail, and says so.
    status = FAILED if summary.failed else PASSED if summary.passed else NOT_APPLICABLE
    listing = "\n".join(
        f"| {document} | {table} | {row} | {column} | {page} | {_amount(actual)} | {comparison} | "
        f"{_amount(expected)} | {_amount(tolerance)} |"
        for document, table, row, column, page, actual, comparison, expected, tolerance in summary.failures
    )
    return AssetCheckResult(
        check_name=identity.id,
        asset_key=PUBLISHED_FIGURES,
        passed=not summary.failed,
        severity=AssetCheckSeverity[identity.severity],
        description=(
            identity.description_zh if status != NOT_APPLICABLE else f"Not applicable anywhere: {identity.description_en}"
        ),
        metadata={
            "status": status,
            "evaluated": summary.evaluated,
            "failed": summary.failed,
            "not_applicable": summary.not_applicable,
            "documents_evaluated": summary.documents_evaluated,
            "failures": MetadataValue.md(
                "| document | table | row | column | page | printed (yuan) | | expected (yuan) | tolerance |\n"
                "|---|---|---|---|---|---|---|---|---|\n" + listing
            ),
            "not_applicable_reasons": MetadataValue.md("\n".join(f"- {reason}" for reason in summary.reasons)),
        },
    )


@multi_asset_check(
    specs=[
        AssetCheckSpec(
            identity.id,
            asset=PUBLISHED_FIGURES,
            additional_deps=[IDENTITY_RESULTS],
            description=f"{identity.description_zh} — {identity.description_en}",
        )
        for identity in CATALOGUE.identities
    ],
)
def identity_checks(warehouse: DuckDBResource):
    # Read-only, but a writer in another process would refuse the file: wait for the lock.
    with warehouse_lock(warehouse.database), duckdb.connect(warehouse.database, read_only=True) as conn:
        stale = stale_reason(conn, CATALOGUE)
        summaries = {} if stale else summarize_checks(
            conn, "dq.identity_results", failed=f"status = '{FAILED}'", not_applicable=f"status = '{NOT_APPLICABLE}'",
            listed=_LISTED_COLUMNS, reason="reason",
        )
    for identity in CATALOGUE.identities:
        if stale:
            yield AssetCheckResult(
                check_name=identity.id,
                asset_key=PUBLISHED_FIGURES,
                passed=False,
                severity=AssetCheckSeverity.WARN,
                description=f"No current verdict: {stale}; materialize dq/identity_results.",
                metadata={"status": "stale"},
            )
        else:
            yield _check_result(identity, summaries.get(identity.id, CheckSummary()))
