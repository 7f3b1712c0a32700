"""Grids to table instances: header rows to column paths, body rows to cells,
continuation pages joined."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cnbudget.extract.catalog import is_label_column
from cnbudget.extract.grid import Grid, Region
from cnbudget.extract.numbers import AmountParseError, looks_like_amount, parse_amount
from cnbudget.extract.text import compact

if TYPE_CHECKING:
    from cnbudget.extract.anchors import TitleBlock

_CODE = re.compile(r"^[0-9A-Z]{3,}$")
_TOTAL_LABELS = ("合计", "总计")
_EMPTY_NOTE = re.compile(r"(本表为空|空表|没有使用|无.{0,20}安排|无.{0,20}预算|无数据|无发生额|不涉及)")
# A row numbering the columns (栏次: `** 1 2 3 …`, `栏次 1 2 3`) is header, not body.
_COLUMN_NUMBER = re.compile(r"^(\*\*|栏次|行次|\d{1,2})$")


def _nonzero_amount(text: str) -> bool:
    try:
        value = parse_amount(text)
    except AmountParseError:
        return False
    return value is not None and value != 0


class TableError(Exception):
    """A table that cannot be read: the document still loads its other tables, and
    raw.table_errors records this one with its page and the reason."""

    def __init__(self, kind: str, message: str, page: int):
        super().__init__(message)
        self.kind = kind
        self.page = page


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
    first_row_texts: list[str] = field(default_factory=list)  # the first page's top grid row
    fiscal_year: int | None = None  # from the title (2025年…), else the document's
    col_bounds: list[list[float]] = field(default_factory=list)
    # Per page: the grid's box and the header cells read there (kept for the coverage
    # guard, which accounts for every number printed inside the grid).
    page_grids: list[dict] = field(default_factory=list)
    cells: list[Cell] = field(default_factory=list)
    empty_note: str = ""
    unit_source: str = "title_block"  # where the unit was read: title_block / header / page / document
    form: bool = False  # a form (绩效目标表): cells are text, not amounts

    @property
    def body_rows(self) -> int:
        return max((c.row + c.row_span for c in self.cells), default=0)

    @property
    def is_empty(self) -> bool:
        """No amount but zero printed anywhere in the body: a table published with only
        its header, a blank or 0.00 合计 row, or a note (本表无数据). A form (绩效目标表)
        states targets, not amounts: it is empty when it says so or is a blank template
        (a third of its cells or more left blank)."""
        if any(_nonzero_amount(c.text) for c in self.cells):
            return False
        if not self.form:
            return True
        blank = sum(1 for c in self.cells if not c.text.strip())
        return bool(self.empty_note) or blank * 3 >= len(self.cells)


def _is_column_numbering(texts: list[str]) -> bool:
    """`** 1 2 3 …` under a header: numbers 1, 2, 3 … in order, or 栏次 marks."""
    printed = [t for t in texts if t]
    numbers = [int(t) for t in printed if t.isdigit()]
    if len(printed) < 2 or not numbers or not all(_COLUMN_NUMBER.match(t) for t in printed):
        return False
    marked = len(numbers) < len(printed)  # ** or 栏次 beside the numbers
    return (marked or len(numbers) >= 3) and numbers == list(range(numbers[0], numbers[0] + len(numbers)))


def _is_body_row(grid: Grid, row: int) -> bool:
    regions = grid.row_regions(row)
    if not regions:
        return False
    if _is_column_numbering([compact(r.text) for r in regions]):
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


def opening_row(grid: Grid) -> list[str]:
    """The texts of a grid's first row printing two cells or more (a subtitle across the
    frame, `(2023年度)`, is not where a form opens)."""
    for row in range(grid.n_rows):
        texts = [t for t in row_texts(grid, row) if t]
        if len(texts) >= 2:
            return texts
    return []


def row_texts(grid: Grid, row: int) -> list[str]:
    return [compact(r.text) for r in grid.row_regions(row)]


def repeated_header_rows(table: Table, grid: Grid) -> int:
    """How many leading rows of a continuation page repeat the table's header. Matched
    against the first page's header, not guessed: a continuation's first body rows may
    hold no amount (a side-by-side table's blank half). A row whose every cell prints
    words of the first page's header also repeats it (the first page's header read with
    its cells merged otherwise)."""
    header_words = "".join("".join(row) for row in table.header_texts) + "".join(table.column_paths)
    count = 0
    for row in range(grid.n_rows):
        texts = row_texts(grid, row)
        if row < len(table.header_texts) and texts == table.header_texts[row]:
            count += 1
            continue
        printed = [t for t in texts if t]
        if len(printed) >= 2 and not any(looks_like_amount(t) for t in printed) and all(t in header_words for t in printed):
            count += 1
            continue
        break
    return count


def column_paths(grid: Grid, header_rows: int) -> list[str]:
    """One path per grid column: the header texts above it, top to bottom, merged
    cells counted once (`基本支出/人员经费`)."""
    numbering = {row for row in range(header_rows) if _is_column_numbering(row_texts(grid, row))}
    paths = []
    for col in range(grid.n_cols):
        parts = []
        for row in range(header_rows):
            if row in numbering:
                continue  # `** 1 2 3`: numbers the columns, names none
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


def start_table(ordinal: int, block: TitleBlock, unit: str, grid: Grid | None, notes: list[str]) -> Table:
    # A form's blocks carry their own headers: every row of it is body.
    header_rows = count_header_rows(grid) if grid and not block.kind.form else 0
    table = Table(
        ordinal=ordinal,
        kind=block.kind.kind,
        label=block.label,
        title=block.title,
        unit=unit,
        unit_line=block.unit_line,
        unit_source=block.unit_source,
        form=block.kind.form,
        department_line=block.department_line,
        pages=[block.page],
        column_paths=column_paths(grid, header_rows) if grid else [],
        header_rows=header_rows,
        header_texts=[row_texts(grid, r) for r in range(header_rows)] if grid else [],
        first_row_texts=opening_row(grid) if grid else [],
        col_bounds=[list(b) for b in grid.col_bounds] if grid else [],
    )
    if grid:
        table.cells = _body_cells(grid, header_rows, 0)
        table.page_grids.append(_page_grid(grid, header_rows))
    table.empty_note = next((line for line in notes if _EMPTY_NOTE.search(line)), "")
    if not table.is_empty:
        table.empty_note = ""
    elif not table.empty_note:
        spanning = [c.text for c in table.cells if c.col_span == len(table.column_paths) and c.text]
        table.empty_note = spanning[0] if spanning else ""
    return table


def _align_columns(table: Table, cells: list[Cell], page: int) -> list[Cell]:
    """Place a continuation page's cells in the table's columns by their x position: a
    page holding only a 合计 row prints fewer column lines, so camelot sees fewer columns.
    A cell covers the columns whose centre lies inside it."""
    centres = [(left + right) / 2 for left, right in table.col_bounds]
    aligned = []
    for cell in cells:
        covered = [c for c, x in enumerate(centres) if cell.x0 <= x <= cell.x1]
        if not covered:
            raise TableError(
                "layout",
                f"page {page}: a cell at x {cell.x0:.0f}–{cell.x1:.0f} lines up with no column of "
                f"{table.title} (continued from page {table.pages[0]})",
                page,
            )
        cell.col, cell.col_span = covered[0], covered[-1] - covered[0] + 1
        aligned.append(cell)
    return aligned


def continue_table(table: Table, grid: Grid) -> None:
    """Append a continuation page's grid: a repeated header is dropped."""
    header_rows = repeated_header_rows(table, grid)
    cells = _body_cells(grid, header_rows, table.body_rows)
    if grid.n_cols != len(table.column_paths) or not _same_columns(table, grid):
        cells = _align_columns(table, cells, grid.page)
    if table.pages[-1] != grid.page:
        table.pages.append(grid.page)
    table.page_grids.append(_page_grid(grid, header_rows))
    if _continues_previous_row(table, cells):
        cells = _join_first_row(table, cells)
    table.cells.extend(cells)


