"""Charts as inline SVG, drawn here: the report needs no script and no network.

Every chart is an <svg class="chart" data-chart="…">; amounts are Decimal yuan and
are labelled in 万元 (money.CHART_UNIT). Each bar carries a <title> with the exact figure,
which browsers show on hover.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from html import escape

from markupsafe import Markup

from cnbudget.report.contents import Amount, BudgetAgainstFinal, OverviewCell
from cnbudget.report.money import CHART_UNIT, format_wan

FONT = "'WenQuanYi Micro Hei','Noto Sans CJK SC','Source Han Sans SC','Microsoft YaHei',sans-serif"
PALETTE = ("#2563eb", "#f59e0b", "#10b981", "#8b5cf6", "#ef4444", "#14b8a6", "#64748b")
STATUS_COLOURS = {"passed": "#16a34a", "failed": "#dc2626", "not_applicable": "#94a3b8"}
PREVIOUS_YEAR_COLOUR, THIS_YEAR_COLOUR = "#94a3b8", "#2563eb"
# budgets in greys (a separately loaded 预算 in amber), the 决算数 in this year's blue
BASIS_COLOURS = {"initial_budget": "#cbd5e1", "adjusted_budget": "#94a3b8", "published_budget": "#f59e0b",
                 "final": THIS_YEAR_COLOUR}

_WIDTH = 760
_LABEL_WIDTH = 250
_VALUE_WIDTH = 110
_ROW = 24
_BAR = 16
_FONT_SIZE = 12


def text_width(text: str, size: float = _FONT_SIZE) -> float:
    """Roughly how wide text draws: CJK characters are square, Latin ones about half as wide."""
    return sum(size if ord(c) >= 0x2E80 else 0.6 * size for c in text)


def _fit(text: str, width: float, size: float = _FONT_SIZE) -> str:
    if text_width(text, size) <= width:
        return text
    while text and text_width(text + "…", size) > width:
        text = text[:-1]
    return text + "…"


def _svg(chart: str, width: float, height: float, label: str, body: list[str]) -> Markup:
    return Markup(
        f'<svg class="chart" data-chart="{escape(chart)}" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'width="{width:.0f}" height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'font-family="{FONT}" font-size="{_FONT_SIZE}"><title>{escape(label)}</title>'
        + "".join(body)
        + "</svg>"
    )


def _scale(values: list[Decimal], width: float):
    largest = max((v for v in values if v > 0), default=Decimal(1))
    return lambda value: float(max(value, Decimal(0)) / largest) * width


def bar_chart(chart: str, label: str, amounts: list[Amount], colour: str = PALETTE[0]) -> Markup:
    """Horizontal bars, one per amount, largest first, labelled with code and name and
    the figure in 万元."""
    amounts = sorted(amounts, key=lambda a: a.yuan, reverse=True)
    plot = _WIDTH - _LABEL_WIDTH - _VALUE_WIDTH
    length = _scale([a.yuan for a in amounts], plot)
    height = _ROW * len(amounts) + 24
    body = [f'<text x="{_WIDTH - 4}" y="12" text-anchor="end" fill="#64748b">{CHART_UNIT}</text>']
    for i, amount in enumerate(amounts):
        y = 20 + i * _ROW
        name = f"{amount.code} {amount.name}".strip() if amount.code != amount.name else amount.name
        width = length(amount.yuan)
        body.append(
            f'<g class="bar"><title>{escape(name)}: {format_wan(amount.yuan)} {CHART_UNIT}</title>'
            f'<text x="{_LABEL_WIDTH - 8}" y="{y + _BAR - 4}" text-anchor="end">{escape(_fit(name, _LABEL_WIDTH - 12))}</text>'
            f'<rect x="{_LABEL_WIDTH}" y="{y}" width="{max(width, 1):.1f}" height="{_BAR}" fill="{colour}" rx="2"/>'
            f'<text x="{_LABEL_WIDTH + width + 6:.1f}" y="{y + _BAR - 4}">{format_wan(amount.yuan)}</text></g>'
        )
    return _svg(chart, _WIDTH, height, label, body)


def stacked_bar(chart: str, label: str, amounts: list[Amount], colours: dict[str, str] | None = None,
                value_format=None) -> Markup:
    """One bar split into parts (基本支出 | 项目支出 …), each with its share, and a legend."""
    value_format = value_format or (lambda v: f"{format_wan(v)} {CHART_UNIT}")
    total = sum((a.yuan for a in amounts), Decimal(0))
    plot = _WIDTH - 8
    body, x = [], 4.0
    for i, amount in enumerate(amounts):
        colour = (colours or {}).get(amount.code, PALETTE[i % len(PALETTE)])
        width = float(amount.yuan / total) * plot if total > 0 else 0.0
        share = f"{amount.yuan / total:.1%}" if total > 0 else "—"
        body.append(
            f'<g class="segment"><title>{escape(amount.name)}: {escape(value_format(amount.yuan))} ({share})</title>'
            f'<rect x="{x:.1f}" y="4" width="{width:.1f}" height="28" fill="{colour}"/>'
            + (f'<text x="{x + 6:.1f}" y="23" fill="#fff">{share}</text>' if width > 48 else "")
            + "</g>"
        )
        legend_x = 4 + i * (_WIDTH // max(len(amounts), 1))
        body.append(
            f'<rect x="{legend_x}" y="42" width="12" height="12" fill="{colour}"/>'
            f'<text x="{legend_x + 18}" y="52">{escape(_fit(f"{amount.name} {value_format(amount.yuan)}", _WIDTH / max(len(amounts), 1) - 24))}</text>'
        )
        x += width
    return _svg(chart, _WIDTH, 62, label, body)


def year_on_year_chart(chart: str, label: str, this_year: list[Amount], previous_year: list[Amount] | None,
                       year: int) -> Markup:
    """Items side by side: the year before (grey, when loaded) and this year (blue)."""
    previous = {a.code: a.yuan for a in previous_year or []}
    series = ([(str(year - 1), PREVIOUS_YEAR_COLOUR)] if previous_year is not None else []) + [(str(year), THIS_YEAR_COLOUR)]
    plot = _WIDTH - _LABEL_WIDTH - _VALUE_WIDTH
    length = _scale([a.yuan for a in this_year] + list(previous.values()), plot)
    group = _BAR * len(series) + 10
    body = [f'<text x="{_WIDTH - 4}" y="12" text-anchor="end" fill="#64748b">{CHART_UNIT}</text>']
    for s, (name, colour) in enumerate(series):
        body.append(
            f'<rect x="{_LABEL_WIDTH + s * 70}" y="2" width="12" height="12" fill="{colour}"/>'
            f'<text x="{_LABEL_WIDTH + s * 70 + 16}" y="12">{name}</text>'
        )
    for i, amount in enumerate(this_year):
        y = 22 + i * group
        body.append(f'<text x="{_LABEL_WIDTH - 8}" y="{y + _BAR}" text-anchor="end">{escape(_fit(amount.name, _LABEL_WIDTH - 12))}</text>')
        values = ([previous.get(amount.code, Decimal(0))] if previous_year is not None else []) + [amount.yuan]
        for s, ((name, colour), value) in enumerate(zip(series, values)):
            bar_y = y + s * _BAR
            width = length(value)
            body.append(
                f'<g class="bar"><title>{escape(amount.name)} {name}: {format_wan(value)} {CHART_UNIT}</title>'
                f'<rect x="{_LABEL_WIDTH}" y="{bar_y}" width="{max(width, 1):.1f}" height="{_BAR - 2}" fill="{colour}" rx="2"/>'
                f'<text x="{_LABEL_WIDTH + width + 6:.1f}" y="{bar_y + _BAR - 5}">{format_wan(value)}</text></g>'
            )
    return _svg(chart, _WIDTH, 26 + group * len(this_year), label, body)


def budget_against_final_chart(chart: str, label: str, lines: list[BudgetAgainstFinal],
                               series: list[tuple[str, str]]) -> Markup:
    """Per line, its budget figures beside its 决算数; series are (basis, legend), basis an
    attribute of BudgetAgainstFinal. A figure not printed is drawn as “—”, never as a zero bar."""
    plot = _WIDTH - _LABEL_WIDTH - _VALUE_WIDTH
    values = [getattr(line, basis) for line in lines for basis, _ in series]
    length = _scale([v for v in values if v is not None], plot)
    group = _BAR * len(series) + 10
    body = [f'<text x="{_WIDTH - 4}" y="12" text-anchor="end" fill="#64748b">{CHART_UNIT}</text>']
    legend_x = float(_LABEL_WIDTH)
    for basis, legend in series:
        body.append(
            f'<rect x="{legend_x:.0f}" y="2" width="12" height="12" fill="{BASIS_COLOURS[basis]}"/>'
            f'<text x="{legend_x + 16:.0f}" y="12">{escape(legend)}</text>'
        )
        legend_x += 16 + text_width(legend) + 18
    for i, line in enumerate(lines):
        y = 22 + i * group
        name = f"{line.code} {line.name}" if line.code.isdigit() else line.name  # 类 codes, not item codes
        body.append(f'<text x="{_LABEL_WIDTH - 8}" y="{y + _BAR}" text-anchor="end">{escape(_fit(name, _LABEL_WIDTH - 12))}</text>')
        for s, (basis, legend) in enumerate(series):
            bar_y, value = y + s * _BAR, getattr(line, basis)
            where = f'data-line="{escape(line.code)}" data-basis="{basis}"'
            if value is None:
                body.append(
                    f'<g class="not-printed" {where}><title>{escape(name)} {escape(legend)}: not printed</title>'
                    f'<text x="{_LABEL_WIDTH + 2}" y="{bar_y + _BAR - 5}" fill="#64748b">—</text></g>'
                )
                continue
            width = length(value)
            body.append(
                f'<g class="bar" {where}><title>{escape(name)} {escape(legend)}: {format_wan(value)} {CHART_UNIT}</title>'
                f'<rect x="{_LABEL_WIDTH}" y="{bar_y}" width="{max(width, 1):.1f}" height="{_BAR - 2}" '
                f'fill="{BASIS_COLOURS[basis]}" rx="2"/>'
                f'<text x="{_LABEL_WIDTH + width + 6:.1f}" y="{bar_y + _BAR - 5}">{format_wan(value)}</text></g>'
            )
    return _svg(chart, _WIDTH, 26 + group * len(lines), label, body)


@dataclass(frozen=True)
class _OverviewRow:
    department: str
    kind: str


def overview_grid(cells: list[OverviewCell], link_prefix: str = "#doc-") -> Markup:
    """Departments down, fiscal years across: each budget's total expenditure in 万元,
    shaded by size, with its 三公 total and a red mark where an identity failed."""
    years = sorted({c.fiscal_year for c in cells})
    rows = list(dict.fromkeys(_OverviewRow(c.department, c.kind) for c in cells))
    by_key = {(_OverviewRow(c.department, c.kind), c.fiscal_year): c for c in cells}
    label_width = min(max((text_width(f"{r.department} {r.kind}") for r in rows), default=100) + 16, 340)
    column, row_height = 150, 44
    width = label_width + column * len(years) + 8
    height = 28 + row_height * len(rows)
    largest = max((c.expenditure_yuan for c in cells if c.expenditure_yuan), default=Decimal(1))
    body = [
        f'<text x="{label_width + i * column + column / 2}" y="18" text-anchor="middle" font-weight="bold">{year}</text>'
        for i, year in enumerate(years)
    ]
    for r, row in enumerate(rows):
        y = 28 + r * row_height
        body.append(
            f'<text x="{label_width - 8}" y="{y + 18}" text-anchor="end">{escape(_fit(row.department, label_width - 16))}</text>'
            f'<text x="{label_width - 8}" y="{y + 34}" text-anchor="end" fill="#64748b">{escape(row.kind)}</text>'
        )
        for i, year in enumerate(years):
            cell = by_key.get((row, year))
            x = label_width + i * column
            if cell is None:
                body.append(
                    f'<rect x="{x + 2}" y="{y + 2}" width="{column - 4}" height="{row_height - 4}" fill="#f8fafc" stroke="#e2e8f0"/>'
                    f'<text x="{x + column / 2}" y="{y + 26}" text-anchor="middle" fill="#cbd5e1">not loaded</text>'
                )
                continue
            share = float(cell.expenditure_yuan / largest) if cell.expenditure_yuan else 0.0
            fill = f"rgba(37,99,235,{0.12 + 0.6 * share:.2f})"
            failed = (
                f'<circle cx="{x + column - 14}" cy="{y + 14}" r="6" fill="{STATUS_COLOURS["failed"]}">'
                f"<title>{cell.failed_identities} identities failed</title></circle>"
                if cell.failed_identities
                else ""
            )
            body.append(
                f'<a href="{link_prefix}{cell.document_id}"><g class="overview-cell">'
                f"<title>{escape(row.department)} {year} {escape(row.kind)}: expenditure {format_wan(cell.expenditure_yuan)} "
                f"{CHART_UNIT}, “三公” {format_wan(cell.three_public_yuan)} {CHART_UNIT}</title>"
                f'<rect x="{x + 2}" y="{y + 2}" width="{column - 4}" height="{row_height - 4}" fill="{fill}" stroke="#93c5fd" rx="3"/>'
                f'<text x="{x + column / 2}" y="{y + 20}" text-anchor="middle" font-weight="bold">{format_wan(cell.expenditure_yuan)}</text>'
                f'<text x="{x + column / 2}" y="{y + 35}" text-anchor="middle" font-size="10" fill="#334155">三公 {format_wan(cell.three_public_yuan)}</text>'
                f"{failed}</g></a>"
            )
    return _svg("department-year-overview", width, height, f"Expenditure by department and year ({CHART_UNIT})", body)


def identity_status_bar(counts: dict[str, int]) -> Markup:
    amounts = [
        Amount(status, status.replace("_", " "), Decimal(counts.get(status, 0)))
        for status in ("passed", "failed", "not_applicable")
    ]
    return stacked_bar(
        "identity-status", "Identity results", amounts, colours=STATUS_COLOURS, value_format=lambda v: f"{v:,.0f}"
    )
