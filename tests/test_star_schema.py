"""Issue #4: the star schema over the raw layer, on the seed rendering plus the corpus."""

from __future__ import annotations

import os
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
import sqlalchemy as sa

from cnbudget import settings
from cnbudget.transform.project import dbt_project

# A fact total may differ from the printed total by the rounding of its printed
# addends: nothing in 元 tables, half of 0.01 万元 (50 yuan) per addend in 万元 tables.
_TOLERANCE_PER_ADDEND = {"元": Decimal(0), "万元": Decimal(50)}


def dbt(*args: str, warehouse: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [settings.dbt_executable(), *args, "--profiles-dir", str(dbt_project.profiles_dir),
         "--project-dir", str(dbt_project.project_dir), "--target-path", str(warehouse.parent / "target")],
        capture_output=True,
        text=True,
        env={**os.environ, settings.WAREHOUSE_ENV: str(warehouse)},
    )


@pytest.fixture()
def scratch_warehouse(full_warehouse, tmp_path) -> Path:
    """A copy of the full warehouse that a test may damage."""
    copy = tmp_path / "scratch.duckdb"
    shutil.copy(full_warehouse, copy)
    return copy


def test_fact_expenditure_adds_up_to_each_printed_table_total(full_warehouse):
    with duckdb.connect(str(full_warehouse), read_only=True) as conn:
        rows = conn.execute(
            """
            with printed_totals as (
                select table_id, amount_yuan as printed_total, printed_unit
                from marts.published_figures
                where is_total and regexp_matches(column_path, '(^|/)合计$')
            ),
            fact_totals as (
                select document_id, table_id, cut, fund_scope_code, sum(amount_yuan) as fact_total, count(*) as addends
                from marts.fact_expenditure
                group by all
            )
            select d.source_file, f.cut, f.fund_scope_code, p.printed_total, f.fact_total, f.addends, p.printed_unit
            from fact_totals f
            join printed_totals p using (table_id)
            join marts.dim_document d using (document_id)
            """
        ).fetchall()
        tables_with_amounts = conn.execute(
            "select count(*) from raw.tables where kind in (select table_kind from reference.table_kind_facts "
            "where fact = 'expenditure') and not is_empty"
        ).fetchone()[0]
    # 支出总表, 一般公共预算支出表 and 基本支出表 of six documents, and the seed's 表5-2
    assert len(rows) == tables_with_amounts == 19
    off = [
        (Path(source).name, cut, scope, printed, facts)
        for source, cut, scope, printed, facts, addends, unit in rows
        if abs(printed - facts) > _TOLERANCE_PER_ADDEND[unit] * addends
    ]
    assert off == []


def test_every_fact_and_dimension_test_passes_in_the_load(scratch_warehouse):
    """dbt build ran all data tests (relationships, accepted values, unique, not_null,
    no parent or total rows in facts) during the load (run again on a copy: dbt opens
    its warehouse for writing, and the loaded one is shared by the test processes)."""
    result = dbt("test", warehouse=scratch_warehouse)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "relationships_fact_expenditure_function_subject_key" in result.stdout
    assert "facts_hold_no_parent_or_total_rows" in result.stdout


@pytest.mark.parametrize(
    ("damage", "failing_test"),
    [
        (
            "update marts.fact_expenditure set function_subject_key = '2025:9999999' "
            "where figure_key = (select min(figure_key) from marts.fact_expenditure where cut = 'function_subject')",
            "relationships_fact_expenditure_function_subject_key",
        ),
        (
            "insert into marts.fact_expenditure (figure_key, document_id, table_id, source_table_kind, cut, "
            "fund_scope_code, expenditure_type_code, function_subject_key, fiscal_year, phase, amount_basis, "
            "amount_yuan) "
            "select figure_key, document_id, table_id, table_kind, 'function_subject', 'all_funds', 'basic', "
            "fiscal_year || ':' || row_code, fiscal_year, phase, 'budget', amount_yuan "
            "from intermediate.int_budget__figures "
            "where table_kind = 'expenditure' and code_level = '类' limit 1",
            "facts_hold_no_parent_or_total_rows",
        ),
        (
            "update marts.fact_expenditure set cut = 'by_month' "
            "where figure_key = (select min(figure_key) from marts.fact_expenditure)",
            "accepted_values_fact_expenditure_cut",
        ),
        (
            "update marts.fact_three_public set three_public_item_code = 'gifts' "
            "where figure_key = (select min(figure_key) from marts.fact_three_public)",
            "relationships_fact_three_public_three_public_item_code",
        ),
    ],
    ids=["dangling subject key", "parent row as a fact", "unknown cut", "unknown 三公 item"],
)
def test_data_tests_fail_on_a_damaged_warehouse(scratch_warehouse, damage, failing_test):
    with duckdb.connect(str(scratch_warehouse)) as conn:
        conn.execute(damage)
    result = dbt("test", warehouse=scratch_warehouse)
    assert result.returncode != 0
    failed = [line for line in result.stdout.splitlines() if " FAIL " in line]
    assert len(failed) == 1 and failing_test in failed[0], "\n".join(failed) or result.stdout[-2000:]


def test_a_bi_tool_connects_with_the_sqlalchemy_url(full_warehouse, tmp_path, monkeypatch):
    monkeypatch.chdir(full_warehouse.parent)
    engine = sa.create_engine(f"duckdb:///{full_warehouse.name}", connect_args={"read_only": True})
    with engine.connect() as connection:
        departments = connection.execute(
            sa.text("select count(distinct department) from marts.dim_document")
        ).scalar_one()
    engine.dispose()
    assert departments == 4


def test_docs_generate_documents_every_mart(scratch_warehouse):
    result = dbt("docs", "generate", warehouse=scratch_warehouse)
    assert result.returncode == 0, result.stdout[-3000:]
    import json

    catalog = json.loads((scratch_warehouse.parent / "target" / "catalog.json").read_text(encoding="utf-8"))
    marts = {node["metadata"]["name"] for node in catalog["nodes"].values() if node["metadata"]["schema"] == "marts"}
    assert {"fact_expenditure", "fact_income", "fact_project_expenditure", "fact_three_public",
            "dim_document", "dim_function_subject", "dim_economic_class", "dim_budget_unit",
            "dim_fund_source", "dim_expenditure_type", "published_figures"} <= marts