def _same_columns(table: Table, grid: Grid) -> bool:
    return all(abs(a[0] - b[0]) <= 4 and abs(a[1] - b[1]) <= 4 for a, b in zip(table.col_bounds, grid.col_bounds))


def _code_columns(table: Table) -> list[int]:
    leaves = [compact(p.split("/")[-1]) for p in table.column_paths]
    return [
        i
        for i, leaf in enumerate(leaves)
        if is_label_column(leaf) and (leaf in ("类", "款", "项") or leaf.endswith(("编码", "代码")))
    ]


def _decimals(text: str) -> int | None:
    text = compact(text)
    if not looks_like_amount(text):
        return None
    return len(text.split(".")[1]) if "." in text else 0


def _cut_by_the_break(table: Table, col: int, before: str, after: str) -> bool:
    """An amount the page break cut in two (`12,437.3` | `6`): the tail is a digit or
    two, the head prints fewer decimals than the column's other amounts, and together
    they are a number."""
    tail = compact(after)
    if not re.fullmatch(r"\d{1,2}", tail) or not looks_like_amount(compact(before) + tail):
        return False
    usual = [d for c in table.cells if c.col == col and (d := _decimals(c.text)) is not None]
    return bool(usual) and _decimals(before) is not None and _decimals(before) < max(set(usual), key=usual.count)


