"""Where tables are on a page: each ruled grid, with the title block printed above it.

A table is anchored on its grid. The lines between the grid's top and what precedes it
on the page (the page top, or the grid above) are its title block: the nearest title
there is its title; its label (表1, 公开01表 …), unit (单位：万元) and department line are
read anywhere in the block, else the unit in the grid's header cells or at the page top.
A block without a title above a grid continues the table before it. A title with no
grid below it is a table printed without rules (often an empty table: header, 合计 and
a note). A page that lists titles without grids is a table of contents.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from cnbudget.extract.catalog import TableKind, classify_title, is_title_like, other_kind, split_label
from cnbudget.extract.grid import Grid
from cnbudget.extract.layout import PageLayout, TextLine
from cnbudget.extract.text import compact, normalize

# `单位：万元` prints the unit; `编制单位：…` / `预算单位：…` print a name. A value of at
# most four characters ending in 元 is a unit (known or not: an unknown one is reported).
_UNIT = re.compile(r"单位\s*[:：]\s*(?P<unit>[^\s:：,，;；()（）]{0,3}元)(?![^\s)）])")
_BARE_UNIT = re.compile(r"^[(（]?(?P<unit>[千万亿]?元)[)）]?$")
_DEPARTMENT = re.compile(
    r"(?P<label>编制部门|编制单位|预算主管部门|主管部门|预算单位|单位名称|部门名称|部门\(单位\)|部门（单位）|部门)"
    r"\s*[:：]\s*(?P<name>[^\s:：]+)"
)
_CODE_PREFIX = re.compile(r"^\d+[-_－]")
_TOC_WORDS = ("目录", "报表目录")
_DOT_LEADER = re.compile(r"(\.{3,}|…{2,}|·{3,})\s*\d+\s*$")


@dataclass(frozen=True)
class TitleBlock:
    """A table's title and what its title block prints beside it."""

    page: int
    kind: TableKind
    title: str
    label: str
    unit: str | None  # as printed (元 / 万元 / …); None when the page prints none for it
    unit_line: str
    unit_source: str  # title_block / header / page / '' (not printed)
    department_line: str


@dataclass
class PageItem:
    """One table's part on a page: a title block, a grid, or both."""

    page: int
    block: TitleBlock | None
    grid: Grid | None
    notes: list[str] = field(default_factory=list)  # lines printed below it (注：…)


@dataclass(frozen=True)
class _Title:
    first: int  # index of the first line of the title (label line included)
    last: int
    label: str
    title: str
    kind: TableKind


def _title_at(lines: list[TextLine], i: int, allow_other: bool) -> _Title | None:
    """A title starting at line i: the whole line, one of its segments, or the line
    joined with the next (a title wrapped over two lines); its label on the same line or
    on the line above."""
    line = lines[i]
    label, rest = split_label(line.text)
    candidates = [(rest, i)]
    if len(line.segments) > 1:
        candidates += [(split_label(s.text)[1], i) for s in line.segments]
    if i + 1 < len(lines) and not is_title_like(rest) and not is_title_like(split_label(lines[i + 1].text)[1]):
        candidates.append((rest + lines[i + 1].compact, i + 1))
    for text, last in candidates:
        kind = classify_title(text)
        if kind is None and allow_other and is_title_like(text) and len(text) >= 4:
            kind = other_kind()
        if kind is None:
            continue
        first = i
        if not label and i > 0:
            above, above_rest = split_label(lines[i - 1].text)
            if above and not above_rest:
                label, first = above, i - 1
        if not label:
            label = next((split_label(s.text)[0] for s in line.segments if split_label(s.text)[0]), "")
        if not label and last + 1 < len(lines):
            # the central 决算 template prints its number alone under the title (公开 01 表)
            below, below_rest = split_label(lines[last + 1].text)
            if below and not below_rest:
                label, last = below, last + 1
        return _Title(first, last, label, normalize(text), kind)
    return None


def _titles(lines: list[TextLine], allow_other_last: bool) -> list[_Title]:
    found, i = [], 0
    while i < len(lines):
        title = _title_at(lines, i, allow_other=False)
        if title:
            found.append(title)
            i = title.last + 1
        else:
            i += 1
    if allow_other_last and not found:
        # Nearest to the grid first: the line just above it is the likeliest title.
        for i in range(len(lines) - 1, -1, -1):
            if title := _title_at(lines, i, allow_other=True):
                return [title]
    return found


def _unit_in(lines: list[TextLine]) -> tuple[str | None, str]:
    for line in lines:
        if m := _UNIT.search(re.sub(r"\s+", "", line.printed)):
            return normalize(m.group("unit")), m.group(0)
        for word in line.text.split():
            if m := _BARE_UNIT.match(word):
                return m.group("unit"), word
    return None, ""


# A cell naming its unit: 项目资金(万元), 预算数(单位：万元).
_CELL_UNIT = re.compile(r"[(（](?:金额)?(?:单位[:：])?(?P<unit>[千万亿]?元)[)）]")


def _unit_in_cells(grid: Grid, form: bool) -> tuple[str | None, str]:
    """A unit printed in the grid: in its first rows (a header), anywhere in a form."""
    regions = grid.regions if form else [r for r in grid.regions if r.row < 3]
    for region in regions:
        text = compact(region.text)
        if m := _UNIT.search(text) or _CELL_UNIT.search(text):
            return normalize(m.group("unit")), m.group(0)
    return None, ""


