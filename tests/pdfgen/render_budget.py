"""Test renderer: draw budget tables into a PDF the way Chinese department
budgets (部门预算) are published, from a ground-truth spec.

The spec is a dict with the YAML schema of ``tests/ground_truth/README.md``
(``document``, ``front_matter``, ``tables``, and optionally ``back_matter``,
which has the same shape as ``front_matter``).

Usage::

    from tests.pdfgen.render_budget import load_spec, render_document
    report = render_document(load_spec("tests/pdfgen/sample.yaml"), Path("out.pdf"))
    report["tables"]["表3"]        # -> [5, 6]   1-based pages of 表3

    # CLI, from the repo root (prints the layout report as JSON):
    python -m tests.pdfgen.render_budget SPEC.yaml OUT.pdf

Page layout (A4 landscape, 841.89 x 595.28 pt, origin bottom-left):

* page 1: cover with ``document.title``;
* ``front_matter``: each group starts a new page (heading centered, then the
  paragraphs wrapped per character; overflowing text continues on new pages);
* each table starts on a new page: label (表3) top left, title centered in a
  larger font, then ``department_line`` at left and ``unit_line`` at right,
  then a fully ruled grid.  The header rows are derived from the column paths
  (adjacent columns sharing a prefix share one merged cell; a path shorter
  than the deepest spans down).  Body text columns are left-aligned (leading
  U+3000 indentation drawn as characters), amount columns right-aligned;
  long text wraps per character inside its cell and the row grows.  A table
  longer than the page continues on the next page with the header rows
  repeated and no label/title/unit line.  ``empty_note`` is drawn as one
  merged row spanning all columns under the header; ``notes`` are drawn as
  text lines below the grid;
* ``performance_tables`` (表11 整体支出绩效目标表, 表12-x 项目支出绩效目标表): forms on a
  fine column grid, see ``_draw_form_table``; each starts on a new page like a table;
* ``back_matter`` pages, like ``front_matter``;
* every page has its number ``- N -`` centered at the bottom (N = physical
  1-based page number, the cover included).

Table options (all optional, for tests that need edge cases)::

    tables:
      - label: 表3
        ...
        layout:
          rows_per_page: 10       # page break after at most 10 body rows per
                                  # page (natural breaks still apply earlier)
          repeat_header: false    # continuation pages start with body rows
                                  # (no header); also accepted at table level
          col_widths: [1, 3, 1, 1]  # relative column widths (default: derived
                                  # from content, text columns wider, amount
                                  # columns equal)
          align: [l, l, r, r]     # per-column body alignment l|c|r (default:
                                  # amount columns r, others l)
          font_size: 7            # cell font size (default 9; wide tables
                                  # step down to 6 so amount columns fit)

Column kind: a column is an amount column when every non-empty body cell
looks like a number (``1,234.50``, ``-3``, ``12%``, ``-``) and its leaf name
does not end in 编码/代码/名称/项目/科目/单位/类/款/项; otherwise it is text.

The output is deterministic (reportlab ``invariant=1``): the same spec
renders a byte-identical PDF.

``render_document`` returns a layout report (JSON-serialisable)::

    {
      "page_count": 9,
      "tables": {"表1": [3], "表3": [4, 5], ...},   # key: label, or title when
                                  # the label is ""; "#2", "#3" appended to
                                  # repeated keys
      "table_list": [             # one entry per spec table, in order
        {"index": 0, "key": "表1", "label": "表1", "title": "部门收支总表",
         "pages": [3], "page_count": 1, "font_size": 9.0,
         "parts": [               # one per page the table occupies
           {"page": 3, "header_rows": 2,   # header rows drawn on this page
            "body_rows": [0, 12],          # spec row slice drawn [start, end)
            "empty_note": false,           # empty_note row drawn here
            "col_x": [...],                # grid x edges, left to right (pt)
            "row_y": [...]}                # grid y edges, top to bottom (pt,
        ]},                                #   PDF coords, origin bottom-left)
        ...],
      "pages": [{"page": 1, "kind": "cover"}, {"page": 2, "kind": "front"},
                {"page": 3, "kind": "table", "key": "表1"}, ...],
    }
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import yaml
from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

FONT_PATH = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
FONT = "WQYMicroHei"

PAGE_W, PAGE_H = landscape(A4)  # 841.89 x 595.28
MARGIN_L = 42.0
MARGIN_R = 42.0
MARGIN_T = 36.0
MARGIN_B = 46.0  # grid never goes below this y
PAGE_NO_Y = 22.0

COVER_SIZE = 26.0
HEADING_SIZE = 16.0
PARA_SIZE = 12.0
PARA_LEADING = 21.0
LABEL_SIZE = 11.0
TITLE_SIZE = 18.0
SUBTITLE_SIZE = 10.0  # department / unit line
CELL_SIZE = 9.0  # header and body text (smaller for very wide tables)
MIN_CELL_SIZE = 6.0
NOTE_SIZE = 9.0
NOTE_LEADING = 13.0
LINE_WIDTH = 0.75
# Everything in a cell scales with the cell font size s (values for s = 9):
#   leading 11, horizontal padding 5.5, vertical padding 2.5, body row min
#   height 16, header row min height 20.  The horizontal padding keeps the
#   text of two adjacent cells more than one CJK character (s) apart, so
#   pdfminer/playa (camelot uses char_margin=1.0) never fuses them into one
#   text line.


class Metrics:
    def __init__(self, size: float):
        self.size = size
        k = size / 9.0
        self.leading = 11.0 * k
        self.pad_x = 5.5 * k
        self.pad_y = 2.5 * k
        self.row_min = 16.0 * k
        self.header_row_min = 20.0 * k
        self.amount_min = 56.0 * k


TEXT_SUFFIXES = ("编码", "代码", "名称", "项目", "科目", "单位", "类", "款", "项")
NUM_RE = re.compile(r"^[-−+]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?%?$|^[-—–]+$")

_font_registered = False


def _register_font() -> None:
    global _font_registered
    if not _font_registered:
        pdfmetrics.registerFont(TTFont(FONT, FONT_PATH, subfontIndex=0))
        _font_registered = True


def load_spec(path) -> dict:
    """Read a YAML spec file."""
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


# ---------------------------------------------------------------- text utils


def _sw(text: str, size: float) -> float:
    return pdfmetrics.stringWidth(text, FONT, size)


def wrap_text(text: str, size: float, width: float) -> list[str]:
    """Break ``text`` per character so each line fits ``width`` (at least one
    character per line). ``\\n`` forces a break. Empty text -> [""]."""
    lines: list[str] = []
    for para in str(text).split("\n"):
        cur = ""
        for ch in para:
            if cur and _sw(cur + ch, size) > width:
                lines.append(cur)
                cur = ch
            else:
                cur += ch
        lines.append(cur)
    return lines


def _draw_centered_lines(c: Canvas, lines, x0, x1, y_top, y_bot, size, leading, align="c", pad=5.5):
    """Draw ``lines`` vertically centered in the box, aligned l/c/r."""
    block = len(lines) * leading
    mid = (y_top + y_bot) / 2.0
    # baseline of the first line: top of block, minus the glyph ascent-ish part
    first = mid + block / 2.0 - leading + (leading - size) / 2.0 + size * 0.2
    c.setFont(FONT, size)
    for i, line in enumerate(lines):
        y = first - i * leading
        if not line:
            continue
        if align == "l":
            c.drawString(x0 + pad, y, line)
        elif align == "r":
            c.drawRightString(x1 - pad, y, line)
        else:
            c.drawCentredString((x0 + x1) / 2.0, y, line)


# ------------------------------------------------------------------- header


def header_cells(columns: list[str]) -> tuple[int, list[dict]]:
    """Merged header cells from leaf column paths.

    Returns (depth, cells); each cell is a dict with ``row`` (header level),
    ``rowspan``, ``col``, ``colspan`` and ``text``.
    """
    paths = [str(col).split("/") for col in columns]
    depth = max((len(p) for p in paths), default=1)
    cells = []
    n = len(paths)
    for level in range(depth):
        ci = 0
        while ci < n:
            p = paths[ci]
            if len(p) <= level:  # covered by a cell spanning down
                ci += 1
                continue
            if len(p) == level + 1:  # leaf: spans down to the body
                cells.append(dict(row=level, rowspan=depth - level, col=ci, colspan=1, text=p[level]))
                ci += 1
                continue
            end = ci + 1
            while end < n and len(paths[end]) > level + 1 and paths[end][: level + 1] == p[: level + 1]:
                end += 1
            cells.append(dict(row=level, rowspan=1, col=ci, colspan=end - ci, text=p[level]))
            ci = end
    return depth, cells


# ------------------------------------------------------------------ columns


def _is_num(cell: str) -> bool:
    return bool(NUM_RE.match(cell))


def _cell(row, j) -> str:
    v = row[j] if j < len(row) else None
    return "" if v is None else str(v)


def column_kinds(table: dict) -> list[str]:
    """'text' or 'amount' per column."""
    cols = table["columns"]
    rows = table.get("rows") or []
    kinds = []
    for j, col in enumerate(cols):
        leaf = str(col).split("/")[-1]
        vals = [_cell(r, j) for r in rows if _cell(r, j) != ""]
        if leaf.endswith(TEXT_SUFFIXES) or any(not _is_num(v) for v in vals):
            kinds.append("text")
        else:
            kinds.append("amount")
    return kinds


def _natural_widths(table: dict, kinds: list[str], m: Metrics, avail: float) -> list[float]:
    cols = table["columns"]
    rows = table.get("rows") or []
    pad = 2 * m.pad_x + 2
    nat = []
    for j, col in enumerate(cols):
        vals = [_cell(r, j) for r in rows]
        leaf = str(col).split("/")[-1]
        wv = max([_sw(v, m.size) for v in vals] + [0.0]) + pad
        wh = _sw(leaf, m.size) + pad
        if kinds[j] == "text" and not any(vals):
            # empty table: typical width of a code / name column
            wv = (8 * m.size if leaf.endswith(("编码", "代码")) else 0.25 * avail) + pad
        nat.append(max(wv, min(wh, 4 * m.size + pad)))
    return nat


def _fits(table: dict, kinds: list[str], m: Metrics, avail: float) -> bool:
    nat = _natural_widths(table, kinds, m, avail)
    amt = [nat[j] for j in range(len(nat)) if kinds[j] == "amount"]
    need = len(amt) * max(amt + [m.amount_min]) if amt else 0.0
    need += sum(min(nat[j], 8 * m.size + 2 * m.pad_x + 2) for j in range(len(nat)) if kinds[j] == "text")
    return need <= avail


def table_metrics(table: dict, avail: float) -> Metrics:
    """Cell font metrics: 9 pt, or the largest size down to 6 pt (steps of
    0.5) at which the amount columns fit at their natural width and the text
    columns get up to 8 characters; ``layout.font_size`` overrides."""
    layout = table.get("layout") or {}
    if layout.get("font_size"):
        return Metrics(float(layout["font_size"]))
    kinds = column_kinds(table)
    size = CELL_SIZE
    while size > MIN_CELL_SIZE and not _fits(table, kinds, Metrics(size), avail):
        size -= 0.5
    return Metrics(size)


def _water_fill(want: dict, room: float) -> dict:
    """Shrink widths to total ``room``: narrow columns keep their width,
    the widest ones are cut to a common level."""
    items = sorted(want.items(), key=lambda kv: kv[1])
    out, left = {}, room
    for i, (j, w) in enumerate(items):
        share = left / (len(items) - i)
        out[j] = min(w, share)
        left -= out[j]
    return out


def column_widths(table: dict, avail: float, m: Metrics | None = None) -> list[float]:
    cols = table["columns"]
    n = len(cols)
    m = m or table_metrics(table, avail)
    layout = table.get("layout") or {}
    if layout.get("col_widths"):
        w = [float(x) for x in layout["col_widths"]]
        if len(w) != n:
            raise ValueError(f"{table.get('label')}: col_widths needs {n} values")
        tot = sum(w)
        return [avail * x / tot for x in w]
    kinds = column_kinds(table)
    pad = 2 * m.pad_x + 2
    nat = _natural_widths(table, kinds, m, avail)
    text_idx = [j for j in range(n) if kinds[j] == "text"]
    amt_idx = [j for j in range(n) if kinds[j] == "amount"]
    widths = [0.0] * n
    if not amt_idx:
        tot = sum(nat)
        return [avail * x / tot for x in nat]
    amount_min = max([nat[j] for j in amt_idx] + [m.amount_min])
    cap = 0.32 * avail
    tw = {j: max(min(nat[j], cap), 3 * m.size + pad) for j in text_idx}
    rest = avail - sum(tw.values())
    if text_idx and rest / len(amt_idx) < amount_min:
        # shrink text columns so amounts keep their natural width
        room = max(avail - amount_min * len(amt_idx), 4 * m.size * len(text_idx))
        tw = _water_fill(tw, room)
        rest = avail - sum(tw.values())
    for j in text_idx:
        widths[j] = tw[j]
    for j in amt_idx:
        widths[j] = rest / len(amt_idx)
    return widths


# ------------------------------------------------------------------- canvas


class _Doc:
    def __init__(self, out_path: Path):
        _register_font()
        self.c = Canvas(str(out_path), pagesize=(PAGE_W, PAGE_H), invariant=1, pageCompression=1)
        self.c.setTitle("")
        self.c.setAuthor("")
        self.c.setCreator("cnbudget tests.pdfgen")
        self.c.setProducer("cnbudget tests.pdfgen")
        self.page = 0
        self.open = False
        self.pages: list[dict] = []

    def new_page(self, info: dict) -> None:
        if self.open:
            self._finish_page()
        self.page += 1
        self.open = True
        self.pages.append(dict(page=self.page, **info))
        self.c.setLineWidth(LINE_WIDTH)
        self.c.setStrokeColorRGB(0, 0, 0)
        self.c.setFillColorRGB(0, 0, 0)

    def _finish_page(self) -> None:
        self.c.setFont(FONT, 10)
        self.c.drawCentredString(PAGE_W / 2.0, PAGE_NO_Y, f"- {self.page} -")
        self.c.showPage()
        self.open = False

    def save(self) -> None:
        if self.open:
            self._finish_page()
        self.c.save()


def _draw_cover(doc: _Doc, spec: dict) -> None:
    doc.new_page({"kind": "cover"})
    title = (spec.get("document") or {}).get("title", "")
    lines = wrap_text(title, COVER_SIZE, PAGE_W - MARGIN_L - MARGIN_R - 80)
    y = PAGE_H * 0.58 + (len(lines) - 1) * COVER_SIZE * 0.8
    doc.c.setFont(FONT, COVER_SIZE)
    for line in lines:
        doc.c.drawCentredString(PAGE_W / 2.0, y, line)
        y -= COVER_SIZE * 1.6


def _draw_matter(doc: _Doc, groups, kind: str) -> None:
    width = PAGE_W - MARGIN_L - MARGIN_R - 40
    x0 = MARGIN_L + 20
    for group in groups or []:
        doc.new_page({"kind": kind})
        c = doc.c
        y = PAGE_H - MARGIN_T - HEADING_SIZE
        heading = group.get("heading") or ""
        if heading:
            c.setFont(FONT, HEADING_SIZE)
            for line in wrap_text(heading, HEADING_SIZE, width):
                c.drawCentredString(PAGE_W / 2.0, y, line)
                y -= HEADING_SIZE * 1.6
            y -= 8
        for para in group.get("paragraphs") or []:
            for line in wrap_text(str(para), PARA_SIZE, width):
                if y < MARGIN_B:
                    doc.new_page({"kind": kind})
                    c = doc.c
                    y = PAGE_H - MARGIN_T - PARA_SIZE
                c.setFont(FONT, PARA_SIZE)
                c.drawString(x0, y, line)
                y -= PARA_LEADING


def _merge_segments(segs):
    """segs: {(coord, a0, a1)} -> merged list, collinear overlapping/touching
    segments fused, sorted."""
    by = {}
    for k, a0, a1 in segs:
        by.setdefault(round(k, 3), []).append((min(a0, a1), max(a0, a1)))
    out = []
    for k in sorted(by):
        spans = sorted(by[k])
        cur0, cur1 = spans[0]
        for a0, a1 in spans[1:]:
            if a0 <= cur1 + 1e-6:
                cur1 = max(cur1, a1)
            else:
                out.append((k, cur0, cur1))
                cur0, cur1 = a0, a1
        out.append((k, cur0, cur1))
    return out


def _draw_grid(c: Canvas, boxes) -> None:
    """boxes: (x0, y_top, x1, y_bot) of every (merged) cell; draw each edge
    once, merged into maximal segments."""
    h, v = set(), set()
    for x0, yt, x1, yb in boxes:
        h.add((yt, x0, x1))
        h.add((yb, x0, x1))
        v.add((x0, yb, yt))
        v.add((x1, yb, yt))
    for y, a0, a1 in _merge_segments(h):
        c.line(a0, y, a1, y)
    for x, a0, a1 in _merge_segments(v):
        c.line(x, a0, x, a1)


def _table_opts(table: dict) -> tuple[int | None, bool]:
    layout = table.get("layout") or {}
    rpp = layout.get("rows_per_page")
    rep = layout.get("repeat_header", table.get("repeat_header", True))
    return (int(rpp) if rpp else None), bool(rep)


def _draw_table(doc: _Doc, table: dict, key: str) -> dict:
    cols = table["columns"]
    n = len(cols)
    rows = table.get("rows") or []
    for i, r in enumerate(rows):
        if len(r) != n:
            raise ValueError(f"{key}: row {i} has {len(r)} cells, expected {n}")
        for j, v in enumerate(r):
            if v is not None and not isinstance(v, str):
                # YAML turns 35.00 into 35.0: cells must be quoted strings
                raise TypeError(f"{key}: row {i} col {j}: cell {v!r} is not a string")
    rows = [[("" if v is None else v) for v in r] for r in rows]
    rows_per_page, repeat_header = _table_opts(table)
    layout = table.get("layout") or {}

    avail = PAGE_W - MARGIN_L - MARGIN_R
    m = table_metrics(table, avail)
    fs, lead, px = m.size, m.leading, m.pad_x
    widths = column_widths(table, avail, m)
    col_x = [MARGIN_L]
    for w in widths:
        col_x.append(col_x[-1] + w)
    inner = [w - 2 * px for w in widths]
    if layout.get("align"):
        align = [str(a)[0] for a in layout["align"]]
    else:
        align = ["r" if k == "amount" else "l" for k in column_kinds(table)]

    # header geometry
    depth, hcells = header_cells(cols)
    hrow_h = [m.header_row_min] * depth
    for cell in hcells:
        cell["w"] = col_x[cell["col"] + cell["colspan"]] - col_x[cell["col"]]
        cell["lines"] = wrap_text(cell["text"], fs, cell["w"] - 2 * px)
    for cell in sorted(hcells, key=lambda d: d["rowspan"]):
        need = len(cell["lines"]) * lead + 2 * m.pad_y
        r0, r1 = cell["row"], cell["row"] + cell["rowspan"]
        have = sum(hrow_h[r0:r1])
        if need > have:
            hrow_h[r1 - 1] += need - have
    header_h = sum(hrow_h)

    # body geometry
    body = []
    for r in rows:
        lines = [wrap_text(v, fs, inner[j]) if align[j] != "r" else [v] for j, v in enumerate(r)]
        h = max(m.row_min, max(len(x) for x in lines) * lead + 2 * m.pad_y)
        body.append((lines, h))
    note = table.get("empty_note") or ""
    note_lines = wrap_text(note, fs, avail - 2 * px - 20) if (note and not rows) else None
    note_h = max(m.row_min + 6, len(note_lines) * lead + 2 * m.pad_y) if note_lines else 0

    parts = []
    pages = []
    i = 0
    first = True
    c = doc.c
    while True:
        doc.new_page({"kind": "table", "key": key})
        c = doc.c
        pages.append(doc.page)
        y = PAGE_H - MARGIN_T
        if first:
            label = table.get("label") or ""
            c.setFont(FONT, LABEL_SIZE)
            y -= LABEL_SIZE
            if label:
                c.drawString(MARGIN_L, y, label)
            y -= 8 + TITLE_SIZE
            c.setFont(FONT, TITLE_SIZE)
            for line in wrap_text(table.get("title") or "", TITLE_SIZE, avail):
                c.drawCentredString(PAGE_W / 2.0, y, line)
                y -= TITLE_SIZE * 1.4
            y -= 2
            dept = table.get("department_line") or ""
            unit = table.get("unit_line") or ""
            y -= SUBTITLE_SIZE
            c.setFont(FONT, SUBTITLE_SIZE)
            if dept:
                c.drawString(MARGIN_L, y, dept)
            if unit:
                c.drawRightString(PAGE_W - MARGIN_R, y, unit)
            y -= 6
        top = y
        boxes = []
        row_y = [top]
        draw_header = first or repeat_header
        if draw_header:
            ys = [top]
            for h in hrow_h:
                ys.append(ys[-1] - h)
            for cell in hcells:
                x0 = col_x[cell["col"]]
                x1 = col_x[cell["col"] + cell["colspan"]]
                yt, yb = ys[cell["row"]], ys[cell["row"] + cell["rowspan"]]
                boxes.append((x0, yt, x1, yb))
                _draw_centered_lines(c, cell["lines"], x0, x1, yt, yb, fs, lead, "c", px)
            row_y = ys[:]
            y = ys[-1]
        start = i
        drew_note = False
        count = 0
        while i < len(body):
            lines, h = body[i]
            if count > 0 and (y - h < MARGIN_B or (rows_per_page and count >= rows_per_page)):
                break
            yb = y - h
            for j in range(n):
                x0, x1 = col_x[j], col_x[j + 1]
                boxes.append((x0, y, x1, yb))
                _draw_centered_lines(c, lines[j], x0, x1, y, yb, fs, lead, align[j], px)
            y = yb
            row_y.append(y)
            i += 1
            count += 1
        if note_lines is not None:
            yb = y - note_h
            boxes.append((col_x[0], y, col_x[-1], yb))
            _draw_centered_lines(c, note_lines, col_x[0], col_x[-1], y, yb, fs, lead, "c", px)
            y = yb
            row_y.append(y)
            drew_note = True
        _draw_grid(c, boxes)
        parts.append(
            dict(
                page=doc.page,
                header_rows=depth if draw_header else 0,
                body_rows=[start, i],
                empty_note=drew_note,
                col_x=[round(x, 2) for x in col_x],
                row_y=[round(v, 2) for v in row_y],
            )
        )
        first = False
        if i >= len(body):
            break

    notes = [str(x) for x in (table.get("notes") or [])]
    if notes:
        y -= 6
        c.setFont(FONT, NOTE_SIZE)
        for note_text in notes:
            for line in wrap_text(note_text, NOTE_SIZE, avail):
                if y - NOTE_LEADING < MARGIN_B - 10:
                    doc.new_page({"kind": "table", "key": key})
                    c = doc.c
                    c.setFont(FONT, NOTE_SIZE)
                    pages.append(doc.page)
                    y = PAGE_H - MARGIN_T
                y -= NOTE_LEADING
                c.drawString(MARGIN_L, y, line)

    return dict(
        key=key,
        label=table.get("label") or "",
        title=table.get("title") or "",
        pages=pages,
        page_count=len(pages),
        font_size=fs,
        parts=parts,
    )


# ------------------------------------------------------------------ forms

FORM_CELL_SIZE = 8.5


def form_cell(spec) -> dict:
    """One printed cell of a form row: "text" (one grid column), or {t: text, c: columns,
    r: rows} for a merged cell."""
    if isinstance(spec, str):
        return dict(text=spec, colspan=1, rowspan=1)
    if isinstance(spec, dict) and set(spec) <= {"t", "c", "r"} and isinstance(spec.get("t", ""), str):
        return dict(text=spec.get("t", ""), colspan=int(spec.get("c", 1)), rowspan=int(spec.get("r", 1)))
    raise TypeError(f"form cell {spec!r}: a quoted string or {{t: text, c: columns, r: rows}}")


def place_form_cells(rows: list, n_cols: int, key: str = "") -> list[dict]:
    """Cells of a form placed on its grid the way HTML places table cells: left to right
    in each row, skipping grid positions that a merged cell from above still covers.
    Every grid position must be covered exactly once (a transcription error otherwise)."""
    covered: dict[tuple[int, int], int] = {}
    placed = []
    for r, row in enumerate(rows):
        c = 0
        for spec in row:
            cell = form_cell(spec)
            while (r, c) in covered:
                c += 1
            cell.update(row=r, col=c)
            for rr in range(r, r + cell["rowspan"]):
                for cc in range(c, c + cell["colspan"]):
                    if (rr, cc) in covered or cc >= n_cols or rr >= len(rows):
                        raise ValueError(f"{key}: row {r + 1} cell {cell['text'][:20]!r} overlaps or overflows the grid")
                    covered[(rr, cc)] = len(placed)
            placed.append(cell)
            c += cell["colspan"]
        missing = [cc for cc in range(n_cols) if (r, cc) not in covered]
        if missing:
            raise ValueError(f"{key}: row {r + 1} leaves grid columns {missing} uncovered")
    return placed


def _draw_form_table(doc: _Doc, table: dict, key: str) -> dict:
    """A form (绩效目标表): rows of cells on a grid of ``col_widths`` (relative), merged
    over columns (c) and rows (r); text left-aligned and wrapped per character. Pages
    break between rows; a cell merged over rows that runs past a page break continues
    on the next page as an empty cell (its text is drawn on the first page only)."""
    widths_rel = [float(w) for w in table["col_widths"]]
    n = len(widths_rel)
    avail = PAGE_W - MARGIN_L - MARGIN_R
    m = Metrics(float((table.get("layout") or {}).get("font_size", FORM_CELL_SIZE)))
    col_x = [MARGIN_L]
    for w in widths_rel:
        col_x.append(col_x[-1] + avail * w / sum(widths_rel))
    rows = table["rows"]
    cells = place_form_cells(rows, n, key)
    for cell in cells:
        width = col_x[cell["col"] + cell["colspan"]] - col_x[cell["col"]]
        cell["lines"] = wrap_text(cell["text"], m.size, width - 2 * m.pad_x)
    row_h = [m.row_min] * len(rows)
    for cell in sorted(cells, key=lambda c: c["rowspan"]):
        need = len(cell["lines"]) * m.leading + 2 * m.pad_y
        r0, r1 = cell["row"], cell["row"] + cell["rowspan"]
        have = sum(row_h[r0:r1])
        if need > have:
            row_h[r1 - 1] += need - have

    parts, pages = [], []
    i, first = 0, True
    while i < len(rows):
        doc.new_page({"kind": "table", "key": key})
        c = doc.c
        pages.append(doc.page)
        y = PAGE_H - MARGIN_T
        if first:
            c.setFont(FONT, LABEL_SIZE)
            y -= LABEL_SIZE
            if table.get("label"):
                c.drawString(MARGIN_L, y, table["label"])
            y -= 8 + TITLE_SIZE
            c.setFont(FONT, TITLE_SIZE)
            c.drawCentredString(PAGE_W / 2.0, y, table.get("title") or "")
            y -= TITLE_SIZE * 1.4 + 2 + SUBTITLE_SIZE
            c.setFont(FONT, SUBTITLE_SIZE)
            if table.get("department_line"):
                c.drawString(MARGIN_L, y, table["department_line"])
            if table.get("unit_line"):
                c.drawRightString(PAGE_W - MARGIN_R, y, table["unit_line"])
            y -= 6
        start, row_y = i, [y]
        while i < len(rows) and (i == start or row_y[-1] - row_h[i] >= MARGIN_B):
            if row_h[i] > PAGE_H - MARGIN_T - MARGIN_B:
                raise ValueError(f"{key}: row {i + 1} is taller than a page")
            row_y.append(row_y[-1] - row_h[i])
            i += 1
        boxes = []
        for cell in cells:
            r0, r1 = cell["row"], cell["row"] + cell["rowspan"]
            if r1 <= start or r0 >= i:
                continue
            top, bottom = row_y[max(r0, start) - start], row_y[min(r1, i) - start]
            x0, x1 = col_x[cell["col"]], col_x[cell["col"] + cell["colspan"]]
            boxes.append((x0, top, x1, bottom))
            if r0 >= start:
                _draw_centered_lines(c, cell["lines"], x0, x1, top, bottom, m.size, m.leading, "l", m.pad_x)
        _draw_grid(c, boxes)
        parts.append(dict(page=doc.page, rows=[start, i], col_x=[round(x, 2) for x in col_x],
                          row_y=[round(v, 2) for v in row_y]))
        first = False
    return dict(key=key, label=table.get("label") or "", title=table.get("title") or "", pages=pages,
                page_count=len(pages), font_size=m.size, parts=parts)


def table_keys(spec: dict) -> list[str]:
    """Report keys of the spec's tables: label, or title if the label is
    empty; repeated keys get "#2", "#3", ..."""
    keys, seen = [], {}
    for t in (spec.get("tables") or []) + (spec.get("performance_tables") or []):
        k = (t.get("label") or "") or (t.get("title") or "")
        seen[k] = seen.get(k, 0) + 1
        keys.append(k if seen[k] == 1 else f"{k}#{seen[k]}")
    return keys


def render_document(spec: dict, out_path: Path) -> dict:
    """Draw the whole document into ``out_path``; return the layout report."""
    out_path = Path(out_path)
    doc = _Doc(out_path)
    _draw_cover(doc, spec)
    _draw_matter(doc, spec.get("front_matter"), "front")
    tables = []
    money_tables = spec.get("tables") or []
    forms = spec.get("performance_tables") or []
    for idx, (table, key) in enumerate(zip(money_tables + forms, table_keys(spec))):
        info = _draw_table(doc, table, key) if idx < len(money_tables) else _draw_form_table(doc, table, key)
        info["index"] = idx
        tables.append(info)
    _draw_matter(doc, spec.get("back_matter"), "back")
    doc.save()
    return dict(
        page_count=doc.page,
        tables={t["key"]: t["pages"] for t in tables},
        table_list=tables,
        pages=doc.pages,
    )


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2:
        print("usage: python -m tests.pdfgen.render_budget SPEC.yaml OUT.pdf", file=sys.stderr)
        return 2
    report = render_document(load_spec(argv[0]), Path(argv[1]))
    print(json.dumps(report, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
