"""A form's indicator block: the 一级 / 二级 / 三级指标 hierarchy and each printed value with its period."""

from __future__ import annotations

import re

from cnbudget.extract.performance_form import Form
from cnbudget.extract.performance_records import (ANNUAL, CURRENT_YEAR, LAST_YEAR, LONG_TERM, TWO_YEARS_AGO,
                                                  PerformanceIndicator, parse_target)
from cnbudget.extract.text import compact, normalize

_INDICATOR_ROLES = (
    ("目标名称", "goal"),
    ("一级指标", "level1"),
    ("二级指标", "level2"),
    ("三级指标", "level3"),
    ("指标名称", "level3"),
    ("指标值确定依据", "basis"),
    ("绩效标准", "basis"),
)
_YEAR_IN_HEADER = re.compile(r"(20\d\d)\s*年")


def _role(text: str) -> str | None:
    for word, role in _INDICATOR_ROLES:
        if text == word:
            return role
    return None


def _period(text: str, fiscal_year: int | None) -> tuple[str, int | None] | None:
    """The period a value column's header names: 前年 / 上年 / 预计当年实现, or a year."""
    year = int(m.group(1)) if (m := _YEAR_IN_HEADER.search(text)) else None
    if "前年" in text:
        return TWO_YEARS_AGO, year or (fiscal_year - 2 if fiscal_year else None)
    if "上年" in text:
        return LAST_YEAR, year or (fiscal_year - 1 if fiscal_year else None)
    if "当年" in text:
        return CURRENT_YEAR, year or fiscal_year
    if year is not None and fiscal_year is not None:
        return {fiscal_year - 2: TWO_YEARS_AGO, fiscal_year - 1: LAST_YEAR, fiscal_year: CURRENT_YEAR}.get(
            year, CURRENT_YEAR), year
    if text == "指标值":
        return LONG_TERM, None
    return None


def indicator_header(form: Form, row: int, fiscal_year: int | None):
    """Column roles of an indicator table whose header starts at `row` (the row naming
    一级指标), and the number of header rows."""
    start = row
    header_cells = [c for c in form.cells(row) if _role(compact(c.text)) or compact(c.text) == "指标值"]
    end = max(c.row + c.row_span for c in header_cells)
    roles: dict[int, tuple[str, str | None, int | None]] = {}
    for col in range(form.n_cols):
        covering = [form.at[(r, col)] for r in range(start, end) if (r, col) in form.at]
        distinct = [c for i, c in enumerate(covering) if all(c is not d for d in covering[:i])]
        texts = [compact(c.text) for c in distinct]
        if not texts:
            continue
        if (role := _role(texts[0])) is not None:
            roles[col] = (role, None, None)
            continue
        leaf = texts[-1]
        if (period := _period(leaf, fiscal_year)) is not None:
            roles[col] = ("value", *period)
    return roles, end


def read_indicator(form: Form, row: int, roles: dict, carried: dict, goal_name: str, goal_type_hint: str):
    fields: dict[str, str] = {}
    values = []
    for col, (role, period, year) in sorted(roles.items()):
        cell = form.at.get((row, col))
        if cell is None:
            continue
        text = normalize(cell.text)
        if role in ("goal", "level1", "level2", "basis"):
            if not text and form.is_continuation(cell):
                text = carried.get(role, "")
            if role not in fields:
                fields[role] = text
        elif role == "level3":
            fields.setdefault("level3", text)
        elif role == "value" and text and (period, year) not in {(v[0], v[1]) for v in values}:
            values.append((period, year, text))
    if not fields.get("level3"):
        return None
    carried.update({k: v for k, v in fields.items() if k in ("goal", "level1", "level2", "basis")})
    goal = fields.get("goal") or goal_name
    periods = {p for p, _, _ in values}
    goal_type = ANNUAL if periods - {LONG_TERM} or goal_type_hint == ANNUAL and not periods else LONG_TERM
    if goal.startswith("长期"):
        goal_type = LONG_TERM
    elif goal.startswith("年度"):
        goal_type = ANNUAL
    name = fields["level3"]
    return PerformanceIndicator(
        ordinal=0,
        page=form.page(row),
        goal_type=goal_type,
        goal_name=goal,
        level1=fields.get("level1", ""),
        level2=fields.get("level2", ""),
        level3=name,
        basis=fields.get("basis", ""),
        values=[parse_target(text, period, year, name) for period, year, text in values],
    )