def department_name(text: str) -> str:
    m = _DEPARTMENT.search(normalize(text))
    return _CODE_PREFIX.sub("", m.group("name")) if m else ""


def _department_line(lines: list[TextLine]) -> str:
    """The department line as printed (编制单位：…, 部门（单位）：…)."""
    for line in lines:
        if m := _DEPARTMENT.search(line.printed):
            return m.group(0).strip()
    return ""


def is_table_of_contents(layout: PageLayout, grids: list[Grid]) -> bool:
    """目录 at the top, dot leaders, or several titles on a page without a grid."""
    lines = layout.lines
    if any(line.compact in _TOC_WORDS for line in lines[:4]):
        return True
    if sum(bool(_DOT_LEADER.search(line.text)) for line in lines) >= 3:
        return True
    return not grids and len(_titles(list(lines), allow_other_last=False)) >= 2


def is_table_list_grid(grid: Grid) -> bool:
    """A ruled 报表目录: a grid whose cells name several tables."""
    return sum(classify_title(split_label(r.text)[1]) is not None for r in grid.regions) >= 3


def _block(layout: PageLayout, lines: list[TextLine], title: _Title, grid: Grid | None, page_top: list[TextLine]) -> TitleBlock:
    block_lines = lines[title.first :]
    unit, unit_line, source = *_unit_in(block_lines), "title_block"
    if unit is None and grid is not None:
        unit, unit_line, source = *_unit_in_cells(grid, title.kind.form), "header"
    if unit is None:
        unit, unit_line, source = *_unit_in(page_top), "page"
    return TitleBlock(
        page=layout.number,
        kind=title.kind,
        title=title.title,
        label=title.label,
        unit=unit,
        unit_line=unit_line,
        unit_source=source if unit else "",
        department_line=_department_line(block_lines) or _department_line(page_top),
    )


def _title_row(grid: Grid) -> TextLine | None:
    """A grid whose first row is one cell across the table, printing a title."""
    from cnbudget.extract.layout import Segment

    top = [r for r in grid.regions if r.row == 0]
    if grid.n_rows < 2 or len(top) != 1 or top[0].col_span != grid.n_cols:
        return None
    region = top[0]
    label, rest = split_label(region.text)
    if classify_title(rest) is None:
        return None
    return TextLine((Segment(region.text, region.x0, region.y0, region.x1, region.y1),))


def _title_parts(line: TextLine) -> tuple[str, str, TableKind]:
    label, rest = split_label(line.text)
    return label, normalize(rest), classify_title(rest)


def trailing_label(layout: PageLayout) -> str:
    """A table number printed alone at the foot of a page (部门公开表7), its table on
    the next page: the label of that page's first title."""
    lines = [line for line in layout.lines if not re.fullmatch(r"[-—\d\s]+", line.compact)]
    if lines:
        label, rest = split_label(lines[-1].text)
        if label and not rest:
            return label
    return ""


def page_items(layout: PageLayout, grids: list[Grid], carried_label: str = "") -> list[PageItem]:
    """The page's tables, top to bottom: each grid with the title block above it, and
    each title with no grid below it; `carried_label` is the previous page's trailing
    label."""
    grids = sorted((g for g in grids if not is_table_list_grid(g)), key=lambda g: -g.bbox[3])
    items: list[PageItem] = []
    above = layout.height + 1
    first_grid_top = grids[0].bbox[3] if grids else -1
    page_top = layout.lines_between(layout.height + 1, first_grid_top)

    def gridless(lines: list[TextLine], titles: list[_Title]) -> None:
        for n, title in enumerate(titles):
            end = titles[n + 1].first if n + 1 < len(titles) else len(lines)
            block = _block(layout, lines[:end], title, None, page_top)
            items.append(PageItem(layout.number, block, None, [line.text for line in lines[title.last + 1 : end]]))

    for grid in grids:
        x0, y0, x1, y1 = grid.bbox
        lines = layout.lines_between(above, y1 - 1)
        titles = _titles(lines, allow_other_last=True)
        notes_end = titles[0].first if titles else len(lines)
        if items:
            items[-1].notes += [line.text for line in lines[:notes_end]]
        gridless(lines, titles[:-1])
        block = _block(layout, lines, titles[-1], grid, page_top) if titles else None
        if block is None and (inner := _title_row(grid)):
            # The title is printed inside the table's frame, in its first row.
            grid = grid.without_top_row()
            block = _block(layout, lines + [inner], _Title(len(lines), len(lines), *_title_parts(inner)), grid, page_top)
        items.append(PageItem(layout.number, block, grid))
        above = y0 + 1
    lines = layout.lines_between(above, -1)
    titles = _titles(lines, allow_other_last=False)
    if items:
        items[-1].notes += [line.text for line in lines[: titles[0].first if titles else len(lines)]]
    gridless(lines, titles)
    first = next((item for item in items if item.block), None)
    if carried_label and first and not first.block.label:
        from dataclasses import replace

        first.block = replace(first.block, label=carried_label)
    return items
