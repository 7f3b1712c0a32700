"""What each column of a table prints: row labels (codes, names), amounts, percentages
or free text. Decided by the header's words where they are known, else by what the
column's cells print: a text column left of the first amount column names the rows
(支出项目类别, 单位(项目)名称), one right of it describes them (绩效目标, 备注)."""

from __future__ import annotations

import re

from cnbudget.extract.catalog import is_label_column
from cnbudget.extract.numbers import AmountParseError, parse_amount
from cnbudget.extract.tables import Table
from cnbudget.extract.text import compact

LABEL, AMOUNT, PERCENT, TEXT = "label", "amount", "percent", "text"

_PERCENT_HEADER = re.compile(r"%|％|比重|占比|增长率|增幅|增减率|完成率|执行率")
_TEXT_HEADER = re.compile(r"备注|说明|绩效目标|项目概况|项目简介|内容|依据|采购方式|组织形式|规格|型号|时间|类别$|性质$")
_QUALIFIER = re.compile(r"\([^)]*\)$")


def leaf(path: str) -> str:
    """A column path's last header, without a trailing qualifier (按大类)."""
    return _QUALIFIER.sub("", compact(path.split("/")[-1])) or compact(path.split("/")[-1])


def _parses(text: str) -> bool:
    try:
        parse_amount(text)
        return True
    except AmountParseError:
        return False


# An amount printed with a stray word (约100, 100元): meant as a figure, so its column
# is an amount column and the cell a table error, not a row label.
_AMOUNT_LIKE = re.compile(r"^[^\d年月日号]?[\d,，.]*\d[\d,，.]*[^\d年月日号]?$")


def _meant_as_amount(text: str) -> bool:
    return _parses(text) or bool(_AMOUNT_LIKE.match(text))


def column_kinds(table: Table) -> list[str]:
    """One kind per column: label, amount, percent or text. A form's cells are all text."""
    n = len(table.column_paths)
    if table.form:
        return [TEXT] * n
    texts: list[list[str]] = [[] for _ in range(n)]
    for cell in table.cells:
        if cell.col_span == 1 and cell.text.strip():
            texts[cell.col].append(compact(cell.text))
    kinds: list[str | None] = []
    for i, path in enumerate(table.column_paths):
        name = leaf(path)
        printed = texts[i]
        if is_label_column(name):
            kinds.append(LABEL)
        elif _PERCENT_HEADER.search(path) or (printed and all(t.endswith(("%", "％")) for t in printed)):
            kinds.append(PERCENT)
        elif _TEXT_HEADER.search(name) and (not printed or not all(_parses(t) for t in printed)):
            kinds.append(TEXT)
        elif printed and sum(_meant_as_amount(t) for t in printed) * 2 < len(printed):
            kinds.append(None)  # mostly words: a label or a text column, by position
        else:
            kinds.append(AMOUNT)
    first_amount = next((i for i, k in enumerate(kinds) if k in (AMOUNT, PERCENT)), n)
    return [(LABEL if i < first_amount else TEXT) if k is None else k for i, k in enumerate(kinds)]


CURRENT, PRIOR, CHANGE = "current", "prior", "change"
_CHANGE_HEADER = re.compile(r"增减|变动|增长|比上年|比20\d\d")
_PRIOR_HEADER = re.compile(r"执行数|上年预算数|上年数|(^|/)上年(/|$)")
_YEAR = re.compile(r"(20\d\d)年")


def column_periods(table: Table) -> list[str]:
    """Which year each column speaks of: the budget year (current), an earlier one
    (prior: 2025年执行数, 上年预算数) or the change between them (增减). 上年结转 is this
    year's income from last year's balance: current."""
    periods = []
    for path in table.column_paths:
        years = {int(y) for y in _YEAR.findall(path)}
        if _CHANGE_HEADER.search(path):
            periods.append(CHANGE)
        elif _PRIOR_HEADER.search(path) or (table.fiscal_year and years and table.fiscal_year not in years):
            periods.append(PRIOR)
        else:
            periods.append(CURRENT)
    return periods
