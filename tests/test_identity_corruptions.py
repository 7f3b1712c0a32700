"""Corrupted twins of the seed must be caught at the right place.

Each twin is the seed's ground truth drawn by the test renderer with one change; all
of them are loaded together with the seed rendering and the Putuo corpus by one
`cnbudget load` (one dbt build, one dq/identity_results materialization) into one
warehouse, built once per run. A publication's errors are findings: the load exits 0.
Every test names the identity that must fail and the table, row and column where it
fails, and asserts that nothing else does.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from cnbudget.extract.document import document_id_for, sha256_of
from cnbudget.quality.catalogue import load_catalogue
from cnbudget.quality.results import read_results
from cnbudget.quality.validate import FAILED, NOT_APPLICABLE, PASSED, IdentityValidation, validate_warehouse
from tests.conftest import (CORPUS_DIR, SEED_PDF, CliRun, built_once, corpus_pdfs, render_variant, run_cli, run_root,
                           seed_table)


def wan_yuan(amount: str) -> int:
    """An amount printed in 万元, in cents."""
    return int(Decimal(amount) * 10_000 * 100)


def _row(spec: dict, label: str, code: str) -> list[str]:
    return next(r for r in seed_table(spec, label)["rows"] if r[0].strip() == code)


def _set(spec: dict, label: str, code: str, column: str, text: str) -> None:
    table = seed_table(spec, label)
    _row(spec, label, code)[table["columns"].index(column)] = text


# ── The corruptions ──────────────────────────────────────────────────────────────
def change_item_amount(spec):
    """表3, 项 2101102 事业单位医疗: 合计 114.14 → 124.14 (one printed amount)."""
    _set(spec, "表3", "2101102", "合计", "124.14")


def drop_row_from_continuation_page(spec):
    """表6 continues on a second page; its 类 row 303 对个人和家庭的补助 is printed there."""
    table = seed_table(spec, "表6")
    table["rows"] = [r for r in table["rows"] if r[0].strip() != "303"]


def swap_two_columns(spec):
    """表5-2: the figures of 基本支出/人员经费 and 项目支出 trade places (headers stay)."""
    table = seed_table(spec, "表5-2")
    a, b = table["columns"].index("基本支出/人员经费"), table["columns"].index("项目支出")
    for row in table["rows"]:
        row[a], row[b] = row[b], row[a]


def change_three_public_figure(spec):
    """表7 公务接待费 9.10 → 5.10 万元, below the 9.10 万元 of 30217 公务接待费 in 表6."""
    table = seed_table(spec, "表7")
    table["rows"][0][table["columns"].index("公务接待费")] = "5.10"


def change_unit_line(spec):
    """表6 says 单位：元 instead of 单位：万元."""
    seed_table(spec, "表6")["unit_line"] = "单位：元"


def round_at_the_tolerance(spec):
    """表5-2 in 万元: 301012's 基本支出 off by 0.01 over two printed addends (the
    tolerance: passes), 301015's 公用经费 by 0.02 (beyond it: fails)."""
    _set(spec, "表5-2", "301012", "基本支出/小计", "894.92")  # 828.37 + 66.54 = 894.91
    _set(spec, "表5-2", "301015", "基本支出/公用经费", "39.94")  # 461.97 + 39.92 = 501.89


def add_institutional_income(spec):
    """表2 合计 row prints 事业收入 100.00: money besides general-budget grants."""
    table = seed_table(spec, "表2")
    table["rows"][0][table["columns"].index("本年收入/事业收入")] = "100.00"


def change_department_funding_line(spec):
    """表11 部门总体资金情况: 人员类项目支出 当年金额 9678.62 → 9687.62 (its 合计 stays)."""
    form = next(t for t in spec["performance_tables"] if t["label"] == "表11")
    row = next(r for r in form["rows"] if "人员类项目支出" in r)
    row[row.index("9678.62")] = "9687.62"


def change_project_cost_line(spec):
    """表12-4 项目支出明细测算: “汉企通”平台升级改造 委托业务费 99 → 98 (项目当年预算 stays 99)."""
    form = next(t for t in spec["performance_tables"] if t["label"] == "表12-4")
    row = next(r for r in form["rows"] if "“汉企通”平台升级改造" in r and "委托业务费" in r)
    row[row.index("99")] = "98"


