"""Read what the report shows (contents.py) from the warehouse through one read-only connection.

Amounts stay Decimal yuan here (fetched as Python values, never through float);
money.py formats them. What was budgeted or spent is one amount basis: a 预算's `budget`,
a 决算's `final` (决算数); a 决算's 年初 / 全年预算数 appear only in its budget against
final (fact_budget_vs_final), never added to what it spent.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb

from cnbudget.quality.instances import InvolvedCell
from cnbudget.report.budget_vs_final import read_budget_against_final
from cnbudget.report.contents import (
    Amount,
    Document,
    IdentityFailure,
    NotApplicable,
    OverviewCell,
    Refusal,
    ReportData,
    TableFound,
)


class WarehouseNotReady(Exception):
    """The warehouse lacks what the report reads (never loaded, or models not built)."""


def _exists(conn: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        conn.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?", [schema, table]
        ).fetchone()[0]
    )


def _records(conn: duckdb.DuckDBPyConnection, sql: str, params=None) -> list[dict]:
    cursor = conn.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def _documents(conn) -> list[Document]:
    rows = _records(
        conn,
        """select document_id, source_file, department, budget_unit, kind, phase, fiscal_year, version, is_current,
                  page_count, loaded_at
           from marts.dim_document
           order by department, kind, fiscal_year, version""",
    )
    return [Document(**row) for row in rows]


def _tables(conn, documents: dict[str, Document]) -> None:
    for row in _records(
        conn,
        """select document_id, coalesce(label, '') as label, title, kind, printed_unit, first_page, last_page,
                  body_rows, is_empty, empty_note
           from raw.tables order by document_id, ordinal""",
    ):
        document = documents.get(row.pop("document_id"))
        if document:
            document.tables.append(TableFound(**row))


def _amounts(rows: list[dict]) -> list[Amount]:
    return [Amount(r["code"], r["name"] or "", r["yuan"]) for r in rows]


def _function_subjects(conn, documents: dict[str, Document]) -> None:
    """Expenditure by function 类 and 款, from 支出总表 (all funds) where printed,
    else from the general budget table: one scope per document, never both added."""
    rows = _records(
        conn,
        """with scoped as (
               select f.document_id, f.fund_scope_code, s.fiscal_year, s.code, f.amount_yuan,
                      dense_rank() over (partition by f.document_id
                                         order by f.fund_scope_code <> 'all_funds', f.fund_scope_code) as preference
               from marts.fact_expenditure f
               join marts.dim_function_subject s using (function_subject_key)
               where f.cut = 'function_subject' and f.amount_basis in ('budget', 'final')
           )
           select scoped.document_id, any_value(scoped.fund_scope_code) as scope, length(parent.code) as digits,
                  parent.code, any_value(parent.name) as name, sum(scoped.amount_yuan) as yuan
           from scoped
           join marts.dim_function_subject parent
             on parent.fiscal_year = scoped.fiscal_year
            and parent.code in (left(scoped.code, 3), left(scoped.code, 5))
           where scoped.preference = 1
           group by all
           order by scoped.document_id, parent.code""",
    )
    for row in rows:
        document = documents.get(row["document_id"])
        if not document:
            continue
        document.function_scope = row["scope"]
        amount = Amount(row["code"], row["name"] or "", row["yuan"])
        if row["digits"] == 3:
            document.function_classes.append(amount)
        else:
            document.function_sections.setdefault(row["code"][:3], []).append(amount)


def _economic_classes(conn, documents: dict[str, Document]) -> None:
    """Basic expenditure (一般公共预算基本支出表) by economic 类 and 款."""
    rows = _records(
        conn,
        """select f.document_id, length(parent.economic_class_code) as digits, parent.economic_class_code as code,
                  parent.name, sum(f.amount_yuan) as yuan
           from marts.fact_expenditure f
           join marts.dim_economic_class parent
             on parent.economic_class_code in (left(f.economic_class_code, 3), f.economic_class_code)
           where f.cut = 'economic_class' and f.amount_basis in ('budget', 'final')
           group by all
           order by f.document_id, code""",
    )
    for row in rows:
        document = documents.get(row["document_id"])
        if not document:
            continue
        amount = Amount(row["code"], row["name"] or "", row["yuan"])
        if row["digits"] == 3:
            document.economic_classes.append(amount)
        else:
            document.economic_items.setdefault(row["code"][:3], []).append(amount)


def _expenditure_groups(conn, documents: dict[str, Document]) -> None:
    """基本支出 vs 项目支出 (and other printed types), from the same scope as the function charts."""
    for document in documents.values():
        if not document.function_scope:
            continue
        rows = _records(
            conn,
            """select t.expenditure_group as code, t.expenditure_group as name, sum(f.amount_yuan) as yuan
               from marts.fact_expenditure f
               join marts.dim_expenditure_type t using (expenditure_type_code)
               where f.document_id = ? and f.cut = 'function_subject' and f.fund_scope_code = ?
                 and f.amount_basis in ('budget', 'final')
               group by t.expenditure_group
               order by case t.expenditure_group when '基本支出' then 0 when '项目支出' then 1 else 2 end""",
            [document.document_id, document.function_scope],
        )
        document.expenditure_groups = _amounts(rows)


_THREE_PUBLIC = """
    select i.three_public_item_code as code, i.name_zh as name, sum(f.amount_yuan) as yuan
    from marts.dim_three_public_item i
    left join marts.fact_three_public f on f.three_public_item_code = i.three_public_item_code and f.document_id = ?
                                       and f.amount_basis in ('budget', 'final')
    where i.is_three_public
    group by i.three_public_item_code, i.name_zh
    -- the order the tables print them in
    order by case i.three_public_item_code when 'outbound_travel' then 0 when 'vehicle_purchase' then 1
                                           when 'vehicle_operation' then 2 else 3 end
