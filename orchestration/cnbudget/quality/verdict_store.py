"""The one writer of verdicts: every check chain (the table identities, the narrative
checks) keeps its verdicts in dq the same way, and only this module writes them.

A chain's store is its result tables, replaced per document, and its ledger: one row per
document judged, with the fingerprint of what was judged and of the rules it was judged
by (freshness.py), and the verdict counts. A write replaces the judged documents' rows
(and drops those of documents no longer loaded) in one transaction, records the documents
cnbudget failed to check in raw.load_errors, and leaves every other document's verdicts
standing. A chain's summary view (dq.<chain>_validation) sums its ledger up.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone

import duckdb
import pandas as pd

from cnbudget.quality.freshness import Staleness, document_fingerprints, replace_rows, staleness, table_exists
from cnbudget.quality.isolation import CheckFailure, record_check_failures

# Widens a chain's stale documents to those whose verdicts depend on them (a narrative
# compares a document with its department's other years).
Dependents = Callable[[duckdb.DuckDBPyConnection, frozenset[str]], frozenset[str]]

_LEDGER_DDL = """
CREATE TABLE IF NOT EXISTS {ledger} (
    document_id VARCHAR PRIMARY KEY,
    fingerprint VARCHAR NOT NULL,         -- of its load and its figures when judged (freshness.py)
    rules_sha256 VARCHAR NOT NULL,        -- of the chain's catalogue and the code judging by it
    validated_at TIMESTAMP NOT NULL,
    {counts},
    internal_error BOOLEAN NOT NULL       -- cnbudget failed to check it (raw.load_errors); judged again next load
);"""


@dataclass(frozen=True)
class VerdictStore:
    name: str  # what a stale reason calls its verdicts: "identity" -> "the identity verdicts"
    results_ddl: str  # CREATE TABLE IF NOT EXISTS of its result tables
    result_tables: tuple[str, ...]  # dq.<table>, each with a document_id column
    counts: tuple[str, ...]  # the ledger's verdict counts (INTEGER columns)
    figures: Mapping[str, str]  # what a verdict reads, per document: model -> columns
    dependents: Dependents | None = None
    # per result table, the select that casts incoming rows into its columns (default *)
    selects: Mapping[str, str] = field(default_factory=dict)

    @property
    def ledger(self) -> str:
        return f"dq.{self.name}_documents"

    @property
    def summary_view(self) -> str:
        return f"dq.{self.name}_validation"

    def ddl(self) -> str:
        counts = ",\n    ".join(f"{c} INTEGER NOT NULL" for c in self.counts)
        sums = ", ".join(f"sum({c}) as {c}" for c in self.counts)
        return "\n".join([
            "CREATE SCHEMA IF NOT EXISTS dq;",
            self.results_ddl,
            _LEDGER_DDL.format(ledger=self.ledger, counts=counts),
            f"CREATE OR REPLACE VIEW {self.summary_view} AS select max(validated_at) as validated_at,"
            f" count(*) as documents, {sums}, count(*) filter (where internal_error) as internal_errors"
            f" from {self.ledger};",
        ])

    def staleness(self, conn: duckdb.DuckDBPyConnection, rules: str) -> Staleness:
        """The documents to judge: new, changed, judged by other rules or not checked last
        time, with the documents whose verdicts depend on them."""
        found = staleness(conn, self.ledger, document_fingerprints(conn, self.figures), rules)
        if not found.stale or self.dependents is None:
            return found
        return Staleness(found.fingerprints, found.stale | self.dependents(conn, found.stale), found.removed)

    def everything(self, conn: duckdb.DuckDBPyConnection) -> Staleness:
        """Every document to judge (a re-validation of the whole warehouse)."""
        fingerprints = document_fingerprints(conn, self.figures)
        return Staleness(fingerprints, frozenset(fingerprints), staleness(conn, self.ledger, fingerprints, "").removed)

    def stale_reason(self, conn: duckdb.DuckDBPyConnection, rules: str) -> str | None:
        """None when the store describes every document as it is now, by these rules."""
        if not table_exists(conn, "raw", "documents"):
            return "no document is loaded"
        if not table_exists(conn, *self.ledger.split(".")):
            return f"dq.{self.result_tables[0]} has never been materialized"
        return self.staleness(conn, rules).reason(f"the {self.name} verdicts")

    def write(self, conn: duckdb.DuckDBPyConnection, stale: Staleness, rules: str, results: Mapping[str, pd.DataFrame],
              counts: pd.DataFrame, unchecked: Iterable[CheckFailure]) -> None:
        """Replace the verdicts of the judged (`stale.stale`) and removed documents, in one
        transaction. `results`: per result table, its rows for the judged documents;
        `counts`: per document id (index), the ledger's counts (a document absent has none)."""
        unchecked = list(unchecked)
        failed_to_check = {f.document_id for f in unchecked}
        judged = sorted(stale.stale)
        counted = counts.reindex(index=judged, columns=list(self.counts), fill_value=0).fillna(0).astype(int)
        now = datetime.now(timezone.utc).replace(tzinfo=None)
        ledger = pd.DataFrame({
            "document_id": pd.Series(judged, dtype=object),
            "fingerprint": [stale.fingerprints[d] for d in judged],
            "rules_sha256": rules,
            "validated_at": now,
            **{c: counted[c].to_list() for c in self.counts},
            "internal_error": [d in failed_to_check for d in judged],
        })
        conn.execute("BEGIN TRANSACTION")
        try:
            self._upgrade(conn)
            conn.execute(self.ddl())
            for table in self.result_tables:
                replace_rows(conn, f"dq.{table}", results[table], stale.replaced, self.selects.get(table, "*"))
            replace_rows(conn, self.ledger, ledger, stale.replaced)
            record_check_failures(conn, unchecked)
            conn.execute("COMMIT")
        except Exception:
            conn.execute("ROLLBACK")
            raise

    def _upgrade(self, conn: duckdb.DuckDBPyConnection) -> None:
        """The summary view was a table before the ledger: its results are judged again."""
        schema, name = self.summary_view.split(".")
        kind = conn.execute(
            "select table_type from information_schema.tables where table_schema = ? and table_name = ?", [schema, name]
        ).fetchone()
        if kind and kind[0] == "BASE TABLE":
            conn.execute(f"drop table {self.summary_view}")
            for table in self.result_tables:
                conn.execute(f"drop table if exists dq.{table}")
