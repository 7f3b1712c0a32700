"""The narrative checks: every figure a narrative page quotes, matched to the table
figure it names and proved (the narrative identities of expectations/identities.yml).

Reads marts.fact_narrative_figure (what the narrative says) and the printed grids behind
marts.published_figures (staging.stg_budget__cells with their rows, blanks included: a
blank cell in a matched row and column is an exact zero). Everything is computed in
Decimal; Great Expectations judges the instances in the step the table identities
share (gx_judgement.py).

Outputs, per document:
- matches: one row per narrative figure, `matched` or not, with the table figure it was
  matched to or the reason it was not (the match rate is matched / all);
- results: one row per check instance, with the sentence, page, the stated and the
  expected value, and whether it passed.

Matching lives in narrative_matching.py, the check of each identity in
narrative_identities.py, the exact arithmetic in narrative_arithmetic.py and the output
frames in narrative_evaluation.py; this module reads the warehouse and runs them, as the
narrative chain's evaluation (chain.py, narrative_results.py).
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb
import pandas as pd

from cnbudget.quality.catalogue import Catalogue, load_catalogue
from cnbudget.quality.chain import judge
from cnbudget.quality.isolation import CheckFailure, checked_alone
from cnbudget.quality.narrative_catalogue import NarrativeCatalogue
from cnbudget.quality.narrative_evaluation import MATCH_COLUMNS, RESULT_COLUMNS, NarrativeEvaluation, match_row
from cnbudget.quality.narrative_identities import NarrativeIdentityChecks
from cnbudget.quality.narrative_matching import GRID_SQL, MatchedDocument, TableResolver, read_document_index


__all__ = ["NarrativeEvaluation", "evaluate_narrative", "report_lines"]


class _Evaluator(NarrativeIdentityChecks):
    def __init__(self, conn: duckdb.DuckDBPyConnection, catalogue: NarrativeCatalogue,
                 documents: Iterable[str] | None = None):
        self.catalogue = catalogue
        ids = list(documents) if documents is not None else [d for (d,) in conn.execute(
            "select document_id from raw.documents").fetchall()]
        conn.register("judged_documents", pd.DataFrame({"document_id": sorted(ids)}, dtype=object))
        judged = "document_id in (select document_id from judged_documents)"
        try:
            # Decimals travel as text: pandas would turn DECIMAL into float.
            facts = conn.execute(
                "select * replace (cast(printed_number as varchar) as printed_number, "
                "cast(yuan_per_unit as varchar) as yuan_per_unit, cast(amount_yuan as varchar) as amount_yuan) "
                f"from marts.fact_narrative_figure where {judged} order by document_id, ordinal"
            ).df()
            grid = conn.execute(f"{GRID_SQL} where cells.{judged}").df()
        finally:
            conn.unregister("judged_documents")
        facts = facts.astype(object).where(facts.notna(), None)  # None, not NaN, for what is not printed
        self.documents = read_document_index(conn)
        # The current document of each department, kind and year (other years' figures are checked against it).
        current = self.documents[self.documents["is_current"].astype(bool)]
        self.current_of = {(r.department, r.kind, r.fiscal_year): r.document_id for r in current.itertuples()}
        self.group_of = {r.document_id: (r.department, r.kind) for r in self.documents.itertuples()}
        self.sources = dict(conn.execute("select document_id, source_file from raw.documents").fetchall())
        self.unchecked: list[CheckFailure] = []
        self.resolvers = {doc: TableResolver(catalogue, frame) for doc, frame in grid.groupby("document_id")}
        self.docs = {}
        for doc, frame in facts.groupby("document_id"):
            resolver = self.resolvers.get(doc) or TableResolver(catalogue, grid.iloc[0:0])
            matched = self.alone(doc, lambda: MatchedDocument(doc, frame, resolver))  # noqa: B023
            if matched is not None:
                self.docs[doc] = matched
        self.matches: list[dict] = []
        self.results: list[dict] = []

    def alone(self, document_id: str, check):
        return checked_alone("narrative", document_id, self.sources.get(document_id, document_id), self.unchecked, check)

    # The document of the same department and kind for another year, if loaded.
    def other_year(self, document_id: str, year: int | None) -> str | None:
        if year is None:
            return None
        return self.current_of.get((*self.group_of[document_id], year))

    def run(self) -> NarrativeEvaluation:
        for doc in self.docs.values():
            matched_so_far, results_so_far = len(self.matches), len(self.results)
            if self.alone(doc.document_id, lambda: self.evaluate_document(doc)) is None:  # noqa: B023
                del self.matches[matched_so_far:], self.results[results_so_far:]  # none of its verdicts
        matches = pd.DataFrame(self.matches, columns=MATCH_COLUMNS)
        results = pd.DataFrame(self.results, columns=RESULT_COLUMNS)
        results["passed"] = results["passed"].astype(bool)
        return NarrativeEvaluation(matches, results, self.catalogue.identities, unchecked=self.unchecked)

    def evaluate_document(self, doc: MatchedDocument) -> bool:
        for figure in doc.figures.values():
            matched, reason, table = self.evaluate(doc, figure)
            self.matches.append(match_row(figure, matched, reason, table))
        return True

    def check(self, kind: str, figure, stated: str, expected: str, tolerance: str, passed: bool, detail: str) -> None:
        identity = self.catalogue.identity(kind)
        self.results.append(
            {
                "identity_id": identity.id,
                "document_id": figure.document_id,
                "ordinal": int(figure.ordinal),
                "narrative_figure_key": figure.narrative_figure_key,
                "page": int(figure.page),
                "sentence": figure.sentence,
                "printed_text": figure.printed_text,
                "subject": figure.subject,
                "stated": stated,
                "expected": expected,
                "tolerance": tolerance,
                "passed": bool(passed),
                "detail": detail,
            }
        )


def evaluate_narrative_figures(conn: duckdb.DuckDBPyConnection, catalogue: Catalogue,
                               documents: Iterable[str] | None = None) -> NarrativeEvaluation:
    """Match every narrative figure of the documents (default: all; they must hold every
    year of their departments: see narrative_results.NARRATIVE) and evaluate every
    narrative identity on them, not yet judged."""
    return _Evaluator(conn, catalogue.narrative, documents).run()


def evaluate_narrative(conn: duckdb.DuckDBPyConnection, catalogue: Catalogue | None = None,
                       great_expectations: bool = True, documents: Iterable[str] | None = None) -> NarrativeEvaluation:
    """evaluate_narrative_figures, judged (by Great Expectations unless told not to)."""
    evaluation = evaluate_narrative_figures(conn, catalogue or load_catalogue(), documents)
    judge([evaluation], great_expectations)
    return evaluation


def report_lines(evaluation: NarrativeEvaluation) -> list[str]:
    """What `cnbudget check` prints for the narrative: per document the counts, then every
    failure with its sentence, page and both values, then every unmatched figure's reason."""
    lines = []
    for row in evaluation.summary().itertuples():
        lines.append(
            f"{row.document_id}: {row.figures} narrative figures ({row.amounts} amounts), {row.matched} matched, "
            f"{row.unmatched} unmatched (match rate {row.match_rate:.1%}); checks {row.checks_passed} passed, "
            f"{row.checks_failed} failed"
        )
    for r in evaluation.failures.itertuples():
        lines.append(
            f"FAIL {r.identity_id} {r.document_id} p{r.page}: stated {r.stated}, expected {r.expected} ({r.detail}) "
            f"— {r.sentence}"
        )
    return lines
