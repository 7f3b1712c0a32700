"""The identity verdicts as a readable report, grouped by document (`cnbudget check`)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from cnbudget.extract.catalog import unit_multipliers
from cnbudget.quality.validate import FAILED, NOT_APPLICABLE, PASSED, IdentityValidation


def _amount(cents: int, unit: str) -> str:
    """An amount in cents shown in a printed unit, exactly (万元 may need 4 decimals)."""
    value = Decimal(int(cents)) / (100 * unit_multipliers()[unit])
    places = max(2, -value.normalize().as_tuple().exponent)
    return f"{value:,.{places}f} {unit}"


def _failure_lines(r) -> list[str]:
    unit = r.printed_unit
    relation = "<" if r.comparison == "≥" else "≠"
    return [
        f"  ✗ {r.identity_id} [{r.severity}]  {r.table_name}, page {r.page}, row {r.row_name}, column {r.column_path}",
        f"      printed {_amount(r.actual_cents, unit)} {relation} {_amount(r.expected_cents, unit)} "
        f"expected from {r.expected_source}",
        f"      difference {_amount(r.difference_cents, unit)}, tolerance ±{_amount(r.tolerance_cents, unit)}"
        + (" (the printed figure must be at least the expected one)" if r.comparison == "≥" else ""),
    ]


def format_report(validation: IdentityValidation, list_not_applicable: bool = False) -> str:
    results = validation.results
    counts = validation.counts_by_document()
    lines: list[str] = []
    unchecked = {f.document_id: f for f in validation.unchecked}
    for document in validation.documents:
        c = counts.loc[document.document_id]
        lines.append(
            f"{document.department} {document.fiscal_year or ''} {document.kind}  [{document.document_id}]  "
            f"{Path(document.source_file).name}"
        )
        if document.document_id in unchecked:
            lines.extend([f"  ✗ not checked: {unchecked[document.document_id].error}", ""])
            continue
        lines.append(
            f"  {c['evaluated']} identity instances evaluated: {c[PASSED]} passed, {c[FAILED]} failed; "
            f"{c[NOT_APPLICABLE]} not applicable"
        )
        mine = results[results.document_id == document.document_id]
        for r in mine[mine.status == FAILED].sort_values(["table_id", "page", "identity_id"]).itertuples():
            lines.extend(_failure_lines(r))
        if list_not_applicable:
            for r in mine[mine.status == NOT_APPLICABLE].itertuples():
                lines.append(f"  – {r.identity_id}: not applicable, {r.reason}")
        lines.append("")
    total = counts.sum()
    lines.append(
        f"{len(validation.documents)} document{'s' if len(validation.documents) != 1 else ''}, "
        f"{len(validation.catalogue.table_identities)} identities: "
        f"{total['evaluated']} instances evaluated, {total[PASSED]} passed, {total[FAILED]} failed; "
        f"{total[NOT_APPLICABLE]} not applicable"
        + ("" if list_not_applicable or not total[NOT_APPLICABLE] else " (--not-applicable lists why)")
    )
    return "\n".join(lines)
