"""Issue #16: the report of a 决算 draws its budget beside its 决算数, per function 类 and
per “三公” item, in headless Chromium; a budget's section has no such chart."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.conftest import FINALS, final_document_id

# ── The report of a 决算: budget beside 决算数 (issue #16), in headless Chromium ──
# Read off the pages with `pdftotext -layout`, in 万元. 国家信访局: 公开05表 (p.11) 类 本年支出/小计
# and 公开09表 (p.15) 预算数 / 决算数 (公务用车购置费 blank in both); Putuo: p.15 类 合计 and
# p.18, whose only figure is 公务接待费 预算数 0.95. Neither prints a budget beside its 类.
HAND_READ_CLASSES = {
    "central_state_petition_bureau_2024_final": {"201": "9,846.82", "205": "180.03", "210": "497.53"},
    "putuo_finance_bureau_2024_final": {"201": "2,106.66", "210": "60.99", "221": "445.69"},
}
HAND_READ_THREE_PUBLIC = {  # item: (预算数, 决算数); None where the table leaves the cell blank
    "central_state_petition_bureau_2024_final": {
        "outbound_travel": ("30.00", "4.69"), "vehicle": ("40.63", "40.61"), "vehicle_purchase": (None, None),
        "vehicle_operation": ("40.63", "40.61"), "reception": ("5.80", "0.90")},
    "putuo_finance_bureau_2024_final": {
        "outbound_travel": (None, None), "vehicle": (None, None), "vehicle_purchase": (None, None),
        "vehicle_operation": (None, None), "reception": ("0.95", None)},
}


@pytest.fixture(scope="module")
def browser():
    from tests.headless_chromium import CHROMIUM, chromium

    if not CHROMIUM.exists():
        pytest.skip("headless Chromium: `make test` installs it")
    with chromium(offline=True) as driver:
        yield driver


def _open_report(browser, warehouse: Path, out: Path):
    from cnbudget.report.build import build_report

    browser.get(build_report(warehouse, out).as_uri())
    return browser


@pytest.fixture(scope="module")
def finals_report_html(finals_warehouse, tmp_path_factory) -> Path:
    from cnbudget.report.build import build_report

    return build_report(finals_warehouse, tmp_path_factory.mktemp("finals_report"))


@pytest.fixture
def finals_report(browser, finals_report_html):
    """The browser on the report of finals_warehouse (another test may have opened another)."""
    browser.get(finals_report_html.as_uri())
    return browser


def _visible(driver, element) -> bool:
    width, height = driver.execute_script(
        "const r = arguments[0].getBoundingClientRect(); return [r.width, r.height];", element)
    return element.is_displayed() and width > 0 and height > 0


def _drawn(driver, chart: str) -> dict[tuple[str, str], str | None]:
    """(line, basis) -> the figure drawn beside its bar, or None for a “—” (not printed);
    every bar visible."""
    from selenium.webdriver.common.by import By

    svg = driver.find_element(By.CSS_SELECTOR, f'svg.chart[data-chart="{chart}"]')
    assert _visible(driver, svg), chart
    drawn = {}
    for bar in svg.find_elements(By.CSS_SELECTOR, "g.bar"):
        assert _visible(driver, bar.find_element(By.TAG_NAME, "rect")), chart
        drawn[(bar.get_attribute("data-line"), bar.get_attribute("data-basis"))] = bar.find_element(By.TAG_NAME, "text").text
    for blank in svg.find_elements(By.CSS_SELECTOR, "g.not-printed"):
        assert "not printed" in blank.get_attribute("textContent")
        drawn[(blank.get_attribute("data-line"), blank.get_attribute("data-basis"))] = None
    return drawn


@pytest.mark.parametrize("stem", FINALS)
def test_the_report_draws_each_final_accounts_budget_beside_its_final(finals_report, national_dir, stem):
    document = final_document_id(national_dir, stem)
    classes = _drawn(finals_report, f"budget-vs-final-classes-{document}")
    for code, final in HAND_READ_CLASSES[stem].items():
        # no budget printed beside the 类: a “—”, never a zero bar
        assert (classes[(code, "final")], classes[(code, "adjusted_budget")]) == (final, None), code
    three_public = _drawn(finals_report, f"budget-vs-final-three-public-{document}")
    assert three_public == {
        (item, basis): figure
        for item, figures in HAND_READ_THREE_PUBLIC[stem].items()
        for basis, figure in zip(("adjusted_budget", "final"), figures)
    }


def test_a_final_accounts_three_public_chart_shows_what_was_spent(finals_report, national_dir):
    """The “三公” chart of what was spent reads the 决算数 alone, not 预算数 + 决算数 (34.69)."""
    from selenium.webdriver.common.by import By

    document = final_document_id(national_dir, FINALS[1])
    chart = finals_report.find_element(By.CSS_SELECTOR, f'svg.chart[data-chart="three-public-{document}"]')
    assert "因公出国（境）费 2024: 4.69 万元" in chart.get_attribute("textContent")


def test_a_budget_in_the_same_report_has_no_budget_against_final(finals_report):
    from selenium.webdriver.common.by import By

    sections = finals_report.find_elements(By.CSS_SELECTOR, "section.document")
    charted = {
        s.get_attribute("data-document"): [c.get_attribute("data-chart").rsplit("-", 1)[0]
                                           for c in s.find_elements(By.CSS_SELECTOR, "svg.chart")]
        for s in sections
    }
    budget = finals_report.execute_script(
        "return [...document.querySelectorAll('section.document')].find(s => s.querySelector('h2').textContent"
        ".includes('2026 部门预算')).dataset.document")
    assert len(charted) == 3
    assert not [c for c in charted[budget] if c.startswith("budget-vs-final")]
    assert "three-public" in charted[budget]  # its own charts are still there
    assert all("budget-vs-final-classes" in c and "budget-vs-final-three-public" in c
               for document, c in charted.items() if document != budget)


def test_a_final_accounts_printing_its_budgets_draws_both_beside_the_final(browser, drawn_final_warehouse, tmp_path):
    # the drawn 表 prints 201 一般公共服务支出: 年初预算数 120.00, 全年预算数 130.00, 决算数 125.00
    warehouse, document = drawn_final_warehouse
    classes = _drawn(_open_report(browser, warehouse, tmp_path), f"budget-vs-final-classes-{document}")
    assert classes == {("201", "initial_budget"): "120.00", ("201", "adjusted_budget"): "130.00",
                       ("201", "final"): "125.00"}


def test_a_figure_changed_in_the_warehouse_is_the_one_drawn(browser, finals_warehouse, national_dir, tmp_path):
    """The chart draws the mart, not a constant: 因公出国（境）费 决算数 4.69 → 14.69 万元."""
    import shutil

    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(finals_warehouse, copy)
    document = final_document_id(national_dir, FINALS[1])
    with duckdb.connect(str(copy)) as conn:
        conn.execute("update marts.fact_budget_vs_final set final_yuan = 146900.00 where document_id = ? "
                     "and comparison = 'three_public' and line_code = 'outbound_travel'", [document])
    drawn = _drawn(_open_report(browser, copy, tmp_path / "report"), f"budget-vs-final-three-public-{document}")
    assert drawn[("outbound_travel", "final")] == "14.69"
    assert drawn[("outbound_travel", "adjusted_budget")] == "30.00"
