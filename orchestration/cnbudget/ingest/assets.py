"""The ingest assets, one partition per PDF (its content hash):

staged/budget_document  extract the PDF (camelot) and leave Parquet, or the reason it is
                        refused, at the hand-off location: runs in parallel, on any
                        machine, never touches DuckDB;
raw/budget_document     apply the hand-off to the DuckDB raw layer (raw.documents,
                        raw.cells, ...) in one transaction, or record the refusal in
                        raw.load_errors: in the pool "duckdb_writer" and under the
                        warehouse lock, so writes are serialized however many
                        extractions run.

The raw tables are one asset, not one each: a document's rows are written to all of
them at once or not at all, and the loader is the one serial step of a load, where
Dagster's bookkeeping per asset key would cost more than the writing (see make bench).
"""
# No `from __future__ import annotations` here: Dagster reads the Config annotation at runtime.

from pathlib import Path

from dagster import (
    AssetExecutionContext,
    AssetKey,
    Config,
    DynamicPartitionsDefinition,
    Failure,
    MaterializeResult,
    MetadataValue,
    asset,
)
from dagster_duckdb import DuckDBResource
from pydantic import Field

from cnbudget import settings
from cnbudget.extract.document import document_id_for, extract_document, sha256_of
from cnbudget.extract.errors import DocumentError, internal_error
from cnbudget.ingest.handoff import HandoffDamaged, Refusal, read_handoff, read_refusal, write_handoff, write_refusal
from cnbudget.ingest.landing import find_in_landing
from cnbudget.ingest.narrative_store import NARRATIVE_DESCRIPTIONS
from cnbudget.ingest.frames import raw_frames
from cnbudget.ingest.warehouse import RAW_TABLES, apply_frames, record_load_error, warehouse_lock
from cnbudget.memory import peak_memory_mib

budget_documents = DynamicPartitionsDefinition(name="budget_documents")
STAGED_DOCUMENT = AssetKey(["staged", "budget_document"])
RAW_DOCUMENT = AssetKey(["raw", "budget_document"])
DUCKDB_WRITER_POOL = "duckdb_writer"

RAW_DESCRIPTIONS = {
    "documents": "One row per loaded budget PDF and version.",
    "tables": "Every budget table found, one row per table instance (continuations joined).",
    "table_errors": "Tables found but not read (page, title, reason); the document's other tables load.",
    "columns": "Column paths of each table, from its merged header.",
    "rows": "Logical rows: code (类/款/项 joined), level, label; side-by-side tables split in two.",
    "cells": "Every printed body cell with page and bounding box.",
    "coverage_gaps": "Numbers printed inside a table grid that no stored cell accounts for (should be none).",
    **NARRATIVE_DESCRIPTIONS,
}


# The PDF a loader run applies: the loader stages it again from there if its hand-off is damaged.
SOURCE_PATH_TAG = "cnbudget/source_path"


class SourceFile(Config):
    path: str = Field(
        default="",
        description="The PDF to load. Empty: the landing folder's PDF whose content hash is the partition key.",
    )


def _staged_refusal(path: Path, error: DocumentError, document_id: str) -> MaterializeResult:
    """Stage a refusal for the loader, which records it in raw.load_errors."""
    sha = sha256_of(path) if path.is_file() else None
    location = write_refusal(Refusal(str(path), sha, error.kind, str(error)), document_id, settings.handoff_url())
    return MaterializeResult(metadata={"source_file": str(path), "refused": error.kind, "reason": str(error),
                                       "handoff": location})


def _stage(path: Path, document_id: str, notes: list[str]):
    """Extract one PDF (from the cache when it holds it) and write its hand-off;
    returns the extraction and where it was staged."""
    if not path.exists():
        raise DocumentError("missing_file", f"{path}: no such file")
    if document_id_for(sha256_of(path)) != document_id:
        raise DocumentError("changed_file", f"{path.name}: its content no longer has id {document_id}")
    settings.inject_fault("extraction", path)
    document = extract_document(path, settings.cache_dir(), notes=notes)
    return document, write_handoff(raw_frames(document), document_id, settings.handoff_url())


