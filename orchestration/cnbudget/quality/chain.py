"""The one check chain. Every kind of check (the table identities, the narrative checks)
is a Chain, and every chain is judged the same way:

1. staleness: the documents whose verdicts no longer describe them (freshness.py), with
   those whose verdicts depend on them (a narrative's other years);
2. chunks: those documents a department at a time, up to a bounded number, so memory
   follows the chunk, not the warehouse;
3. evaluation: each chain lays out its instances on the chunk (the actual and the
   expected side of every identity, and how far outside its tolerance it lies);
4. judgement: one Great Expectations validation of every chain's instances (gx_judgement.py);
5. storage: each chain's verdict store replaces the chunk's verdicts (verdict_store.py).

A chain is its evaluation and its store; nothing else differs between the chains.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import duckdb
import pandas as pd

from cnbudget.quality.catalogue import Catalogue
from cnbudget.quality.freshness import Staleness, rules_sha256
from cnbudget.quality.gx_judgement import Judged, Judgement, judge_by_excess, judge_with_gx
from cnbudget.quality.isolation import CheckFailure
from cnbudget.quality.verdict_store import VerdictStore

# A department's documents are judged together (a narrative compares a document with its
# department's other years); a chunk holds whole departments up to this many documents.
CHUNK_DOCUMENTS = 50


class Evaluation(Protocol):
    """One chain's instances on a set of documents, before and after they are judged."""

    identities: Sequence[Judged]  # the identities it evaluated
    unchecked: list[CheckFailure]  # documents cnbudget failed to check

    def instances(self) -> pd.DataFrame:
        """identity_id, excess (an integer, positive where the instance fails): what GX judges."""

    def take(self, judgement: Judgement) -> None:
        """Record the verdicts (positions as in instances())."""

    def stored_rows(self) -> Mapping[str, pd.DataFrame]:
        """Per result table of the chain's store, the rows of the judged documents."""

    def document_counts(self) -> pd.DataFrame:
        """Per judged document (index document_id): the store's ledger counts, and any
        other per-document figures worth showing."""


Evaluate = Callable[[duckdb.DuckDBPyConnection, Catalogue, Iterable[str]], Evaluation]


@dataclass(frozen=True)
class Chain:
    store: VerdictStore
    evaluate: Evaluate  # (conn, catalogue, document ids) -> its evaluation, not yet judged

    @property
    def name(self) -> str:
        return self.store.name

    def staleness(self, conn: duckdb.DuckDBPyConnection, catalogue: Catalogue) -> Staleness:
        return self.store.staleness(conn, rules_sha256(catalogue.sha256))

    def stale_reason(self, conn: duckdb.DuckDBPyConnection, catalogue: Catalogue) -> str | None:
        """None when the chain's verdicts describe every document as it is now, by these rules."""
        return self.store.stale_reason(conn, rules_sha256(catalogue.sha256))

    def write(self, conn: duckdb.DuckDBPyConnection, evaluation: Evaluation, catalogue: Catalogue,
              stale: Staleness | None = None) -> None:
        """Replace the verdicts of the `stale` documents (default: every document, as an
        evaluation of the whole warehouse judged them) with the evaluation's."""
        self.store.write(conn, stale or self.store.everything(conn), rules_sha256(catalogue.sha256),
                         evaluation.stored_rows(), evaluation.document_counts(), evaluation.unchecked)


def judge(evaluations: Sequence[Evaluation], great_expectations: bool = True) -> None:
    """The one judging step: every instance of every evaluation, in one validation."""
    frames = [e.instances() for e in evaluations]
    instances = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["identity_id", "excess"])
    identities = [i for e in evaluations for i in e.identities]
    judgement = judge_with_gx(instances, identities, "identities") if great_expectations else judge_by_excess(instances)
    start = 0
    for evaluation, frame in zip(evaluations, frames):
        evaluation.take(judgement.part(start, len(frame)))
        start += len(frame)


def department_chunks(conn: duckdb.DuckDBPyConnection, documents: Iterable[str],
                      limit: int = CHUNK_DOCUMENTS) -> list[frozenset[str]]:
    """`documents` in chunks of whole departments, each of at most `limit` documents
    unless one department alone has more."""
    wanted = set(documents)
    by_department: dict[str, set[str]] = defaultdict(set)
    for document_id, department in conn.execute("select document_id, coalesce(department, '') from raw.documents").fetchall():
        if document_id in wanted:
            by_department[department].add(document_id)
    chunks: list[frozenset[str]] = []
    current: set[str] = set()
    for department in sorted(by_department):
        group = by_department[department]
        if current and len(current) + len(group) > limit:
            chunks.append(frozenset(current))
            current = set()
        current |= group
    if current:
        chunks.append(frozenset(current))
    return chunks


@dataclass
class ChainRun:
    """What a chain judged in one run, chunk by chunk."""

    staleness: Staleness
    counts: list[pd.DataFrame] = field(default_factory=list)
    unchecked: list[CheckFailure] = field(default_factory=list)

    def document_counts(self) -> pd.DataFrame:
        return pd.concat(self.counts) if self.counts else pd.DataFrame()


def judge_stale(conn: duckdb.DuckDBPyConnection, catalogue: Catalogue, chains: Sequence[Chain],
                limit: int = CHUNK_DOCUMENTS) -> dict[str, ChainRun]:
    """Judge every chain's stale documents and store their verdicts, a chunk at a time
    (the caller holds the warehouse lock); the other documents' verdicts stand."""
    stale = {chain.name: chain.staleness(conn, catalogue) for chain in chains}
    runs = {name: ChainRun(s) for name, s in stale.items()}
    chunks = department_chunks(conn, frozenset().union(*(s.stale for s in stale.values())), limit)
    for n, chunk in enumerate(chunks or [frozenset()]):  # one write drops the verdicts of removed documents
        part = {name: Staleness(s.fingerprints, s.stale & chunk, s.removed if n == 0 else frozenset())
                for name, s in stale.items()}
        evaluations = [chain.evaluate(conn, catalogue, part[chain.name].stale) for chain in chains]
        judge(evaluations)
        for chain, evaluation in zip(chains, evaluations):
            chain.write(conn, evaluation, catalogue, part[chain.name])
            runs[chain.name].counts.append(evaluation.document_counts())
            runs[chain.name].unchecked.extend(evaluation.unchecked)
    return runs
