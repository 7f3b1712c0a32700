"""Issue #4 acceptance: the README's "Questions you can ask" run against the warehouse
built from the seed rendering plus the corpus, with answers read off the documents."""

from __future__ import annotations

import re
from decimal import Decimal

import duckdb
import pytest

from tests.conftest import REPO

WUHAN = "武汉市经济和信息化局"
WANLI = "上海市普陀区人民政府万里街道办事处"
COMMERCE = "上海市普陀区商务委员会"
OFFICE = "上海市普陀区人民政府办公室"


def readme_questions() -> dict[int, str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## Questions you can ask", 1)[1]
    found = re.findall(r"### (\d+)\. [^\n]*\n+```sql\n(.*?)```", section, flags=re.S)
    return {int(number): sql for number, sql in found}


@pytest.fixture(scope="module")
def ask(full_warehouse):
    conn = duckdb.connect(str(full_warehouse), read_only=True)
    questions = readme_questions()

    def run(number: int) -> list[tuple]:
        return conn.execute(questions[number]).fetchall()

    yield run
    conn.close()


def yuan(text: str) -> Decimal:
    return Decimal(text.replace(",", ""))


def test_readme_has_seven_questions():
    assert sorted(readme_questions()) == [1, 2, 3, 4, 5, 6, 7]


def test_1_basic_and_project_expenditure_per_department_and_year(ask):
    # The 合计 rows of each 支出总表 (Wuhan 表3 p8–9, wanli p18 / p20, commerce p13,
    # office p12). Wuhan's basic leaves add to 10,961.08 万元: the printed 合计
    # 10,961.09 carries the document's 尾差 (208 prints 1,853.29; its 项 add to 1,853.28).
    assert ask(1) == [
        (WANLI, 2023, "基本支出", yuan("99,406,297")),
        (WANLI, 2023, "项目支出", yuan("65,572,343")),
        (WANLI, 2024, "基本支出", yuan("99,706,020")),
        (WANLI, 2024, "项目支出", yuan("56,505,103")),
        (OFFICE, 2025, "基本支出", yuan("24,606,775.35")),
        (OFFICE, 2025, "项目支出", yuan("66,410,000.00")),
        (COMMERCE, 2025, "基本支出", yuan("19,830,655.00")),
        (COMMERCE, 2025, "项目支出", yuan("351,684,000.00")),
        (WUHAN, 2025, "基本支出", yuan("109,610,800")),
        (WUHAN, 2025, "项目支出", yuan("1,327,725,700")),
    ]


def test_2_expenditure_by_function_class_with_drill_down(ask, full_warehouse):
    by_class = {(dept, year, code): (name, amount) for dept, year, code, name, amount in ask(2)}
    # Wuhan 表3: 206 26,840.00 万元, 215 79,346.62 万元; commerce p12: 201 21,601,733.00.
    assert by_class[(WUHAN, 2025, "206")] == ("科学技术支出", yuan("268,400,000"))
    assert by_class[(WUHAN, 2025, "215")] == ("资源勘探工业信息等支出", yuan("793,466,200"))
    assert by_class[(COMMERCE, 2025, "201")] == ("一般公共服务支出", yuan("21,601,733.00"))
    assert {year for dept, year, _ in by_class if dept == WANLI} == {2023, 2024}
    # Drill-down: the same query at 款 and 项 (Wuhan 表3: 21508 30,546.62, 2150805 19,860.00 万元).
    sql = readme_questions()[2]
    with duckdb.connect(str(full_warehouse), read_only=True) as conn:
        kuan = {r[2]: r[4] for r in conn.execute(sql.replace("left(s.code, 3)", "left(s.code, 5)")).fetchall() if r[0] == WUHAN}
        xiang = {r[2]: r[4] for r in conn.execute(sql.replace("left(s.code, 3)", "left(s.code, 7)")).fetchall() if r[0] == WUHAN}
    assert kuan["21508"] == yuan("305,466,200")
    assert xiang["2150805"] == yuan("198,600,000")


def test_3_one_economic_class_across_departments(ask):
    # Wuhan 表6: 30231 61.00 万元; wanli p27 / p30: 215,600. Commerce and the district
    # office print no 30231 line.
    assert ask(3) == [
        (WANLI, 2023, "公务用车运行维护费", yuan("215,600")),
        (WANLI, 2024, "公务用车运行维护费", yuan("215,600")),
        (WUHAN, 2025, "公务用车运行维护费", yuan("610,000")),
    ]


def test_4_three_public_per_department_with_year_over_year_change(ask):
    # 三公 tables (万元): wanli 22.91 (2023) and 47.91 (2024); office 867.50; commerce 1.00;
    # Wuhan 表7 100.10.
    assert ask(4) == [
        (WANLI, 2023, yuan("229,100"), None),
        (WANLI, 2024, yuan("479,100"), yuan("250,000")),
        (OFFICE, 2025, yuan("8,675,000"), None),
        (COMMERCE, 2025, yuan("10,000"), None),
        (WUHAN, 2025, yuan("1,001,000"), None),
    ]


def test_5_expenditure_by_budget_unit_within_a_department(ask):
    # Wuhan 表5-2, 合计 column of each unit row (万元).
    assert ask(5) == [
        ("301001", "武汉市经济和信息化局本级", yuan("1,388,201,600")),
        ("301012", "武汉市工业经济保障中心", yuan("10,129,100")),
        ("301013", "武汉市中小企业发展促进中心", yuan("23,719,400")),
        ("301014", "武汉市工业信息化中心", yuan("8,267,600")),
        ("301015", "武汉市军民融合发展推进中心", yuan("7,018,900")),
    ]


def test_6_ten_largest_projects_with_fund_source(ask):
    # Wuhan 表10 (万元): the corpus prints no project table.
    bureau = "武汉市经济和信息化局本级"
    special = "支持工业发展专项资金"
    assert [(name, parent, unit, fund, carried, amount) for name, parent, unit, fund, carried, amount in ask(6)] == [
        ("企业技术改造与园区发展专项", special, bureau, "一般公共预算", False, yuan("350,000,000")),
        ("集成电路与软件发展专项", special, bureau, "一般公共预算", False, yuan("229,400,000")),
        ("中小企业发展专项", special, bureau, "一般公共预算", False, yuan("198,600,000")),
        ("新能源汽车与氢能产业发展专项", special, bureau, "一般公共预算", True, yuan("194,911,700")),
        ("新能源汽车与氢能产业发展专项", special, bureau, "一般公共预算", False, yuan("140,000,000")),
        ("融合发展与航空航天产业专项", special, bureau, "一般公共预算", False, yuan("100,000,000")),
        ("数字经济发展专项", special, bureau, "一般公共预算", False, yuan("39,000,000")),
        ("工业节能与绿色发展专项", special, bureau, "一般公共预算", False, yuan("38,000,000")),
        ("工业行业管理与服务工作经费", "工业经济保障经费", bureau, "一般公共预算", False, yuan("22,944,000")),
        ("创业创新运行保障支出", "工业经济保障经费", "武汉市中小企业发展促进中心", "一般公共预算", False, yuan("7,700,000")),
    ]


def test_7_income_by_source(ask):
    # Income tables: Wuhan 表2 合计 row (万元); the corpus 收入预算总表 合计 rows.
    assert ask(7) == [
        (WANLI, 2023, "财政拨款(未分预算)", False, yuan("164,978,640")),
        (WANLI, 2024, "财政拨款(未分预算)", False, yuan("156,211,123")),
        (OFFICE, 2025, "财政拨款(未分预算)", False, yuan("91,016,775.35")),
        (COMMERCE, 2025, "财政拨款(未分预算)", False, yuan("371,514,655.00")),
        (WUHAN, 2025, "一般公共预算", False, yuan("1,242,424,900")),
        (WUHAN, 2025, "一般公共预算", True, yuan("194,911,700")),
    ]
