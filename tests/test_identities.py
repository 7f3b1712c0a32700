"""The sum identity 合计 = 基本支出 + 项目支出 of every 表3 row, validated by Great
Expectations on real warehouses: it passes on the seed and fails, at the right row, on
a corrupted twin drawn and loaded through the same pipeline."""

from __future__ import annotations

import duckdb
import pytest

from cnbudget.pipeline import load
from cnbudget.quality.catalogue import load_catalogue
from cnbudget.quality.validate import validate_all
from tests.conftest import render_variant, run_cli, seed_table


def _outcome(warehouse, identity_id):
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        outcomes = validate_all(conn, load_catalogue())
    return next(o for o in outcomes if o.identity.id == identity_id)


def _set(spec, label: str, code: str, column: int, text: str) -> None:
    row = next(r for r in seed_table(spec, label)["rows"] if r[0].strip() == code)
    row[column] = text


@pytest.fixture(scope="session")
def corrupted_load(seed_spec, tmp_path_factory):
    """The seed drawn with two 表3 合计 cells changed: 2080501 by 10.00 万元 (a real
    error) and 2150899 by 0.01 万元 (printed rounding of two addends, within tolerance)."""
    folder = tmp_path_factory.mktemp("corrupted")

    def change(spec):
        _set(spec, "表3", "2080501", 2, "476.67")  # 466.67 = 466.67 + blank
        _set(spec, "表3", "2150899", 2, "3,890.01")  # 3,890.00 = 2,453.00 + 1,437.00

    pdf = render_variant(seed_spec, folder / "corrupted_seed.pdf", change)
    warehouse = folder / "warehouse.duckdb"
    outcome = load([pdf], warehouse, quiet=True)
    return warehouse, outcome


def test_row_identity_passes_on_the_seed(seed_warehouse):
    outcome = _outcome(seed_warehouse, "expenditure_row_total")
    assert outcome.gx_success
    assert outcome.evaluated == 36  # every body row of 表3 prints a 合计
    assert outcome.failures.empty


def test_row_identity_fails_at_the_corrupted_row(corrupted_load):
    warehouse, load_outcome = corrupted_load
    assert load_outcome.transform_ok
    # The Dagster asset check (run by the load) reports the failure...
    assert load_outcome.check_results["expenditure_row_total"] is False
    # ...and the validation names the table, row, page and both sides.
    outcome = _outcome(warehouse, "expenditure_row_total")
    assert not outcome.gx_success
    failures = outcome.failures
    assert len(failures) == 1
    failure = failures.iloc[0]
    assert (failure.table_label, failure.row_code, failure.row_label, failure.page) == ("表3", "2080501", "行政单位离退休", 8)
    assert failure.actual_cents == 476_67 * 10_000  # 476.67 万元 in cents
    assert failure.expected_cents == 466_67 * 10_000
    assert failure.tolerance_cents == 50 * 100  # one printed addend: half of 0.01 万元


def test_rounding_within_tolerance_passes(corrupted_load):
    warehouse, _ = corrupted_load
    outcome = _outcome(warehouse, "expenditure_row_total")
    rounded = outcome.evaluations[outcome.evaluations.row_code == "2150899"].iloc[0]
    assert rounded.difference_cents == 100 * 100  # 0.01 万元
    assert rounded.tolerance_cents == 2 * 50 * 100  # two printed addends
    assert rounded.passed
