"""Judging every identity instance with Great Expectations.

evaluate.py lays out both sides of every instance from the warehouse; here they
become one DataFrame (GX on DuckDB through SQLAlchemy is broken, so GX reads pandas,
read through DuckDB) and one expectation suite with an expectation per catalogue
identity: `excess_cents ≤ 0` on that identity's rows, excess being how far an instance
lies outside its tolerance. GX's unexpected rows are the failures. Instances that
cannot be evaluated are kept beside them as not applicable, with the reason.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from cnbudget.quality.catalogue import Catalogue
from cnbudget.quality.carry_over import evaluate_with_carry_overs
from cnbudget.quality.evaluate import Evaluation, NotApplicable
from cnbudget.quality.isolation import CheckFailure, checked_alone
from cnbudget.quality.printed import PrintedDocument, read_documents

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

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
    """Every instance's verdict, and the documents they were evaluated on."""

    results: pd.DataFrame  # RESULT_COLUMNS
    documents: list[PrintedDocument]
    catalogue: Catalogue
    gx_result: object | None  # GX's ExpectationSuiteValidationResult; None when nothing was evaluated
    unchecked: list[CheckFailure] = field(default_factory=list)  # documents cnbudget failed to check

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


def judge_with_gx(instances: pd.DataFrame, catalogue: Catalogue):
    """Validate the suite (one expectation per identity) on the instances
    (identity_id, excess_cents); returns GX's ExpectationSuiteValidationResult."""
    import great_expectations as gx
    import great_expectations.expectations as gxe
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.expectations.metadata_types import FailureSeverity
    from great_expectations.expectations.row_conditions import Column

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch = (
        context.data_sources.add_pandas("identity_instances")
        .add_dataframe_asset("instances")
        .add_batch_definition_whole_dataframe("all")
        .get_batch(batch_parameters={"dataframe": instances})
    )
    suite = gx.ExpectationSuite(name="identities")
    # One expectation per identity with instances to judge: each costs GX a pass over
    # the frame, and one without rows would pass vacuously.
    present = set(instances.identity_id)
    for identity in (i for i in catalogue.identities if i.id in present):
        suite.add_expectation(
            gxe.ExpectColumnValuesToBeBetween(
                column="excess_cents",
                max_value=0,
                row_condition=Column("identity_id") == identity.id,
                severity=FailureSeverity.CRITICAL if identity.severity == "ERROR" else FailureSeverity.WARNING,
                meta={"identity_id": identity.id},
                description=identity.description_en,
            )
        )
    result = batch.validate(suite, result_format={"result_format": "COMPLETE"})
    for expectation in result.results:
        if expectation.exception_info.get("raised_exception"):
            raise RuntimeError(
                f"Great Expectations could not validate {expectation.expectation_config.meta}: "
                f"{expectation.exception_info.get('exception_message')}"
            )
    return result


def validate_documents(documents: list[PrintedDocument], catalogue: Catalogue) -> IdentityValidation:
    unchecked: list[CheckFailure] = []
    rows = []
    for document in documents:
        rows.extend(checked_alone(
            "identities", document.document_id, document.source_file, unchecked,
            lambda: [_row(r) for r in evaluate_with_carry_overs(document, catalogue)],  # noqa: B023 - called at once
        ) or [])
    frame = pd.DataFrame(rows, columns=RESULT_COLUMNS)
    for column in ("actual_cents", "expected_cents", "difference_cents", "tolerance_cents", "excess_cents", "page"):
        frame[column] = frame[column].astype("Int64")
    evaluated = frame.index[frame.status.isna()]
    gx_result = None
    if len(evaluated):
        instances = pd.DataFrame(
            {
                "identity_id": frame.loc[evaluated, "identity_id"].to_numpy(),
                "excess_cents": frame.loc[evaluated, "excess_cents"].astype("int64").to_numpy(),
            }
        )
        gx_result = judge_with_gx(instances, catalogue)
        # GX reports failing rows by their index in `instances`, i.e. their position.
        failing = {i for r in gx_result.results for i in (r.result.get("unexpected_index_list") or [])}
        frame.loc[evaluated, "status"] = [FAILED if i in failing else PASSED for i in range(len(evaluated))]
    return IdentityValidation(frame, documents, catalogue, gx_result, unchecked)


def validate_warehouse(conn: duckdb.DuckDBPyConnection, catalogue: Catalogue) -> IdentityValidation:
    """Every identity on every document of the warehouse (only reads: a read-only
    connection does)."""
    return validate_documents(read_documents(conn), catalogue)
