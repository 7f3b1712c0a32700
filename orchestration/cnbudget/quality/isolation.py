"""Checking one document at a time: an unexpected exception inside cnbudget while
checking one document (a bug, not the document's fault) costs only that document's
verdicts. It is recorded in raw.load_errors (kind internal_error, its stage) and the
other documents are still checked; the results record how many could not be, so the
next load checks again."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import duckdb

from cnbudget import settings
from cnbudget.extract.errors import DocumentError, internal_error

T = TypeVar("T")


@dataclass(frozen=True)
class CheckFailure:
    document_id: str
    source_file: str
    stage: str  # identities / narrative
    error: DocumentError  # internal_error: names the file, the stage and where it happened

    def as_metadata(self) -> dict:
        return {"source_file": self.source_file, "document_id": self.document_id, "stage": self.stage,
                "message": str(self.error)}


def checked_alone(stage: str, document_id: str, source_file: str, failures: list[CheckFailure],
                  check: Callable[[], T]) -> T | None:
    """check() for one document; None (and a CheckFailure in `failures`) if it raises."""
    try:
        settings.inject_fault(stage, source_file)
        return check()
    except Exception as error:  # noqa: BLE001 - one document's verdicts lost, not the batch's
        consequence = f"the document is loaded; its {stage} checks have no verdict, the other documents were checked"
        failures.append(CheckFailure(document_id, source_file, stage,
                                     internal_error(source_file, f"its {stage} checks", error, consequence)))
        return None


def record_check_failures(conn: duckdb.DuckDBPyConnection, failures: list[CheckFailure]) -> None:
    from cnbudget.ingest.warehouse import record_load_error

    for failure in failures:
        record_load_error(conn, failure.source_file, failure.error, document_id=failure.document_id,
                          stage=failure.stage)
