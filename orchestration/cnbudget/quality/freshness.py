"""Which documents' verdicts are stale, so a load judges only what changed.

Each check chain (the identities, the narrative checks) keeps a ledger in dq: one row
per document it has judged, with the fingerprint of what it judged (the document's rows
and its figures as the models built them) and of the rules it judged by (its catalogue
and cnbudget's checking code). A document is judged again when it is new, re-extracted
or rebuilt differently, when the rules changed, or when checking it failed last time;
verdicts of documents no longer in the warehouse go. So the cost of a load follows the
documents it changed, not the size of the warehouse.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

_QUALITY_CODE = sorted(Path(__file__).parent.glob("*.py"))


def rules_sha256(catalogue: str | bytes) -> str:
    """Of a catalogue (its text or digest) and of the code that judges by it: changing
    either re-judges every document."""
    digest = hashlib.sha256(catalogue.encode("utf-8") if isinstance(catalogue, str) else catalogue)
    for path in _QUALITY_CODE:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def document_fingerprints(conn: duckdb.DuckDBPyConnection, figures: dict[str, str]) -> dict[str, str]:
    """Per document: the extractor that read it and a digest of its rows in each of
    `figures` (model -> the columns a verdict reads). Of its content, not of when it was
    loaded: two warehouses of the same documents hold the same ledger."""
    joins, digests = [], []
    for n, (model, columns) in enumerate(figures.items()):
        joins.append(
            f"left join (select document_id, count(*) as n, sum(hash({columns})) as h from {model} group by 1) f{n}"
            " using (document_id)"
        )
        digests.append(f"coalesce(f{n}.n, 0), coalesce(f{n}.h, 0)")
    return dict(conn.execute(
        f"select d.document_id, concat_ws('|', d.extractor_version, {', '.join(digests)}) "
        f"from raw.documents d {' '.join(joins)}"
    ).fetchall())


@dataclass(frozen=True)
class Staleness:
    fingerprints: dict[str, str]  # every document of the warehouse now
    stale: frozenset[str]  # to judge (again)
    removed: frozenset[str]  # judged before, no longer in the warehouse

    @property
    def replaced(self) -> list[str]:
        """The documents whose verdicts a write replaces."""
        return sorted(self.stale | self.removed)

    def reason(self, what: str) -> str | None:
        if not self.stale and not self.removed:
            return None
        return (f"the warehouse changed since {what} of {len(self.stale)} document(s) were judged"
                + (f", and {len(self.removed)} judged document(s) are gone" if self.removed else ""))


def table_exists(conn: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    # fetchall: a result left unfinished makes DuckDB refuse the next register()
    return bool(conn.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?", [schema, name]
    ).fetchall()[0][0])


def staleness(conn: duckdb.DuckDBPyConnection, ledger: str, fingerprints: dict[str, str], rules: str) -> Staleness:
    """Compare the documents now with those `ledger` (schema.table) recorded."""
    recorded: dict[str, tuple] = {}
    if table_exists(conn, *ledger.split(".")):
        recorded = {d: (f, r, e) for d, f, r, e in conn.execute(
            f"select document_id, fingerprint, rules_sha256, internal_error from {ledger}").fetchall()}
    stale = {d for d, f in fingerprints.items() if recorded.get(d) != (f, rules, False)}
    return Staleness(fingerprints, frozenset(stale), frozenset(set(recorded) - set(fingerprints)))


def replace_rows(conn: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame, documents: list[str],
                 select: str = "*") -> None:
    """Within the caller's transaction: `table`'s rows of `documents` become `frame`'s."""
    conn.register("replaced_documents", pd.DataFrame({"document_id": documents}, dtype=object))
    conn.register("incoming_rows", frame)
    try:
        conn.execute(f"delete from {table} where document_id in (select document_id from replaced_documents)")
        if len(frame):
            conn.execute(f"insert into {table} select {select} from incoming_rows")
    finally:
        conn.unregister("incoming_rows")
        conn.unregister("replaced_documents")
