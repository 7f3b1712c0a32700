"""The coverage guard: every number printed inside a table's grid is accounted for by a
stored cell (or a header cell), so a dropped row can never pass silently."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from cnbudget.extract.layout import read_layouts
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


def _page_tokens(glyphs) -> list[tuple[str, tuple[float, float, float, float]]]:
    """Every number the page prints, with its box: runs of digits, commas and points
    printed side by side on one baseline (two amounts in neighbouring cells are two
    numbers even where the text layer runs them together)."""
    runs: list[list] = []
    for glyph in glyphs:
        char = unicodedata.normalize("NFKC", glyph.char)
        if not (len(char) == 1 and (char.isdigit() or char in ",.")):
            runs.append([])
            continue
        if runs and runs[-1]:
            last = runs[-1][-1]
            height = max(last.y1 - last.y0, glyph.y1 - glyph.y0, 1.0)
            if abs(glyph.baseline - last.baseline) > height / 3 or not (-0.3 * height <= glyph.x0 - last.x1 <= 0.6 * height):
                runs.append([])
        else:
            runs.append([])
        runs[-1].append(glyph)
    tokens = []
    for run in (r for r in runs if r):
        text = "".join(unicodedata.normalize("NFKC", g.char) for g in run)
        for match in _NUMBER.finditer(text):
            members = run[match.start() : match.end()]
            box = (min(g.x0 for g in members), min(g.y0 for g in members),
                   max(g.x1 for g in members), max(g.y1 for g in members))
            tokens.append((match.group(), box))
    return tokens


def check_coverage(pdf_path: Path, tables: list[Table], layouts=None) -> Coverage:
    """`layouts` (the document's pages, read once by the extractor) saves reading the
    PDF again."""
    if layouts is None:
        from cnbudget.extract.pages import open_pdf

        document = open_pdf(pdf_path)
        try:
            layouts = read_layouts(document)
        finally:
            document.close()
    glyphs = {layout.number: layout.glyphs for layout in layouts}
    grids_by_page: dict[int, list[tuple[Table, dict]]] = {}
    for table in tables:
        for grid in table.page_grids:
            grids_by_page.setdefault(grid["page"], []).append((table, grid))
    total, gaps = 0, []
    for page, grids in sorted(grids_by_page.items()):
        for token, box in _page_tokens(glyphs[page]):
            cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
            holder = next(((t, g) for t, g in grids if _inside(cx, cy, g["bbox"])), None)
            if holder is None:
                continue  # printed outside every grid: titles, notes, page numbers
            total += 1
            table, grid = holder
            regions = [(c.x0, c.y0, c.x1, c.y1, c.text) for c in table.cells if c.page == page]
            # header cells, and what a row broken by the page break left here (joined above)
            regions += [tuple(h) for h in grid["headers"] + grid.get("joined", [])]
            texts = [compact(r[4]) for r in regions if _inside(cx, cy, r[:4])]
            if not any(token in text for text in texts):
                gaps.append(CoverageGap(page, table.ordinal, token, *(round(v, 2) for v in box)))
    return Coverage(total, gaps)
