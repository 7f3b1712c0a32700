"""The outline of a summary table's panel (收支总表, 财政拨款收支总表): its lines carry no
codes, so the numbering (一、 (一) 1. (1)) and the indentation say which line sums
which, and the names say what a line is (收入总计, 本年收入合计, a carry-over, 其中：…)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from cnbudget.quality.catalogue import Catalogue, SummaryLineGrammar
from cnbudget.quality.printed import PrintedTable, Row

GRAND_TOTAL, CURRENT_YEAR_TOTAL, CARRY_OVER, OF_WHICH, ITEM = (
    "grand_total", "current_year_total", "carry_over", "of_which", "item",
)


@dataclass
class Line:
    row: Row
    name: str  # the printed name without its numbering and blanks
    role: str  # grand_total, current_year_total, carry_over, of_which, item
    rank: int  # depth in the outline: smaller is higher
    explicit: bool  # its depth is printed (numbered or indented), not inferred
    in_carry_over: bool = False  # printed under a carry-over line
    sub_lines: list[Line] = field(default_factory=list)
    is_item: bool = False  # a top-level amount of its own, before the current-year total
    listed: bool = False  # an item the summary lists (a lone heading's sub-lines in its place)


def _numbering_level(label: str, grammar: SummaryLineGrammar) -> tuple[int | None, str]:
    for level, pattern in enumerate(grammar.numbering):
        if m := pattern.match(label):
            return level, label[m.end():]
    return None, label


def line_name(label: str, catalogue: Catalogue) -> str:
    return re.sub(r"\s+", "", _numbering_level(label.strip(), catalogue.summary_lines)[1])


def _role(name: str, label: str, grammar: SummaryLineGrammar) -> str:
    if grammar.grand_total.search(name):
        return GRAND_TOTAL
    if grammar.current_year_total.search(name):
        return CURRENT_YEAR_TOTAL
    if grammar.of_which.search(label):
        return OF_WHICH
    if grammar.carry_over.search(name):
        return CARRY_OVER
    return ITEM


def summary_outline(table: PrintedTable, part: str, catalogue: Catalogue) -> list[Line]:
    grammar = catalogue.summary_lines
    lines: list[Line] = []
    numbered_rank: int | None = None  # the rank of the last numbered line
    for row in (r for r in table.rows if r.part == part):
        label = row.label.strip()
        level, _ = _numbering_level(label, grammar)
        name = line_name(label, catalogue)
        role = _role(name, label, grammar)
        if role in (GRAND_TOTAL, CURRENT_YEAR_TOTAL):
            numbered_rank = None
            lines.append(Line(row, name, role, -1, True))
            continue
        if level is not None:
            rank, explicit = 4 * level, True
            numbered_rank = rank
        elif numbered_rank is None:
            rank, explicit = 4 * row.indent, True  # no numbering: indentation draws the outline
        else:
            # under a numbered line: a detail, placed by its indentation where printed
            rank, explicit = numbered_rank + 1 + 4 * row.indent, row.indent > 0
        lines.append(Line(row, name, role, rank, explicit))
    _link(lines)
    return lines


def _link(lines: list[Line]) -> None:
    """Sub-lines (the next level below a line, where it is printed explicitly), the
    lines under a carry-over, and the items: top-level lines before the current-year
    total, neither carry-overs nor restatements (其中)."""
    for i, line in enumerate(lines):
        if line.rank < 0:
            continue
        below = []
        for after in lines[i + 1 :]:
            if after.rank < 0 or after.rank <= line.rank:
                break
            below.append(after)
        if line.role == CARRY_OVER:
            for after in below:
                after.in_carry_over = True
        counted = [b for b in below if b.role != OF_WHICH]
        if counted:
            top = min(b.rank for b in counted)
            children = [b for b in counted if b.rank == top]
            if all(c.explicit for c in children):
                line.sub_lines = children
    current = next((i for i, line in enumerate(lines) if line.role == CURRENT_YEAR_TOTAL), len(lines))
    candidates = [
        line for line in lines[:current]
        if line.rank >= 0 and line.role == ITEM and not line.in_carry_over
    ]
    if candidates:
        top = min(line.rank for line in candidates)
        items = [line for line in candidates if line.rank == top]
        for line in items:
            line.is_item = True
        # A lone top line over sub-lines (一、本年支出 / 一、部门预算) is a heading: the
        # summary lists its sub-lines.
        while len(items) == 1 and items[0].sub_lines:
            items = items[0].sub_lines
        for line in items:
            line.listed = True
