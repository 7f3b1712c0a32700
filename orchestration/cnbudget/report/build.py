"""Build the load report: read the warehouse, draw crops and charts, write one HTML file."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import duckdb
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from cnbudget import settings
from cnbudget.report import charts
from cnbudget.report.money import CHART_UNIT, format_in_unit, format_yuan
from cnbudget.report.page_crops import Highlight, PageCrop, PageCropper
from cnbudget.report.contents import BudgetAgainstFinal, Document, IdentityFailure, ReportData, printed_bases
from cnbudget.report.warehouse_data import WarehouseNotReady, read_report_data, require_models

REPORT_FILE = "index.html"
MAX_CROPPED_FAILURES = 200  # beyond this a report would weigh megabytes; the rest are listed without images
_TEMPLATES = Path(__file__).with_name("templates")
_BUDGET_LEGENDS = {"initial_budget": "年初预算数", "adjusted_budget": "全年预算数", "published_budget": "预算 (loaded)"}


@dataclass(frozen=True)
class FailureCrop:
    """One page of one failure: its image (None when the PDF cannot be found) and what it shows."""

    page: int
    caption: str
    image: PageCrop | None
    missing: str = ""


@dataclass
class DocumentCharts:
    identities: Markup
    function_classes: Markup | None = None
    function_sections: dict[str, Markup] = field(default_factory=dict)
    economic_classes: Markup | None = None
    economic_items: dict[str, Markup] = field(default_factory=dict)
    expenditure_groups: Markup | None = None
    three_public: Markup | None = None
    budget_vs_final_classes: Markup | None = None  # a 决算 only
    budget_vs_final_three_public: Markup | None = None


@dataclass(frozen=True)
class LoadEvent:
    when: datetime
    file_name: str
    outcome: str  # loaded / refused
    document: Document | None
    document_id: str | None
    details: str


def default_report_dir(warehouse: Path) -> Path:
    """`report/` beside the warehouse."""
    return warehouse.resolve().parent / "report"


def _budget_series(lines: list[BudgetAgainstFinal], **legends: str) -> list[tuple[str, str]]:
    """The budget bases printed on any line, then 决算数. Where none is printed, one budget
    series (预算数) of “—” says so on every line rather than leaving a final-only chart."""
    names = _BUDGET_LEGENDS | legends
    budgets = [(basis, names[basis]) for basis in printed_bases(lines)] or [("adjusted_budget", "预算数")]
    return budgets + [("final", "决算数")]


def _document_charts(document: Document) -> DocumentCharts:
    doc = document.document_id
    result = DocumentCharts(identities=charts.identity_status_bar(document.identity_counts))
    if document.function_classes:
        result.function_classes = charts.bar_chart(f"function-classes-{doc}", "Expenditure by function 类", document.function_classes)
        result.function_sections = {
            code: charts.bar_chart(f"function-sections-{doc}-{code}", f"{code}: expenditure by 款", sections, charts.PALETTE[5])
            for code, sections in document.function_sections.items()
        }
    if document.economic_classes:
        result.economic_classes = charts.bar_chart(
            f"economic-classes-{doc}", "Basic expenditure by economic class", document.economic_classes, charts.PALETTE[3]
        )
        result.economic_items = {
            code: charts.bar_chart(f"economic-items-{doc}-{code}", f"{code}: basic expenditure by 款", items, charts.PALETTE[6])
            for code, items in document.economic_items.items()
        }
    if document.expenditure_groups:
        result.expenditure_groups = charts.stacked_bar(f"expenditure-groups-{doc}", "基本支出 vs 项目支出", document.expenditure_groups)
    if document.three_public:
        result.three_public = charts.year_on_year_chart(
            f"three-public-{doc}", "“三公”经费", document.three_public, document.three_public_previous, document.fiscal_year
        )
    if document.budget_vs_final_classes:
        result.budget_vs_final_classes = charts.budget_against_final_chart(
            f"budget-vs-final-classes-{doc}", "Budget against final by function 类", document.budget_vs_final_classes,
            _budget_series(document.budget_vs_final_classes),
        )
    if document.budget_vs_final_three_public:
        # the “三公” table heads its 全年预算数 “预算数” (so the national template's note defines it)
        result.budget_vs_final_three_public = charts.budget_against_final_chart(
            f"budget-vs-final-three-public-{doc}", "“三公”经费 预算数 against 决算数", document.budget_vs_final_three_public,
            _budget_series(document.budget_vs_final_three_public, adjusted_budget="预算数"),
        )
    return result


def _failure_crops(data: ReportData, failure: IdentityFailure, cropper: PageCropper) -> list[FailureCrop]:
    """One crop per page the failure's cells are printed on, the checked figure's page first."""
    document = data.document(failure.document_id)
    pages = sorted({c.page for c in failure.cells}, key=lambda p: (p != failure.page, p))
    crops = []
    for page in pages:
        cells = [c for c in failure.cells if c.page == page]
        caption = "; ".join(
            f"{'checked' if c.role == 'actual' else 'expected'}: {c.table_name} {c.row_name} / {c.column_path} = {c.printed_text}"
            for c in cells
        )
        image = cropper.crop(
            failure.document_id,
            document.source_file,
            page,
            [Highlight(c.role, c.box) for c in cells],
            data.page_extents.get((failure.document_id, page)),
        )
        missing = "" if image else f"{document.file_name} is no longer at {document.source_file} nor in the landing folder"
        crops.append(FailureCrop(page, caption, image, missing))
    return crops


def _load_events(data: ReportData) -> list[LoadEvent]:
    events = [
        LoadEvent(
            d.loaded_at, d.file_name, "loaded", d, d.document_id,
            f"version {d.version}{'' if d.is_current else ', superseded'}; {len(d.tables)} tables",
        )
        for d in data.documents
    ]
    known = {d.document_id: d for d in data.documents}
    events += [
        LoadEvent(r.failed_at, r.file_name, "refused", known.get(r.document_id or ""), r.document_id, f"{r.error_kind}: {r.message}")
        for r in data.refusals
    ]
    return sorted(events, key=lambda e: e.when)


def render_report(data: ReportData, landing_dir: Path | None = None) -> str:
    """The report as one HTML document (styles, charts and images inline)."""
    from cnbudget.quality.catalogue import load_catalogue

    cropper = PageCropper(landing_dir or settings.landing_dir())
    crops = {
        index: _failure_crops(data, failure, cropper)
        for index, failure in enumerate(data.failures[:MAX_CROPPED_FAILURES])
    }
    environment = Environment(loader=FileSystemLoader(_TEMPLATES), autoescape=True, undefined=StrictUndefined)
    return environment.get_template("report.html.j2").render(
        data=data,
        generated_at=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
        totals=data.totals(),
        unit=CHART_UNIT,
        identities={i.id: i for i in load_catalogue().identities},
        load_events=_load_events(data),
        overview_chart=charts.overview_grid(data.overview),
        charts={d.document_id: _document_charts(d) for d in data.documents},
        crops=crops,
        max_crops=MAX_CROPPED_FAILURES,
        omitted_crops=max(len(data.failures) - MAX_CROPPED_FAILURES, 0),
        in_unit=format_in_unit,
        yuan=format_yuan,
        budget_printed=lambda lines: bool(printed_bases(lines)),
    )


def read_warehouse(warehouse: Path) -> ReportData:
    """What the report shows, through a read-only connection (loads may queue behind it)."""
    from cnbudget.quality.catalogue import load_catalogue
    from cnbudget.quality.results import stale_reason

    if not warehouse.is_file():
        raise WarehouseNotReady(f"No warehouse at {warehouse}: run `cnbudget load` first")
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        require_models(conn, warehouse)  # before judging staleness, which reads the marts
        return read_report_data(conn, warehouse, stale_reason(conn, load_catalogue()))


def write_report(data: ReportData, out_dir: Path | None = None, landing_dir: Path | None = None) -> Path:
    """Write the report to out_dir/index.html (default: report/ beside the warehouse)."""
    out_dir = out_dir or default_report_dir(data.warehouse)
    html = render_report(data, landing_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / REPORT_FILE
    path.write_text(html, encoding="utf-8")
    return path


def build_report(warehouse: Path, out_dir: Path | None = None, landing_dir: Path | None = None) -> Path:
    """Read `warehouse` and write its report; returns the path of index.html."""
    return write_report(read_warehouse(warehouse.resolve()), out_dir, landing_dir)
