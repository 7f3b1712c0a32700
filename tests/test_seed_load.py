"""Issue #2 acceptance: after `cnbudget load raw/`, every cell of 表1–表10 of the seed
document is in raw.cells exactly as printed, in the right table, row and column."""

from __future__ import annotations

import copy

import duckdb

from cnbudget.extract.document import document_id_for, sha256_of
from tests.conftest import SEED_PDF
from tests.gt_compare import compare_with_ground_truth
from tests.pdfgen.render_budget import render_document

SEED_LABELS = ["表1", "表2", "表3", "表4", "表5-1", "表5-2", "表6", "表7", "表8", "表9", "表10",
               "表11", "表12-1", "表12-2", "表12-3", "表12-4"]


def seed_document_id() -> str:
    return document_id_for(sha256_of(SEED_PDF))


def test_cli_load_reports_what_it_found(seed_load):
    assert seed_load.returncode == 0, seed_load.stderr
    out = seed_load.stdout
    assert "武汉市经济和信息化局 2025 部门预算, 53 pages, 16 tables" in out
    assert "表3     部门支出总表  (expenditure, 万元, p8-9: 36 rows" in out
    assert "表8     政府性基金预算支出表  (government_fund, 万元, p18: empty)" in out
    assert "1 loaded, 0 refused." in out


def test_every_seed_cell_is_in_raw_cells_as_printed(seed_warehouse, seed_spec):
    with duckdb.connect(str(seed_warehouse), read_only=True) as conn:
        comparison = compare_with_ground_truth(conn, seed_document_id(), seed_spec)
    print(f"\nseed ground truth: {comparison.cells} cells compared, {comparison.numbers} of them numbers")
    assert comparison.mismatches == []
    # Counted from the ground-truth file itself, independently of the warehouse.
    expected_cells = sum(len(row) for t in seed_spec["tables"] for row in t["rows"])
    assert comparison.cells == expected_cells == 1433
    assert comparison.numbers == 403


def test_comparison_reports_a_changed_cell(seed_warehouse, seed_spec):
    """The ground-truth comparison can fail: a spec differing in one number is caught there."""
    changed = copy.deepcopy(seed_spec)
    table3 = next(t for t in changed["tables"] if t["label"] == "表3")
    row = next(r for r in table3["rows"] if r[0].strip() == "2080501")
    row[2] = "467.67"
    with duckdb.connect(str(seed_warehouse), read_only=True) as conn:
        comparison = compare_with_ground_truth(conn, seed_document_id(), changed)
    assert comparison.mismatches == ["表3 row 7 column '合计': '466.67' != '467.67'"]


def test_tables_identified_with_kind_unit_department_and_pages(seed_warehouse, seed_spec, tmp_path):
    layout = render_document(seed_spec, tmp_path / "layout.pdf")["tables"]
    with duckdb.connect(str(seed_warehouse), read_only=True) as conn:
        found = conn.execute(
            "select label, kind, printed_unit, department_line, first_page, last_page from raw.tables "
            "where document_id = ? order by ordinal",
            [seed_document_id()],
        ).fetchall()
        document = conn.execute(
            "select department, fiscal_year, kind, page_count from raw.documents where document_id = ?",
            [seed_document_id()],
        ).fetchone()
    assert document == ("武汉市经济和信息化局", 2025, "部门预算", 53)
    assert [row[0] for row in found] == SEED_LABELS
    kinds = {row[0]: row[1] for row in found}
    assert kinds == {
        "表1": "income_expenditure_summary",
        "表2": "income",
        "表3": "expenditure",
        "表4": "fiscal_grant_summary",
        "表5-1": "general_budget_by_function",
        "表5-2": "general_budget_by_unit",
        "表6": "basic_by_economic_class",
        "表7": "three_public",
        "表8": "government_fund",
        "表9": "state_capital",
        "表10": "projects",
        "表11": "performance_overall",
        "表12-1": "performance_project",
        "表12-2": "performance_project",
        "表12-3": "performance_project",
        "表12-4": "performance_project",
    }
    assert {row[2] for row in found} == {"万元"}
    for label, _, _, department_line, first, last in found:
        assert [first, last] == [layout[label][0], layout[label][-1]], label
        spec_line = next(t["department_line"] for t in seed_spec["tables"] + seed_spec["performance_tables"]
                         if t["label"] == label)
        assert department_line == spec_line, label
    assert layout["表3"] == [8, 9] and layout["表5-1"] == [12, 13]
