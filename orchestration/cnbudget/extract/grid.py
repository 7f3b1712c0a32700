"""Ruled grids found by camelot (lattice), as merged regions with text and boxes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cnbudget.extract.text import join_cell_lines



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


def _merge_regions(cells) -> list[Region]:
    """Group camelot's grid cells into printed cells: two neighbours belong together
    when no ruling line separates them."""
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
        texts = [join_cell_lines(cells[r][c].text) for r, c in members]
        boxes = [cells[r][c] for r, c in members]
        regions.append(
            Region(
                row=min(rows),
                col=min(cols),
                row_span=max(rows) - min(rows) + 1,
                col_span=max(cols) - min(cols) + 1,
                text="".join(t for t in texts if t),
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


def read_grids(pdf_path: Path, pages: list[int], engine: str = "vector") -> dict[int, list[Grid]]:
    """The ruled tables camelot finds on the given 1-based pages, top to bottom.

    engine is camelot's line detection: "vector" reads the ruling lines the PDF draws
    without rendering the page, about seven times faster than "combined" (render and
    read) and as exact on every document of the corpus.
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
        grids[page].append(
            Grid(
                page=page,
                n_rows=len(table.cells),
                n_cols=len(table.cells[0]),
                regions=tuple(_merge_regions(table.cells)),
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

    grids = read_grids(pdf_path, [layout.number for layout in layouts], engine)
    rendered = [
        layout.number
        for layout in layouts
        if not grids[layout.number]
        and layout.path_count >= _RULED_PAGE_PATHS
        and any(looks_like_amount(word) for line in layout.lines for word in line.text.split())
    ]
    if rendered and engine == "vector":
        grids.update(read_grids(pdf_path, rendered, "combined"))
    return grids, rendered
