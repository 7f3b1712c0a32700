"""Issue #7 acceptance: the load report, opened in Debian's headless Chromium.

The seed rendering and a corrupted twin (表3 prints 124.14 for 2101102 事业单位医疗
where every other table prints 114.14), plus a file that is not a PDF, are loaded
through the real pipeline once for this module; the report is built once and opened
once, offline, and its screenshot kept in test-artifacts/.
"""

from __future__ import annotations

import base64
import ctypes
import io
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
from PIL import Image

from cnbudget.pipeline import load
from cnbudget.report.build import build_report
from cnbudget.report.page_crops import RENDER_SCALE, ROLE_COLOURS, box_to_pixels
from tests.conftest import REPO, SEED_PDF, render_variant, run_cli, seed_table
from tests.headless_chromium import CHROMIUM, chromium, full_page_screenshot

ARTIFACTS = REPO / "test-artifacts"
TWIN_NAME = "武汉市经济和信息化局_2025_部门预算_表3有误.pdf"
# What the corrupted cell makes fail: (identity, row) on 表3 column 合计.
EXPECTED_FAILURES = {
    ("expenditure_row_total", "2101102 事业单位医疗"),
    ("expenditure_matches_general_budget", "2101102 事业单位医疗"),
    ("function_section_sum_of_items", "21011 行政事业单位医疗"),
}

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="headless Chromium: `make test` installs it")


def print_wrong_item_amount(spec):
    """表3, 项 2101102 事业单位医疗: 合计 114.14 → 124.14 (its parts and 表5-1 still say 114.14)."""
    table = seed_table(spec, "表3")
    row = next(r for r in table["rows"] if r[0].strip() == "2101102")
    row[table["columns"].index("合计")] = "124.14"


