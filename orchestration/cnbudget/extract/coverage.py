"""The coverage guard: every number printed inside a table's grid is accounted for by a
stored cell (or a header cell), so a dropped row can never pass silently."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from cnbudget.extract.layout import display_box
from cnbudget.extract.tables import Table
from cnbudget.extract.text import compact

_NUMBER = re.compile(r"\d(?:[\d,.]*\d)?")


@dataclass
class CoverageGap:
    page: int
    table: int  # ordinal of the table whose grid holds the token
    token: str
    x0: float
    y0: float
    x1: float
    y1: float


@dataclass
class Coverage:
    tokens: int  # numeric tokens inside table grids
    gaps: list[CoverageGap]


def _inside(x: float, y: float, box) -> bool:
    x0, y0, x1, y1 = box
    return x0 <= x <= x1 and y0 <= y <= y1


def _page_tokens(page) -> list[tuple[str, tuple[float, float, float, float]]]:
    """Every number the page prints, with its box as the page is displayed. NFKC may
    change a character into several (㈠ -> (一)): each keeps its source index."""
    textpage = page.get_textpage()
    raw = textpage.get_text_range()
    chars, source = [], []
    for i, ch in enumerate(raw):
        for c in unicodedata.normalize("NFKC", ch):
            chars.append(c)
            source.append(i)
    text = "".join(chars)
    rotation = page.get_rotation()
    left, bottom, right, top = page.get_mediabox()
    tokens = []
    for match in _NUMBER.finditer(text):
        boxes = [textpage.get_charbox(i) for i in sorted({source[j] for j in range(match.start(), match.end())})]
        box = (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))
        tokens.append((match.group(), display_box(box, rotation, right - left, top - bottom)))
    return tokens


def check_coverage(pdf_path: Path, tables: list[Table]) -> Coverage:
    import pypdfium2 as pdfium

    grids_by_page: dict[int, list[tuple[Table, dict]]] = {}
    for table in tables:
        for grid in table.page_grids:
            grids_by_page.setdefault(grid["page"], []).append((table, grid))
    document = pdfium.PdfDocument(str(pdf_path))
    total, gaps = 0, []
    try:
        for page, grids in sorted(grids_by_page.items()):
            for token, box in _page_tokens(document[page - 1]):
                cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
                holder = next(((t, g) for t, g in grids if _inside(cx, cy, g["bbox"])), None)
                if holder is None:
                    continue  # printed outside every grid: titles, notes, page numbers
                total += 1
                table, grid = holder
                regions = [(c.x0, c.y0, c.x1, c.y1, c.text) for c in table.cells if c.page == page]
                regions += [tuple(h) for h in grid["headers"]]
                texts = [compact(r[4]) for r in regions if _inside(cx, cy, r[:4])]
                if not any(token in text for text in texts):
                    gaps.append(CoverageGap(page, table.ordinal, token, *(round(v, 2) for v in box)))
    finally:
        document.close()
    return Coverage(total, gaps)
