"""The report as a Dagster asset: report/load_report, built after dq/identity_results.

Its materialization links the HTML file and says, in the UI, how big each warehouse
table is and how each document (partition) fared; each document's identity counts
are also recorded on its raw/budget_document partition, so a partition's page tells whether
that PDF proved consistent and where to look.
"""

# No `from __future__ import annotations`: Dagster reads the context annotation at runtime.

from pathlib import Path

import duckdb
from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetObservation,
    AutomationCondition,
    MaterializeResult,
    MetadataValue,
    asset,
)
from dagster_duckdb import DuckDBResource

from cnbudget.ingest.assets import RAW_DOCUMENT
from cnbudget.report.build import read_warehouse, write_report

LOAD_REPORT = AssetKey(["report", "load_report"])
IDENTITY_RESULTS = AssetKey(["dq", "identity_results"])
PARTITIONS = "budget_documents"  # the ingest assets' dynamic partitions: one per PDF
_COUNTED_SCHEMAS = ("raw", "marts", "dq")


def _row_counts(conn: duckdb.DuckDBPyConnection) -> list[tuple[str, int]]:
    tables = conn.execute(
        "select table_schema || '.' || table_name from information_schema.tables "
        "where list_contains(?, table_schema) and table_type = 'BASE TABLE' order by 1",
        [list(_COUNTED_SCHEMAS)],
    ).fetchall()
    return [(name, conn.execute(f"select count(*) from {name}").fetchone()[0]) for (name,) in tables]


@asset(
    key=LOAD_REPORT,
    deps=[IDENTITY_RESULTS],
    group_name="report",
    # Rebuilt whenever the identities are (when the automation sensor is on).
    automation_condition=AutomationCondition.eager(),
    description="The load report (HTML, opens offline): loads and refusals, tables found, identity results, "
    "each failed identity's cells highlighted on its PDF page, charts per budget, department × year overview.",
)
def load_report(context: AssetExecutionContext, warehouse: DuckDBResource) -> MaterializeResult:
    warehouse_path = Path(warehouse.database).resolve()
    data = read_warehouse(warehouse_path)
    path = write_report(data)
    with duckdb.connect(str(warehouse_path), read_only=True) as conn:
        counts = _row_counts(conn)
    by_document = []
    for document in data.documents:
        passed = document.identity_counts.get("passed", 0)
        failed = document.identity_counts.get("failed", 0)
        not_applicable = document.identity_counts.get("not_applicable", 0)
        by_document.append(
            f"| {document.name} | {document.document_id} | {len(document.tables)} | {document.page_count} | "
            f"{passed + failed} | {failed} | {not_applicable} |"
        )
        if context.instance.has_dynamic_partition(PARTITIONS, document.document_id):
            context.log_event(
                AssetObservation(
                    asset_key=RAW_DOCUMENT,
                    partition=document.document_id,
                    metadata={
                        "identities_evaluated": passed + failed,
                        "identities_failed": failed,
                        "identities_not_applicable": not_applicable,
                        "report": MetadataValue.url(f"{path.as_uri()}#{document.anchor}"),
                    },
                )
            )
    totals = data.totals()
    return MaterializeResult(
        metadata={
            "report": MetadataValue.path(str(path)),
            "report_url": MetadataValue.url(path.as_uri()),
            "documents": len(data.documents),
            "refused_files": len(data.refusals),
            "identities_evaluated": totals.get("passed", 0) + totals.get("failed", 0),
            "identities_failed": totals.get("failed", 0),
            "identities_not_applicable": totals.get("not_applicable", 0),
            "by_document": MetadataValue.md(
                "| document | partition | tables | pages | identities evaluated | failed | not applicable |\n"
                "|---|---|---|---|---|---|---|\n" + "\n".join(by_document)
            ),
            "row_counts": MetadataValue.md(
                "| table | rows |\n|---|---|\n" + "\n".join(f"| {name} | {rows:,} |" for name, rows in counts)
            ),
        }
    )

