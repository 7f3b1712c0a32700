"""The narrative extractor on sentences as the seed and the corpus print them: each
figure's role, subject, year compared against, direction and links, with cases that must
not be read as what they resemble."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cnbudget.extract.narrative import (
    AMOUNT,
    CHANGE_AMOUNT,
    CHANGE_PERCENT,
    COMPLETION_PERCENT,
    NO_CHANGE,
    OTHER_PERCENT,
    PRIOR_AMOUNT,
    SHARE_PERCENT,
    extract_narrative,
)
from cnbudget.extract.narrative_subjects import FUNCTION_SUBJECT, classify_subject
from cnbudget.extract.pages import PageText


def _figures(*lines: str, year: int = 2025, department: str = "武汉市经济和信息化局", page: int = 22):
    return extract_narrative([PageText(page, "\n".join(lines))], set(), year, department)


def _brief(figure):
    return (figure.role, figure.printed_text, figure.subject_kind or figure.subject)


def test_total_with_change_and_percentage_in_the_next_sentence():
    figures = _figures("2025 年收支总预算 143733.66 万元。比 2024 年预算增加 36231.79 万元，增长 33.7%，主要是由于……。")
    assert [_brief(f) for f in figures] == [
        (AMOUNT, "143733.66 万元", "total_income"),
        (CHANGE_AMOUNT, "36231.79 万元", "total_income"),
        (CHANGE_PERCENT, "33.7%", "total_income"),
    ]
    total, change, percent = figures
    assert (total.value, total.unit, total.decimals, total.fiscal_year) == (Decimal("143733.66"), "万元", 2, 2025)
    assert (change.compared_year, change.compared_basis, change.direction, change.anchor) == (2024, "budget", "increase", 1)
    assert (percent.compared_year, percent.direction, percent.anchor, percent.decimals) == (2024, "increase", 1, 1)


def test_parts_after_qizhong_with_shares():
    figures = _figures(
        "2025 年收入预算 143733.66 万元，其中：一般公共预算拨款收入 124242.49 万元，占 86.44%；上年结转结余 19491.17 万元，占 13.56",
        "%。",
    )
    assert [_brief(f) for f in figures] == [
        (AMOUNT, "143733.66 万元", "total_income"),
        (AMOUNT, "124242.49 万元", "general_budget_income"),
        (SHARE_PERCENT, "86.44%", "general_budget_income"),
        (AMOUNT, "19491.17 万元", "carry_over"),
        (SHARE_PERCENT, "13.56%", "carry_over"),  # the number wrapped away from its % sign
    ]
    assert [f.parent for f in figures] == [None, 1, None, 1, None]
    assert [f.anchor for f in figures] == [None, None, 2, None, 4]


def test_a_larger_amount_ends_the_parts():
    figures = _figures("基本支出 10961.09 万元，占 7.63%，其中：人员经费 9678.62 万元、公用经费1282.47万元；项目支出132772.57万元，占92.37%。")
    parents = {f.printed_text: f.parent for f in figures if f.role == AMOUNT}
    assert parents == {"10961.09 万元": None, "9678.62 万元": 1, "1282.47万元": 1, "132772.57万元": None}


def test_function_subject_path_both_templates():
    wuhan = _figures("科学技术支出（类）技术研究与开发（款）其他技术研究与开发支出（项）2025 年预算数 26840 万元，比 2024 年预算减增加 12774 万元，增长 90.81%。")
    assert wuhan[0].subject_kind == FUNCTION_SUBJECT
    assert wuhan[0].subject_path == ["科学技术支出", "技术研究与开发", "其他技术研究与开发支出"]
    assert wuhan[1].direction == "increase"  # 减增加: the verb before the number counts
    shanghai = _figures(
        "2. “一般公共服务支出-政府办公厅（室）及相关机构事务-一般行政管理事务”科目4,614万元，主要用于……。",
        department="上海市普陀区人民政府办公室",
    )
    assert shanghai[0].value == Decimal("4614")
    assert shanghai[0].subject_path == ["一般公共服务支出", "政府办公厅(室)及相关机构事务", "一般行政管理事务"]


def test_prior_year_execution_and_an_amount_without_words_of_its_own():
    figures = _figures(
        "1. “一般公共服务支出（类）统计信息事务（款）统计管理（项）”2.63万元，主要用于统计管理。2022年当年预算执行数为1.48",
        "万元，2023年预算安排2.63万元，比2022年预算执行数增加77.70 %。主要原因是：统计管理经费增加。",
        year=2023,
        department="上海市普陀区人民政府万里街道办事处",
    )
    assert [f.role for f in figures] == [AMOUNT, PRIOR_AMOUNT, AMOUNT, CHANGE_PERCENT]
    item, prior, again, percent = figures
    assert (prior.fiscal_year, prior.compared_basis, prior.anchor) == (2022, "execution", 1)
    assert again.subject_path == item.subject_path == ["一般公共服务支出", "统计信息事务", "统计管理"]
    assert (percent.anchor, percent.compared_year, percent.compared_basis, percent.number) == (3, 2022, "execution", "77.70")


def test_no_change_belongs_to_the_amount_before_it():
    figures = _figures(
        "（二）公务用车购置及运行费0万元，与2024年预算持平。其中：公务用车购置费0万元，与2024年预算持平；公务用车运行费0万元，与2024年预算持平。",
        department="上海市普陀区商务委员会",
    )
    assert [_brief(f) for f in figures] == [
        (AMOUNT, "0万元", "three_public_vehicles"),
        (NO_CHANGE, "持平", "three_public_vehicles"),
        (AMOUNT, "0万元", "three_public_vehicle_purchase"),
        (NO_CHANGE, "持平", "three_public_vehicle_purchase"),
        (AMOUNT, "0万元", "three_public_vehicle_operation"),
        (NO_CHANGE, "持平", "three_public_vehicle_operation"),
    ]
    assert [f.anchor for f in figures if f.role == NO_CHANGE] == [1, 3, 5]
    assert {f.compared_year for f in figures if f.role == NO_CHANGE} == {2024}


def test_a_growth_word_without_a_comparison_is_a_name():
    figures = _figures(
        "2025年度项目总预算2921.00万，其中支持外贸发展370.00万，支持商销稳增长30.00万，合计2921.00万。",
        department="上海市普陀区商务委员会",
    )
    assert [f.role for f in figures] == [AMOUNT] * 4
    assert [f.subject for f in figures] == ["项目总预算", "支持外贸发展", "支持商销稳增长", "项目总预算"]
    assert {f.unit for f in figures} == {"万元"}  # 万 alone is 万元 written short
    assert {f.subject_kind for f in figures} == {"project_plan"}


def test_threshold_and_other_percentages():
    figures = _figures(
        "单价100万元（含）以上设备（不含车辆）0台（套）。按 50%兑现各区市级投资技改项目补助。",
        department="上海市普陀区商务委员会",
    )
    assert [(f.role, f.qualifier) for f in figures] == [(AMOUNT, "threshold"), (OTHER_PERCENT, "")]


def test_parenthesized_parts_and_quotes_in_names():
    figures = _figures(
        "新能源汽车与氢能产业发展专项 33491.17 万元（其中年初预算 14000 万元；上年结转 19491.17 万元）。主要用于：新能源",
        "汽车推广应用。",  # a short line ends the paragraph: its parts end with it
        "“汉企通”平台运维资源包 40 万元，主要用于……。",
    )
    assert [(f.subject, f.subject_kind, f.parent) for f in figures] == [
        ("新能源汽车与氢能产业发展专项", "", None),
        ("年初预算", "current_year_grant", 1),
        ("上年结转", "carry_over", 1),
        ("“汉企通”平台运维资源包", "", None),
    ]


def test_a_note_in_parentheses_does_not_cut_the_comparison():
    figures = _figures(
        "2023年，上海市普陀区人民政府万里街道办事处收入预算16497.86万元，其中：财政拨款收入16497.86万元，比2022年（上一年度，下同）预算增加1421.25万元。",
        year=2023,
        department="上海市普陀区人民政府万里街道办事处",
    )
    change = figures[-1]
    assert (change.role, change.compared_year, change.compared_basis, change.subject_kind) == (
        CHANGE_AMOUNT, 2022, "budget", "fiscal_grant_income")


def test_page_numbers_tables_of_contents_and_table_pages_are_not_narrative():
    pages = [
        PageText(2, "目 录\n一、部门主要职能 ……… 3\n二、机构设置 ……… 4\n三、2025年部门预算表 ……… 5"),
        PageText(5, "2025年部门收支总表\n单位：万元\n收入总计 143733.66 万元"),
        PageText(9, "2025 年机关运行经费 1007.77 万元，比 2024 年减少 77.86 万元，降低 7.17%。\n- 9 -"),
    ]
    figures = extract_narrative(pages, {5}, 2025, "")
    assert [(f.page, f.printed_text) for f in figures] == [(9, "1007.77 万元"), (9, "77.86 万元"), (9, "7.17%")]


@pytest.mark.parametrize(
    ("words", "parent_kind", "kind"),
    [
        ("一般公共预算“三公”经费支出", "", "three_public_total"),
        ("公务车用车运行费", "", "three_public_vehicle_operation"),
        ("公务用车购置及运行维护费", "", "three_public_vehicles"),
        ("货物类", "procurement", "procurement"),
        ("货物类", "", ""),  # only a part of 政府采购 is a procurement item
        ("一般公共预算拨款支出预算", "", "general_budget_expenditure"),
        ("财政拨款收支总预算", "", "fiscal_grant_total"),
        ("工资福利支出", "", ""),  # a name, looked up among the tables' rows
    ],
)
def test_subject_vocabulary(words, parent_kind, kind):
    assert classify_subject(words, parent_kind)[0] == kind


# ── 决算: 完成年初预算的 Z% (国家信访局 2024 决算 pp.21, 24; 上海普陀区财政局 2024 决算 p.21) ──


def _final(*lines: str, department: str = "国家信访局"):
    return _figures(*lines, year=2024, department=department, page=21)


def test_completion_is_anchored_on_the_final_amount_and_linked_to_the_budget():
    figures = _final("国家信访局 2024 年度财政拨款支出年初预算为 15068.55 万元，支出决算为 13733.8 万元，完成年初预算的 91.14%。")
    budget, final, completion = figures
    assert [(f.role, f.printed_text) for f in figures] == [
        (AMOUNT, "15068.55 万元"), (AMOUNT, "13733.8 万元"), (COMPLETION_PERCENT, "91.14%")]
    assert (completion.anchor, completion.parent, completion.decimals) == (final.ordinal, budget.ordinal, 2)


def test_completion_of_a_function_item_after_its_heading_sentence():
    figures = _final("7.社会保障和就业（类）行政事业单位离退休（款）归口管理的行政单位离退休（项）。年初预算为 1017.2 万元，"
                     "支出决算为 1028.48 万元，完成年初预算的 101.11%。决算数大于预算数的主要原因是……。")
    assert [(f.role, f.printed_text, f.anchor, f.parent) for f in figures] == [
        (AMOUNT, "1017.2 万元", None, None), (AMOUNT, "1028.48 万元", None, None), (COMPLETION_PERCENT, "101.11%", 2, 1)]


def test_three_public_completion_with_parts_that_state_no_budget():
    figures = _final(
        "国家信访局2024年度“三公”经费财政拨款支出预算为76.43万元，2024年度支出决算为46.21万元，完成预算的60.46%。"
        "其中：因公出国（境）费支出决算为4.69万元，完成预算的15.63%；公务用车购置及运行费支出决算为40.61万元，完成预算的99.95%。")
    assert [(f.role, f.printed_text, f.anchor, f.parent) for f in figures] == [
        (AMOUNT, "76.43万元", None, None),
        (AMOUNT, "46.21万元", None, None),
        (COMPLETION_PERCENT, "60.46%", 2, 1),
        (AMOUNT, "4.69万元", None, 2),  # a part of the 决算 before 其中
        (COMPLETION_PERCENT, "15.63%", 4, None),  # its own budget is not stated
        (AMOUNT, "40.61万元", None, 2),
        (COMPLETION_PERCENT, "99.95%", 6, None),  # 4.69 before it names no 预算
    ]


def test_a_part_after_the_total_completion_in_one_sentence_takes_no_budget_of_the_whole():
    # Putuo p.23 prints the total and its parts in one sentence.
    figures = _final("“三公”经费财政拨款支出年初预算为0.95万元，支出决算为0.00万元，完成预算的0%，其中：因公出国（境）费决算为0.00万元，"
                     "完成预算的0%；", department="上海市普陀区财政局")
    assert [(f.role, f.anchor, f.parent) for f in figures if f.role == COMPLETION_PERCENT] == [
        (COMPLETION_PERCENT, 2, 1), (COMPLETION_PERCENT, 4, None)]


def test_a_fund_named_budget_is_not_the_budget_of_a_completion():
    figures = _final("政府性基金预算 100.00 万元，支出决算为 90.00 万元，完成年初预算的 90%。")
    assert (figures[-1].role, figures[-1].parent) == (COMPLETION_PERCENT, None)


def test_a_share_in_a_final_narrative_stays_a_share():
    figures = _final("国家信访局 2024 年度财政拨款支出 13733.8 万元，主要用于以下方面：一般公共服务（类）支出 9846.82 万元，占 71.7%；"
                     "教育（类）支出 180.03 万元，占 1.31%。")
    assert [f.role for f in figures] == [AMOUNT, AMOUNT, SHARE_PERCENT, AMOUNT, SHARE_PERCENT]
    assert not any(f.role == COMPLETION_PERCENT for f in figures)
