"""A performance form's cells by grid position (merged cells, page-break continuations) and its header rows."""

from __future__ import annotations

from cnbudget.extract.tables import Cell, Table
from cnbudget.extract.text import compact, normalize


class Form:
    """A form's cells by row, with what each grid position shows."""

    def __init__(self, table: Table):
        self.table = table
        self.rows = table.body_rows
        self.anchored: dict[int, list[Cell]] = {}
        self.at: dict[tuple[int, int], Cell] = {}
        for cell in sorted(table.cells, key=lambda c: (c.row, c.col)):
            self.anchored.setdefault(cell.row, []).append(cell)
            for r in range(cell.row, cell.row + cell.row_span):
                for c in range(cell.col, cell.col + cell.col_span):
                    self.at[(r, c)] = cell
        self.first_row_of_page = {}
        for cell in table.cells:
            self.first_row_of_page[cell.page] = min(self.first_row_of_page.get(cell.page, cell.row), cell.row)
        self.n_cols = len(table.column_paths)

    def texts(self, row: int) -> list[str]:
        return [compact(c.text) for c in self.anchored.get(row, [])]

    def cells(self, row: int) -> list[Cell]:
        return self.anchored.get(row, [])

    def page(self, row: int) -> int:
        cells = self.anchored.get(row) or [self.at[(row, c)] for c in range(self.n_cols) if (row, c) in self.at]
        return cells[0].page if cells else self.table.pages[0]

    def is_continuation(self, cell: Cell) -> bool:
        """An empty cell at the top of a page: the rest of a merged cell the page break split."""
        return not cell.text.strip() and self.first_row_of_page.get(cell.page) == cell.row

    def full_width(self, row: int) -> str | None:
        cells = self.cells(row)
        if len(cells) == 1 and cells[0].col == 0 and cells[0].col_span == self.n_cols:
            return compact(cells[0].text)
        return None


def columns_named(form: Form, row: int, names: dict[str, str]) -> dict[int, str]:
    """A block's header row: grid column -> field, by the header texts."""
    columns = {}
    for cell in form.cells(row):
        name = names.get(compact(cell.text))
        if name:
            for col in range(cell.col, cell.col + cell.col_span):
                columns[col] = name
    return columns


def row_values(form: Form, row: int, columns: dict[int, str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for col, name in columns.items():
        cell = form.at.get((row, col))
        if cell is not None and name not in values:
            values[name] = normalize(cell.text)
    return values
