"""Ruled grids found by camelot (lattice), as merged regions with text and boxes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cnbudget.extract.text import compact, join_cell_lines



@dataclass(frozen=True)
class Region:
    """One printed cell: a box of the grid, possibly merged over several grid cells.

    Coordinates are PDF points in the page's user space (origin bottom-left).
    """

    row: int
    col: int
    row_span: int
    col_span: int
    text: str
    x0: float
    y0: float
    x1: float
    y1: float


@dataclass(frozen=True)
class Grid:
    page: int
    n_rows: int
    n_cols: int
    regions: tuple[Region, ...]
    bbox: tuple[float, float, float, float]
    col_bounds: tuple[tuple[float, float], ...]  # left and right x of each grid column

    def row_regions(self, row: int) -> list[Region]:
        """Regions anchored in this row, left to right."""
        return sorted((r for r in self.regions if r.row == row), key=lambda r: r.col)

    def without_top_row(self) -> Grid:
        """The grid below its first row (a title printed inside the frame)."""
        from dataclasses import replace

        top = [r for r in self.regions if r.row == 0]
        cut = min(r.y0 for r in top)
        regions = tuple(replace(r, row=r.row - 1) for r in self.regions if r.row > 0)
        x0, y0, x1, _ = self.bbox
        return replace(self, n_rows=self.n_rows - 1, regions=regions, bbox=(x0, y0, x1, cut))

    def region_at(self, row: int, col: int) -> Region:
        for r in self.regions:
            if r.row <= row < r.row + r.row_span and r.col <= col < r.col + r.col_span:
                return r
        raise KeyError((row, col))


def _merge_regions(cells, glyphs: list[list[list]] | None) -> list[Region]:
    """Group camelot's grid cells into printed cells: two neighbours belong together
    when no ruling line separates them. A printed cell's text is read from the glyphs
    inside it (`glyphs`, per grid cell), else from camelot's text of its grid cells."""
    n_rows, n_cols = len(cells), len(cells[0])
    parent = {(r, c): (r, c) for r in range(n_rows) for c in range(n_cols)}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a, b):
        parent[find(a)] = find(b)

    for r in range(n_rows):
        for c in range(n_cols):
            cell = cells[r][c]
            if c + 1 < n_cols and not (cell.right or cells[r][c + 1].left):
                union((r, c), (r, c + 1))
            if r + 1 < n_rows and not (cell.bottom or cells[r + 1][c].top):
                union((r, c), (r + 1, c))

    groups: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for key in parent:
        groups.setdefault(find(key), []).append(key)

    regions = []
    for members in groups.values():
        members.sort()
        rows = [r for r, _ in members]
        cols = [c for _, c in members]
        text = "".join(t for t in (join_cell_lines(cells[r][c].text) for r, c in members) if t)
        if glyphs is not None:
            # Where the two readers agree but for blanks, camelot's keeps the printed
            # blanks (pdfium drops some leading full-width spaces, the indentation);
            # where they disagree, camelot placed a text line in the wrong cell.
            placed = join_cell_lines(glyph_text([g for r, c in members for g in glyphs[r][c]]))
            if compact(placed) != compact(text):
                text = placed
        boxes = [cells[r][c] for r, c in members]
        regions.append(
            Region(
                row=min(rows),
                col=min(cols),
                row_span=max(rows) - min(rows) + 1,
                col_span=max(cols) - min(cols) + 1,
                text=text,
                x0=round(min(b.x1 for b in boxes), 2),
                y0=round(min(b.y1 for b in boxes), 2),
                x1=round(max(b.x2 for b in boxes), 2),
                y1=round(max(b.y2 for b in boxes), 2),
            )
        )
    return sorted(regions, key=lambda g: (g.row, g.col))


def _keep_sparse_grids() -> None:
    """camelot 2.0 drops a ruled grid whose cells are 90 % blank as detection noise. A
    budget prints such grids on purpose: an empty table (header and a blank 合计 row), a
    continuation page holding one row. cnbudget keeps every grid; its own gate is that a
    grid is kept only under a title or as the continuation of a titled table."""
    from camelot.parsers import lattice

    if hasattr(lattice, "_GRID_WHITESPACE_REJECT"):
        lattice._GRID_WHITESPACE_REJECT = 101.0