@asset(key=STAGED_DOCUMENT, partitions_def=budget_documents, group_name="ingest")
def staged_budget_document(context: AssetExecutionContext, config: SourceFile) -> MaterializeResult:
    """Extract every budget table of one PDF and stage it as Parquet for the loader; a
    PDF that cannot be loaded is staged as its refusal, which the loader records."""
    document_id = context.partition_key
    path = Path(config.path) if config.path else find_in_landing(document_id, settings.landing_dir())
    notes: list[str] = []
    try:
        document, location = _stage(path, document_id, notes)
    except DocumentError as error:
        return _staged_refusal(path, error, document_id)
    except Exception as error:  # noqa: BLE001 - a bug met on one file: recorded, the batch goes on
        return _staged_refusal(path, internal_error(path, "extraction", error), document_id)
    tables = MetadataValue.md(
        "| # | label | kind | title | unit | pages | rows |\n|---|---|---|---|---|---|---|\n"
        + "\n".join(
            f"| {t.ordinal} | {t.label} | {t.kind} | {t.title} | {t.unit} | {t.pages[0]}–{t.pages[-1]} | "
            f"{'empty' if t.is_empty else t.body_rows} |"
            for t in document.tables
        )
    )
    return MaterializeResult(
        metadata={
            "source_file": str(path),
            "department": document.department,
            "fiscal_year": document.fiscal_year,
            "kind": document.kind,
            "pages": document.page_count,
            "tables_found": tables,
            "numbers_in_grids": document.coverage_tokens,
            "unaccounted_numbers": len(document.coverage_gaps),
            "handoff": location,
            "notes": MetadataValue.json(notes),  # what was found damaged and replaced
            # sizing extraction workers: the most memory this process has held so far
            "process_peak_memory_mib": round(peak_memory_mib()),
        }
    )


def _read_staged(context: AssetExecutionContext, notes: list[str]):
    """The staged refusal or frames of the partition's document. A hand-off that cannot
    be trusted is never loaded: the document is staged again here, and said so."""
    document_id = context.partition_key
    try:
        refusal = read_refusal(document_id, settings.handoff_url())
        return refusal, None if refusal else read_handoff(document_id, settings.handoff_url(), RAW_TABLES)
    except HandoffDamaged as damage:
        source = context.run.tags.get(SOURCE_PATH_TAG) or str(find_in_landing(document_id, settings.landing_dir()))
        notes.append(f"hand-off damaged: {damage}; staged again from {Path(source).name}")
        context.log.warning(notes[-1])
        try:
            _stage(Path(source), document_id, notes)
        except DocumentError as error:
            return Refusal(source, None, error.kind, str(error)), None
        return None, read_handoff(document_id, settings.handoff_url(), RAW_TABLES)


@asset(
    key=RAW_DOCUMENT,
    deps=[STAGED_DOCUMENT],
    partitions_def=budget_documents,
    group_name="raw",
    pool=DUCKDB_WRITER_POOL,
    # Run by Celery workers (a UI run with CNBUDGET_CELERY_BROKER set), loading goes to its
    # own queue, which only the one worker beside the warehouse listens to.
    op_tags={"dagster-celery/queue": DUCKDB_WRITER_POOL},
    description="One PDF's rows in the DuckDB raw layer:\n\n"
    + "\n".join(f"- `raw.{name}`: {RAW_DESCRIPTIONS[name]}" for name in RAW_TABLES),
)
def raw_budget_document(context: AssetExecutionContext, warehouse: DuckDBResource) -> MaterializeResult:
    """Apply one staged document to the raw layer in a single transaction (a new
    version if its department, year and kind were loaded before; nothing if unchanged),
    or record its refusal in raw.load_errors and fail with it."""
    document_id = context.partition_key
    source = context.run.tags.get("cnbudget/source_file", document_id)
    notes: list[str] = []
    try:
        refusal, frames = _read_staged(context, notes)
        if refusal is None:
            source = str(frames["documents"].source_file.iloc[0])
            settings.inject_fault("loading", source)
            with warehouse_lock(warehouse.database), warehouse.get_connection() as conn:
                result = apply_frames(conn, frames)  # one transaction: all of the document or nothing
    except Exception as error:  # noqa: BLE001 - a bug met loading one file: recorded, the batch goes on
        refusal = internal_error(Path(source), "loading", error)
        with warehouse_lock(warehouse.database), warehouse.get_connection() as conn:
            record_load_error(conn, source, refusal, document_id=document_id, stage="loading")
        raise Failure(description=str(refusal), metadata={"reason": refusal.kind, "source_file": source}) from error
    if refusal is not None:
        with warehouse_lock(warehouse.database), warehouse.get_connection() as conn:
            record_load_error(conn, refusal.source_file, DocumentError(refusal.kind, refusal.message),
                              refusal.sha256, document_id, stage="extraction")
        raise Failure(description=refusal.message,
                      metadata={"reason": refusal.kind, "source_file": refusal.source_file})
    return MaterializeResult(
        metadata={
            "status": result.status,
            "version": result.version,
            "notes": MetadataValue.json(notes),
            **{f"rows_written/{name}": result.rows.get(name, 0) for name in RAW_TABLES},
        }
    )
