"""The raw tables of what a budget says beside its money tables: the figures quoted in
its narrative (raw.narrative_figures) and what its 绩效目标表 (表11, 表12-x) state:
indicators with their printed targets, goals, and each 表12 project's header fields,
funding, cost lines and purchases (raw.performance_*).

They are raw tables like the others (cnbudget.ingest.warehouse registers NARRATIVE_TABLES
in RAW_TABLES, written by the asset raw/budget_document): `narrative_frames` turns an
extracted document into one frame per table, the loader inserts them in the document's
one transaction, after `delete_narrative` removed the document's previous rows, so a
document's narrative is never seen without its tables or the other way round.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from cnbudget.extract.catalog import unit_multipliers
from cnbudget.extract.document import ExtractedDocument

NARRATIVE_TABLES = (
    "narrative_figures",
    "performance_indicators",
    "performance_targets",
    "performance_goals",
    "performance_projects",
    "performance_project_funding",
    "performance_project_costs",
    "performance_project_purchases",
    "performance_overall_funding",
)

NARRATIVE_DESCRIPTIONS = {
    "narrative_figures": "Every figure quoted in the narrative pages: amounts with their subject, stated changes "
    "with the year compared against, percentages; with sentence and page.",
    "performance_indicators": "Every indicator of the 绩效目标表: goal, 一级/二级/三级指标, basis, page.",
    "performance_targets": "Every printed target value of an indicator, with its period and, where it is a quantity, "
    "comparator, number and unit.",
    "performance_goals": "The goals' texts of the 绩效目标表 (长期目标 1 …, 项目绩效总目标).",
    "performance_projects": "The header of each 项目支出绩效目标表: project codes, executing unit, 项目属性, years, budgets.",
    "performance_project_funding": "Each 表12 project's funding sources (项目资金来源) with amounts.",
    "performance_project_costs": "Each 表12 project's cost lines (项目支出明细测算): activity, economic class, amount.",
    "performance_project_purchases": "Each 表12 project's purchases (项目采购).",
    "performance_overall_funding": "表11's 部门总体资金情况: each printed amount and share of its 收入构成 and 支出构成 "
    "lines, for the budget year and the two years before.",
}

NARRATIVE_SCHEMA_DDL = """
CREATE SCHEMA IF NOT EXISTS raw;
CREATE TABLE IF NOT EXISTS raw.narrative_figures (
    document_id VARCHAR NOT NULL,
    ordinal INTEGER NOT NULL,             -- order in the document's narrative, from 1
    page INTEGER NOT NULL,
    section VARCHAR NOT NULL,             -- the heading it is printed under
    paragraph INTEGER NOT NULL,           -- order of its paragraph, from 1
    sentence VARCHAR NOT NULL,            -- the sentence it is printed in (NFKC, line breaks joined)
    printed_text VARCHAR NOT NULL,        -- as printed: '36231.79 万元', '33.7%', '持平'
    printed_number DECIMAL(18, 4) NOT NULL,
    printed_decimals INTEGER NOT NULL,    -- digits after the decimal point, as printed
    printed_unit VARCHAR NOT NULL,        -- 万元 / 元 / 亿元 / % ('' for 持平)
    yuan_per_unit DECIMAL(18, 0),         -- an amount's unit in yuan (null for percentages)
    role VARCHAR NOT NULL,                -- amount, prior_amount, change_amount, change_percent, no_change,
                                          -- share_percent, completion_percent, other_percent
    subject VARCHAR NOT NULL,             -- the words naming what it is the figure of
    subject_kind VARCHAR NOT NULL,        -- extract/narrative_subjects.yaml kind, function_subject, or '' (a name)
    subject_path VARCHAR[] NOT NULL,      -- 类/款/项 names of a function subject
    fiscal_year INTEGER,                  -- the year the figure is of
    compared_year INTEGER,                -- a change: the year it is stated against
    compared_basis VARCHAR NOT NULL,      -- budget (预算) / execution (预算执行数) / final_accounts (决算) / ''
    direction VARCHAR NOT NULL,           -- increase / decrease / flat, for changes
    anchor_ordinal INTEGER,               -- a change, share, completion or prior amount: the amount it belongs to
    parent_ordinal INTEGER,               -- a part (其中 …): the amount it is a part of; a completion: its budget
    qualifier VARCHAR NOT NULL,           -- 'threshold' for 100万元以上 and the like
    PRIMARY KEY (document_id, ordinal)
);
CREATE TABLE IF NOT EXISTS raw.performance_indicators (
    document_id VARCHAR NOT NULL,
    table_id VARCHAR NOT NULL,            -- the 绩效目标表 in raw.tables (document_id:ordinal)
    indicator_ordinal INTEGER NOT NULL,   -- order in its table, from 1
    page INTEGER NOT NULL,
    goal_type VARCHAR NOT NULL,           -- long_term / annual
    goal_name VARCHAR NOT NULL,           -- 长期目标 1, 年度目标 …
    level1 VARCHAR NOT NULL,              -- 一级指标: 产出指标 / 效益指标 / 满意度指标
    level2 VARCHAR NOT NULL,              -- 二级指标: 数量指标, 经济效益指标 …
    level3 VARCHAR NOT NULL,              -- 三级指标 (指标名称)
    basis VARCHAR NOT NULL,               -- 指标值确定依据: 计划数据, 计划标准, 调研资料 …
    PRIMARY KEY (table_id, indicator_ordinal)
);
CREATE TABLE IF NOT EXISTS raw.performance_targets (
    document_id VARCHAR NOT NULL,
    table_id VARCHAR NOT NULL,
    indicator_ordinal INTEGER NOT NULL,
    period VARCHAR NOT NULL,              -- long_term, or two_years_ago / last_year / current_year
    target_year INTEGER,                  -- the year an annual value is for (前年 2023 …)
    printed_text VARCHAR NOT NULL,        -- as printed (NFKC): ≥450 户次, 45%以上, 是, \\
    comparator VARCHAR,                   -- ≥ ≤ > < = 以上 以下 左右 区间, where it is one quantity
    number DECIMAL(18, 4),
    number_high DECIMAL(18, 4),           -- the upper end of a range (35-60个)
    unit VARCHAR,                         -- 家, 个, 万辆, %, 人次 … (from the indicator name when the value prints none)
    PRIMARY KEY (table_id, indicator_ordinal, period)
);
CREATE TABLE IF NOT EXISTS raw.performance_goals (
    document_id VARCHAR NOT NULL,
    table_id VARCHAR NOT NULL,
    goal_ordinal INTEGER NOT NULL,
    page INTEGER NOT NULL,
    goal_type VARCHAR NOT NULL,           -- long_term / annual / project / overall_long_term / overall_annual
    name VARCHAR NOT NULL,
    text VARCHAR NOT NULL,
    PRIMARY KEY (table_id, goal_ordinal)
);
CREATE TABLE IF NOT EXISTS raw.performance_projects (
    document_id VARCHAR NOT NULL,
    table_id VARCHAR PRIMARY KEY,         -- one project per 项目支出绩效目标表
    table_label VARCHAR NOT NULL,         -- 表12-1 …
    project_name VARCHAR NOT NULL,
    project_codes VARCHAR[] NOT NULL,     -- the 项目编码 printed (a 一级 project lists its 二级 codes)
    competent_department VARCHAR NOT NULL,
    executing_unit VARCHAR NOT NULL,
    responsible_persons VARCHAR NOT NULL,
    phone VARCHAR NOT NULL,
    address VARCHAR NOT NULL,
    postcode VARCHAR NOT NULL,
    project_attribute VARCHAR NOT NULL,   -- 项目属性: 延续性项目, 常年性项目 …
    expenditure_category VARCHAR NOT NULL, -- 支出项目类别: 特定目标类项目, 其他运转类项目 …
    start_year INTEGER,
    end_year INTEGER,
    application_reason VARCHAR NOT NULL,
    main_content VARCHAR NOT NULL,
    total_budget_text VARCHAR NOT NULL,   -- 项目总预算 as printed
    total_budget DECIMAL(18, 4),          -- ...in the printed unit
    current_budget_text VARCHAR NOT NULL, -- 项目当年预算 as printed
    current_budget DECIMAL(18, 4),
    budget_change VARCHAR NOT NULL,       -- 项目前两年预算及当年预算变动情况
    printed_unit VARCHAR,                 -- null: the form prints no unit
    yuan_per_unit DECIMAL(18, 0),
    current_budget_page INTEGER,          -- where 项目当年预算 is printed, and its cell's box
    current_budget_x0 DOUBLE,
    current_budget_y0 DOUBLE,
    current_budget_x1 DOUBLE,
    current_budget_y1 DOUBLE
);
CREATE TABLE IF NOT EXISTS raw.performance_project_funding (
    document_id VARCHAR NOT NULL,
    table_id VARCHAR NOT NULL,
    ordinal INTEGER NOT NULL,
    source VARCHAR NOT NULL,              -- 来源项目 as printed (合计, 一般公共预算财政拨款, 其中：…)
    amount_text VARCHAR NOT NULL,
    amount DECIMAL(18, 4),                -- in the table's printed unit; null when blank
    PRIMARY KEY (table_id, ordinal)
);
CREATE TABLE IF NOT EXISTS raw.performance_project_costs (
    document_id VARCHAR NOT NULL,
    table_id VARCHAR NOT NULL,
    ordinal INTEGER NOT NULL,
    page INTEGER NOT NULL,
    activity VARCHAR NOT NULL,            -- 项目活动
    content VARCHAR NOT NULL,             -- 活动内容表述
    economic_class VARCHAR NOT NULL,      -- 支出经济分类 as printed (a name, not a code)
    amount_text VARCHAR NOT NULL,
    amount DECIMAL(18, 4),                -- in the table's printed unit
    basis VARCHAR NOT NULL,               -- 测算依据及说明
    note VARCHAR NOT NULL,                -- 备注
    amount_x0 DOUBLE,                     -- the amount cell's box: PDF points, origin bottom-left
    amount_y0 DOUBLE,
    amount_x1 DOUBLE,
    amount_y1 DOUBLE,
    PRIMARY KEY (table_id, ordinal)
);
CREATE TABLE IF NOT EXISTS raw.performance_project_purchases (
    document_id VARCHAR NOT NULL,
    table_id VARCHAR NOT NULL,
    ordinal INTEGER NOT NULL,
    item VARCHAR NOT NULL,                -- 品名
    quantity VARCHAR NOT NULL,            -- 数量 as printed (7 批)
    amount_text VARCHAR NOT NULL,
    amount DECIMAL(18, 4),
    PRIMARY KEY (table_id, ordinal)
);
CREATE TABLE IF NOT EXISTS raw.performance_overall_funding (
    document_id VARCHAR NOT NULL,
    table_id VARCHAR NOT NULL,            -- the 整体支出绩效目标表 (表11)
    line INTEGER NOT NULL,                -- the line's order in the block, from 1
    page INTEGER NOT NULL,
    composition VARCHAR NOT NULL,         -- income (收入构成) / expenditure (支出构成)
    item VARCHAR NOT NULL,                -- 财政拨款, 人员类项目支出 …, 合计
    column_name VARCHAR NOT NULL,         -- as printed: 当年金额 / 占比 / 2023年 / 2024年
    fiscal_year INTEGER,                  -- the year an amount is of (当年金额: the budget's); null for 占比
    printed_text VARCHAR NOT NULL,
    printed_number DECIMAL(18, 4),        -- in the table's unit; percent for 占比
    x0 DOUBLE NOT NULL,                   -- the cell's box: PDF points, origin bottom-left
    y0 DOUBLE NOT NULL,
    x1 DOUBLE NOT NULL,
    y1 DOUBLE NOT NULL,
    PRIMARY KEY (table_id, line, column_name)
);
"""


NARRATIVE_COLUMNS = {
    "performance_indicators": [
        "document_id", "table_id", "indicator_ordinal", "page", "goal_type", "goal_name", "level1", "level2",
        "level3", "basis",
    ],
    "performance_targets": [
        "document_id", "table_id", "indicator_ordinal", "period", "target_year", "printed_text", "comparator",
        "number", "number_high", "unit",
    ],
    "performance_goals": ["document_id", "table_id", "goal_ordinal", "page", "goal_type", "name", "text"],
    "performance_projects": [
        "document_id", "table_id", "table_label", "project_name", "project_codes", "competent_department",
        "executing_unit", "responsible_persons", "phone", "address", "postcode", "project_attribute",
        "expenditure_category", "start_year", "end_year", "application_reason", "main_content", "total_budget_text",
        "total_budget", "current_budget_text", "current_budget", "budget_change", "printed_unit", "yuan_per_unit",
        "current_budget_page", "current_budget_x0", "current_budget_y0", "current_budget_x1", "current_budget_y1",
    ],
    "performance_project_funding": ["document_id", "table_id", "ordinal", "source", "amount_text", "amount"],
    "performance_project_costs": [
        "document_id", "table_id", "ordinal", "page", "activity", "content", "economic_class", "amount_text",
        "amount", "basis", "note", "amount_x0", "amount_y0", "amount_x1", "amount_y1",
    ],
    "performance_project_purchases": ["document_id", "table_id", "ordinal", "item", "quantity", "amount_text", "amount"],
    "performance_overall_funding": [
        "document_id", "table_id", "line", "page", "composition", "item", "column_name", "fiscal_year",
        "printed_text", "printed_number", "x0", "y0", "x1", "y1",
    ],
    "narrative_figures": [
        "document_id", "ordinal", "page", "section", "paragraph", "sentence", "printed_text", "printed_number",
        "printed_decimals", "printed_unit", "yuan_per_unit", "role", "subject", "subject_kind", "subject_path",
        "fiscal_year", "compared_year", "compared_basis", "direction", "anchor_ordinal", "parent_ordinal", "qualifier",
    ],
}


def ensure_narrative_schema(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute(NARRATIVE_SCHEMA_DDL)
    # A form may print no unit (warehouses created before allowed none).
    conn.execute("ALTER TABLE raw.performance_projects ALTER COLUMN printed_unit DROP NOT NULL")
    conn.execute("ALTER TABLE raw.performance_projects ALTER COLUMN yuan_per_unit DROP NOT NULL")


def narrative_frames(document: ExtractedDocument) -> dict[str, pd.DataFrame]:
    """The document's narrative rows, one frame per table of NARRATIVE_TABLES."""
    doc_id = document.document_id
    multipliers = unit_multipliers()
    figures = [
        {
            "document_id": doc_id,
            "ordinal": f.ordinal,
            "page": f.page,
            "section": f.section,
            "paragraph": f.paragraph,
            "sentence": f.sentence,
            "printed_text": f.printed_text,
            "printed_number": f.number,  # exact decimal text, cast by DuckDB
            "printed_decimals": f.decimals,
            "printed_unit": f.unit,
            "yuan_per_unit": None if f.unit not in multipliers else str(multipliers[f.unit]),
            "role": f.role,
            "subject": f.subject,
            "subject_kind": f.subject_kind,
            "subject_path": list(f.subject_path),
            "fiscal_year": f.fiscal_year,
            "compared_year": f.compared_year,
            "compared_basis": f.compared_basis,
            "direction": f.direction,
            "anchor_ordinal": f.anchor,
            "parent_ordinal": f.parent,
            "qualifier": f.qualifier,
        }
        for f in document.narrative_figures
    ]
    rows = {"narrative_figures": figures, **_performance_rows(document, multipliers)}
    return {name: pd.DataFrame(rows.get(name, []), columns=NARRATIVE_COLUMNS[name]) for name in NARRATIVE_TABLES}


def _performance_rows(document: ExtractedDocument, multipliers) -> dict[str, list[dict]]:
    doc_id = document.document_id
    rows: dict[str, list[dict]] = {name: [] for name in NARRATIVE_TABLES if name.startswith("performance")}
    for table in document.performance:
        table_id = f"{doc_id}:{table.table_ordinal:02d}"
        base = {"document_id": doc_id, "table_id": table_id}
        for i in table.indicators:
            rows["performance_indicators"].append({
                **base, "indicator_ordinal": i.ordinal, "page": i.page, "goal_type": i.goal_type,
                "goal_name": i.goal_name, "level1": i.level1, "level2": i.level2, "level3": i.level3,
                "basis": i.basis,
            })
            for v in i.values:
                rows["performance_targets"].append({
                    **base, "indicator_ordinal": i.ordinal, "period": v.period, "target_year": v.year,
                    "printed_text": v.text, "comparator": v.comparator, "number": v.number,
                    "number_high": v.number_high, "unit": v.unit,
                })
        for n, g in enumerate(table.goals, start=1):
            rows["performance_goals"].append({**base, "goal_ordinal": n, "page": g.page, "goal_type": g.goal_type,
                                              "name": g.name, "text": g.text})
        for v in table.overall_funding:
            rows["performance_overall_funding"].append({
                **base, "line": v.line, "page": v.page, "composition": v.composition, "item": v.item,
                "column_name": v.column, "fiscal_year": v.year, "printed_text": v.text, "printed_number": v.number,
                "x0": v.x0, "y0": v.y0, "x1": v.x1, "y1": v.y1,
            })
        p = table.project
        if p is None:
            continue
        rows["performance_projects"].append({
            **base, "table_label": table.label, "project_name": p.project_name, "project_codes": list(p.project_codes),
            "competent_department": p.competent_department, "executing_unit": p.executing_unit,
            "responsible_persons": p.responsible_persons, "phone": p.phone, "address": p.address,
            "postcode": p.postcode, "project_attribute": p.project_attribute,
            "expenditure_category": p.expenditure_category, "start_year": p.start_year, "end_year": p.end_year,
            "application_reason": p.application_reason, "main_content": p.main_content,
            "total_budget_text": p.total_budget_text, "total_budget": p.total_budget,
            "current_budget_text": p.current_budget_text, "current_budget": p.current_budget,
            "budget_change": p.budget_change, "printed_unit": table.unit,
            "yuan_per_unit": str(multipliers[table.unit]) if table.unit in multipliers else None,
            "current_budget_page": p.current_budget_page,
            **dict(zip(("current_budget_x0", "current_budget_y0", "current_budget_x1", "current_budget_y1"),
                       p.current_budget_box or (None,) * 4)),
        })
        for f in p.funding:
            rows["performance_project_funding"].append({**base, "ordinal": f.ordinal, "source": f.source,
                                                        "amount_text": f.amount_text, "amount": f.amount})
        for c in p.costs:
            rows["performance_project_costs"].append({
                **base, "ordinal": c.ordinal, "page": c.page, "activity": c.activity, "content": c.content,
                "economic_class": c.economic_class, "amount_text": c.amount_text, "amount": c.amount,
                "basis": c.basis, "note": c.note,
                **dict(zip(("amount_x0", "amount_y0", "amount_x1", "amount_y1"), c.amount_box or (None,) * 4)),
            })
        for u in p.purchases:
            rows["performance_project_purchases"].append({**base, "ordinal": u.ordinal, "item": u.item,
                                                          "quantity": u.quantity, "amount_text": u.amount_text,
                                                          "amount": u.amount})
    return rows


def delete_narrative(conn: duckdb.DuckDBPyConnection, document_id: str) -> None:
    """Remove a document's narrative rows (the loader then inserts the new frames, in the
    same transaction, like every raw table's)."""
    ensure_narrative_schema(conn)
    for name in NARRATIVE_TABLES:
        conn.execute(f"DELETE FROM raw.{name} WHERE document_id = ?", [document_id])