def misprint_item_code(spec):
    """表3, 项 2101102 事业单位医疗 printed as 7101102: a code whose 类 part is wrong (its
    parent 71011 is printed nowhere)."""
    row = _row(spec, "表3", "2101102")
    row[0] = row[0].replace("2101102", "7101102")


def copy_fund_note_to_state_capital(spec):
    """表9 国有资本经营预算支出表, printed empty, carries 表8's note naming 政府性基金."""
    seed_table(spec, "表9")["empty_note"] = seed_table(spec, "表8")["empty_note"]


VARIANTS = {
    f.__name__: f
    for f in (
        misprint_item_code,
        copy_fund_note_to_state_capital,
        change_item_amount,
        change_department_funding_line,
        change_project_cost_line,
        drop_row_from_continuation_page,
        swap_two_columns,
        change_three_public_figure,
        change_unit_line,
        round_at_the_tolerance,
        add_institutional_income,
    )
}


@dataclass
class Corrupted:
    warehouse: Path
    load: CliRun  # `cnbudget load` of the twins, the seed rendering and the Putuo corpus
    validation: IdentityValidation
    document_ids: dict[str, str]  # variant -> document_id

    @property
    def check_results(self) -> dict[str, bool]:
        """Each Dagster check the load ran: passed or not (from its summary line)."""
        line = next(line for line in self.load.stdout.splitlines() if line.startswith("Checks: "))
        failed = set(line.split("(", 1)[1].split(")", 1)[0].split(", ")) if "(" in line else set()
        return {identity.id: identity.id not in failed for identity in load_catalogue().identities}

    def results(self, variant: str) -> pd.DataFrame:
        results = self.validation.results
        return results[results.document_id == self.document_ids[variant]]

    def failures(self, variant: str) -> set[tuple[str, str, str, str]]:
        failed = self.results(variant)
        failed = failed[failed.status == FAILED]
        return set(zip(failed.identity_id, failed.table_name, failed.row_name, failed.column_path))

    def instance(self, variant: str, identity_id: str, table: str, row: str, column: str) -> pd.Series:
        r = self.results(variant)
        found = r[(r.identity_id == identity_id) & (r.table_name == table) & (r.row_name == row) & (r.column_path == column)]
        assert len(found) == 1, found
        return found.iloc[0]


@pytest.fixture(scope="session")
def corrupted(seed_spec, tmp_path_factory) -> Corrupted:
    """Issue #13's acceptance batch: the twins (the misprinted code among them), the seed
    rendering and the Putuo corpus (where it is), in one `cnbudget load`."""
    putuo = corpus_pdfs(CORPUS_DIR) if CORPUS_DIR.is_dir() else []

    def build(folder: Path) -> dict:
        pdfs = {name: render_variant(seed_spec, folder / f"{name}.pdf", change) for name, change in VARIANTS.items()}
        run = run_cli("load", *map(str, pdfs.values()), str(SEED_PDF), *map(str, putuo),
                      "--warehouse", str(folder / "warehouse.duckdb"))
        ids = {name: document_id_for(sha256_of(pdf)) for name, pdf in pdfs.items()}
        return {"returncode": run.returncode, "stdout": run.stdout, "stderr": run.stderr, "ids": ids}

    built = built_once(tmp_path_factory, "corrupted", build)
    warehouse = run_root(tmp_path_factory) / "shared" / "corrupted" / "warehouse.duckdb"
    ids = built.pop("ids")
    run = CliRun(warehouse, **built)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert f"{len(VARIANTS) + 1 + len(putuo)} loaded, 0 refused." in run.stdout
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        validation = validate_warehouse(conn, load_catalogue())
    return Corrupted(warehouse, run, validation, ids)


