"""Evaluating identities on the warehouse and judging them with Great Expectations.

DuckDB computes both sides of every identity instance (one per table row) from
marts.published_figures, in integer cents so nothing is rounded through floats;
GX Core validates the resulting DataFrame (pandas datasource: GX's SQL path on
duckdb-engine fails, see DEVELOPERS.md) and its unexpected rows are the failures.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from decimal import Decimal

import duckdb
import pandas as pd

from cnbudget.extract.catalog import unit_multipliers
from cnbudget.quality.catalogue import Catalogue, Identity

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

_ROW_IDENTITY_SQL = """
with figures as (
    select * from marts.published_figures where table_kind = $table_kind
),
rows as (
    select
        document_id,
        table_id,
        any_value(table_label) as table_label,
        any_value(table_title) as table_title,
        row_index,
        any_value(row_code) as row_code,
        any_value(row_label) as row_label,
        min(page) as page,
        any_value(printed_unit) as printed_unit,
        sum(amount_yuan) filter (where column_leaf = $total) as total_yuan,
        count(*) filter (where column_leaf = $total) as totals_printed,
        sum(amount_yuan) filter (where list_contains($addends, column_leaf)) as addends_yuan,
        count(*) filter (where list_contains($addends, column_leaf)) as addends_printed
    from figures
    group by document_id, table_id, row_index
)
select
    document_id, table_id, table_label, table_title, row_index, row_code, row_label, page, printed_unit,
    cast(round(coalesce(total_yuan, 0) * 100) as bigint) as actual_cents,
    cast(round(coalesce(addends_yuan, 0) * 100) as bigint) as expected_cents,
    addends_printed
from rows
where totals_printed + addends_printed > 0
order by document_id, table_id, row_index
"""


@dataclass
class IdentityOutcome:
    identity: Identity
    evaluations: pd.DataFrame  # one row per identity instance, with a `passed` column
    gx_success: bool
    not_applicable: list[str] = field(default_factory=list)  # documents where it could not be evaluated

    @property
    def failures(self) -> pd.DataFrame:
        return self.evaluations[~self.evaluations["passed"]]

    @property
    def evaluated(self) -> int:
        return len(self.evaluations)


def _tolerance_cents(catalogue: Catalogue, unit: str, addends: int) -> int:
    per_addend_yuan = catalogue.tolerance_per_addend[unit] * unit_multipliers()[unit]
    return int(per_addend_yuan * 100 * Decimal(max(addends, 1)))


def evaluate_row_identity(conn: duckdb.DuckDBPyConnection, catalogue: Catalogue, identity: Identity) -> pd.DataFrame:
    frame = conn.execute(
        _ROW_IDENTITY_SQL,
        {"table_kind": identity.table_kind, "total": identity.total_column, "addends": list(identity.addend_columns)},
    ).df()
    frame["identity_id"] = identity.id
    frame["tolerance_cents"] = [
        _tolerance_cents(catalogue, unit, n) for unit, n in zip(frame["printed_unit"], frame["addends_printed"])
    ]
    frame["difference_cents"] = frame["actual_cents"] - frame["expected_cents"]
    # What the expectation judges: how far a row is outside its tolerance (<= 0 passes).
    frame["excess_cents"] = frame["difference_cents"].abs() - frame["tolerance_cents"]
    return frame.reset_index(drop=True)


def _gx_validate(frame: pd.DataFrame, name: str) -> tuple[bool, set[int]]:
    """Validate `excess_cents <= 0` with GX Core; returns success and the failing row indices."""
    import great_expectations as gx
    import great_expectations.expectations as gxe
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch = (
        context.data_sources.add_pandas(f"{name}_source")
        .add_dataframe_asset(name)
        .add_batch_definition_whole_dataframe("all_rows")
        .get_batch(batch_parameters={"dataframe": frame})
    )
    expectation = gxe.ExpectColumnValuesToBeBetween(column="excess_cents", max_value=0)
    result = batch.validate(expectation, result_format="COMPLETE")
    return bool(result.success), set(result.result.get("unexpected_index_list") or [])


def validate_identity(conn: duckdb.DuckDBPyConnection, catalogue: Catalogue, identity: Identity) -> IdentityOutcome:
    frame = evaluate_row_identity(conn, catalogue, identity)
    documents_with_table = {
        r[0]
        for r in conn.execute(
            "select distinct document_id from raw.tables where kind = ? and not is_empty", [identity.table_kind]
        ).fetchall()
    }
    all_documents = {r[0] for r in conn.execute("select document_id from raw.documents").fetchall()}
    not_applicable = sorted(all_documents - documents_with_table)
    if frame.empty:
        frame["passed"] = pd.Series(dtype=bool)
        return IdentityOutcome(identity, frame, True, not_applicable)
    success, failing = _gx_validate(frame, identity.id)
    frame["passed"] = [i not in failing for i in range(len(frame))]
    return IdentityOutcome(identity, frame, success, not_applicable)


def validate_all(conn: duckdb.DuckDBPyConnection, catalogue: Catalogue) -> list[IdentityOutcome]:
    return [validate_identity(conn, catalogue, identity) for identity in catalogue.identities]
