"""What one Dagster asset check per identity reports, summarized in SQL: its counts and
at most LISTED of its failures, so that a check's memory does not grow with the
warehouse. Every chain's checks (assets.py) report through it."""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

LISTED = 50  # failures (and reasons) shown in a check's metadata; the dq.* table has them all


@dataclass
class CheckSummary:
    evaluated: int = 0
    failed: int = 0
    not_applicable: int = 0
    documents_evaluated: int = 0
    failures: list[tuple] = field(default_factory=list)  # the first LISTED, in the order they were written
    reasons: list[str] = field(default_factory=list)  # the first LISTED distinct reasons of not applicable

    @property
    def passed(self) -> int:
        return self.evaluated - self.failed


def summarize_checks(
    conn: duckdb.DuckDBPyConnection, table: str, *, failed: str, listed: list[str],
    not_applicable: str = "false", reason: str | None = None,
) -> dict[str, CheckSummary]:
    """Per identity_id of `table`: rows where `failed` / `not_applicable` (SQL predicates)
    hold, the others being passed; the failures' `listed` columns; the distinct `reason`s."""
    summaries: dict[str, CheckSummary] = {}
    for identity_id, evaluated, failures, inapplicable, documents in conn.execute(f"""
        select identity_id,
               count(*) filter (where not ({not_applicable})),
               count(*) filter (where {failed}),
               count(*) filter (where {not_applicable}),
               count(distinct document_id) filter (where not ({not_applicable}))
        from {table} group by identity_id
    """).fetchall():
        summaries[identity_id] = CheckSummary(evaluated, failures, inapplicable, documents)
    for identity_id, *row in conn.execute(f"""
        select identity_id, {', '.join(listed)} from (
            select *, row_number() over (partition by identity_id order by rowid) as listed_ordinal
            from {table} where {failed}
        ) where listed_ordinal <= {LISTED} order by identity_id, listed_ordinal
    """).fetchall():
        summaries[identity_id].failures.append(tuple(row))
    if reason:
        for identity_id, text in conn.execute(f"""
            select identity_id, {reason} from (
                select identity_id, {reason}, row_number() over (partition by identity_id order by min(rowid)) as n
                from {table} where {not_applicable} group by identity_id, {reason}
            ) where n <= {LISTED} order by identity_id, n
        """).fetchall():
            summaries[identity_id].reasons.append(text)
    return summaries