def _continues_previous_row(table: Table, cells: list[Cell]) -> bool:
    """A row broken by the page break. Its first part ends the page, the rest opens the
    continuation: that first row prints no code (where the table has code columns), is
    not a 合计 row, and its amounts either fill only columns the previous row left blank
    (the name wrapped onto the next page with the figures), or are the tails of amounts
    the break cut. In a table without codes only the second case is told apart."""
    code_cols = _code_columns(table)
    if table.body_rows == 0 or not cells:
        return False
    first = {c.col: c for c in cells if c.row == table.body_rows}
    if not first or any(first[c].text.strip() for c in code_cols if c in first):
        return False
    is_label = {col: is_label_column(compact(table.column_paths[col].split("/")[-1])) for col in first}
    labels = [c.text for col, c in first.items() if col not in code_cols and is_label[col]]
    if not any(t.strip() for t in labels) or any(compact(t).endswith(_TOTAL_LABELS) for t in labels):
        return False
    previous = {c.col: c for c in table.cells if c.row == table.body_rows - 1}
    cut = False
    for col, cell in first.items():
        if is_label[col] or not cell.text.strip():
            continue
        before = previous.get(col)
        if before is not None and before.text.strip():
            if not _cut_by_the_break(table, col, before.text, cell.text):
                return False
            cut = True
    # Without codes, a row whose name wrapped onto the next page cannot be told from a
    # new row that prints what the previous one left blank: only a cut amount joins.
    return cut or bool(code_cols)


def _join_first_row(table: Table, cells: list[Cell]) -> list[Cell]:
    """Merge the continuation's first row into the previous row: label text is
    concatenated; an amount keeps the page and box where it is printed."""
    joined_row = table.body_rows
    previous = {c.col: c for c in table.cells if c.row == joined_row - 1}
    joined = table.page_grids[-1].setdefault("joined", [])
    for cell in (c for c in cells if c.row == joined_row):
        before = previous.get(cell.col)
        if before is None or not cell.text.strip():
            continue
        if before.text.strip():
            joined.append([cell.x0, cell.y0, cell.x1, cell.y1, before.text + cell.text.strip()])
        if not before.text.strip():
            before.text, before.page = cell.text, cell.page
            before.x0, before.y0, before.x1, before.y1 = cell.x0, cell.y0, cell.x1, cell.y1
        else:
            before.text += cell.text.strip()
    rest = [c for c in cells if c.row != joined_row]
    for c in rest:
        c.row -= 1
    return rest
