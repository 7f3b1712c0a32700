"""A 决算's budget against actual, as the report draws it: per function 类 and per “三公”
item, the budget figures beside the 决算数, read from marts.fact_budget_vs_final (never
re-derived from the facts). Amounts stay Decimal yuan; None where nothing is printed."""

from __future__ import annotations

from decimal import Decimal

import duckdb

from cnbudget.report.contents import BudgetAgainstFinal, Document

_BASES = ("initial_budget", "adjusted_budget", "published_budget", "final")
_LINES = """
    select v.document_id, v.comparison, v.line_code, coalesce(s.name, ''), v.budget_document_id,
           v.initial_budget_yuan, v.adjusted_budget_yuan, v.published_budget_yuan, v.final_yuan
    from marts.fact_budget_vs_final v
    left join marts.dim_function_subject s
      on v.comparison = 'function_class' and s.fiscal_year = v.fiscal_year and s.code = v.line_code
    where v.comparison in ('function_class', 'three_public')
    order by v.document_id, v.line_code
"""
# The order the “三公” tables print their items in; "vehicle" is the 小计 公务用车购置及运行费,
# printed above its two items (the mart holds only the items).
_THREE_PUBLIC_ORDER = ("outbound_travel", "vehicle", "vehicle_purchase", "vehicle_operation", "reception")
_VEHICLE_SUBTOTAL = "公务用车购置及运行费"


def _sum_or_none(values) -> Decimal | None:
    printed = [v for v in values if v is not None]
    return sum(printed, Decimal(0)) if printed else None


def _three_public_items(conn: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    named = dict(conn.execute(
        "select three_public_item_code, name_zh from marts.dim_three_public_item where is_three_public"
    ).fetchall())
    named["vehicle"] = _VEHICLE_SUBTOTAL
    return [(code, named[code]) for code in _THREE_PUBLIC_ORDER if code in named]


def read_budget_against_final(conn: duckdb.DuckDBPyConnection, documents: dict[str, Document]) -> None:
    """Fill each 决算's budget_vs_final_classes and budget_vs_final_three_public (a 预算's stay empty)."""
    if not any(d.phase == "final" for d in documents.values()):
        return
    lines: dict[tuple[str, str], dict[str, tuple[str, dict]]] = {}
    for document_id, comparison, code, name, budget_document_id, *amounts in conn.execute(_LINES).fetchall():
        document = documents.get(document_id)
        if document is None:
            continue
        document.budget_document_id = document.budget_document_id or budget_document_id
        lines.setdefault((document_id, comparison), {})[code] = (name, dict(zip(_BASES, amounts)))
    items = _three_public_items(conn)
    for document in documents.values():
        classes = lines.get((document.document_id, "function_class"), {})
        document.budget_vs_final_classes = [
            BudgetAgainstFinal(code, name, **amounts) for code, (name, amounts) in classes.items()
        ]
        printed = {code: amounts for code, (_, amounts) in lines.get((document.document_id, "three_public"), {}).items()}
        if not printed:  # no “三公” table, or one without a figure
            continue
        vehicle = [amounts for code, amounts in printed.items() if code.startswith("vehicle_")]
        printed["vehicle"] = {basis: _sum_or_none(amounts[basis] for amounts in vehicle) for basis in _BASES}
        document.budget_vs_final_three_public = [
            BudgetAgainstFinal(code, name, **{basis: printed.get(code, {}).get(basis) for basis in _BASES})
            for code, name in items
        ]
