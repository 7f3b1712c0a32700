"""What a performance-target form (绩效目标表) states, as records: indicators with their
target values (comparator, number, unit per period), goals, a 表12's project with its
funding, cost lines and purchases, and 表11's 部门总体资金情况 values. performance.py reads
them off a form's cells."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from cnbudget.extract.numbers import AmountParseError, parse_amount
from cnbudget.extract.text import compact, normalize

LONG_TERM = "long_term"
ANNUAL = "annual"
# Periods of a printed target value.
TWO_YEARS_AGO, LAST_YEAR, CURRENT_YEAR = "two_years_ago", "last_year", "current_year"

# A target value that is one quantity: comparator, number (or range), unit, qualifier.
_QUANTITY = re.compile(
    r"^(?P<prefix>≥|≤|>|<|=|大于等于|小于等于|不少于|不低于|不超过|不高于)?"
    r"(?P<number>\d+(?:\.\d+)?)(?:[-~至](?P<high>\d+(?:\.\d+)?))?"
    r"(?P<unit>[^\d]{0,10}?)(?P<suffix>以上|以下|左右|以内)?$"
)
_COMPARATORS = {"大于等于": "≥", "不少于": "≥", "不低于": "≥", "小于等于": "≤", "不超过": "≤", "不高于": "≤"}
_UNIT_IN_NAME = re.compile(r"[(（](?P<unit>[^()（）\d]{1,6})[)）]$")


@dataclass
class TargetValue:
    """One printed target value of an indicator, for one period."""

    period: str  # long_term, or two_years_ago / last_year / current_year
    year: int | None  # the year an annual value is for
    text: str  # as printed (NFKC)
    comparator: str | None = None  # ≥ ≤ > < = 以上 以下 左右 区间, where it is a quantity
    number: str | None = None  # exact decimal
    number_high: str | None = None  # the upper end of a range (35-60个)
    unit: str | None = None  # 家, 个, 万辆, %, 人次 … (from the indicator's name when the value prints none)


@dataclass
class PerformanceIndicator:
    ordinal: int  # order in its table, from 1
    page: int
    goal_type: str  # long_term / annual
    goal_name: str  # 长期目标 1, 年度目标, …
    level1: str  # 一级指标: 产出指标 / 效益指标 / 满意度指标
    level2: str  # 二级指标: 数量指标, 经济效益指标 …
    level3: str  # 三级指标 (指标名称)
    basis: str  # 指标值确定依据: 计划数据, 计划标准, 调研资料 …
    values: list[TargetValue] = field(default_factory=list)


@dataclass
class PerformanceGoal:
    goal_type: str  # long_term / annual / overall_long_term / overall_annual
    name: str
    text: str
    page: int


@dataclass
class FundingSource:
    ordinal: int
    source: str  # 来源项目 as printed: 一般公共预算财政拨款, 其中：申请当年预算拨款 …
    amount_text: str
    amount: str | None  # exact decimal, in the table's unit


@dataclass
class CostItem:
    """One line of 项目支出明细测算."""

    ordinal: int
    page: int
    activity: str  # 项目活动
    content: str  # 活动内容表述
    economic_class: str  # 支出经济分类 as printed (委托业务费, 其他对企业补助 …)
    amount_text: str
    amount: str | None  # exact decimal, in the table's unit
    basis: str  # 测算依据及说明
    note: str  # 备注
    amount_box: tuple[float, float, float, float] | None = None  # x0, y0, x1, y1: PDF points


@dataclass
class Purchase:
    ordinal: int
    item: str  # 品名
    quantity: str  # 数量 as printed
    amount_text: str
    amount: str | None


@dataclass
class PerformanceProject:
    """The header of a 项目支出绩效目标表, with its funding, costs and purchases."""

    project_name: str = ""
    project_codes: list[str] = field(default_factory=list)
    competent_department: str = ""
    executing_unit: str = ""
    responsible_persons: str = ""
    phone: str = ""
    address: str = ""
    postcode: str = ""
    project_attribute: str = ""  # 项目属性: 延续性项目, 常年性项目 …
    expenditure_category: str = ""  # 支出项目类别: 特定目标类项目 …
    start_year: int | None = None
    end_year: int | None = None
    application_reason: str = ""
    main_content: str = ""
    total_budget_text: str = ""
    total_budget: str | None = None  # exact decimal, in the table's unit
    current_budget_text: str = ""
    current_budget: str | None = None
    current_budget_page: int | None = None
    current_budget_box: tuple[float, float, float, float] | None = None  # x0, y0, x1, y1: PDF points
    budget_change: str = ""  # 项目前两年预算及当年预算变动情况
    funding: list[FundingSource] = field(default_factory=list)
    costs: list[CostItem] = field(default_factory=list)
    purchases: list[Purchase] = field(default_factory=list)


@dataclass
class OverallFundingValue:
    """One printed value of 表11's 部门总体资金情况: a line of its 收入构成 or 支出构成
    (财政拨款 …, 人员类项目支出 …, 合计) in one column (当年金额, 占比, 2023年 …)."""

    line: int  # the line's order in the block, from 1
    composition: str  # income / expenditure
    item: str
    column: str  # as printed: 当年金额 / 占比 / 2023年 …
    year: int | None  # the year an amount is of; None for 占比
    text: str
    number: str | None  # exact decimal text; the table's unit, or percent for 占比
    page: int
    x0: float  # the cell's box: PDF points, origin bottom-left
    y0: float
    x1: float
    y1: float


@dataclass
class PerformanceTable:
    """What one 绩效目标表 states."""

    table_ordinal: int  # the table's ordinal in the document (raw.tables)
    label: str
    kind: str  # performance_overall / performance_project
    unit: str
    pages: list[int]
    project: PerformanceProject | None
    goals: list[PerformanceGoal] = field(default_factory=list)
    indicators: list[PerformanceIndicator] = field(default_factory=list)
    overall_funding: list[OverallFundingValue] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: dict) -> PerformanceTable:
        data = dict(data)
        project = data.pop("project")
        if project is not None:
            project = dict(project)
            project["funding"] = [FundingSource(**f) for f in project["funding"]]
            project["costs"] = [CostItem(**c) for c in project["costs"]]
            project["purchases"] = [Purchase(**p) for p in project["purchases"]]
            project = PerformanceProject(**project)
        goals = [PerformanceGoal(**g) for g in data.pop("goals")]
        indicators = []
        for i in data.pop("indicators"):
            i = dict(i)
            values = [TargetValue(**v) for v in i.pop("values")]
            indicators.append(PerformanceIndicator(**i, values=values))
        funding = [OverallFundingValue(**v) for v in data.pop("overall_funding")]
        return cls(**data, project=project, goals=goals, indicators=indicators, overall_funding=funding)

    def to_dict(self) -> dict:
        return asdict(self)


# ── Target values ────────────────────────────────────────────────────────────────────


def parse_target(text: str, period: str, year: int | None, indicator_name: str = "") -> TargetValue:
    """A printed target value; where it is one quantity (≥450 户次, 45%以上, 35-60个, 50),
    its comparator, number and unit. A value without a unit takes the one its indicator's
    name prints in parentheses (新能源汽车产量（万辆） 35 is 35 万辆)."""
    printed = normalize(text)
    value = TargetValue(period, year, printed)
    match = _QUANTITY.match(compact(printed))
    if not match:
        return value
    unit = match["unit"] or None
    if unit and not re.fullmatch(r"[^\s\d,，。;；:：、]+", unit):
        return value
    if unit is None and (named := _UNIT_IN_NAME.search(compact(indicator_name))):
        unit = named["unit"]
    if match["high"]:
        comparator = "区间"
    elif match["suffix"]:
        comparator = match["suffix"]
    elif match["prefix"]:
        comparator = _COMPARATORS.get(match["prefix"], match["prefix"])
    else:
        comparator = "="
    value.comparator, value.number, value.number_high, value.unit = comparator, match["number"], match["high"], unit
    return value


def printed_amount(text: str) -> str | None:
    try:
        number = parse_amount(text)
    except AmountParseError:
        return None
    return None if number is None else str(number)