def _line_of_glyphs(glyphs) -> list[list]:
    """Glyphs in text lines, top to bottom, each left to right: glyphs whose baselines
    lie within a third of the line's glyph height share a line (whatever their shapes:
    quotes sit high, a comma hangs low, a space has no height)."""
    lines: list[list] = []  # [baseline, tallest glyph height, glyphs]
    for glyph in sorted(glyphs, key=lambda g: (-g.baseline, g.x0)):
        height = glyph.y1 - glyph.y0
        if lines and lines[-1][0] - glyph.baseline <= max(lines[-1][1], height, 1.0) / 3:
            lines[-1][2].append(glyph)
            lines[-1][1] = max(lines[-1][1], height)
        else:
            lines.append([glyph.baseline, height, [glyph]])
    return [sorted(line[2], key=lambda g: g.x0) for line in lines]


def glyph_text(glyphs) -> str:
    """Glyphs as text: lines top to bottom joined by line breaks."""
    return "\n".join("".join(g.char for g in line) for line in _line_of_glyphs(glyphs))


def cell_glyphs(table, glyphs) -> list[list[list]]:
    """The page's characters by grid cell: a glyph belongs to the cell holding its centre
    (camelot places whole text lines by their boxes, which puts a name whose font reaches
    high into the row above)."""
    import bisect

    rows, cols = table.rows, table.cols  # (top, bottom) top to bottom; (left, right)
    tops = [-top for top, _ in rows]
    lefts = [left for left, _ in cols]
    buckets: list[list[list]] = [[[] for _ in cols] for _ in rows]
    for glyph in glyphs:
        x, y = glyph.centre
        r = bisect.bisect_right(tops, -y) - 1
        c = bisect.bisect_right(lefts, x) - 1
        if 0 <= r < len(rows) and 0 <= c < len(cols) and rows[r][1] <= y and x <= cols[c][1]:
            buckets[r][c].append(glyph)
    return buckets


def read_grids(pdf_path: Path, pages: list[int], engine: str = "vector", glyphs=None) -> dict[int, list[Grid]]:
    """The ruled tables camelot finds on the given 1-based pages, top to bottom.

    engine is camelot's line detection: "vector" reads the ruling lines the PDF draws
    without rendering the page, about seven times faster than "combined" (render and
    read) and as exact on every document of the corpus. `glyphs` (page -> the page's
    characters) gives each cell its text from where its characters are printed;
    without it camelot's own text is used.
    """
    import camelot  # imported here: heavy, and only extraction needs it

    _keep_sparse_grids()
    if not pages:
        return {}
    found = camelot.read_pdf(
        str(pdf_path), pages=",".join(str(p) for p in pages), flavor="lattice", engine=engine, split_text=True, suppress_stdout=True
    )
    grids: dict[int, list[Grid]] = {p: [] for p in pages}
    for table in found:
        if not table.cells or not table.cells[0]:
            continue
        page = int(table.page)
        x0, y0, x1, y1 = table._bbox
        placed = cell_glyphs(table, glyphs[page]) if glyphs is not None else None
        grids[page].append(
            Grid(
                page=page,
                n_rows=len(table.cells),
                n_cols=len(table.cells[0]),
                regions=tuple(_merge_regions(table.cells, placed)),
                bbox=(round(x0, 2), round(y0, 2), round(x1, 2), round(y1, 2)),
                col_bounds=tuple((round(a, 2), round(b, 2)) for a, b in table.cols),
            )
        )
    for page_grids in grids.values():
        page_grids.sort(key=lambda g: -g.bbox[3])
    return grids


# A page drawing at least this many vector paths may rule a table with shapes camelot's
# vector reader does not take for lines (thin filled polygons): read it rendered.
_RULED_PAGE_PATHS = 12


def read_document_grids(pdf_path: Path, layouts, engine: str = "vector") -> tuple[dict[int, list[Grid]], list[int]]:
    """The grids of every page, and the pages read rendered: the vector reader first;
    on a page where it finds none although the page draws many paths and prints
    figures, camelot's rendering line detection ("combined")."""
    from cnbudget.extract.numbers import looks_like_amount

    glyphs = {layout.number: layout.glyphs for layout in layouts}
    grids = read_grids(pdf_path, [layout.number for layout in layouts], engine, glyphs)
    rendered = [
        layout.number
        for layout in layouts
        if not grids[layout.number]
        and layout.path_count >= _RULED_PAGE_PATHS
        and any(looks_like_amount(word) for line in layout.lines for word in line.text.split())
    ]
    if rendered and engine == "vector":
        grids.update(read_grids(pdf_path, rendered, "combined", glyphs))
    return grids, rendered
