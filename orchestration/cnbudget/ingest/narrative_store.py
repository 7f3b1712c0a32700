"""The raw tables of what a budget says beside its money tables: the figures quoted in
its narrative (raw.narrative_figures).

They are raw tables like the others (cnbudget.ingest.warehouse registers NARRATIVE_TABLES
in RAW_TABLES, so each is a Dagster asset raw/<name>): `narrative_frames` turns an
extracted document into one frame per table, the loader inserts them in the document's
one transaction, after `delete_narrative` removed the document's previous rows, so a
document's narrative is never seen without its tables or the other way round.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from cnbudget.extract.catalog import unit_multipliers
from cnbudget.extract.document import ExtractedDocument

NARRATIVE_TABLES = ("narrative_figures",)

NARRATIVE_DESCRIPTIONS = {
    "narrative_figures": "Every figure quoted in the narrative pages: amounts with their subject, stated changes "
    "with the year compared against, percentages; with sentence and page.",
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
                                          -- share_percent, other_percent
    subject VARCHAR NOT NULL,             -- the words naming what it is the figure of
    subject_kind VARCHAR NOT NULL,        -- extract/narrative_subjects.yaml kind, function_subject, or '' (a name)
    subject_path VARCHAR[] NOT NULL,      -- 类/款/项 names of a function subject
    fiscal_year INTEGER,                  -- the year the figure is of
    compared_year INTEGER,                -- a change: the year it is stated against
    compared_basis VARCHAR NOT NULL,      -- budget (预算) / execution (预算执行数) / final_accounts (决算) / ''
    direction VARCHAR NOT NULL,           -- increase / decrease / flat, for changes
    anchor_ordinal INTEGER,               -- a change, share or prior amount: the amount it belongs to
    parent_ordinal INTEGER,               -- a part (其中 …): the amount it is a part of
    qualifier VARCHAR NOT NULL,           -- 'threshold' for 100万元以上 and the like
    PRIMARY KEY (document_id, ordinal)
);
"""


NARRATIVE_COLUMNS = {
    "narrative_figures": [
        "document_id", "ordinal", "page", "section", "paragraph", "sentence", "printed_text", "printed_number",
        "printed_decimals", "printed_unit", "yuan_per_unit", "role", "subject", "subject_kind", "subject_path",
        "fiscal_year", "compared_year", "compared_basis", "direction", "anchor_ordinal", "parent_ordinal", "qualifier",
    ],
}


def ensure_narrative_schema(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute(NARRATIVE_SCHEMA_DDL)


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
    return {"narrative_figures": pd.DataFrame(figures, columns=NARRATIVE_COLUMNS["narrative_figures"])}


def delete_narrative(conn: duckdb.DuckDBPyConnection, document_id: str) -> None:
    """Remove a document's narrative rows (the loader then inserts the new frames, in the
    same transaction, like every raw table's)."""
    ensure_narrative_schema(conn)
    for name in NARRATIVE_TABLES:
        conn.execute(f"DELETE FROM raw.{name} WHERE document_id = ?", [document_id])
