"""Layouts real budgets print, each drawn by the tests as a small PDF and read back
through camelot: repeated and missing continuation headers, a row broken by a page
break, a wrapped header cell, codes split over 类/款/项 columns, an unknown unit."""

from __future__ import annotations

from pathlib import Path

import pytest

from cnbudget.extract.coverage import check_coverage
from cnbudget.extract.document import extract_document
from cnbudget.extract.pages import read_pages
from cnbudget.extract.rows import logical_rows
from tests.pdfgen.render_budget import render_document

SPLIT_CODE_COLUMNS = ["科目编码/类", "科目编码/款", "科目编码/项", "科目名称", "合计", "基本支出", "项目支出"]


def one_table_document(columns, rows, *, unit_line="单位：元", layout=None, title="部门支出总表") -> dict:
    table = {
        "label": "",
        "title": title,
        "department_line": "部门：测试局",
        "unit_line": unit_line,
        "columns": columns,
        "rows": rows,
        "empty_note": "",
        "notes": [],
    }
    if layout:
        table["layout"] = layout
    return {
        "document": {"title": "测试局2025年部门预算", "department": "测试局", "fiscal_year": 2025, "kind": "部门预算"},
        "front_matter": [],
        "tables": [table],
        "back_matter": [],
    }


def extract(spec: dict, tmp_path: Path, name: str = "case.pdf"):
    pdf = tmp_path / name
    report = render_document(spec, pdf)
    return extract_document(pdf), report


def body(table) -> list[list[str]]:
    grid = [[""] * len(table.column_paths) for _ in range(table.body_rows)]
    for cell in table.cells:
        grid[cell.row][cell.col] = cell.text
    return grid


def numbered_rows(n: int) -> list[list[str]]:
    rows = [["", "", "", "合计", f"{n * 100:,}", f"{n * 100:,}", ""]]
    for i in range(1, n):
        rows.append([f"2{i:02d}", "", "", f"第{i}类支出", "100", "100", ""])
    return rows


@pytest.mark.parametrize("repeat_header", [True, False], ids=["header repeated", "header not repeated"])
def test_continuation_pages_join_into_one_table(tmp_path, repeat_header):
    rows = numbered_rows(25)
    spec = one_table_document(SPLIT_CODE_COLUMNS, rows, layout={"rows_per_page": 10, "repeat_header": repeat_header})
    document, report = extract(spec, tmp_path)
    (table,) = document.tables
    assert table.pages == report["tables"][table.title] == [2, 3, 4]
    assert body(table) == rows  # no header text among the rows, nothing lost, order kept
    assert table.column_paths == SPLIT_CODE_COLUMNS


def test_row_broken_by_a_page_break_is_joined(tmp_path):
    rows = [
        ["208", "", "", "社会保障和就业支出", "100.00", "100.00", ""],
        ["208", "05", "", "行政事业单位养老支出", "100.00", "100.00", ""],
        ["208", "05", "05", "机关事业单位基本养老保险", "", "", ""],  # the page breaks inside this row
        ["", "", "", "缴费支出", "100.00", "100.00", ""],
        ["", "", "", "合计", "100.00", "100.00", ""],
    ]
    spec = one_table_document(SPLIT_CODE_COLUMNS, rows, layout={"rows_per_page": 3})
    document, report = extract(spec, tmp_path)
    (table,) = document.tables
    assert table.pages == [2, 3]
    assert body(table) == [
        rows[0],
        rows[1],
        ["208", "05", "05", "机关事业单位基本养老保险缴费支出", "100.00", "100.00", ""],
        rows[4],
    ]
    joined = [c for c in table.cells if c.row == 2 and c.col == 4][0]
    assert joined.page == 3  # the amount keeps the page it is printed on
    assert [(r.code, r.code_level, r.label) for r in logical_rows(table)][2] == ("2080505", "项", "机关事业单位基本养老保险缴费支出")


def test_a_row_without_code_after_a_break_is_not_joined_when_amounts_clash(tmp_path):
    rows = [
        ["208", "05", "05", "机关事业单位基本养老保险缴费支出", "100.00", "100.00", ""],
        ["", "", "", "其中：在职人员", "60.00", "60.00", ""],  # its own row, not a continuation
    ]
    spec = one_table_document(SPLIT_CODE_COLUMNS, rows, layout={"rows_per_page": 1})
    document, _ = extract(spec, tmp_path)
    assert body(document.tables[0]) == rows


