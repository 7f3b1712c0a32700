"""Performance targets (绩效目标表) as data: 表11 整体支出绩效目标表 and 表12-x 项目支出绩效目标表.

The table extractor reads these forms like any grid (their kind is a `form` in
table_kinds.yaml: no table-wide header, every row body); this module turns a form's
cells into what it states:

- indicators: the hierarchy 一级指标 / 二级指标 / 三级指标 (指标名称) under a goal
  (长期目标 1, 年度目标 2 …), each printed value with the period it is for (前年 / 上年 /
  当年, or the long-term target), parsed into comparator, number and unit where it is a
  quantity, and the basis (指标值确定依据: 计划数据, 计划标准 …);
- a 表12's project: its header fields (项目编码, 项目执行单位, 项目属性, 起止年度, 项目总预算,
  项目当年预算 …), its funding sources, its cost lines (项目支出明细测算) and purchases;
- the goals' texts (项目绩效总目标, 长期目标 1 …);
- 表11's 部门总体资金情况: each printed amount and share of its 收入构成 and 支出构成
  lines, for the budget year and the two years before it.

A form is read by what its cells say, not by where they sit: a header row names its
columns (一级指标 … 指标值确定依据, 前年 上年 预计当年实现), a full-width cell names the
block that follows (项目支出明细测算, 长期绩效目标表 …), a label cell names the value
beside it (项目名称 | 支持工业发展专项资金). A cell merged over rows gives its text to every
row it covers; one split by a page break continues on the next page as an empty cell,
which continues the text above it (performance_form.py). performance_indicators.py reads
the indicator blocks; this module walks the form block by block and reads the rest.
"""

from __future__ import annotations

import re

from cnbudget.extract.performance_form import Form, columns_named, row_values
from cnbudget.extract.performance_indicators import indicator_header, read_indicator
from cnbudget.extract.performance_records import (ANNUAL, LONG_TERM, CostItem, FundingSource, OverallFundingValue,
                                                  PerformanceGoal, PerformanceProject, PerformanceTable, Purchase,
                                                  printed_amount)
from cnbudget.extract.tables import Table
from cnbudget.extract.text import compact, normalize

# Header fields of a 项目支出绩效目标表, by the label printed beside them.
_PROJECT_FIELDS = {
    "项目名称": "project_name",
    "项目编码": "project_codes",
    "项目主管部门": "competent_department",
    "项目执行单位": "executing_unit",
    "项目负责人": "responsible_persons",
    "联系电话": "phone",
    "单位地址": "address",
    "邮政编码": "postcode",
    "项目属性": "project_attribute",
    "支出项目类别": "expenditure_category",
    "起始年度": "start_year",
    "终止年度": "end_year",
    "项目申请理由": "application_reason",
    "项目主要内容": "main_content",
    "项目总预算": "total_budget",
    "项目当年预算": "current_budget",
    "项目前两年预算及当年预算变动情况": "budget_change",
}
_FUNDING_LABELS = ("项目资金来源", "项目当年资金来源")
_BLOCKS = {
    "项目支出明细测算": "costs",
    "项目采购": "procurement",
    "项目绩效总目标": "goals",
    "长期绩效目标表": "indicators",
    "年度绩效目标表": "indicators",
}
_COST_COLUMNS = {
    "项目活动": "activity",
    "活动内容表述": "content",
    "支出经济分类": "economic_class",
    "金额": "amount",
    "测算依据及说明": "basis",
    "备注": "note",
}
_PROCUREMENT_COLUMNS = {"品名": "item", "数量": "quantity", "金额": "amount"}
_GOAL_LABEL = re.compile(r"^(长期目标|年度目标)\s*\d*[:：]?$")
_PROJECT_CODE = re.compile(r"\d{11}[A-Z]\d{9}|\d{21}")


