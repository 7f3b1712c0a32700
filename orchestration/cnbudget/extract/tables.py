"""Grids to table instances: header rows to column paths, body rows to cells,
continuation pages joined."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from cnbudget.extract.catalog import is_label_column
from cnbudget.extract.grid import Grid, Region
from cnbudget.extract.numbers import looks_like_amount
from cnbudget.extract.errors import DocumentError
from cnbudget.extract.pages import TableStart
from cnbudget.extract.text import compact

_CODE = re.compile(r"^[0-9A-Z]{3,}$")
_TOTAL_LABELS = ("合计", "总计")
_EMPTY_NOTE = re.compile(r"(本表为空|空表|没有使用|无.{0,20}安排|无.{0,20}预算)")


@dataclass
class Cell:
    """One printed body cell of a table instance, where it was printed."""

    row: int  # 0-based body row within the table instance, across pages
    col: int
    row_span: int
    col_span: int
    page: int
    text: str
    x0: float
    y0: float
    x1: float
    y1: float


@dataclass
class Table:
    ordinal: int
    kind: str
    label: str
    title: str
    unit: str
    unit_line: str
    department_line: str
    pages: list[int]
    column_paths: list[str]
    header_rows: int
    header_texts: list[list[str]] = field(default_factory=list)  # per header row, left to right
    fiscal_year: int | None = None  # from the title (2025年…), else the document's
    col_bounds: list[list[float]] = field(default_factory=list)
    # Per page: the grid's box and the header cells read there (kept for the coverage
    # guard, which accounts for every number printed inside the grid).
    page_grids: list[dict] = field(default_factory=list)
    cells: list[Cell] = field(default_factory=list)
    empty_note: str = ""

    @property
    def body_rows(self) -> int:
        return max((c.row + c.row_span for c in self.cells), default=0)

    @property
    def is_empty(self) -> bool:
        """No amount printed anywhere in the body: a table published with only its
        header, a blank 合计 row or a note."""
        return not any(looks_like_amount(c.text) for c in self.cells)


def _is_body_row(grid: Grid, row: int) -> bool:
    regions = grid.row_regions(row)
    if not regions:
        return False
    if len(regions) == 1 and regions[0].col_span == grid.n_cols and row > 0:
        return True  # a note printed across the whole table
    texts = [compact(r.text) for r in regions]
    if any(looks_like_amount(t) for t in texts):
        return True
    first = next((t for t in texts if t), "")
    if _CODE.match(first):
        return True
    # A 合计 row carries amounts or nothing; a header row with 合计 carries more words.
    rest = [t for t in texts if t and t != first]
    return first in _TOTAL_LABELS and all(looks_like_amount(t) for t in rest)


def count_header_rows(grid: Grid) -> int:
    for row in range(grid.n_rows):
        if _is_body_row(grid, row):
            return row
    return grid.n_rows


def _row_texts(grid: Grid, row: int) -> list[str]:
    return [compact(r.text) for r in grid.row_regions(row)]


def repeated_header_rows(table: Table, grid: Grid) -> int:
    """How many leading rows of a continuation page repeat the table's header. Matched
    against the first page's header, not guessed: a continuation's first body rows may
    hold no amount (a side-by-side table's blank half)."""
    count = 0
    for row, expected in enumerate(table.header_texts):
        if row >= grid.n_rows or _row_texts(grid, row) != expected:
            break
        count += 1
    return count


def column_paths(grid: Grid, header_rows: int) -> list[str]:
    """One path per grid column: the header texts above it, top to bottom, merged
    cells counted once (`基本支出/人员经费`)."""
    paths = []
    for col in range(grid.n_cols):
        parts = []
        for row in range(header_rows):
            region = grid.region_at(row, col)
            text = compact(region.text)
            if region.row == row and text and (not parts or parts[-1] != text):
                parts.append(text)
        paths.append("/".join(parts) or f"第{col + 1}列")
    return paths


def _body_cells(grid: Grid, first_row: int, row_offset: int) -> list[Cell]:
    cells = []
    for region in grid.regions:
        if region.row < first_row:
            continue
        cells.append(_cell(region, grid.page, region.row - first_row + row_offset))
    return cells


def _page_grid(grid: Grid, header_rows: int) -> dict:
    headers = [[r.x0, r.y0, r.x1, r.y1, r.text] for r in grid.regions if r.row < header_rows]
    return {"page": grid.page, "bbox": list(grid.bbox), "headers": headers}


def _cell(region: Region, page: int, row: int) -> Cell:
    return Cell(
        row=row,
        col=region.col,
        row_span=region.row_span,
        col_span=region.col_span,
        page=page,
        text=region.text,
        x0=region.x0,
        y0=region.y0,
        x1=region.x1,
        y1=region.y1,
    )


def start_table(ordinal: int, start: TableStart, unit: str, grid: Grid | None, page_lines: list[str]) -> Table:
    # A form's blocks carry their own headers: every row of it is body.
    header_rows = count_header_rows(grid) if grid and not start.kind.form else 0
    table = Table(
        ordinal=ordinal,
        kind=start.kind.kind,
        label=start.label,
        title=start.title,
        unit=unit,
        unit_line=start.unit_line,
        department_line=start.department_line,
        pages=[start.page],
        column_paths=column_paths(grid, header_rows) if grid else [],
        header_rows=header_rows,
        header_texts=[_row_texts(grid, r) for r in range(header_rows)] if grid else [],
        col_bounds=[list(b) for b in grid.col_bounds] if grid else [],
    )
    if grid:
        table.cells = _body_cells(grid, header_rows, 0)
        table.page_grids.append(_page_grid(grid, header_rows))
    if table.is_empty:
        table.empty_note = next((line for line in page_lines if _EMPTY_NOTE.search(line)), "")
        if not table.empty_note:
            notes = [c.text for c in table.cells if c.col_span == len(table.column_paths) and c.text]
            table.empty_note = notes[0] if notes else ""
    return table


# How far (points) a continuation page's column line may sit from the first page's.
_COLUMN_ALIGNMENT_TOLERANCE = 4.0


def _align_columns(table: Table, cells: list[Cell], source: str, page: int) -> list[Cell]:
    """Place a continuation page's cells in the table's columns by their x position: a
    page holding only a 合计 row prints fewer column lines, so camelot sees fewer columns."""
    lefts = [b[0] for b in table.col_bounds]
    rights = [b[1] for b in table.col_bounds]
    aligned = []
    for cell in cells:
        first = min(range(len(lefts)), key=lambda c: abs(lefts[c] - cell.x0))
        last = min(range(len(rights)), key=lambda c: abs(rights[c] - cell.x1))
        if (
            abs(lefts[first] - cell.x0) > _COLUMN_ALIGNMENT_TOLERANCE
            or abs(rights[last] - cell.x1) > _COLUMN_ALIGNMENT_TOLERANCE
            or last < first
        ):
            raise DocumentError(
                "layout",
                f"{source}: page {page}: a cell at x {cell.x0:.0f}–{cell.x1:.0f} does not line up "
                f"with the columns of {table.title} (continued from page {table.pages[0]})"
            )
        cell.col, cell.col_span = first, last - first + 1
        aligned.append(cell)
    return aligned


def continue_table(table: Table, grid: Grid, source: str) -> None:
    """Append a continuation page's grid: a repeated header is dropped."""
    header_rows = repeated_header_rows(table, grid)
    cells = _body_cells(grid, header_rows, table.body_rows)
    if grid.n_cols != len(table.column_paths):
        cells = _align_columns(table, cells, source, grid.page)
    if table.pages[-1] != grid.page:
        table.pages.append(grid.page)
    table.page_grids.append(_page_grid(grid, header_rows))
    if _continues_previous_row(table, cells):
        cells = _join_first_row(table, cells)
    table.cells.extend(cells)


def _code_columns(table: Table) -> list[int]:
    leaves = [compact(p.split("/")[-1]) for p in table.column_paths]
    return [
        i
        for i, leaf in enumerate(leaves)
        if is_label_column(leaf) and (leaf in ("类", "款", "项") or leaf.endswith(("编码", "代码")))
    ]


def _continues_previous_row(table: Table, cells: list[Cell]) -> bool:
    """A row broken by the page break: the continuation's first row prints no code (the
    table has code columns), is not a 合计 row, and fills no amount column that the
    previous row already filled."""
    code_cols = _code_columns(table)
    if not code_cols or table.body_rows == 0 or not cells:
        return False
    first = {c.col: c for c in cells if c.row == table.body_rows}
    if not first or any(first[c].text.strip() for c in code_cols if c in first):
        return False
    labels = [c.text for col, c in first.items() if col not in code_cols and is_label_column(
        compact(table.column_paths[col].split("/")[-1]))]
    if not any(t.strip() for t in labels) or any(compact(t) in _TOTAL_LABELS for t in labels):
        return False
    previous = {c.col: c for c in table.cells if c.row == table.body_rows - 1}
    for col, cell in first.items():
        label = is_label_column(compact(table.column_paths[col].split("/")[-1]))
        if not label and cell.text.strip() and previous.get(col) and previous[col].text.strip():
            return False
    return True


def _join_first_row(table: Table, cells: list[Cell]) -> list[Cell]:
    """Merge the continuation's first row into the previous row: label text is
    concatenated; an amount keeps the page and box where it is printed."""
    joined_row = table.body_rows
    previous = {c.col: c for c in table.cells if c.row == joined_row - 1}
    for cell in (c for c in cells if c.row == joined_row):
        before = previous.get(cell.col)
        if before is None or not cell.text.strip():
            continue
        if not before.text.strip():
            before.text, before.page = cell.text, cell.page
            before.x0, before.y0, before.x1, before.y1 = cell.x0, cell.y0, cell.x1, cell.y1
        else:
            before.text += cell.text.strip()
    rest = [c for c in cells if c.row != joined_row]
    for c in rest:
        c.row -= 1
    return rest