@pytest.fixture(scope="module")
def report_warehouse(seed_spec, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("report_inputs")
    render_variant(seed_spec, folder / TWIN_NAME, print_wrong_item_amount)
    (folder / "notes.pdf").write_text("meeting notes, not a budget", encoding="utf-8")
    warehouse = tmp_path_factory.mktemp("report") / "warehouse.duckdb"
    outcome = load([SEED_PDF, folder], warehouse, quiet=True)
    assert [f.reason for f in outcome.refused] == ["not_pdf"]
    # An inconsistent publication is loaded and built; its identities are what fail.
    assert outcome.transform_ok, outcome.transform_error
    assert {name for name, passed in outcome.check_results.items() if not passed} == {
        identity for identity, _ in EXPECTED_FAILURES
    }
    return warehouse


@pytest.fixture(scope="module")
def twin_id(report_warehouse) -> str:
    with duckdb.connect(str(report_warehouse), read_only=True) as conn:
        return conn.execute("select document_id from raw.documents where source_file like ?", [f"%{TWIN_NAME}"]).fetchone()[0]


@pytest.fixture(scope="module")
def report_html(report_warehouse, tmp_path_factory) -> Path:
    return build_report(report_warehouse, tmp_path_factory.mktemp("report_out"))


@pytest.fixture(scope="module")
def browser(report_html):
    """The report in offline headless Chromium, left open for the module's tests."""
    with chromium(offline=True) as driver:
        driver.get(report_html.as_uri())
        yield driver


@pytest.fixture(scope="module")
def screenshot(browser) -> Path:
    return full_page_screenshot(browser, ARTIFACTS / "report-seed-and-corrupted-twin.png")


def _visible(driver, element) -> bool:
    """Shown (WebDriver's own judgement: styles, folded <details> …) at a non-zero size."""
    width, height = driver.execute_script(
        "const r = arguments[0].getBoundingClientRect(); return [r.width, r.height];", element
    )
    return element.is_displayed() and width > 0 and height > 0


def _image(data_uri: str) -> Image.Image:
    assert data_uri.startswith("data:image/png;base64,")
    return Image.open(io.BytesIO(base64.b64decode(data_uri.split(",", 1)[1]))).convert("RGB")


def _pixels_near(image: Image.Image, colour: tuple[int, int, int], tolerance: int = 40) -> int:
    return sum(
        1 for pixel in image.getdata() if all(abs(channel - target) <= tolerance for channel, target in zip(pixel, colour))
    )


# ── The failed identity on its page ──────────────────────────────────────────────
def test_each_failure_of_dq_identity_results_and_no_other_is_in_the_report(browser, report_warehouse, twin_id):
    from selenium.webdriver.common.by import By

    with duckdb.connect(str(report_warehouse), read_only=True) as conn:
        stored = set(conn.execute("select identity_id, row_name from dq.identity_results where status = 'failed'").fetchall())
    assert stored == EXPECTED_FAILURES
    cards = browser.find_elements(By.CSS_SELECTOR, "#failures .failure")
    shown = {(card.get_attribute("data-identity"), card.find_element(By.CSS_SELECTOR, "b").text) for card in cards}
    assert shown == EXPECTED_FAILURES
    assert {card.get_attribute("data-document") for card in cards} == {twin_id}


def test_the_failed_cell_is_highlighted_on_a_visible_crop_of_its_page(browser, screenshot):
    from selenium.webdriver.common.by import By

    card = browser.find_element(By.CSS_SELECTOR, '#failures .failure[data-identity="expenditure_row_total"]')
    crops = card.find_elements(By.CSS_SELECTOR, "figure.crop")
    assert [c.get_attribute("data-page") for c in crops] == ["8"]  # both sides are printed on page 8 of 表3
    image = crops[0].find_element(By.CSS_SELECTOR, "img.crop")
    assert _visible(browser, image)
    assert browser.execute_script("return arguments[0].complete && arguments[0].naturalWidth", image) > 0
    # The crop carries the red outline of the checked cell and the blue one of the
    # 基本支出 cell it must equal: the pixels are in the picture, not just in the markup.
    picture = _image(image.get_attribute("src"))
    assert _pixels_near(picture, ROLE_COLOURS["actual"]) > 200
    assert _pixels_near(picture, ROLE_COLOURS["expected"]) > 200
    # Both sides and the difference, in the printed unit and in yuan.
    text = card.text
    for figure in ("124.14", "114.14", "10.00", "1,241,400.00", "1,141,400.00", "100,000.00"):
        assert figure in text
    assert screenshot.stat().st_size > 50_000


def test_a_failure_across_tables_shows_a_crop_of_each_page(browser):
    from selenium.webdriver.common.by import By

    card = browser.find_element(By.CSS_SELECTOR, '#failures .failure[data-identity="expenditure_matches_general_budget"]')
    crops = card.find_elements(By.CSS_SELECTOR, "figure.crop")
    assert [c.get_attribute("data-page") for c in crops] == ["8", "12"]  # 表3, then 表5-1 where 114.14 is printed
    assert all(_visible(browser, c.find_element(By.CSS_SELECTOR, "img")) for c in crops)
    assert "表5-1 2101102 事业单位医疗 / 合计 = 114.14" in crops[1].text


def test_a_box_maps_to_the_pixels_pdfium_itself_puts_it_at(report_warehouse, twin_id):
    """Boxes are PDF points with the origin bottom-left; pdfium's own page-to-device
    mapping is the reference for where they land on the rendered page."""
    with duckdb.connect(str(report_warehouse), read_only=True) as conn:
        source, x0, y0, x1, y1 = conn.execute(
            """select d.source_file, r.x0, r.y0, r.x1, r.y1 from dq.identity_results r join raw.documents d using (document_id)
               where r.document_id = ? and r.identity_id = 'expenditure_row_total' and r.status = 'failed'""",
            [twin_id],
        ).fetchone()
    page = pdfium.PdfDocument(source)[7]
    assert page.get_textpage().get_text_bounded(x0, y0, x1, y1).strip() == "124.14"
    width, height = round(page.get_width() * RENDER_SCALE), round(page.get_height() * RENDER_SCALE)
    device_x, device_y = ctypes.c_int(), ctypes.c_int()
    expected = []
    for x, y in ((x0, y1), (x1, y0)):  # top-left and bottom-right corners
        assert pdfium_c.FPDF_PageToDevice(page.raw, 0, 0, width, height, 0, x, y, device_x, device_y)
        expected += [device_x.value, device_y.value]
    mapped = box_to_pixels((x0, y0, x1, y1), tuple(page.get_cropbox()), RENDER_SCALE)
    assert mapped == pytest.approx(expected, abs=1)


# ── Charts ──────────────────────────────────────────────────────────────────────
def test_charts_of_the_document_are_drawn_and_visible(browser, report_warehouse, twin_id):
    from selenium.webdriver.common.by import By

    with duckdb.connect(str(report_warehouse), read_only=True) as conn:
        classes = conn.execute(
            """select count(distinct left(s.code, 3)) from marts.fact_expenditure f
               join marts.dim_function_subject s using (function_subject_key)
               where f.document_id = ? and f.cut = 'function_subject' and f.fund_scope_code = 'all_funds'""",
            [twin_id],
        ).fetchone()[0]
    assert classes == 6  # 206, 208, 210, 211, 215, 221
    charts = {
        "department-year-overview": None,
        f"function-classes-{twin_id}": classes,
        f"economic-classes-{twin_id}": 3,  # 301, 302, 303
        f"expenditure-groups-{twin_id}": None,
        f"three-public-{twin_id}": 4,  # the four “三公” items, this year only: 2024 is not loaded
    }
    for name, bars in charts.items():
        svg = browser.find_element(By.CSS_SELECTOR, f'svg.chart[data-chart="{name}"]')
        assert _visible(browser, svg), name
        if bars is not None:
            assert len(svg.find_elements(By.CSS_SELECTOR, "g.bar")) == bars, name
    groups = browser.find_element(By.CSS_SELECTOR, f'svg.chart[data-chart="expenditure-groups-{twin_id}"]')
    assert {s.get_attribute("textContent").split(":")[0] for s in groups.find_elements(By.CSS_SELECTOR, "g.segment title")} == {
        "基本支出", "项目支出",
    }
    three_public = browser.find_element(By.CSS_SELECTOR, f'svg.chart[data-chart="three-public-{twin_id}"]')
    assert "因公出国（境）费 2025: 30.00 万元" in three_public.get_attribute("textContent")


def test_function_classes_drill_down_to_their_sections(browser, twin_id):
    from selenium.webdriver.common.by import By

    section = browser.find_element(By.ID, f"doc-{twin_id}")
    drill = section.find_element(By.XPATH, ".//details[summary[starts-with(normalize-space(.), '210 卫生健康支出')]]")
    chart = drill.find_element(By.CSS_SELECTOR, "svg.chart")
    assert not _visible(browser, chart)  # folded until asked for
    drill.find_element(By.TAG_NAME, "summary").click()
    assert _visible(browser, chart)
    # 21011 行政事业单位医疗: its 项 in the leaf columns 基本支出 and 项目支出 (the corrupted
    # 124.14 is printed only in 合计): 343.29 + 114.14 + 778.21 + 22.00
    assert "21011 行政事业单位医疗: 1,257.64 万元" in chart.get_attribute("textContent")


def test_overview_has_one_cell_per_current_budget_and_marks_the_failing_one(browser, twin_id):
    from selenium.webdriver.common.by import By

    overview = browser.find_element(By.CSS_SELECTOR, 'svg.chart[data-chart="department-year-overview"]')
    cells = overview.find_elements(By.CSS_SELECTOR, "g.overview-cell")
    assert len(cells) == 1  # the twin replaced the seed as the current 2025 budget
    link = overview.find_element(By.CSS_SELECTOR, "a").get_dom_attribute("href")
    assert link.endswith(f"#doc-{twin_id}")
    assert "3 identities failed" in cells[0].get_attribute("textContent")


# ── Loads, tables, identity counts ──────────────────────────────────────────────
def test_loads_list_every_document_and_each_refusal_with_its_reason(browser):
    from selenium.webdriver.common.by import By

    rows = browser.find_elements(By.CSS_SELECTOR, "#loads tr[class^=load-]")
    outcomes = {(r.find_elements(By.TAG_NAME, "td")[1].text, r.find_elements(By.TAG_NAME, "td")[2].text) for r in rows}
    assert outcomes == {(SEED_PDF.name, "loaded"), (TWIN_NAME, "loaded"), ("notes.pdf", "refused")}
    refused = next(r for r in rows if "refused" in r.get_attribute("class"))
    assert "not_pdf" in refused.text


def test_tables_found_are_listed_per_document_with_kind_pages_and_unit(browser, report_warehouse, twin_id):
    from selenium.webdriver.common.by import By

    with duckdb.connect(str(report_warehouse), read_only=True) as conn:
        stored = conn.execute(
            "select label, kind, first_page, last_page, printed_unit from raw.tables where document_id = ? order by ordinal",
            [twin_id],
        ).fetchall()
    section = browser.find_element(By.ID, f"doc-{twin_id}")
    table = section.find_element(By.XPATH, ".//h3[starts-with(., 'Tables found')]/following-sibling::table[1]")
    shown = [
        [td.text for td in row.find_elements(By.TAG_NAME, "td")]
        for row in table.find_elements(By.TAG_NAME, "tr")[1:]
    ]
    assert [(s[0], s[2], s[3], s[4]) for s in shown] == [
        (label, kind, f"{first}" if first == last else f"{first}–{last}", unit) for label, kind, first, last, unit in stored
    ]


def test_identity_counts_per_document_are_those_stored(browser, report_warehouse, twin_id):
    from selenium.webdriver.common.by import By

    with duckdb.connect(str(report_warehouse), read_only=True) as conn:
        counts = dict(
            conn.execute("select status, count(*) from dq.identity_results where document_id = ? group by all", [twin_id]).fetchall()
        )
    bar = browser.find_element(By.CSS_SELECTOR, f'#doc-{twin_id} svg.chart[data-chart="identity-status"]')
    legend = bar.get_attribute("textContent")
    assert f"passed {counts['passed']:,}" in legend and "failed 3" in legend
    assert f"not applicable {counts['not_applicable']:,}" in legend


# ── Self-contained ──────────────────────────────────────────────────────────────
class _References(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.found += [value for name, value in attrs if name in ("src", "href") and value]


def test_the_report_needs_nothing_but_its_own_file(browser, report_html):
    references = _References()
    references.feed(report_html.read_text(encoding="utf-8"))
    assert references.found and all(r.startswith(("data:", "#")) for r in references.found), {
        r for r in references.found if not r.startswith(("data:", "#"))
    }
    assert not re.search(r"<script|@import|url\(", report_html.read_text(encoding="utf-8"))
    # In Chromium with the network cut off, nothing was requested besides the file.
    requested = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert [r for r in requested if not r.startswith("data:")] == []


def test_a_moved_pdf_leaves_the_failure_listed_without_its_page_image(report_warehouse, tmp_path):
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(report_warehouse, copy)
    with duckdb.connect(str(copy)) as conn:
        conn.execute("update marts.dim_document set source_file = '/nowhere/' || document_id || '.pdf'")
    html = build_report(copy, tmp_path / "out", landing_dir=tmp_path).read_text(encoding="utf-8")
    assert html.count('class="failure"') == 3 and "<img" not in html
    assert "no page image" in html


def test_results_that_no_longer_describe_the_warehouse_are_flagged(report_warehouse, tmp_path):
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(report_warehouse, copy)
    with duckdb.connect(str(copy)) as conn:
        conn.execute("update raw.tables set printed_unit = '元' where label = '表6'")
    html = build_report(copy, tmp_path / "out").read_text(encoding="utf-8")
    assert 'id="stale"' in html and "the warehouse changed" in html


# ── Dagster ─────────────────────────────────────────────────────────────────────
def test_the_report_asset_links_the_report_and_tells_each_partition_its_identities(report_warehouse, twin_id):
    from dagster import AssetRecordsFilter, materialize
    from dagster_duckdb import DuckDBResource

    from cnbudget.runs import local_instance
    from cnbudget.ingest.assets import RAW_DOCUMENT
    from cnbudget.report.asset import load_report

    instance = local_instance()  # the session's, where the load registered the partitions
    result = materialize([load_report], resources={"warehouse": DuckDBResource(database=str(report_warehouse))}, instance=instance)
    metadata = result.get_asset_materialization_events()[0].materialization.metadata
    report = Path(metadata["report"].value)
    assert report == report_warehouse.parent / "report" / "index.html" and report.stat().st_size > 10_000
    assert (metadata["identities_failed"].value, metadata["refused_files"].value, metadata["documents"].value) == (3, 1, 2)
    assert f"| {twin_id} | 16 | 53 |" in metadata["by_document"].value  # the seed: 16 tables, 53 pages
    assert re.search(r"\| marts\.published_figures \| [\d,]+ \|", metadata["row_counts"].value)
    observed = instance.fetch_observations(AssetRecordsFilter(asset_key=RAW_DOCUMENT, asset_partitions=[twin_id]), limit=1)
    partition = observed.records[0].asset_observation.metadata
    assert partition["identities_failed"].value == 3 and partition["identities_evaluated"].value > 400
    assert partition["report"].value == f"{report.as_uri()}#doc-{twin_id}"


# ── The CLI ─────────────────────────────────────────────────────────────────────
def test_cnbudget_report_writes_the_report_and_explains_a_warehouse_it_cannot_read(report_warehouse, tmp_path):
    result = run_cli("report", "--warehouse", str(report_warehouse), "--out", str(tmp_path / "r"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "r" / "index.html").stat().st_size > 10_000
    assert str(tmp_path / "r" / "index.html") in result.stdout
    unbuilt = tmp_path / "raw_only.duckdb"
    with duckdb.connect(str(unbuilt)) as conn:
        conn.execute("create schema raw; create table raw.documents (document_id varchar)")
    (tmp_path / "notes.duckdb").write_text("not a database", encoding="utf-8")
    for warehouse, message in [
        (tmp_path / "none.duckdb", "No warehouse at"),
        (unbuilt, "has no marts.dim_document: run `cnbudget load` first"),
        (tmp_path / "notes.duckdb", "not a valid DuckDB database file"),
    ]:
        refused = run_cli("report", "--warehouse", str(warehouse), "--out", str(tmp_path / "refused"))
        assert refused.returncode == 2 and "Traceback" not in refused.stderr, refused.stderr
        assert message in refused.stderr
    assert not (tmp_path / "refused").exists()


def test_cnbudget_sql_prints_a_table_and_explains_errors(report_warehouse, tmp_path):
    warehouse = ["--warehouse", str(report_warehouse)]
    result = run_cli("sql", "select kind, version, is_current from marts.dim_document order by version", *warehouse)
    assert result.returncode == 0, result.stderr
    assert re.search(r"部门预算\s*│\s*1\s*│\s*False", result.stdout) and re.search(r"部门预算\s*│\s*2\s*│\s*True", result.stdout)
    assert "2 rows" in result.stdout
    csv = run_cli("sql", "select status, count(*) as n from dq.identity_results where status = 'failed' group by all", "--csv", *warehouse)
    assert csv.stdout.splitlines() == ["status,n", "failed,3"]
    for args, status, message in [
        (["selct 1"], 1, "Parser Error"),
        (["delete from raw.documents"], 1, "read-only"),
        (["copy (select 1) to '" + str(tmp_path / "out.csv") + "'"], 1, "file system operations are disabled"),
        (["select 1", "--warehouse", str(tmp_path / "none.duckdb")], 2, "no warehouse at"),
        (["--file", str(tmp_path / "none.sql")], 2, "does not exist"),
    ]:
        failed = run_cli("sql", *args, *([] if "--warehouse" in args else warehouse))
        assert failed.returncode == status, (args, failed.stdout, failed.stderr)
        assert message in failed.stderr and "Traceback" not in failed.stderr, failed.stderr
    assert not (tmp_path / "out.csv").exists()
    with duckdb.connect(str(report_warehouse), read_only=True) as conn:
        assert conn.execute("select count(*) from raw.documents").fetchone()[0] == 2


def test_every_command_explains_itself_with_examples():
    top = run_cli("--help")
    assert top.returncode == 0
    for command in ("load", "check", "report", "sql", "ui"):
        assert re.search(rf"^\s+{command}\s+\S", top.stdout, re.M), command
        assert f"cnbudget {command}" in top.stdout
        help_text = run_cli(command, "--help").stdout
        assert "Examples:" in help_text and f"cnbudget {command}" in help_text, command


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_cnbudget_ui_serves_the_dagster_ui_on_this_project(tmp_path):
    port = _free_port()
    log = tmp_path / "ui.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "cnbudget.cli", "ui", "--port", str(port), "--warehouse", str(tmp_path / "w.duckdb")],
        stdout=log.open("w"), stderr=subprocess.STDOUT, env=os.environ.copy(), start_new_session=True,
    )
    try:
        deadline, body = time.monotonic() + 120, ""
        while time.monotonic() < deadline and process.poll() is None:
            try:
                query = b'{"query": "{ assetNodes { assetKey { path } } }"}'
                request = urllib.request.Request(
                    f"http://127.0.0.1:{port}/graphql", data=query, headers={"Content-Type": "application/json"}
                )
                body = urllib.request.urlopen(request, timeout=5).read().decode()
                if "identity_results" in body:
                    break
            except OSError:
                pass
            time.sleep(1)
        assert all(key in body for key in ("identity_results", "published_figures", "load_report")), (
            body + log.read_text()[-3000:]
        )
    finally:
        os.killpg(process.pid, signal.SIGTERM)  # dagster dev and the webserver and daemon it started
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
