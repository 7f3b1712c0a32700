"""The small extraction steps, each with cases that pass and cases that fail."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cnbudget.extract.catalog import classify_title, is_label_column
from cnbudget.extract.numbers import AmountParseError, parse_amount
from cnbudget.extract.pages import DocumentError, PageText, check_unit, find_table_starts
from cnbudget.extract.text import compact, indent_level, join_cell_lines


@pytest.mark.parametrize(
    ("printed", "value"),
    [
        ("143,733.66", Decimal("143733.66")),
        ("143733.66", Decimal("143733.66")),
        ("156,211,123", Decimal("156211123")),
        ("0", Decimal("0")),
        ("0.00", Decimal("0.00")),
        ("(12.50)", Decimal("-12.50")),
        ("-3", Decimal("-3")),
        ("１２３.４", Decimal("123.4")),
        ("", None),
        ("-", None),
        ("—", None),
    ],
)
def test_parse_amount(printed, value):
    assert parse_amount(printed) == value


@pytest.mark.parametrize("printed", ["12,34.5", "1.2.3", "约100", "100万元"])
def test_parse_amount_refuses_what_is_not_a_number(printed):
    with pytest.raises(AmountParseError):
        parse_amount(printed)


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("部门收支总表", "income_expenditure_summary"),
        ("2025年部门财务收支预算总表", "income_expenditure_summary"),
        ("2025年预算单位财务收支预算总表", "income_expenditure_summary"),
        ("财政拨款收支总表", "fiscal_grant_summary"),
        ("2024年部门财政拨款收支预算总表", "fiscal_grant_summary"),
        ("部门收入总表", "income"),
        ("部门支出总表", "expenditure"),
        ("一般公共预算支出表(分功能科目)", "general_budget_by_function"),
        ("一般公共预算支出表（分单位）", "general_budget_by_unit"),
        ("2025年部门一般公共预算支出功能分类预算表", "general_budget_by_function"),
        ("一般公共预算基本支出表", "basic_by_economic_class"),
        ("一般公共预算“三公”经费支出表", "three_public"),
        ("部门“三公”经费和机关运行经费预算表", "three_public"),
        ("政府性基金预算支出表", "government_fund"),
        ("国有资本经营预算支出表", "state_capital"),
        ("项目支出情况表", "projects"),
        ("项目支出绩效目标表", "performance_project"),
        ("2025年部门⽀出预算总表", "expenditure"),  # Kangxi radical ⽀ in the text layer
    ],
)
def test_titles_are_recognized(line, kind):
    assert classify_title(line).kind == kind


@pytest.mark.parametrize(
    "line",
    [
        "表 1.部门收支总表",  # table of contents entry
        "1. 2024年部门财务收支预算总表 ……………… 10",
        "2025年一般公共预算“三公”经费支出100.1万元，比2024年减少13.25万元。",
        "第二部分 武汉市经济和信息化局2025年部门预算表",
    ],
)
def test_non_titles_are_not_tables(line):
    assert classify_title(line) is None


def test_table_start_reads_label_unit_and_department():
    page = PageText(8, "表3\r\n部门支出总表\r\n部门：武汉市经济和信息化局 单位：万元\r\n科目编码 科目名称")
    (start,) = find_table_starts(page)
    assert (start.label, start.kind.kind, start.unit, start.department_line) == (
        "表3",
        "expenditure",
        "万元",
        "部门：武汉市经济和信息化局",
    )
    assert check_unit(start, "a.pdf") == "万元"


def test_unknown_unit_is_a_clear_error():
    page = PageText(3, "部门支出总表\n部门：某局 单位：百元")
    (start,) = find_table_starts(page)
    with pytest.raises(DocumentError, match=r"a\.pdf: page 3, 部门支出总表: unknown unit '百元'"):
        check_unit(start, "a.pdf")


def test_missing_unit_is_a_clear_error():
    page = PageText(3, "部门支出总表\n编制单位：某局")
    (start,) = find_table_starts(page)
    with pytest.raises(DocumentError, match=r"a\.pdf: page 3, 部门支出总表: no unit line"):
        check_unit(start, "a.pdf")


def test_table_of_contents_has_no_tables():
    page = PageText(2, "目录\n表 1.部门收支总表\n表 2.部门收入总表\n单位：万元")
    assert find_table_starts(page) == []


def test_cell_text_and_indentation():
    assert join_cell_lines("\u3000\u3000机关事业单位基本养老保险缴费支\n出\n") == "\u3000\u3000机关事业单位基本养老保险缴费支出"
    assert indent_level("\u3000\u30002080505") == 2
    assert indent_level("206") == 0
    assert compact("收    入    总    计") == "收入总计"


@pytest.mark.parametrize(
    ("leaf", "is_label"),
    [("科目编码", True), ("类", True), ("项目", True), ("项目单位", True), ("合计", False), ("项目支出", False)],
)
def test_label_columns(leaf, is_label):
    assert is_label_column(leaf) is is_label