def read_performance_table(table: Table, fiscal_year: int | None) -> PerformanceTable:
    """Everything a 绩效目标表 states, from its cells."""
    form = Form(table)
    project = PerformanceProject() if table.kind == "performance_project" else None
    result = PerformanceTable(table.ordinal, table.label, table.kind, table.unit, list(table.pages), project)
    block = "header"
    goal_name = ""
    goal_type_hint = ""
    row = 0
    columns: dict[int, str] = {}
    indicator_roles: dict = {}
    carried: dict[str, str] = {}
    carried_cost: dict[str, str] = {}
    funding_until = -1
    while row < form.rows:
        texts = form.texts(row)
        title = form.full_width(row)
        if title in _BLOCKS:
            block, columns, carried = _BLOCKS[title], {}, {}
            goal_type_hint = LONG_TERM if title.startswith("长期") else ANNUAL if title.startswith("年度") else ""
            row += 1
            continue
        if "一级指标" in texts:
            indicator_roles, row = indicator_header(form, row, fiscal_year)
            block, carried = "indicators", {}
            continue
        first = form.cells(row)[0] if form.cells(row) else None
        first_text = compact(first.text) if first else ""

        # 表11: a label in the first column names what its row is.
        if table.kind == "performance_overall" and first is not None and first.col == 0:
            if _GOAL_LABEL.match(first_text):
                goal_name = first_text.rstrip(":：")
                kind = LONG_TERM if goal_name.startswith("长期") else ANNUAL
                text = " ".join(c.text for c in form.cells(row)[1:])
                result.goals.append(PerformanceGoal(kind, goal_name, normalize(text), first.page))
                row += 1
                continue
            if first_text == "部门总体资金情况":
                result.overall_funding = _read_overall_funding(form, row, row + first.row_span, fiscal_year)
                row += first.row_span
                continue
            if first_text == "整体绩效目标":
                block = "overall_goals"
            elif first.row_span >= 1 and first_text:
                block = "overall_other"

        if block == "overall_goals":
            _read_overall_goals(form, row, result)
        elif block == "header" and project is not None:
            if texts and texts[0] in _FUNDING_LABELS:
                funding_until = row + form.cells(row)[0].row_span
                block = "funding"
            else:
                _read_project_fields(form, row, project)
        if block == "funding" and project is not None:
            if row >= funding_until:
                block = "header"
                _read_project_fields(form, row, project)
            elif "来源项目" not in texts:
                cells = [c for c in form.cells(row) if c.col > 0]
                if cells:
                    source = normalize(cells[0].text)
                    amount_text = normalize(cells[-1].text) if len(cells) > 1 else ""
                    project.funding.append(
                        FundingSource(len(project.funding) + 1, source, amount_text, printed_amount(amount_text))
                    )
        elif block == "costs" and project is not None:
            if not columns:
                columns = columns_named(form, row, _COST_COLUMNS)
            else:
                _read_cost(form, row, columns, project, carried_cost)
        elif block == "procurement" and project is not None:
            if not columns:
                columns = columns_named(form, row, _PROCUREMENT_COLUMNS)
            else:
                values = row_values(form, row, columns)
                if values.get("item"):
                    amount_text = values.get("amount", "")
                    project.purchases.append(Purchase(len(project.purchases) + 1, values["item"],
                                                      values.get("quantity", ""), amount_text, printed_amount(amount_text)))
        elif block == "goals":
            cells = form.cells(row)
            if texts[:2] != ["名称", "目标说明"] and len(cells) >= 2:
                kind = LONG_TERM if compact(cells[0].text).startswith("长期") else ANNUAL \
                    if compact(cells[0].text).startswith("年度") else "project"
                result.goals.append(PerformanceGoal(kind, normalize(cells[0].text), normalize(cells[-1].text),
                                                    cells[0].page))
        elif block == "indicators" and indicator_roles:
            indicator = read_indicator(form, row, indicator_roles, carried, goal_name, goal_type_hint)
            if indicator is not None:
                indicator.ordinal = len(result.indicators) + 1
                result.indicators.append(indicator)
        row += 1
    return result


_COMPOSITIONS = {"收入构成": "income", "支出构成": "expenditure"}
_YEAR_COLUMN = re.compile(r"^(20\d\d)年$")