def test_an_item_amount_changed_breaks_its_section(corrupted):
    variant = "change_item_amount"
    assert corrupted.failures(variant) == {
        ("function_section_sum_of_items", "表3", "21011 行政事业单位医疗", "合计"),
        # ...and, as the change is in one cell, the row and its twin in 表5-1 disagree too:
        ("expenditure_row_total", "表3", "2101102 事业单位医疗", "合计"),
        ("expenditure_matches_general_budget", "表3", "2101102 事业单位医疗", "合计"),
    }
    section = corrupted.instance(variant, "function_section_sum_of_items", "表3", "21011 行政事业单位医疗", "合计")
    assert (section.actual_cents, section.expected_cents) == (wan_yuan("1257.64"), wan_yuan("1267.64"))
    assert (section.tolerance_cents, section.page) == (4 * wan_yuan("0.005"), 8)
    assert section.expected_source == "Σ 4 项 rows (2101101, 2101102, 2101103, 2101199)"
    assert {c["row_name"] for c in section.cells if c["role"] == "expected"} >= {"2101102 事业单位医疗"}


def test_a_changed_line_of_table_11_breaks_its_composition_total(corrupted):
    variant = "change_department_funding_line"
    assert corrupted.failures(variant) == {("department_funding_total_of_lines", "表11", "支出构成 合计", "当年金额")}
    total = corrupted.instance(variant, "department_funding_total_of_lines", "表11", "支出构成 合计", "当年金额")
    assert (total.actual_cents, total.expected_cents) == (wan_yuan("143733.66"), wan_yuan("143742.66"))
    assert (total.tolerance_cents, total.page, total.expected_source) == (3 * wan_yuan("0.005"), 22, "Σ 3 lines")
    assert {c["row_name"] for c in total.cells if c["role"] == "expected"} == {
        "支出构成 人员类项目支出", "支出构成 运转类项目支出", "支出构成 特定目标类项目支出"
    }


def test_a_changed_cost_line_no_longer_adds_up_to_the_project_budget(corrupted):
    variant = "change_project_cost_line"
    assert corrupted.failures(variant) == {("project_costs_sum_to_current_budget", "表12-4", "项目当年预算", "金额")}
    budget = corrupted.instance(variant, "project_costs_sum_to_current_budget", "表12-4", "项目当年预算", "金额")
    assert (budget.actual_cents, budget.expected_cents, budget.severity) == (wan_yuan("99"), wan_yuan("98"), "WARN")
    assert {(c["role"], c["row_name"], c["printed_text"], c["page"]) for c in budget.cells} == {
        ("actual", "项目当年预算", "99", 46), ("expected", "“汉企通”平台升级改造 委托业务费", "98", 46)
    }


def test_a_row_dropped_from_a_continuation_page_breaks_the_total(corrupted, seed_warehouse):
    with duckdb.connect(str(seed_warehouse), read_only=True) as conn:
        pages = dict(
            conn.execute(
                """select coalesce(r.code, r.label), r.page from raw.rows r join raw.tables t using (table_id)
                   where t.label = '表6' and (r.code = '303' or r.is_total)"""
            ).fetchall()
        )
    assert pages == {"合计": 15, "303": 16}  # the dropped row was on the continuation page
    variant = "drop_row_from_continuation_page"
    # the 合计 misses it, and the items printed under it have no parent printed
    orphans = ["30301 离休费", "30302 退休费", "30304 抚恤金", "30305 生活补助", "30307 医疗费补助", "30399 其他对个人和家庭的补助"]
    assert corrupted.failures(variant) == {
        ("total_row_sum_of_top_level", "表6", "合计", "本年一般公共预算基本支出/合计"),
        ("total_row_sum_of_top_level", "表6", "合计", "本年一般公共预算基本支出/人员经费"),
        *(("code_has_printed_parent", "表6", row, "本年一般公共预算基本支出/合计") for row in orphans),
    }
    total = corrupted.instance(variant, "total_row_sum_of_top_level", "表6", "合计", "本年一般公共预算基本支出/合计")
    assert (total.actual_cents, total.expected_cents) == (wan_yuan("10961.09"), wan_yuan("9295.47"))
    assert total.difference_cents == wan_yuan("1665.62")  # the dropped row's 合计