"""


def _three_public(conn, documents: dict[str, Document]) -> None:
    """“三公”经费 by item, beside the year before when that budget (same department and
    kind, current version) is loaded. An item a table does not print counts as 0."""
    printing = {r[0] for r in conn.execute("select distinct document_id from marts.fact_three_public").fetchall()}
    for document in documents.values():
        if document.document_id not in printing:
            continue
        document.three_public = [
            Amount(a.code, a.name, a.yuan or Decimal(0)) for a in _amounts(_records(conn, _THREE_PUBLIC, [document.document_id]))
        ]
        previous = next(
            (
                d
                for d in documents.values()
                if d.department == document.department
                and d.kind == document.kind
                and d.budget_unit == document.budget_unit
                and d.fiscal_year == document.fiscal_year - 1
                and d.is_current
                and d.document_id in printing
            ),
            None,
        )
        if previous:
            document.previous_document_id = previous.document_id
            document.three_public_previous = [
                Amount(a.code, a.name, a.yuan or Decimal(0))
                for a in _amounts(_records(conn, _THREE_PUBLIC, [previous.document_id]))
            ]


def _identity_results(conn, documents: dict[str, Document]) -> tuple[list[IdentityFailure], list[NotApplicable]]:
    if not _exists(conn, "dq", "identity_results"):
        return [], []
    for document_id, status, count in conn.execute(
        "select document_id, status, count(*) from dq.identity_results group by all"
    ).fetchall():
        if document_id in documents:
            documents[document_id].identity_counts[status] = count
    failures = []
    for row in _records(
        conn,
        """select r.document_id, r.identity_id, r.identity_kind, r.severity, r.table_name, r.printed_unit,
                  coalesce(t.yuan_per_unit, 1) as yuan_per_unit, r.row_name, r.column_path, r.page, r.comparison,
                  r.actual_yuan, r.expected_yuan, r.difference_yuan, r.tolerance_yuan, r.expected_source, r.cells
           from dq.identity_results r
           left join raw.tables t using (table_id)
           where r.status = 'failed'
           order by r.document_id, r.page, r.identity_id, r.row_name, r.column_path""",
    ):
        cells = tuple(InvolvedCell(**c) for c in row.pop("cells") or [])
        failures.append(IdentityFailure(**row, cells=cells))
    not_applicable = [
        NotApplicable(**row)
        for row in _records(
            conn,
            """select document_id, identity_id, reason, count(*) as instances
               from dq.identity_results where status = 'not_applicable'
               group by all order by document_id, identity_id, reason""",
        )
    ]
    return failures, not_applicable


def _overview(conn) -> list[OverviewCell]:
    """Current versions only: a superseded PDF is history, not another budget."""
    return [
        OverviewCell(**row)
        for row in _records(
            conn,
            f"""with expenditure as (
                    select document_id, fund_scope_code, yuan,
                           row_number() over (partition by document_id
                                              order by fund_scope_code <> 'all_funds', fund_scope_code) as preference
                    from (select document_id, fund_scope_code, sum(amount_yuan) as yuan
                          from marts.fact_expenditure
                          where cut = 'function_subject' and amount_basis in ('budget', 'final') group by all)
                ),
                three_public as (
                    select f.document_id, sum(f.amount_yuan) as yuan
                    from marts.fact_three_public f join marts.dim_three_public_item i using (three_public_item_code)
                    where i.is_three_public and f.amount_basis in ('budget', 'final') group by all
                ),
                failed as (
                    {"select document_id, count(*) filter (where status = 'failed') as n from dq.identity_results group by all"
                     if _exists(conn, "dq", "identity_results") else "select null as document_id, 0 as n"}
                )
                select coalesce(d.budget_unit, d.department) as department, d.kind, d.fiscal_year, d.document_id,
                       e.yuan as expenditure_yuan, t.yuan as three_public_yuan, coalesce(failed.n, 0) as failed_identities
                from marts.dim_document d
                left join expenditure e on e.document_id = d.document_id and e.preference = 1
                left join three_public t on t.document_id = d.document_id
                left join failed on failed.document_id = d.document_id
                where d.is_current
                order by department, d.kind, d.fiscal_year""",
        )
    ]


def _refusals(conn) -> list[Refusal]:
    if not _exists(conn, "raw", "load_errors"):
        return []
    return [
        Refusal(**row)
        for row in _records(
            conn, "select source_file, document_id, error_kind, message, failed_at from raw.load_errors order by failed_at"
        )
    ]


def _page_extents(conn, failures: list[IdentityFailure]) -> dict[tuple[str, int], tuple[float, float]]:
    """How wide the printed tables are on each page of the documents with a failure, so a
    crop shows the row names beside the highlighted figures."""
    documents = sorted({f.document_id for f in failures})
    if not documents:
        return {}
    rows = conn.execute(
        "select document_id, page, min(x0), max(x1) from raw.cells where list_contains(?, document_id) group by all",
        [documents],
    ).fetchall()
    return {(document_id, page): (x0, x1) for document_id, page, x0, x1 in rows}


def require_models(conn: duckdb.DuckDBPyConnection, warehouse: Path) -> None:
    """Raise WarehouseNotReady unless the marts the report reads were built."""
    for table in ("dim_document", "published_figures"):
        if not _exists(conn, "marts", table):
            raise WarehouseNotReady(f"{warehouse} has no marts.{table}: run `cnbudget load` first")


def read_report_data(conn: duckdb.DuckDBPyConnection, warehouse: Path, stale_reason: str | None = None) -> ReportData:
    """Everything the report shows. Raises WarehouseNotReady when the models were never built."""
    require_models(conn, warehouse)
    documents = {d.document_id: d for d in _documents(conn)}
    _tables(conn, documents)
    _function_subjects(conn, documents)
    _economic_classes(conn, documents)
    _expenditure_groups(conn, documents)
    _three_public(conn, documents)
    read_budget_against_final(conn, documents)
    failures, not_applicable = _identity_results(conn, documents)
    validated_at = None
    if _exists(conn, "dq", "identity_validation"):
        recorded = conn.execute("select max(validated_at) from dq.identity_validation").fetchone()
        validated_at = recorded[0] if recorded else None
    return ReportData(
        warehouse=warehouse,
        documents=list(documents.values()),
        refusals=_refusals(conn),
        failures=failures,
        not_applicable=not_applicable,
        overview=_overview(conn),
        identities_validated_at=validated_at,
        identity_results_stale=stale_reason,
        page_extents=_page_extents(conn, failures),
    )