def _read_overall_funding(form: Form, start: int, end: int, fiscal_year: int | None) -> list[OverallFundingValue]:
    """表11's 部门总体资金情况 (rows start to end): header cells name the value columns
    (当年金额, 占比, one per year), a cell merged down 收入构成 / 支出构成 names the
    composition, and the label beside it the line."""
    columns: dict[int, tuple[str, int | None]] = {}
    values: list[OverallFundingValue] = []
    line = 0
    for row in range(start, min(end, form.rows)):
        for cell in form.cells(row):
            text = compact(cell.text)
            if text == "当年金额":
                columns[cell.col] = (text, fiscal_year)
            elif text == "占比":
                columns[cell.col] = (text, None)
            elif match := _YEAR_COLUMN.match(text):
                columns[cell.col] = (text, int(match[1]))
        composition = next(
            (_COMPOSITIONS[compact(form.at[(row, c)].text)] for c in range(form.n_cols)
             if (row, c) in form.at and compact(form.at[(row, c)].text) in _COMPOSITIONS),
            None,
        )
        labels = [c for c in form.cells(row) if c.col > 0 and c.col not in columns
                  and compact(c.text) not in _COMPOSITIONS]
        if composition is None or not labels:
            continue
        line += 1
        for col, (column, year) in sorted(columns.items()):
            cell = form.at.get((row, col))
            if cell is None or cell.row != row or not cell.text.strip():
                continue
            values.append(OverallFundingValue(
                line, composition, normalize(labels[-1].text), column, year, normalize(cell.text),
                printed_amount(cell.text), cell.page, cell.x0, cell.y0, cell.x1, cell.y1,
            ))
    return values


def _read_project_fields(form: Form, row: int, project: PerformanceProject) -> None:
    cells = form.cells(row)
    i = 0
    while i < len(cells):
        label = compact(cells[i].text)
        name = _PROJECT_FIELDS.get(label)
        if name is None or i + 1 >= len(cells):
            i += 1
            continue
        text = normalize(cells[i + 1].text)
        if name == "project_codes":
            project.project_codes = _PROJECT_CODE.findall(compact(cells[i + 1].text))
        elif name in ("start_year", "end_year"):
            setattr(project, name, int(text) if text.isdigit() else None)
        elif name in ("total_budget", "current_budget"):
            setattr(project, f"{name}_text", text)
            setattr(project, name, printed_amount(text))
            if name == "current_budget":
                value = cells[i + 1]
                project.current_budget_page = value.page
                project.current_budget_box = (value.x0, value.y0, value.x1, value.y1)
        else:
            setattr(project, name, text)
        i += 2


def _read_cost(form: Form, row: int, columns: dict[int, str], project: PerformanceProject, carried: dict) -> None:
    values = {}
    amount_box = None
    for col, name in columns.items():
        cell = form.at.get((row, col))
        if cell is None or name in values:
            continue
        if name == "amount":
            amount_box = (cell.x0, cell.y0, cell.x1, cell.y1)
        text = normalize(cell.text)
        if name in ("activity", "content") and form.is_continuation(cell):
            text = carried.get(name, "")
        values[name] = text
    if not values.get("amount") and not values.get("economic_class"):
        return
    carried.update(activity=values.get("activity", ""), content=values.get("content", ""))
    amount_text = values.get("amount", "")
    project.costs.append(CostItem(
        ordinal=len(project.costs) + 1,
        page=form.page(row),
        activity=values.get("activity", ""),
        content=values.get("content", ""),
        economic_class=values.get("economic_class", ""),
        amount_text=amount_text,
        amount=printed_amount(amount_text),
        basis=values.get("basis", ""),
        note=values.get("note", ""),
        amount_box=amount_box,
    ))


def _read_overall_goals(form: Form, row: int, result: PerformanceTable) -> None:
    """表11 整体绩效目标: a header row (长期目标(截止2027年) | 年度目标), then their texts."""
    cells = [c for c in form.cells(row) if c.col > 0]
    if row > 0 and [compact(c.text) for c in cells][-1:] == ["年度目标"]:
        return
    headers = [form.at.get((row - 1, c.col)) for c in cells]
    for cell, header in zip(cells, headers):
        name = normalize(header.text) if header is not None else ""
        kind = "overall_long_term" if name.startswith("长期") else "overall_annual"
        result.goals.append(PerformanceGoal(kind, name, normalize(cell.text), cell.page))


def read_performance_tables(tables: list[Table], fiscal_year: int | None) -> list[PerformanceTable]:
    return [read_performance_table(t, t.fiscal_year or fiscal_year) for t in tables if t.kind.startswith("performance")]