def test_two_columns_swapped_break_the_row_identities(corrupted):
    variant = "swap_two_columns"
    failures = corrupted.failures(variant)
    unit_rows = {"合计", "301 武汉市经济和信息化局", "301001 武汉市经济和信息化局本级", "301012 武汉市工业经济保障中心",
                 "301013 武汉市中小企业发展促进中心", "301014 武汉市工业信息化中心", "301015 武汉市军民融合发展推进中心"}  # fmt: skip
    assert failures == (
        {("basic_personnel_plus_public", "表5-2", row, "基本支出/小计") for row in unit_rows}
        | {("general_budget_row_total", "表5-2", row, "合计") for row in unit_rows}
        | {
            ("general_budget_by_function_matches_by_unit", "表5-1", "合计", "基本支出/人员经费"),
            ("general_budget_by_function_matches_by_unit", "表5-1", "合计", "项目支出"),
        }
    )
    # A swap moves whole columns: every column still adds up down the table.
    results = corrupted.results(variant)
    for identity in ("department_sum_of_units", "total_row_sum_of_top_level"):
        on_table = results[(results.identity_id == identity) & (results.table_name == "表5-2")]
        assert len(on_table) and set(on_table.status) == {PASSED}


def test_a_three_public_figure_changed_breaks_the_cross_table_identity(corrupted):
    variant = "change_three_public_figure"
    assert corrupted.failures(variant) == {
        ("three_public_covers_basic_economic_lines", "表7", "(the only row)", "公务接待费"),
        ("three_public_total", "表7", "(the only row)", "“三公”经费合计"),  # 100.10 ≠ 30.00 + 61.00 + 5.10
    }
    r = corrupted.instance(variant, "three_public_covers_basic_economic_lines", "表7", "(the only row)", "公务接待费")
    assert (r.comparison, r.actual_cents, r.expected_cents) == ("≥", wan_yuan("5.10"), wan_yuan("9.10"))
    assert r.expected_source == "表6 row 30217 公务接待费, column 本年一般公共预算基本支出/合计"
    assert {(c["role"], c["table_name"], c["page"]) for c in r.cells} == {("actual", "表7", 17), ("expected", "表6", 16)}


def test_a_unit_line_changed_breaks_the_cross_table_identities(corrupted):
    variant = "change_unit_line"
    assert corrupted.failures(variant) == {
        ("basic_economic_total_matches_general_budget_basic", "表6", "合计", f"本年一般公共预算基本支出/{column}")
        for column in ("合计", "人员经费", "公用经费")
    }
    r = corrupted.instance(
        variant, "basic_economic_total_matches_general_budget_basic", "表6", "合计", "本年一般公共预算基本支出/合计"
    )
    assert (r.printed_unit, r.actual_cents, r.expected_cents) == ("元", 10_961_09, wan_yuan("10961.09"))
    assert r.tolerance_cents == wan_yuan("0.005")  # 元 against 万元: the coarser side's rounding
    # Within 表6 a unit changes nothing, and a 元 table is held exactly.
    results = corrupted.results(variant)
    within = results[(results.table_name == "表6") & (results.identity_kind != "match") & (results.status != NOT_APPLICABLE)]
    assert len(within) and set(within.status) == {PASSED} and set(within.tolerance_cents) == {0}


def test_rounding_is_allowed_up_to_half_a_unit_per_printed_addend_and_not_beyond(corrupted):
    variant = "round_at_the_tolerance"
    assert corrupted.failures(variant) == {
        ("basic_personnel_plus_public", "表5-2", "301015 武汉市军民融合发展推进中心", "基本支出/小计"),
    }
    beyond = corrupted.instance(
        variant, "basic_personnel_plus_public", "表5-2", "301015 武汉市军民融合发展推进中心", "基本支出/小计"
    )
    within = corrupted.instance(
        variant, "basic_personnel_plus_public", "表5-2", "301012 武汉市工业经济保障中心", "基本支出/小计"
    )
    assert (beyond.difference_cents, beyond.tolerance_cents) == (-wan_yuan("0.02"), wan_yuan("0.01"))
    assert (within.difference_cents, within.tolerance_cents, within.status) == (wan_yuan("0.01"), wan_yuan("0.01"), PASSED)


