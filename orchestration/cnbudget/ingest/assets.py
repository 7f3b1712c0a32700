"""The raw layer as one partitioned multi-asset: a partition is one PDF."""
# No `from __future__ import annotations` here: Dagster reads the Config annotation at runtime.


from pathlib import Path

from dagster import (
    AssetExecutionContext,
    AssetSpec,
    Config,
    DynamicPartitionsDefinition,
    Failure,
    MaterializeResult,
    MetadataValue,
    multi_asset,
)
from dagster_duckdb import DuckDBResource
from pydantic import Field

from cnbudget import settings
from cnbudget.extract.document import extract_document
from cnbudget.extract.errors import DocumentError
from cnbudget.ingest.landing import find_in_landing
from cnbudget.ingest.narrative_store import NARRATIVE_DESCRIPTIONS
from cnbudget.ingest.warehouse import RAW_TABLES, write_document

budget_documents = DynamicPartitionsDefinition(name="budget_documents")

RAW_DESCRIPTIONS = {
    "documents": "One row per loaded budget PDF.",
    "tables": "Every budget table found, one row per table instance (continuations joined).",
    "columns": "Column paths of each table, from its merged header.",
    "rows": "Logical rows: code (类/款/项 joined), level, label; side-by-side tables split in two.",
    "cells": "Every printed body cell with page and bounding box.",
    "coverage_gaps": "Numbers printed inside a table grid that no stored cell accounts for (should be none).",
    **NARRATIVE_DESCRIPTIONS,
}


class SourceFile(Config):
    path: str = Field(
        default="",
        description="The PDF to load. Empty: the landing folder's PDF whose content hash is the partition key.",
    )


@multi_asset(
    specs=[AssetSpec(["raw", name], description=RAW_DESCRIPTIONS[name], group_name="raw") for name in RAW_TABLES],
    partitions_def=budget_documents,
    can_subset=False,
)
def raw_budget_document(context: AssetExecutionContext, config: SourceFile, warehouse: DuckDBResource):
    """Extract every budget table of one PDF (camelot lattice) and replace its raw rows."""
    document_id = context.partition_key
    path = Path(config.path) if config.path else find_in_landing(document_id, settings.landing_dir())
    try:
        document = extract_document(path, settings.cache_dir())
        if document.document_id != document_id:
            raise DocumentError("changed_file", f"{path.name}: its content has id {document.document_id}, not {document_id}")
        with warehouse.get_connection() as conn:
            counts = write_document(conn, document)
    except DocumentError as error:
        raise Failure(description=str(error)) from error
    tables = MetadataValue.md(
        "| # | label | kind | title | unit | pages | rows |\n|---|---|---|---|---|---|---|\n"
        + "\n".join(
            f"| {t.ordinal} | {t.label} | {t.kind} | {t.title} | {t.unit} | {t.pages[0]}–{t.pages[-1]} | "
            f"{'empty' if t.is_empty else t.body_rows} |"
            for t in document.tables
        )
    )
    common = {
        "source_file": str(path),
        "department": document.department,
        "fiscal_year": document.fiscal_year,
        "numbers_in_grids": document.coverage_tokens,
        "unaccounted_numbers": len(document.coverage_gaps),
    }
    for name in RAW_TABLES:
        metadata = {**common, "rows_written": counts[name]}
        if name == "tables":
            metadata["tables_found"] = tables
        yield MaterializeResult(asset_key=["raw", name], metadata=metadata)
