"""Reading a printed target value: one quantity (comparator, number, unit) or text, with
cases that must not be read as a quantity."""

from __future__ import annotations

import pytest

from cnbudget.extract.performance_records import parse_target


@pytest.mark.parametrize(
    ("printed", "name", "comparator", "number", "high", "unit"),
    [
        ("≥450 户次", "", "≥", "450", None, "户次"),
        ("45%以上", "", "以上", "45", None, "%"),
        ("35-60个", "", "区间", "35", "60", "个"),
        ("50万辆", "", "=", "50", None, "万辆"),
        ("35", "新能源汽车产量（万辆）", "=", "35", None, "万辆"),  # the unit printed in the name
        ("2700", "招标培训项目培训人员", "=", "2700", None, None),
        ("大于等于 95%", "", "≥", "95", None, "%"),
        ("≥99.5%", "", "≥", "99.5", None, "%"),
        ("２次", "", "=", "2", None, "次"),  # full-width digit
        ("30 万人次/家次", "", "=", "30", None, "万人次/家次"),
        ("20家左右", "", "左右", "20", None, "家"),
    ],
)
def test_a_quantity(printed, name, comparator, number, high, unit):
    value = parse_target(printed, "current_year", 2025, name)
    assert (value.comparator, value.number, value.number_high, value.unit) == (comparator, number, high, unit)


@pytest.mark.parametrize(
    "printed",
    ["是", "合理区间内运行", "\\", "----", "/", "前5位", "国家级450家", "占GDP比重达到27%以上", "2027 年 30 家以上",
     "3 个、8 个", "标杆智能工厂10家，示范项目20个", "新建/改造 600 个", "每月 60 篇"],
)
def test_not_one_quantity(printed):
    """Text, a mark, or words around the number: kept as printed, no number invented."""
    value = parse_target(printed, "current_year", 2025)
    assert (value.comparator, value.number, value.unit) == (None, None, None)
    assert value.text == printed.replace("，", ",")