def test_an_identity_whose_precondition_fails_is_not_applicable_never_passed(corrupted):
    catalogue = load_catalogue()
    conditional = {i.id: i.precondition for i in catalogue.table_identities if i.precondition}
    results = corrupted.results("add_institutional_income")
    for identity_id, precondition in conditional.items():
        rows = results[results.identity_id == identity_id]
        assert list(rows.status) == [NOT_APPLICABLE], identity_id
        assert rows.reason.iloc[0] == f"precondition {precondition} not met: 表2 row 合计, column 本年收入/事业收入 prints 100.00"
    # Where the precondition holds, the same identities are evaluated (and hold).
    results = corrupted.results("change_three_public_figure")
    for identity_id in conditional:
        rows = results[results.identity_id == identity_id]
        assert len(rows) and set(rows.status) == {PASSED}, identity_id


def test_great_expectations_judges_each_identity(corrupted, seed_warehouse):
    """The one expectation type used, expect_column_values_to_be_between (excess ≤ 0 on
    the identity's rows), passes on the seed and fails on the corrupted twins."""
    with duckdb.connect(str(seed_warehouse), read_only=True) as conn:
        seed = validate_warehouse(conn, load_catalogue()).gx_result
    corrupted_failing = set(corrupted.validation.failures.identity_id)
    for gx_result, should_fail in ((seed, set()), (corrupted.validation.gx_result, corrupted_failing)):
        types = {r.expectation_config.type for r in gx_result.results}
        assert types == {"expect_column_values_to_be_between"}
        failed = {r.expectation_config.meta["identity_id"] for r in gx_result.results if not r.success}
        assert failed == should_fail
        assert gx_result.success is (not should_fail)
    unexpected = {
        r.expectation_config.meta["identity_id"]: r.result["unexpected_count"] for r in corrupted.validation.gx_result.results
    }
    assert unexpected["function_section_sum_of_items"] == 1 + 2  # the changed item's 款; the misprinted code's, two columns
    assert unexpected["basic_personnel_plus_public"] == 7 + 1  # the swap's seven rows, the rounding's one


def test_dagster_checks_and_dq_results_report_the_corruptions(corrupted):
    failing = set(corrupted.validation.failures.identity_id)
    assert failing >= {
        "function_section_sum_of_items", "total_row_sum_of_top_level", "basic_personnel_plus_public",
        "three_public_covers_basic_economic_lines", "basic_economic_total_matches_general_budget_basic",
    }  # fmt: skip
    checks = corrupted.check_results
    identity_checks = {i.id: checks[i.id] for i in load_catalogue().table_identities}
    assert {name for name, passed in identity_checks.items() if not passed} == failing
    with duckdb.connect(str(corrupted.warehouse), read_only=True) as conn:
        persisted = read_results(conn)
    failed = persisted[persisted.status == FAILED]
    assert len(failed) == len(corrupted.validation.failures)
    assert failed.page.notna().all()
    # The checked cell's box where it is printed; a row a table misses has none, and its
    # counterpart in the other table is among the cells involved.
    missing = failed.row_name.str.contains(r"\(not printed in ", regex=True)
    assert failed[~missing][["x0", "y0", "x1", "y1"]].notna().all().all()
    assert missing.any() and failed[missing].x0.isna().all() and (failed[missing].cells.map(len) > 0).all()
    assert (failed.passed == False).all()  # noqa: E712 - a nullable boolean column


def test_cli_check_prints_each_failure_with_both_sides_and_exits_1(corrupted):
    result = run_cli("check", "--warehouse", str(corrupted.warehouse))
    assert result.returncode == 1, result.stdout + result.stderr
    document = corrupted.document_ids["change_item_amount"]
    block = result.stdout.split(f"[{document}]")[1].split("\n\n")[0].splitlines()
    # Not applicable: 46 budget identities; the 决算 (final_*) ones are never evaluated on a budget.
    assert block[1] == "  561 identity instances evaluated: 558 passed, 3 failed; 46 not applicable"
    failure = block.index("  ✗ function_section_sum_of_items [ERROR]  表3, page 8, row 21011 行政事业单位医疗, column 合计")
    assert block[failure + 1] == (
        "      printed 1,257.64 万元 ≠ 1,267.64 万元 expected from Σ 4 项 rows (2101101, 2101102, 2101103, 2101199)"
    )
    assert block[failure + 2] == "      difference -10.00 万元, tolerance ±0.02 万元"
    assert result.stdout.splitlines()[-1].startswith(f"{len(corrupted.validation.documents)} documents, ")


