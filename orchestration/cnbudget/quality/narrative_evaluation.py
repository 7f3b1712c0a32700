"""What the narrative checks produce: the match and result rows, their columns and per-document summary."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from cnbudget.extract.narrative import AMOUNT
from cnbudget.quality.gx_judgement import Judged, Judgement
from cnbudget.quality.isolation import CheckFailure
from cnbudget.quality.narrative_matching import TableFigure


@dataclass
class NarrativeEvaluation:
    """The narrative chain's Evaluation (chain.py): `passed` is the evaluation's own
    reckoning until judged, then the judgement's."""

    matches: pd.DataFrame  # one row per narrative figure
    results: pd.DataFrame  # one row per check instance
    identities: Sequence[Judged] = ()
    gx_success: dict[str, bool] = field(default_factory=dict)  # identity id -> GX verdict
    unchecked: list[CheckFailure] = field(default_factory=list)  # documents cnbudget failed to check

    def instances(self) -> pd.DataFrame:
        # A narrative instance either holds or not: a failing one exceeds its tolerance by 1.
        return pd.DataFrame({"identity_id": self.results["identity_id"].to_numpy(),
                             "excess": (~self.results["passed"].astype(bool)).astype("int64").to_numpy()})

    def take(self, judgement: Judgement) -> None:
        self.results["passed"] = [i not in judgement.failing for i in range(len(self.results))]
        self.results["passed"] = self.results["passed"].astype(bool)
        self.gx_success = {identity.id: judgement.succeeded(identity.id) for identity in self.identities}

    def stored_rows(self) -> dict[str, pd.DataFrame]:
        return {"narrative_matches": self.matches, "narrative_results": self.results}

    def document_counts(self) -> pd.DataFrame:
        return self.summary().set_index("document_id")

    @property
    def failures(self) -> pd.DataFrame:
        return self.results[~self.results["passed"]]

    def summary(self) -> pd.DataFrame:
        """Per document: figures found, matched, unmatched, match rate, checks passed and failed."""
        found = self.matches.groupby("document_id").agg(
            figures=("ordinal", "count"),
            amounts=("role", lambda r: int((r == AMOUNT).sum())),
            matched=("matched", "sum"),
        )
        found["unmatched"] = found["figures"] - found["matched"]
        found["match_rate"] = (found["matched"] / found["figures"]).round(4)
        checks = self.results.groupby("document_id").agg(
            checks_passed=("passed", "sum"), checks_failed=("passed", lambda p: int((~p).sum()))
        )
        out = found.join(checks, how="left").fillna({"checks_passed": 0, "checks_failed": 0})
        return out.astype({"checks_passed": int, "checks_failed": int}).reset_index()


MATCH_COLUMNS = [
    "document_id", "ordinal", "narrative_figure_key", "page", "sentence", "printed_text", "role", "subject",
    "subject_kind", "matched", "reason", "table_id", "table_label", "row_label", "column_path", "figure_keys",
    "table_printed_text", "table_amount_yuan", "table_page",
]
RESULT_COLUMNS = [
    "identity_id", "document_id", "ordinal", "narrative_figure_key", "page", "sentence", "printed_text", "subject",
    "stated", "expected", "tolerance", "passed", "detail",
]


def match_row(figure, matched: bool, reason: str, table: TableFigure | None) -> dict:
    return {
        "document_id": figure.document_id,
        "ordinal": int(figure.ordinal),
        "narrative_figure_key": figure.narrative_figure_key,
        "page": int(figure.page),
        "sentence": figure.sentence,
        "printed_text": figure.printed_text,
        "role": figure.role,
        "subject": figure.subject,
        "subject_kind": figure.subject_kind,
        "matched": bool(matched),
        "reason": reason,
        "table_id": table.table_id if table else None,
        "table_label": table.table_label if table else None,
        "row_label": table.row_label if table else None,
        "column_path": table.column_path if table else None,
        "figure_keys": ",".join(table.figure_keys) if table else None,
        "table_printed_text": ",".join(table.printed_texts) if table else None,
        "table_amount_yuan": str(table.amount_yuan) if table else None,
        "table_page": table.page if table else None,
    }
