"""The one factory of identity asset checks: a Dagster check per identity of a catalogue,
reading the verdicts its results asset wrote (read-only, so checks never contend for
DuckDB's single writer), summarized in SQL. A check whose verdicts do not describe the
warehouse as it is now fails as stale rather than report old ones."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import duckdb
from dagster import AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, AssetKey, MetadataValue, multi_asset_check
from dagster_duckdb import DuckDBResource

from cnbudget.ingest.warehouse import warehouse_lock
from cnbudget.quality.check_summaries import CheckSummary, summarize_checks
from cnbudget.quality.validate import FAILED, NOT_APPLICABLE, PASSED


@dataclass(frozen=True)
class Listed:
    """A column of a check's failure listing."""

    column: str
    header: str
    show: Callable[[object], str] = str


@dataclass(frozen=True)
class VerdictTable:
    """Where a results asset writes its verdicts, and how a check reads them."""

    table: str  # dq.identity_results, dq.narrative_results
    failed: str  # SQL predicates on its rows
    not_applicable: str
    listed: tuple[Listed, ...]
    reason: str | None = None  # the column saying why an instance is not applicable


def identity_checks_of(
    name: str, identities: Iterable, asset: AssetKey, results: AssetKey, verdicts: VerdictTable,
    stale_reason: Callable[[duckdb.DuckDBPyConnection], str | None], describe: Callable[[object, str], str],
):
    """A multi-asset check `name` on `asset`, one check per identity (id, severity,
    description_zh, description_en), run after `results` has written `verdicts`."""
    identities = tuple(identities)

    @multi_asset_check(
        name=name,
        specs=[
            AssetCheckSpec(i.id, asset=asset, additional_deps=[results],
                           description=f"{i.description_zh} — {i.description_en}")
            for i in identities
        ],
    )
    def checks(warehouse: DuckDBResource):
        # Read-only, but a writer in another process would refuse the file: wait for the lock.
        with warehouse_lock(warehouse.database), duckdb.connect(warehouse.database, read_only=True) as conn:
            stale = stale_reason(conn)
            summaries = {} if stale else summarize_checks(
                conn, verdicts.table, failed=verdicts.failed, not_applicable=verdicts.not_applicable,
                listed=[c.column for c in verdicts.listed], reason=verdicts.reason,
            )
        for identity in identities:
            if stale:
                yield AssetCheckResult(
                    check_name=identity.id, asset_key=asset, passed=False, severity=AssetCheckSeverity.WARN,
                    description=f"No current verdict: {stale}; materialize {results.to_user_string()}.",
                    metadata={"status": "stale"},
                )
            else:
                yield _result(identity, asset, verdicts, summaries.get(identity.id, CheckSummary()), describe)

    return checks


def _result(identity, asset: AssetKey, verdicts: VerdictTable, summary: CheckSummary, describe) -> AssetCheckResult:
    # Dagster checks are pass/fail: an identity evaluated nowhere does not fail, and says so.
    status = FAILED if summary.failed else PASSED if summary.passed else NOT_APPLICABLE
    listing = "".join(
        "\n| " + " | ".join(c.show(value) for c, value in zip(verdicts.listed, row)) + " |" for row in summary.failures
    )
    headers = "| " + " | ".join(c.header for c in verdicts.listed) + " |\n|" + "---|" * len(verdicts.listed)
    return AssetCheckResult(
        check_name=identity.id,
        asset_key=asset,
        passed=not summary.failed,
        severity=AssetCheckSeverity[identity.severity],
        description=describe(identity, status),
        metadata={
            "status": status,
            "evaluated": summary.evaluated,
            "failed": summary.failed,
            "not_applicable": summary.not_applicable,
            "documents_evaluated": summary.documents_evaluated,
            "failures": MetadataValue.md(headers + listing),
            "not_applicable_reasons": MetadataValue.md("\n".join(f"- {reason}" for reason in summary.reasons)),
        },
    )