def test_a_misprinted_code_is_reported_at_its_row(corrupted):
    """Issue #13: a 项 printed with a wrong 类 part builds (dbt keeps the code, its parent
    marked not printed) and the code-parent identity fails at the row, on its page."""
    variant = "misprint_item_code"
    row = "7101102 事业单位医疗"
    assert corrupted.failures(variant) == {
        ("code_has_printed_parent", "表3", row, "合计"),
        # the 款 it belongs to misses it, and 表5-1 prints it under its right code
        ("function_section_sum_of_items", "表3", "21011 行政事业单位医疗", "合计"),
        ("function_section_sum_of_items", "表3", "21011 行政事业单位医疗", "基本支出"),
        ("expenditure_matches_general_budget", "表3", row, "合计"),
        ("expenditure_matches_general_budget", "表3", row, "基本支出"),
        ("expenditure_matches_general_budget", "表3", "2101102 事业单位医疗 (not printed in 表3)", "合计"),
        ("expenditure_matches_general_budget", "表3", "2101102 事业单位医疗 (not printed in 表3)", "基本支出"),
    }
    found = corrupted.instance(variant, "code_has_printed_parent", "表3", row, "合计")
    assert (found.actual_cents, found.expected_cents, found.page) == (0, 1, 8)
    assert found.expected_source == "its parent 71011 printed in 表3 (1 = printed, 0 = not)"
    with duckdb.connect(str(corrupted.warehouse), read_only=True) as conn:
        assert conn.execute(
            "select parent_code, parent_key, parent_printed from marts.dim_function_subject where code = '7101102'"
        ).fetchone() == ("71011", None, False)


def test_an_empty_tables_note_copied_from_the_other_fund_is_reported(corrupted):
    """Issue #13: 表9 (国有资本经营) printed empty with 表8's note about 政府性基金."""
    variant = "copy_fund_note_to_state_capital"
    (failure,) = corrupted.failures(variant)
    assert failure[:3] == ("empty_table_note_names_its_own_fund", "表9", "(note)")
    assert "政府性基金" in failure[3]
    # the seed's own notes name their own funds
    seed = corrupted.results("change_item_amount")
    notes = seed[seed.identity_id == "empty_table_note_names_its_own_fund"]
    assert set(zip(notes.table_name, notes.status)) == {("表8", PASSED), ("表9", PASSED)}


def test_the_batch_with_a_misprinted_code_loads_and_the_report_shows_it_on_its_page(corrupted, tmp_path):
    """Issue #13's acceptance: the load of the batch exits 0 and counts the failing checks;
    the report shows the code-parent failure of the misprinted row on a crop of page 8."""
    from selenium.webdriver.common.by import By

    from cnbudget.report.build import build_report
    from tests.headless_chromium import CHROMIUM, chromium
    from tests.test_report import _visible

    if not CHROMIUM.exists():
        pytest.skip("headless Chromium: `make test` installs it")
    assert not corrupted.check_results["code_has_printed_parent"]
    with duckdb.connect(str(corrupted.warehouse), read_only=True) as conn:
        judged = conn.execute("select count(distinct document_id) from dq.identity_results").fetchone()[0]
        documents = conn.execute("select count(*) from raw.documents").fetchone()[0]
    putuo = corpus_pdfs(CORPUS_DIR) if CORPUS_DIR.is_dir() else []
    assert judged == documents == len(VARIANTS) + 1 + len(putuo)  # every one has verdicts
    summary = next(line for line in corrupted.load.stdout.splitlines() if line.startswith("Checks: "))
    assert "code_has_printed_parent" in summary and "failed (" in summary
    html = build_report(corrupted.warehouse, tmp_path / "report")
    document = corrupted.document_ids["misprint_item_code"]
    with chromium(offline=True) as browser:
        browser.get(html.as_uri())
        card = browser.find_element(
            By.CSS_SELECTOR, f'#failures .failure[data-identity="code_has_printed_parent"][data-document="{document}"]')
        assert card.find_element(By.CSS_SELECTOR, "b").text == "7101102 事业单位医疗"
        crops = card.find_elements(By.CSS_SELECTOR, "figure.crop")
        assert [c.get_attribute("data-page") for c in crops] == ["8"]
        assert _visible(browser, crops[0].find_element(By.CSS_SELECTOR, "img.crop"))
