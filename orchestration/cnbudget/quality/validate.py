"""The table identities' evaluation: every instance of every table identity on the
printed documents, as the one chain (chain.py) judges and stores them.

evaluate.py lays out both sides of every instance; here they become one DataFrame, in
which an instance's excess is how far it lies outside its tolerance, in cents, for the
Great Expectations step every check shares. Instances that cannot be evaluated are kept
beside them as not applicable, with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import pandas as pd

from collections.abc import Iterable

from cnbudget.quality.catalogue import Catalogue, Identity
from cnbudget.quality.chain import judge
from cnbudget.quality.evaluate import evaluate_document
from cnbudget.quality.gx_judgement import Judgement
from cnbudget.quality.instances import Evaluation, NotApplicable
from cnbudget.quality.isolation import CheckFailure, checked_alone
from cnbudget.quality.printed import PrintedDocument, read_documents

PASSED, FAILED, NOT_APPLICABLE = "passed", "failed", "not_applicable"

# One row per identity instance or not-applicable record: what dq.identity_results holds
# (amounts here in integer cents; the table stores them as DECIMAL yuan).
RESULT_COLUMNS = [
    "document_id", "identity_id", "identity_kind", "severity", "status", "table_id", "table_name",
    "printed_unit", "row_name", "column_path", "page", "comparison", "actual_cents",
    "expected_cents", "difference_cents", "tolerance_cents", "excess_cents", "expected_source", "reason",
    "x0", "y0", "x1", "y1", "cells",
]  # fmt: skip


@dataclass
class IdentityValidation:
    """Every instance's verdict, and the documents they were evaluated on (an Evaluation
    of the chain: statuses are None until judged)."""

    results: pd.DataFrame  # RESULT_COLUMNS
    documents: list[PrintedDocument]
    catalogue: Catalogue
    gx_result: object | None = None  # GX's ExpectationSuiteValidationResult; None when nothing was evaluated
    unchecked: list[CheckFailure] = field(default_factory=list)  # documents cnbudget failed to check

    @property
    def identities(self) -> tuple[Identity, ...]:
        return self.catalogue.table_identities

    def _evaluated(self) -> pd.Index:
        return self.results.index[self.results.status != NOT_APPLICABLE]

    def instances(self) -> pd.DataFrame:
        evaluated = self.results.loc[self._evaluated()]
        return pd.DataFrame({"identity_id": evaluated["identity_id"].to_numpy(),
                             "excess": evaluated["excess_cents"].astype("int64").to_numpy()})

    def take(self, judgement: Judgement) -> None:
        evaluated = self._evaluated()
        self.results.loc[evaluated, "status"] = [FAILED if i in judgement.failing else PASSED for i in range(len(evaluated))]
        self.gx_result = judgement.result

    def stored_rows(self) -> dict[str, pd.DataFrame]:
        frame = self.results.copy()
        frame["passed"] = frame.status.map({PASSED: True, FAILED: False, NOT_APPLICABLE: None})
        return {"identity_results": frame}

    def document_counts(self) -> pd.DataFrame:
        counts = self.counts_by_document()
        about = pd.DataFrame([(d.document_id, d.department, d.fiscal_year, d.kind) for d in self.documents],
                             columns=["document_id", "department", "fiscal_year", "kind"]).set_index("document_id")
        return about.join(counts)

    @property
    def failures(self) -> pd.DataFrame:
        return self.results[self.results.status == FAILED]

    def of_identity(self, identity_id: str) -> pd.DataFrame:
        return self.results[self.results.identity_id == identity_id]

    def counts_by_document(self) -> pd.DataFrame:
        """passed / failed / not_applicable per document (zeros included)."""
        counts = pd.DataFrame(0, index=[d.document_id for d in self.documents], columns=[PASSED, FAILED, NOT_APPLICABLE])
        for (document_id, status), n in self.results.groupby(["document_id", "status"]).size().items():
            counts.at[document_id, status] = n
        counts["evaluated"] = counts[PASSED] + counts[FAILED]
        return counts


def _row(result: Evaluation | NotApplicable) -> dict:
    identity = result.identity
    table = result.table
    common = {
        "document_id": result.document_id,
        "identity_id": identity.id,
        "identity_kind": identity.kind,
        "severity": identity.severity,
        "table_id": table.table_id if table else None,
        "table_name": table.name if table else None,
        "printed_unit": table.unit if table else None,
    }
    if isinstance(result, NotApplicable):
        return {**common, "status": NOT_APPLICABLE, "reason": result.reason, "cells": []}
    actual_cell = next((c for c in result.cells if c.role == "actual"), None)
    return {
        **common,
        "status": None,  # Great Expectations decides
        "row_name": result.row_name,
        "column_path": result.column_path,
        "page": result.page,
        "comparison": "≥" if identity.comparison == "at_least" else "=",
        "actual_cents": result.actual_cents,
        "expected_cents": result.expected_cents,
        "difference_cents": result.difference_cents,
        "tolerance_cents": result.tolerance_cents,
        "excess_cents": result.excess_cents,
        "expected_source": result.expected_source,
        **({k: getattr(actual_cell, k) for k in ("x0", "y0", "x1", "y1")} if actual_cell else {}),
        "cells": [c.__dict__ for c in result.cells],
    }


def evaluate_identities(conn: duckdb.DuckDBPyConnection, catalogue: Catalogue,
                        documents: Iterable[str] | None = None) -> IdentityValidation:
    """Every table identity's instances on the documents (default: all), not yet judged
    (only reads: a read-only connection does)."""
    printed = read_documents(conn, documents)
    unchecked: list[CheckFailure] = []
    rows = []
    for document in printed:
        rows.extend(checked_alone(
            "identities", document.document_id, document.source_file, unchecked,
            lambda: [_row(r) for r in evaluate_document(document, catalogue)],  # noqa: B023 - called at once
        ) or [])
    frame = pd.DataFrame(rows, columns=RESULT_COLUMNS)
    for column in ("actual_cents", "expected_cents", "difference_cents", "tolerance_cents", "excess_cents", "page"):
        frame[column] = frame[column].astype("Int64")
    return IdentityValidation(frame, printed, catalogue, unchecked=unchecked)


def validate_warehouse(conn: duckdb.DuckDBPyConnection, catalogue: Catalogue) -> IdentityValidation:
    """Every identity on every document of the warehouse, judged (only reads)."""
    validation = evaluate_identities(conn, catalogue)
    judge([validation])
    return validation
