"""How each narrative identity (the narrative identities of expectations/identities.yml) is checked on one matched figure."""

from __future__ import annotations

from decimal import Decimal

from cnbudget.extract.narrative import (
    AMOUNT,
    CHANGE_AMOUNT,
    CHANGE_PERCENT,
    COMPLETION_PERCENT,
    NO_CHANGE,
    OTHER_PERCENT,
    PRIOR_AMOUNT,
    SHARE_PERCENT,
)
from cnbudget.quality.narrative_arithmetic import (
    HUNDRED,
    half_unit,
    in_unit,
    interval,
    rounded,
    signed,
    stated_value,
    value_range,
)
from cnbudget.quality.narrative_matching import MatchedDocument, ResolverOnly, TableFigure, figure_ordinal


class NarrativeIdentityChecks:
    """The checks of a figure by its role. The evaluator that uses them provides `check`
    (records one instance), `other_year`, `docs` and `resolvers`."""

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
        if role == COMPLETION_PERCENT:
            return self.completion_percent(doc, figure)
        if role == OTHER_PERCENT:
            return False, "a percentage that is neither a change, a share nor a completion", None
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
        if not self.percent_of(figure, "share_percent", part, whole, f"{part.printed_text} of {whole.printed_text}"):
            return False, "the whole is zero", None
        return True, "", None

    # narrative_completion_percent_recomputes
    def completion_percent(self, doc: MatchedDocument, figure) -> tuple[bool, str, TableFigure | None]:
        final = self._anchor(doc, figure)
        if final is None:
            return False, "no final amount stated before the completion percentage", None
        if not figure.parent_figure_key:
            return False, "its sentence states no budget amount it is a percentage of (only the final amount)", None
        budget = doc.figures[figure_ordinal(figure.parent_figure_key)]
        if budget.printed_unit != final.printed_unit:
            return False, "its final amount and the budget are printed in different units", None
        if stated_value(budget) == 0:
            return False, f"the budget is zero ({budget.printed_text}): no completion to recompute", None
        self.percent_of(figure, "completion_percent", final, budget,
                        f"{final.printed_text} of the budget {budget.printed_text}")
        return True, "", None

    def percent_of(self, figure, kind: str, part, whole, detail: str) -> bool:
        """Record the check that `figure` is part / whole × 100: it passes when it lies within
        half a unit of its last digit of the range the two stated amounts allow."""
        found = value_range(
            lambda a, w: None if w <= 0 else a / w * HUNDRED,
            interval(stated_value(part), int(part.printed_decimals)),
            interval(stated_value(whole), int(whole.printed_decimals)),
        )
        if found is None:
            return False
        stated = stated_value(figure)
        decimals = int(figure.printed_decimals)
        half = half_unit(decimals)
        passed = stated + half >= found[0] and stated - half <= found[1]
        expected = f"{rounded(found[0], decimals)}%" if rounded(found[0], decimals) == rounded(found[1], decimals) \
            else f"{rounded(found[0], decimals)}%–{rounded(found[1], decimals)}%"
        self.check(kind, figure, figure.printed_text, expected, "the stated amounts ± half their last digit",
                   passed, detail)
        return True

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
