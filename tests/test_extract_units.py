"""The small extraction steps, each with cases that pass and cases that fail."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cnbudget.extract.anchors import PageItem, TitleBlock, is_table_of_contents, page_items
from cnbudget.extract.assembly import assemble_tables, resolve_units
from cnbudget.extract.catalog import classify_title, is_label_column, split_label
from cnbudget.extract.columns import column_periods
from cnbudget.extract.grid import Grid, Region
from cnbudget.extract.layout import PageLayout, Segment, TextLine
from cnbudget.extract.numbers import AmountParseError, parse_amount
from cnbudget.extract.tables import Table
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
    ("line", "kind"),
    [
        # the national family's wordings (titles as printed, label split off first)
        ("表1：2026年市级部门收支预算总表", "income_expenditure_summary"),
        ("部门公开表 5 一般公共预算支出表", "general_budget_by_function"),
        ("公开01表 收支总体情况表", "income_expenditure_summary"),
        ("表二 2026年部门收入总体情况表", "income"),
        ("表3 本年支出总体情况表", "expenditure"),
        ("2022年部门综合预算收支总表", "income_expenditure_summary"),
        ("一般公共预算支出情况表（按功能分类科目）", "general_budget_by_function"),
        ("一般公共预算基本支出情况表（按经济分类科目）", "basic_by_economic_class"),
        ("一般公共预算支出表（按经济分类）", "general_budget_by_economic_class"),
        ("2021年部门综合预算一般公共预算基本支出明细表（按支出功能分类科目-不含上年结转）", "general_budget_basic_by_function"),
        ("一般公共预算项目支出情况表（按经济分类科目）", "general_budget_projects_by_economic_class"),
        ("基本支出总表", "basic_expenditure"),
        ("部门预算项目支出及其他支出预算表", "projects"),
        ("财政拨款安排的行政经费及“三公”经费预算表", "three_public"),
        ("部门综合预算政府性基金收支表", "government_fund"),
        ("财政拨款支出表（功能科目）", "fiscal_grant_by_function"),
        ("一般公共预算机关运行经费支出预算表", "agency_operation"),
        ("政府采购预算明细表", "government_procurement"),
        ("部门综合预算财政拨款上年结转资金支出表", "fiscal_grant_carryover"),
        ("2026年部门整体绩效目标表", "performance_overall"),
        ("2026年市级重点专项资金绩效目标表 (一级项目)", "performance_project"),
    ],
)
def test_national_titles_are_recognized_after_their_label(line, kind):
    label, title = split_label(line)
    assert classify_title(title).kind == kind


@pytest.mark.parametrize(
    ("line", "label"),
    [("表1：2026年市级部门收支预算总表", "表1"), ("部门公开表 5 一般公共预算支出表", "部门公开表5"),
     ("公开01表", "公开01表"), ("表十一", "表十一"), ("(一)收支总表", "(一)"), ("2026年收支总表", "")],
)
def test_labels_are_split_from_titles(line, label):
    assert split_label(line)[0] == label


@pytest.mark.parametrize(
    "line",
    [
        "2025年一般公共预算“三公”经费支出100.1万元，比2024年减少13.25万元。",
        "第二部分 武汉市经济和信息化局2025年部门预算表",
        "（九）国有资本经营预算支出情况说明（详见表",  # a sentence cut by the line end
        "年结转750.00万元)。(7)项目绩效目标表",
    ],
)
def test_non_titles_are_not_tables(line):
    assert classify_title(split_label(line)[1]) is None


# ── Title blocks: what is printed above a grid ──────────────────────────────────
def _line(text: str, y: float, x: float = 40) -> TextLine:
    return TextLine((Segment(text, x, y, x + 10 * len(text), y + 10),))


def _page(number: int, lines: list[TextLine]) -> PageLayout:
    return PageLayout(number, 842, 595, "\n".join(line.text for line in lines), tuple(lines), 100)


def _grid(page: int, top: float, texts: list[list[str]]) -> Grid:
    rows, cols = len(texts), len(texts[0])
    regions = tuple(
        Region(r, c, 1, 1, texts[r][c], 40 + 100 * c, top - 20 * (r + 1), 140 + 100 * c, top - 20 * r)
        for r in range(rows) for c in range(cols)
    )
    bounds = tuple((40 + 100 * c, 140 + 100 * c) for c in range(cols))
    return Grid(page, rows, cols, regions, (40, top - 20 * rows, 40 + 100 * cols, top), bounds)


def test_a_title_block_gives_the_grid_its_label_unit_and_department():
    page = _page(8, [_line("表3", 560), _line("部门支出总表", 540), _line("部门：武汉市经济和信息化局 单位：万元", 520)])
    grid = _grid(8, 500, [["科目编码", "科目名称", "合计"], ["201", "一般公共服务支出", "10.00"]])
    (item,) = page_items(page, [grid])
    block = item.block
    assert (block.label, block.kind.kind, block.unit, block.unit_source, block.department_line) == (
        "表3", "expenditure", "万元", "title_block", "部门：武汉市经济和信息化局"
    )
    assert item.grid is grid


def test_a_unit_printed_in_the_header_or_at_the_page_top_is_found_there():
    page = _page(3, [_line("单位：元", 570), _line("收入总表", 540)])
    (item,) = page_items(page, [_grid(3, 520, [["项目", "合计"], ["201", "1"]])])
    assert (item.block.unit, item.block.unit_source) == ("元", "page")
    page = _page(4, [_line("项目支出绩效目标表", 540)])
    (item,) = page_items(page, [_grid(4, 520, [["项目名称", "某项目"], ["项目资金（万元）", "12.00"]])])
    assert (item.block.unit, item.block.unit_source) == ("万元", "header")


def test_a_grid_without_a_title_above_continues_and_a_page_of_titles_is_a_table_of_contents():
    page = _page(9, [_line("二〇二", 570)])
    (item,) = page_items(page, [_grid(9, 520, [["202", "x", "1"]])])
    assert item.block is None
    contents = _page(2, [_line("表1.部门收支总表", 500), _line("表2.部门收入总表", 480), _line("表3.部门支出总表", 460)])
    assert is_table_of_contents(contents, [])
    assert not is_table_of_contents(_page(5, [_line("部门支出总表", 500)]), [])


def test_a_title_without_a_grid_is_an_empty_table_only_when_a_unit_or_note_follows():
    page = _page(15, [_line("国有资本经营预算支出表", 540), _line("单位：万元", 520), _line("合计", 480)])
    (item,) = page_items(page, [])
    assert item.block.kind.kind == "state_capital" and item.grid is None
    tables, errors = assemble_tables([item])
    assert [(t.kind, t.is_empty) for t in tables] == [("state_capital", True)] and errors == []
    quoted = _page(16, [_line("详见表", 540), _line("部门支出总表", 520)])
    assert assemble_tables(page_items(quoted, [])) == ([], [])


def test_a_table_without_a_unit_takes_the_documents_only_unit_and_says_so():
    tables, errors = assemble_tables(
        [
            PageItem(1, _block(1, "收入总表", "万元"), _grid(1, 500, [["项目", "合计"], ["201", "1.00"]])),
            PageItem(3, _block(3, "支出总表", None), _grid(3, 500, [["项目", "合计"], ["201", "1.00"]])),
        ]
    )
    resolve_units(tables, errors)
    assert [(t.unit, t.unit_source) for t in tables] == [("万元", "title_block"), ("万元", "document")]
    tables, errors = assemble_tables(
        [
            PageItem(1, _block(1, "收入总表", "万元"), _grid(1, 500, [["项目", "合计"], ["201", "1.00"]])),
            PageItem(3, _block(3, "支出总表", "元"), _grid(3, 500, [["项目", "合计"], ["201", "1.00"]])),
            PageItem(5, _block(5, "财政拨款收支总表", None), _grid(5, 500, [["项目", "合计"], ["201", "1.00"]])),
        ]
    )
    resolve_units(tables, errors)
    assert [t.kind for t in tables] == ["income", "expenditure"]
    assert [(e.page, e.error_kind) for e in errors] == [(5, "unit_missing")]


def _block(page: int, title: str, unit: str | None) -> TitleBlock:
    return TitleBlock(page, classify_title(title), title, "", unit, f"单位：{unit}" if unit else "",
                      "title_block" if unit else "", "")


def test_a_repeated_title_continues_a_table_but_starts_another_form():
    header = [["科目编码", "科目名称", "合计"]]
    first = PageItem(1, _block(1, "部门支出总表", "元"), _grid(1, 500, header + [["201", "a", "1"]]))
    again = PageItem(2, _block(2, "部门支出总表", "元"), _grid(2, 500, header + [["202", "b", "2"]]))
    tables, _ = assemble_tables([first, again])
    assert [t.pages for t in tables] == [[1, 2]]
    form = lambda page, name: PageItem(  # noqa: E731
        page, _block(page, "项目支出绩效目标表", "元"), _grid(page, 500, [["项目名称", name], ["指标", "x"]])
    )
    tables, _ = assemble_tables([form(1, "甲项目"), form(2, "乙项目")])
    assert [t.pages for t in tables] == [[1], [2]]


def test_columns_of_another_year_or_of_the_change_are_set_apart():
    table = Table(1, "general_budget_by_function", "", "t", "万元", "", "", [1],
                  ["科目名称", "2025年执行数/合计", "2026年预算数/合计", "2026年预算数比2025年执行数/增减额", "上年结转"], 1,
                  fiscal_year=2026)
    assert column_periods(table) == ["current", "prior", "current", "change", "current"]


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