def test_wrapped_header_cell_is_one_column_name(tmp_path):
    columns = ["项目/科目编码", "项目/科目名称", "收入预算/合计", "收入预算/事业单位经营收入", "收入预算/其他收入"]
    rows = [["201", "一般公共服务支出", "300", "200", "100"]]
    spec = one_table_document(
        columns, rows, title="部门收入总表", layout={"col_widths": [1.2, 3, 1.2, 0.55, 1.2]}
    )
    pdf = tmp_path / "wrapped.pdf"
    render_document(spec, pdf)
    page_text = read_pages(pdf)[1].text
    assert "事业单位经营收入" not in page_text  # the header cell really wraps on the page
    document = extract_document(pdf)
    assert document.tables[0].column_paths == columns
    assert body(document.tables[0]) == rows


def test_split_codes_are_joined_with_their_level(tmp_path):
    columns = ["经济分类科目编码/类", "经济分类科目编码/款", "经济分类科目名称", "合计", "人员经费", "公用经费"]
    rows = [
        ["301", "", "工资福利支出", "300", "300", ""],
        ["301", "01", "基本工资", "100", "100", ""],
        ["301", "2", "津贴补贴", "200", "200", ""],  # printed without its leading zero
    ]
    spec = one_table_document(columns, rows, title="一般公共预算基本支出表")
    document, _ = extract(spec, tmp_path)
    got = [(r.code, r.code_kind, r.code_level, r.label) for r in logical_rows(document.tables[0])]
    assert got == [
        ("301", "economic_class", "类", "工资福利支出"),
        ("30101", "economic_class", "款", "基本工资"),
        ("30102", "economic_class", "款", "津贴补贴"),
    ]


def test_an_unknown_unit_refuses_the_table_with_its_page_not_the_document(tmp_path):
    spec = one_table_document(SPLIT_CODE_COLUMNS, numbered_rows(3), unit_line="单位：百元")
    pdf = tmp_path / "百元.pdf"
    render_document(spec, pdf)
    document = extract_document(pdf)
    assert document.tables == []
    (error,) = document.table_errors
    assert (error.page, error.kind, error.error_kind) == (2, "expenditure", "unit_unknown")
    assert error.message.startswith("page 2, 部门支出总表: unknown unit '百元'")
    # the same table with a unit it knows loads
    document, _ = extract(one_table_document(SPLIT_CODE_COLUMNS, numbered_rows(3)), tmp_path)
    assert [t.unit for t in document.tables] == ["元"] and document.table_errors == []


def test_coverage_guard_reports_a_dropped_row(tmp_path):
    rows = numbered_rows(8)
    spec = one_table_document(SPLIT_CODE_COLUMNS, rows, layout={"rows_per_page": 4})
    document, _ = extract(spec, tmp_path)
    (table,) = document.tables
    pdf = tmp_path / "case.pdf"
    assert check_coverage(pdf, document.tables).gaps == []
    # Lose the row of 第5类支出 (first row of the second page) as a faulty step would.
    table.cells = [c for c in table.cells if c.row != 5]
    gaps = check_coverage(pdf, document.tables).gaps
    assert sorted(g.token for g in gaps) == ["100", "100", "205", "5"]  # code, label and amounts
    assert {g.page for g in gaps} == {3}


def test_an_unnamed_leading_row_is_the_total_only_when_coded_rows_follow(tmp_path):
    """表10 prints its 合计 with neither code nor name, as the first body row; a table of
    uncoded rows only (三公) has no total row, so its one unnamed row stays a figure row."""
    columns = ["项目编码", "项目名称", "合计", "一般公共预算"]
    rows = [["", "", "300", "300"], ["P001", "产业扶持", "100", "100"], ["P002", "园区建设", "200", "200"]]
    document, _ = extract(one_table_document(columns, rows, title="项目支出表"), tmp_path, "projects.pdf")
    assert [(r.code, r.is_total) for r in logical_rows(document.tables[0])] == [
        (None, True), ("P001", False), ("P002", False)
    ]
    columns = ["合计", "因公出国（境）费", "公务接待费"]
    document, _ = extract(
        one_table_document(columns, [["30", "10", "20"]], title="“三公”经费支出表"), tmp_path, "three_public.pdf"
    )
    assert [(r.code, r.label, r.is_total) for r in logical_rows(document.tables[0])] == [(None, "", False)]
