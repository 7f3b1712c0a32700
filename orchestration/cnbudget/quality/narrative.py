"""The narrative checks: every figure a narrative page quotes, matched to the table
figure it names and proved (expectations/narrative_identities.yml).

Reads marts.fact_narrative_figure (what the narrative says) and the printed grids behind
marts.published_figures (staging.stg_budget__cells with their rows, blanks included: a
blank cell in a matched row and column is an exact zero). Everything is computed in
Decimal; Great Expectations judges the instances (`passed` must be true) as it judges
the table identities.

Outputs, per document:
- matches: one row per narrative figure, `matched` or not, with the table figure it was
  matched to or the reason it was not (the match rate is matched / all);
- results: one row per check instance, with the sentence, page, the stated and the
  expected value, and whether it passed.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from decimal import Decimal

import duckdb
import pandas as pd

from cnbudget.extract.narrative import (
    AMOUNT,
    CHANGE_AMOUNT,
    CHANGE_PERCENT,
    NO_CHANGE,
    OTHER_PERCENT,
    PRIOR_AMOUNT,
    SHARE_PERCENT,
)
from cnbudget.quality.isolation import CheckFailure, checked_alone
from cnbudget.quality.narrative_catalogue import CATALOGUE_FILE, NarrativeCatalogue, load_narrative_catalogue
from cnbudget.quality.narrative_matching import (
    GRID_SQL,
    HUNDRED,
    MATCH_COLUMNS,
    RESULT_COLUMNS,
    MatchedDocument,
    NarrativeEvaluation,
    ResolverOnly,
    TableFigure,
    TableResolver,
    figure_ordinal,
    half_unit,
    in_unit,
    interval,
    match_row,
    read_document_index,
    rounded,
    signed,
    stated_value,
    value_range,
)

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

__all__ = ["CATALOGUE_FILE", "NarrativeEvaluation", "evaluate_narrative", "load_narrative_catalogue", "report_lines"]


class _Evaluator:
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
        grids = {doc: frame for doc, frame in grid.groupby("document_id")}
        empty = grid.iloc[0:0]
        self.docs = {}
        for doc, frame in facts.groupby("document_id"):
            matched = self.alone(doc, lambda: MatchedDocument(doc, frame, TableResolver(catalogue, grids.get(doc, empty))))  # noqa: B023
            if matched is not None:
                self.docs[doc] = matched
        self.resolvers = {doc: TableResolver(catalogue, frame) for doc, frame in grids.items()}
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
        return NarrativeEvaluation(matches, results, unchecked=self.unchecked)

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

    def evaluate(self, doc: MatchedDocument, figure) -> tuple[bool, str, TableFigure | None]:
        role = figure.role
        if role == AMOUNT:
            return self.amount(doc, figure)
        if role == CHANGE_PERCENT:
            return self.change_percent(doc, figure)
        if role == SHARE_PERCENT:
            return self.share_percent(doc, figure)
        if role in (CHANGE_AMOUNT, NO_CHANGE):
            return self.change_amount(doc, figure)
        if role == PRIOR_AMOUNT:
            return self.prior_amount(doc, figure)
        if role == OTHER_PERCENT:
            return False, "a percentage that is neither a change nor a share", None
        return False, f"role {role!r} is not checked", None

    # narrative_amount_equals_table
    def amount(self, doc: MatchedDocument, figure) -> tuple[bool, str, TableFigure | None]:
        table = doc.match(int(figure.ordinal))
        if table is None:
            return False, doc.reason[int(figure.ordinal)], None
        stated = stated_value(figure)
        decimals = int(figure.printed_decimals)
        expected = rounded(in_unit(table.amount_yuan, figure), decimals)
        self.check(
            "amount", figure, figure.printed_text, f"{expected} {figure.printed_unit}",
            f"rounded half up to {decimals} decimals", stated == expected,
            f"{table.where}: printed {', '.join(t or '(blank)' for t in table.printed_texts)}",
        )
        return True, "", table

    def _anchor(self, doc: MatchedDocument, figure):
        if not figure.anchor_figure_key:
            return None
        return doc.figures.get(figure_ordinal(figure.anchor_figure_key))

    def _stated_prior(self, doc: MatchedDocument, figure):
        """A prior-year amount stated in the same sentence as the figure."""
        return next(
            (f for f in doc.figures.values()
             if f.role == PRIOR_AMOUNT and f.paragraph == figure.paragraph and f.sentence == figure.sentence),
            None,
        )

    def _stated_change(self, doc: MatchedDocument, figure):
        """The change amount stated with the same anchor in the same sentence."""
        return next(
            (f for f in doc.figures.values()
             if f.role == CHANGE_AMOUNT and f.anchor_figure_key == figure.anchor_figure_key
             and f.sentence == figure.sentence),
            None,
        ) or next(
            (f for f in doc.figures.values()
             if f.role == CHANGE_AMOUNT and f.anchor_figure_key == figure.anchor_figure_key),
            None,
        )

    # narrative_change_percent_recomputes
    def change_percent(self, doc: MatchedDocument, figure) -> tuple[bool, str, TableFigure | None]:
        anchor = self._anchor(doc, figure)
        if anchor is None:
            return False, "no amount stated before the percentage", None
        current = interval(stated_value(anchor), int(anchor.printed_decimals))
        change = self._stated_change(doc, figure)
        prior = self._stated_prior(doc, figure)
        if change is not None:
            change_range = interval(stated_value(change), int(change.printed_decimals))
            sign = -1 if change.direction == "decrease" else 1

            def percent(a, c):
                base = a - sign * c
                return None if base <= 0 else c / base * HUNDRED

            used = f"this year {anchor.printed_text}, change {change.printed_text}"
            if current[0] - sign * change_range[1] <= 0:
                return False, f"growth from zero is undefined ({used})", None
            found = value_range(percent, current, change_range)
        elif prior is not None:
            prior_range = interval(stated_value(prior), int(prior.printed_decimals))
            if prior_range[0] <= 0:
                return False, f"growth from zero is undefined ({prior.fiscal_year}: {prior.printed_text})", None

            def percent(a, p):
                return None if p <= 0 else abs(a - p) / p * HUNDRED

            found = value_range(percent, current, prior_range)
            if found and current[0] - prior_range[1] <= 0 <= current[1] - prior_range[0]:
                found = (Decimal(0), found[1])
            used = f"this year {anchor.printed_text}, {prior.fiscal_year} {prior.printed_text}"
        else:
            return False, "only the percentage is stated: no change amount or prior-year amount to recompute it from", None
        if found is None:
            return False, f"growth from zero is undefined ({used})", None
        self.direction_from_stated(doc, figure, anchor, prior)
        stated = stated_value(figure)
        low, high = found
        half = half_unit(int(figure.printed_decimals))
        passed = stated + half >= low and stated - half <= high
        expected = f"{rounded(low, int(figure.printed_decimals))}%–{rounded(high, int(figure.printed_decimals))}%"
        if rounded(low, int(figure.printed_decimals)) == rounded(high, int(figure.printed_decimals)):
            expected = f"{rounded(low, int(figure.printed_decimals))}%"
        self.check("change_percent", figure, figure.printed_text, expected,
                   "the stated amounts ± half their last digit", passed, f"recomputed from {used}")
        return True, "", None

    # narrative_share_percent_recomputes
    def share_percent(self, doc: MatchedDocument, figure) -> tuple[bool, str, TableFigure | None]:
        part = self._anchor(doc, figure)
        if part is None or not part.parent_figure_key:
            return False, "the whole it is a share of is not stated (no 其中 before it)", None
        whole = doc.figures[figure_ordinal(part.parent_figure_key)]
        if whole.printed_unit != part.printed_unit:
            return False, "its amount and the whole are printed in different units", None
        found = value_range(
            lambda a, w: None if w <= 0 else a / w * HUNDRED,
            interval(stated_value(part), int(part.printed_decimals)),
            interval(stated_value(whole), int(whole.printed_decimals)),
        )
        if found is None:
            return False, "the whole is zero", None
        stated = stated_value(figure)
        decimals = int(figure.printed_decimals)
        half = half_unit(decimals)
        passed = stated + half >= found[0] and stated - half <= found[1]
        expected = f"{rounded(found[0], decimals)}%" if rounded(found[0], decimals) == rounded(found[1], decimals) \
            else f"{rounded(found[0], decimals)}%–{rounded(found[1], decimals)}%"
        self.check("share_percent", figure, figure.printed_text, expected,
                   "the stated amounts ± half their last digit", passed,
                   f"{part.printed_text} of {whole.printed_text}")
        return True, "", None

    # narrative_change_direction_matches_sign, from amounts the narrative states itself
    def direction_from_stated(self, doc: MatchedDocument, figure, anchor, prior) -> None:
        if prior is None:
            return
        current, previous = stated_value(anchor), stated_value(prior)
        actual = "increase" if current > previous else "decrease" if current < previous else "flat"
        self.check("direction", figure, f"{figure.direction} ({figure.printed_text})", actual, "sign",
                   figure.direction == actual,
                   f"this year {anchor.printed_text}, {prior.fiscal_year} {prior.printed_text} (both as stated)")

    # narrative_change_equals_prior_document and the direction from two documents
    def change_amount(self, doc: MatchedDocument, figure) -> tuple[bool, str, TableFigure | None]:
        anchor = self._anchor(doc, figure)
        if anchor is None:
            return False, "no amount stated before the change", None
        if figure.role == CHANGE_AMOUNT:
            self.change_carried(figure, anchor)
        prior = self._stated_prior(doc, figure)
        if figure.role == NO_CHANGE and prior is not None:
            self.direction_from_stated(doc, figure, anchor, prior)
            return True, "", None
        if figure.compared_basis in ("execution", "final_accounts"):
            basis = "预算执行数" if figure.compared_basis == "execution" else "决算"
            return False, f"compared with {figure.compared_year} {basis}, which no budget document prints: kept as a stated figure", None
        other_id = self.other_year(figure.document_id, figure.compared_year)
        if other_id is None:
            return False, f"no {figure.compared_year} document of this department is loaded: kept as a stated figure", None
        current = doc.match(figure_ordinal(figure.anchor_figure_key))
        if current is None:
            return False, f"its amount is not matched to a table figure ({doc.reason[figure_ordinal(figure.anchor_figure_key)]})", None
        other = self.docs.get(other_id)
        resolver = other.resolver if other else self.resolvers.get(other_id)
        previous, reason = (other or ResolverOnly(resolver)).resolve_like(anchor, doc)
        if previous is None:
            return False, f"the {figure.compared_year} document prints no such figure ({reason})", None
        unit = Decimal(anchor.yuan_per_unit) if figure.role == NO_CHANGE else Decimal(figure.yuan_per_unit)
        decimals = int(anchor.printed_decimals) if figure.role == NO_CHANGE else int(figure.printed_decimals)
        difference = (current.amount_yuan - previous.amount_yuan) / unit
        stated = signed(stated_value(figure), figure.direction)
        digit_yuan = unit * Decimal(10) ** -decimals
        finer = sum(1 for t in (current, previous) if t.precision_yuan < digit_yuan)
        tolerance = half_unit(decimals) * (1 + finer)
        actual = "increase" if difference > tolerance else "decrease" if difference < -tolerance else "flat"
        where = f"{current.where} {current.amount_yuan} yuan; {figure.compared_year}: {previous.where} {previous.amount_yuan} yuan"
        self.check("direction", figure, f"{figure.direction} ({figure.printed_text})", actual, f"± {tolerance}",
                   figure.direction == actual, where)
        if figure.role == CHANGE_AMOUNT:
            self.check("prior_document_change", figure, f"{stated} {figure.printed_unit}",
                       f"{rounded(difference, decimals)} {figure.printed_unit}", f"± {tolerance}",
                       abs(difference - stated) <= tolerance, where)
        return True, "", previous

    # narrative_change_carried_by_amount
    def change_carried(self, figure, anchor) -> None:
        """This year's amount less the stated change is the year compared with: an increase
        larger than the amount (0万元, 比2022年增加1421.25万元) implies a negative budget."""
        unit = Decimal(figure.yuan_per_unit)
        decimals = max(int(figure.printed_decimals), int(anchor.printed_decimals))
        amount = stated_value(anchor) * Decimal(anchor.yuan_per_unit) / unit
        implied = amount - signed(stated_value(figure), figure.direction)
        tolerance = half_unit(int(figure.printed_decimals)) + half_unit(int(anchor.printed_decimals)) * Decimal(
            anchor.yuan_per_unit) / unit
        self.check(
            "change_carried", figure, f"{figure.direction} {figure.printed_text}",
            f"{figure.compared_year or 'the year compared'}: {rounded(implied, decimals)} {figure.printed_unit} ≥ 0",
            f"± {tolerance}", implied >= -tolerance,
            f"this year's {anchor.printed_text} less the stated change",
        )

    # narrative_prior_amount_equals_prior_document
    def prior_amount(self, doc: MatchedDocument, figure) -> tuple[bool, str, TableFigure | None]:
        if figure.compared_basis in ("execution", "final_accounts"):
            basis = "预算执行数" if figure.compared_basis == "execution" else "决算"
            return False, f"quotes {figure.fiscal_year} {basis}, which no budget document prints (used to recompute the stated change)", None
        other_id = self.other_year(figure.document_id, figure.fiscal_year)
        if other_id is None:
            return False, f"no {figure.fiscal_year} document of this department is loaded: kept as a stated figure", None
        other = self.docs.get(other_id)
        previous, reason = (other or ResolverOnly(self.resolvers.get(other_id))).resolve_like(figure, doc)
        if previous is None:
            return False, f"the {figure.fiscal_year} document prints no such figure ({reason})", None
        decimals = int(figure.printed_decimals)
        expected = rounded(in_unit(previous.amount_yuan, figure), decimals)
        self.check("prior_document_amount", figure, figure.printed_text, f"{expected} {figure.printed_unit}",
                   f"rounded half up to {decimals} decimals", stated_value(figure) == expected,
                   previous.where)
        return True, "", previous


def _gx_validate(results: pd.DataFrame, identity_id: str) -> bool:
    """GX Core judges the instances of one narrative identity: `passed` must be true."""
    import great_expectations as gx
    import great_expectations.expectations as gxe
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch = (
        context.data_sources.add_pandas(f"{identity_id}_source")
        .add_dataframe_asset(identity_id)
        .add_batch_definition_whole_dataframe("all_instances")
        .get_batch(batch_parameters={"dataframe": results[["passed"]].astype(bool)})
    )
    return bool(batch.validate(gxe.ExpectColumnValuesToBeInSet(column="passed", value_set=[True])).success)


def evaluate_narrative(conn: duckdb.DuckDBPyConnection, catalogue: NarrativeCatalogue | None = None,
                       great_expectations: bool = True, documents: Iterable[str] | None = None) -> NarrativeEvaluation:
    """Match every narrative figure of the warehouse (or of `documents`, which must hold
    every year of their departments: see narrative_results.narrative_staleness) and
    evaluate every narrative identity."""
    catalogue = catalogue or load_narrative_catalogue()
    evaluation = _Evaluator(conn, catalogue, documents).run()
    for identity in catalogue.identities:
        instances = evaluation.results[evaluation.results["identity_id"] == identity.id]
        evaluation.gx_success[identity.id] = (
            _gx_validate(instances, identity.id) if great_expectations and not instances.empty
            else bool(instances["passed"].all())
        )
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
