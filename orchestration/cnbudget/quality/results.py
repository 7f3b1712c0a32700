"""The table identities' chain: their evaluation (validate.py) and their store,
dq.identity_results, every identity verdict persisted so a failure leads to the page.

Written by the one chain (chain.py) for the documents whose verdicts are stale
(freshness.py): new, changed, or judged by other rules; the asset checks and anyone else
read it.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from cnbudget.quality.catalogue import Catalogue
from cnbudget.quality.chain import Chain
from cnbudget.quality.validate import FAILED, NOT_APPLICABLE, PASSED, evaluate_identities
from cnbudget.quality.verdict_store import VerdictStore

_CELL = (
    "STRUCT(role VARCHAR, table_name VARCHAR, page INTEGER, row_name VARCHAR, column_path VARCHAR,"
    " printed_text VARCHAR, x0 DOUBLE, y0 DOUBLE, x1 DOUBLE, y1 DOUBLE)"
)

RESULTS_DDL = f"""
CREATE TABLE IF NOT EXISTS dq.identity_results (
    document_id VARCHAR NOT NULL,
    identity_id VARCHAR NOT NULL,         -- expectations/identities.yml
    identity_kind VARCHAR NOT NULL,       -- row / hierarchy / total_row / summary_lines / match
    severity VARCHAR NOT NULL,            -- ERROR / WARN
    status VARCHAR NOT NULL,              -- passed / failed / not_applicable
    passed BOOLEAN,                       -- null when not applicable
    table_id VARCHAR,                     -- the table holding the checked (actual) figure
    table_name VARCHAR,                   -- 表3, or the printed title where no label is printed
    printed_unit VARCHAR,                 -- of that table
    row_name VARCHAR,                     -- code and name of the checked row: 20805 行政事业单位养老支出
    column_path VARCHAR,                  -- its column: 基本支出/人员经费
    page INTEGER,                         -- where the checked figure is printed
    comparison VARCHAR,                   -- '=' or '≥' (actual against expected)
    actual_yuan DECIMAL(18, 2),           -- the checked figure (blank = 0)
    expected_yuan DECIMAL(18, 2),         -- what the rest of the document says it must be
    difference_yuan DECIMAL(18, 2),       -- actual - expected
    tolerance_yuan DECIMAL(18, 2),        -- allowed |difference| (from the printed units)
    expected_source VARCHAR,              -- what the expected side is made of
    reason VARCHAR,                       -- why not applicable
    x0 DOUBLE, y0 DOUBLE, x1 DOUBLE, y1 DOUBLE,  -- the checked cell, PDF points, origin bottom-left
    cells {_CELL}[]                       -- every printed cell involved, either side
);"""

# What a verdict reads, per document: the figures as the models built them and the rows,
# columns and tables they are read with (a rebuild or an edit that changes any re-judges).
_OF_TABLE = "(select left(table_id, 16) as document_id, * from raw.{})"
FIGURES = {
    "marts.published_figures": "figure_key, row_code, row_label, column_path, amount_yuan, printed_text, page",
    "raw.tables": "table_id, kind, printed_unit, yuan_per_unit, is_empty, empty_note",
    _OF_TABLE.format("rows"): "table_id, row_index, part, code, code_kind, code_level, label, is_total, period",
    _OF_TABLE.format("columns"): "table_id, col_index, column_path, is_label, value_kind, period, part",
}
_YUAN = "cast(cast({0} as decimal(18, 0)) * 0.01 as decimal(18, 2))"
_SELECT = f"""
    document_id, identity_id, identity_kind, severity, status, passed, table_id, table_name,
    printed_unit, row_name, column_path, page, comparison,
    {_YUAN.format('actual_cents')}, {_YUAN.format('expected_cents')},
    {_YUAN.format('difference_cents')}, {_YUAN.format('tolerance_cents')},
    expected_source, reason, x0, y0, x1, y1, cast(cells as {_CELL}[])"""

# dq.identity_documents is its ledger; dq.identity_validation sums it up
STORE = VerdictStore("identity", RESULTS_DDL, ("identity_results",), (PASSED, FAILED, NOT_APPLICABLE), FIGURES,
                     selects={"identity_results": _SELECT})
IDENTITIES = Chain(STORE, evaluate_identities)


def stale_reason(conn: duckdb.DuckDBPyConnection, catalogue: Catalogue) -> str | None:
    """None when dq.identity_results describes every document as it is now, by these rules."""
    return IDENTITIES.stale_reason(conn, catalogue)


def read_results(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return conn.execute("select * from dq.identity_results").df()
