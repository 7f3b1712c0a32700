"""Identity validations as Dagster asset checks on marts.published_figures."""


import duckdb
from dagster import AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, MetadataValue, multi_asset_check
from dagster_duckdb import DuckDBResource

from cnbudget.quality.catalogue import load_catalogue
from cnbudget.quality.validate import IdentityOutcome, validate_all
from cnbudget.transform.assets import model_key

PUBLISHED_FIGURES = model_key("marts", "published_figures")
CATALOGUE = load_catalogue()


def _result(outcome: IdentityOutcome) -> AssetCheckResult:
    failures = outcome.failures
    listing = "\n".join(
        f"| {r.table_label or r.table_title} | {r.row_code or ''} {r.row_label or ''} | {r.page} | "
        f"{r.actual_cents / 100:.2f} | {r.expected_cents / 100:.2f} |"
        for r in failures.head(50).itertuples()
    )
    return AssetCheckResult(
        check_name=outcome.identity.id,
        asset_key=PUBLISHED_FIGURES,
        passed=outcome.gx_success,
        severity=AssetCheckSeverity[outcome.identity.severity],
        description=outcome.identity.description_en,
        metadata={
            "evaluated": outcome.evaluated,
            "failed": len(failures),
            "not_applicable_documents": len(outcome.not_applicable),
            "failures": MetadataValue.md(
                "| table | row | page | printed total (yuan) | sum of parts (yuan) |\n|---|---|---|---|---|\n" + listing
            ),
        },
    )


@multi_asset_check(
    specs=[
        AssetCheckSpec(identity.id, asset=PUBLISHED_FIGURES, description=identity.description_zh)
        for identity in CATALOGUE.identities
    ],
)
def identity_checks(warehouse: DuckDBResource):
    # Checks only read: a read-only connection never contends for DuckDB's writer lock.
    with duckdb.connect(warehouse.database, read_only=True) as conn:
        for outcome in validate_all(conn, CATALOGUE):
            yield _result(outcome)
