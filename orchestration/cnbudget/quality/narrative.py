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
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path

import duckdb
import pandas as pd
import yaml

from cnbudget import settings
from cnbudget.extract.narrative import (
    AMOUNT,
    CHANGE_AMOUNT,
    CHANGE_PERCENT,
    FUNCTION_SUBJECT,
    NO_CHANGE,
    OTHER_PERCENT,
    PRIOR_AMOUNT,
    SHARE_PERCENT,
)
from cnbudget.extract.text import compact
from cnbudget.quality.isolation import CheckFailure, checked_alone

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

CATALOGUE_FILE = settings.EXPECTATIONS_DIR / "narrative_identities.yml"
NAMED = "named"  # the subject rule for words that are a name to look up

_NUMBERING = re.compile(r"^(\([一二三四五六七八九十廿]+\)|[一二三四五六七八九十廿]+、|\d+[.、]|\(\d+\))\s*")
_QUOTES = str.maketrans("", "", "“”\"'‘’「」")
_HUNDRED = Decimal(100)


# ── The catalogue ────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Selector:
    """Where one subject's figure is printed (see the vocabulary in the catalogue)."""

    table: str
    part: str | None = None
    label: str | None = None
    column: str | None = None
    total: bool = False
    only_row: bool = False
    sum: bool = False
    code_path: bool = False
    name: str | None = None  # function_class / any
    row: str | None = None  # parent
    when_parent_table: str | None = None
    when_parent_kind: str | None = None


@dataclass(frozen=True)
class SubjectRule:
    kind: str
    description_zh: str
    figures: tuple[Selector, ...]
    unprinted: str


@dataclass(frozen=True)
class NarrativeIdentity:
    id: str
    kind: str
    description_zh: str
    description_en: str
    severity: str
    families: tuple[str, ...]


@dataclass(frozen=True)
class NarrativeCatalogue:
    subjects: dict[str, SubjectRule]
    identities: tuple[NarrativeIdentity, ...]

    def identity(self, kind: str) -> NarrativeIdentity:
        return next(i for i in self.identities if i.kind == kind)


@cache
def load_narrative_catalogue(path: Path = CATALOGUE_FILE) -> NarrativeCatalogue:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    subjects = {
        kind: SubjectRule(
            kind=kind,
            description_zh=rule.get("description_zh", ""),
            figures=tuple(Selector(**s) for s in rule.get("figures", [])),
            unprinted=rule.get("unprinted", ""),
        )
        for kind, rule in data["subjects"].items()
    }
    identities = tuple(
        NarrativeIdentity(
            id=i["id"],
            kind=i["kind"],
            description_zh=i["description_zh"],
            description_en=i["description_en"],
            severity=i.get("severity", "ERROR"),
            families=tuple(i.get("families", [])),
        )
        for i in data["identities"]
    )
    return NarrativeCatalogue(subjects, identities)


# ── Reading the warehouse ────────────────────────────────────────────────────────────

_GRID_SQL = """
select
    cells.document_id,
    cells.table_id,
    cells.table_kind,
    cells.table_label,
    cells.table_title,
    cells.row_index,
    cells.col_index,
    cells.table_id || ':' || cast(cells.row_index as varchar) || ':' || cast(cells.col_index as varchar) as figure_key,
    cells.column_path,
    cells.is_label_column,
    cells.part,
    cells.page,
    cells.printed_text,
    cells.printed_unit,
    cast(tables.yuan_per_unit as varchar) as yuan_per_unit,
    cast(cells.amount_yuan as varchar) as amount_yuan,
    rows.row_code,
    rows.code_kind,
    rows.code_level,
    coalesce(rows.row_label, '') as row_label,
    coalesce(rows.is_total, false) as is_total
from staging.stg_budget__cells as cells
inner join staging.stg_budget__tables as tables using (table_id)
left join staging.stg_budget__rows as rows
    on cells.table_id = rows.table_id and cells.row_index = rows.row_index and cells.part = rows.part
"""


def _documents(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    columns = {r[0] for r in conn.execute("describe marts.dim_document").fetchall()}
    current = "is_current" if "is_current" in columns else "true"
    return conn.execute(
        f"select document_id, department, fiscal_year, kind, {current} as is_current from marts.dim_document"
    ).df()


# ── Exact arithmetic ─────────────────────────────────────────────────────────────────


def _half_unit(decimals: int) -> Decimal:
    return Decimal(5) * Decimal(10) ** -(decimals + 1)


def _rounded(value: Decimal, decimals: int) -> Decimal:
    return value.quantize(Decimal(10) ** -decimals, rounding=ROUND_HALF_UP)


def _to_decimal(text) -> Decimal | None:
    """A DECIMAL read as text (never through float); None for what is not printed."""
    if text is None or not isinstance(text, str):
        return None
    return Decimal(text)


def _stated(figure) -> Decimal:
    """A narrative figure's number at its printed precision (25 stays 25, 1.00 stays 1.00)."""
    return _rounded(Decimal(figure.printed_number), int(figure.printed_decimals))


def _text_decimals(text: str) -> int:
    text = (text or "").replace(",", "").strip()
    return len(text.split(".")[1]) if "." in text else 0


def _name_key(text: str) -> str:
    """A row or subject name as compared: blanks, quotes and leading numbering removed."""
    key = compact(text or "").translate(_QUOTES)
    previous = None
    while previous != key:
        previous, key = key, _NUMBERING.sub("", key)
    return key


# ── Matching a narrative figure to its table figure ──────────────────────────────────


@dataclass
class TableFigure:
    """The table figure a narrative figure names: one printed cell, or a sum of cells."""

    document_id: str
    table_id: str
    table_kind: str
    table_label: str
    row_index: int
    row_label: str
    column_path: str
    figure_keys: list[str]
    printed_texts: list[str]
    page: int
    amount_yuan: Decimal  # a blank cell counts as an exact zero
    precision_yuan: Decimal  # the finest printed digit among its cells, in yuan

    @property
    def where(self) -> str:
        table = self.table_label or self.table_kind
        return f"{table} p{self.page} {self.row_label or '(row ' + str(self.row_index + 1) + ')'} / {self.column_path}"


def _total_rows(cells: pd.DataFrame) -> pd.DataFrame:
    """Grand-total rows: those raw.rows marks as totals; in a table of uncoded rows only
    (三公), which has none, its first unnamed row stands for the whole table."""
    marked = cells[cells["is_total"]]
    if not marked.empty or cells["row_code"].notna().any():
        return marked
    unlabeled = cells[cells["row_label"] == ""]
    return unlabeled[unlabeled["row_index"] == unlabeled["row_index"].min()]


def _code_path_rows(cells: pd.DataFrame, path: list[str]) -> pd.DataFrame:
    """The row of a function subject printed as 类/款/项 names: each name under the one before."""
    coded = cells[(cells["code_kind"] == "function_subject") & cells["row_code"].notna()]
    keys = coded.assign(name=coded["row_label"].map(_name_key))
    prefix = ""
    found = keys.iloc[0:0]
    for level, name in zip(("类", "款", "项"), path):
        found = keys[(keys["code_level"] == level) & (keys["name"] == _name_key(name))]
        found = found[found["row_code"].str.startswith(prefix)]
        codes = found["row_code"].unique()
        if len(codes) != 1:
            return keys.iloc[0:0]
        prefix = codes[0]
    return cells[cells["row_code"] == prefix] if prefix else cells.iloc[0:0]


def _figure_from(cells: pd.DataFrame, selector: Selector) -> TableFigure | None:
    """The figure of the selected rows: their cells in the selected column(s)."""
    amounts = cells[~cells["is_label_column"]]
    if selector.column:
        amounts = amounts[amounts["column_path"].map(lambda path: bool(re.search(selector.column, path)))]
    if amounts.empty:
        return None
    rows = amounts["row_index"].unique()
    if not selector.sum:
        if len(rows) != 1:
            return None
        amounts = amounts[amounts["col_index"] == amounts["col_index"].min()]
    total, precision = Decimal(0), None
    for cell in amounts.itertuples():
        value = _to_decimal(cell.amount_yuan)
        total += value or Decimal(0)
        unit = _to_decimal(cell.yuan_per_unit) or Decimal(1)
        digit = unit * Decimal(10) ** -(_text_decimals(cell.printed_text) if value is not None else 2)
        precision = digit if precision is None else min(precision, digit)
    first = amounts.iloc[0]
    return TableFigure(
        document_id=first.document_id,
        table_id=first.table_id,
        table_kind=first.table_kind,
        table_label=first.table_label or "",
        row_index=int(first.row_index),
        row_label=first.row_label,
        column_path=first.column_path,
        figure_keys=list(amounts["figure_key"]),
        printed_texts=list(amounts["printed_text"]),
        page=int(first.page),
        amount_yuan=total,
        precision_yuan=precision,
    )


class _Resolver:
    """Resolves narrative subjects to table figures within one document."""

    def __init__(self, catalogue: NarrativeCatalogue, grid: pd.DataFrame):
        self.catalogue = catalogue
        self.grid = grid
        self.by_kind = {kind: frame for kind, frame in grid.groupby("table_kind")}

    def resolve(self, figure, parent: TableFigure | None, parent_kind: str) -> tuple[TableFigure | None, str]:
        kind = figure.subject_kind or NAMED
        rule = self.catalogue.subjects.get(kind)
        if rule is None:
            return None, f"subject kind {kind!r} has no entry in narrative_identities.yml"
        tried = []
        for selector in rule.figures:
            if selector.when_parent_table and (parent is None or parent.table_kind != selector.when_parent_table):
                continue
            if selector.when_parent_kind and parent_kind != selector.when_parent_kind:
                continue
            cells = self.by_kind.get(selector.table)
            if cells is None:
                tried.append(selector.table)
                continue
            rows = self._rows(cells, selector, figure, parent)
            if rows is None or rows.empty:
                tried.append(selector.table)
                continue
            found = _figure_from(rows, selector)
            if found is not None:
                return found, ""
            tried.append(selector.table)
        if rule.unprinted and not any(k in self.by_kind for k in {s.table for s in rule.figures}):
            return None, rule.unprinted
        if rule.unprinted and not rule.figures:
            return None, rule.unprinted
        if kind == NAMED:
            return None, f"no row of the function-subject, economic-class or project tables is named {figure.subject!r}"
        if kind == FUNCTION_SUBJECT:
            return None, f"no function-subject row follows the path {' / '.join(figure.subject_path)}"
        if rule.unprinted:
            return None, rule.unprinted
        return None, f"{rule.description_zh}: not found in this document ({', '.join(dict.fromkeys(tried)) or 'no table'})"

    def _rows(self, cells: pd.DataFrame, selector: Selector, figure, parent: TableFigure | None) -> pd.DataFrame | None:
        if selector.part:
            cells = cells[cells["part"].map(lambda part: bool(re.search(selector.part, part)))]
        if selector.row == "parent":
            if parent is None:
                return None
            return cells[(cells["table_id"] == parent.table_id) & (cells["row_index"] == parent.row_index)]
        if selector.total:
            parts = [_total_rows(table) for _, table in cells.groupby(["table_id", "part"])]
            cells = pd.concat(parts) if parts else cells.iloc[0:0]
        if selector.only_row:
            if cells["row_index"].nunique() != 1:
                return None
        if selector.label:
            cells = cells[cells["row_label"].map(lambda label: bool(re.search(selector.label, _name_key(label))))]
        if selector.code_path:
            cells = _code_path_rows(cells, list(figure.subject_path))
        if selector.name:
            wanted = _name_key(figure.subject)
            names = cells["row_label"].map(_name_key)
            cells = cells[names == wanted]
            if selector.name == "function_class":
                cells = cells[(cells["code_kind"] == "function_subject") & (cells["code_level"] == "类")]
        return cells


# ── Evaluation ───────────────────────────────────────────────────────────────────────


@dataclass
class NarrativeEvaluation:
    matches: pd.DataFrame  # one row per narrative figure
    results: pd.DataFrame  # one row per check instance
    gx_success: dict[str, bool] = field(default_factory=dict)  # identity id -> GX verdict
    unchecked: list[CheckFailure] = field(default_factory=list)  # documents cnbudget failed to check

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


_MATCH_COLUMNS = [
    "document_id", "ordinal", "narrative_figure_key", "page", "sentence", "printed_text", "role", "subject",
    "subject_kind", "matched", "reason", "table_id", "table_label", "row_label", "column_path", "figure_keys",
    "table_printed_text", "table_amount_yuan", "table_page",
]
_RESULT_COLUMNS = [
    "identity_id", "document_id", "ordinal", "narrative_figure_key", "page", "sentence", "printed_text", "subject",
    "stated", "expected", "tolerance", "passed", "detail",
]


class _Document:
    """One document's narrative figures, matched."""

    def __init__(self, document_id: str, figures: pd.DataFrame, resolver: _Resolver):
        self.document_id = document_id
        self.figures = {int(f.ordinal): f for f in figures.itertuples()}
        self.resolver = resolver
        self.table_figure: dict[int, TableFigure | None] = {}
        self.reason: dict[int, str] = {}
        for ordinal, figure in self.figures.items():
            if figure.role == AMOUNT:
                self.match(ordinal)

    def match(self, ordinal: int) -> TableFigure | None:
        if ordinal in self.table_figure:
            return self.table_figure[ordinal]
        figure = self.figures[ordinal]
        if figure.qualifier == "threshold":
            self.table_figure[ordinal], self.reason[ordinal] = None, "a threshold (以上 / 以下), not a budget figure"
            return None
        parent, parent_kind = None, ""
        if figure.parent_figure_key:
            parent_ordinal = _ordinal(figure.parent_figure_key)
            parent = self.match(parent_ordinal)
            parent_kind = self.figures[parent_ordinal].subject_kind
        found, reason = self.resolver.resolve(figure, parent, parent_kind)
        self.table_figure[ordinal], self.reason[ordinal] = found, reason
        return found

    def resolve_like(self, figure, other: _Document) -> tuple[TableFigure | None, str]:
        """The figure this document prints for the subject of a figure of another document
        (last year's figure of the same subject)."""
        parent, parent_kind = None, ""
        if figure.parent_figure_key:
            source_parent = other.figures[_ordinal(figure.parent_figure_key)]
            parent, _ = self.resolve_like(source_parent, other)
            parent_kind = source_parent.subject_kind
        return self.resolver.resolve(figure, parent, parent_kind)


def _ordinal(key: str) -> int:
    return int(key.rsplit(":n", 1)[1])


def _signed(value: Decimal, direction: str) -> Decimal:
    return -value if direction == "decrease" else (Decimal(0) if direction == "flat" else value)


def _in_unit(yuan: Decimal, figure) -> Decimal:
    return yuan / Decimal(figure.yuan_per_unit)


def _range(function, *intervals):
    """min and max of a function monotonic in each argument over the corners of the intervals."""
    values = []

    def corners(index, chosen):
        if index == len(intervals):
            value = function(*chosen)
            if value is not None:
                values.append(value)
            return
        low, high = intervals[index]
        for v in (low, high):
            corners(index + 1, chosen + [v])

    corners(0, [])
    return (min(values), max(values)) if values else None


def _interval(value: Decimal, decimals: int) -> tuple[Decimal, Decimal]:
    half = _half_unit(decimals)
    return value - half, value + half


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
            grid = conn.execute(f"{_GRID_SQL} where cells.{judged}").df()
        finally:
            conn.unregister("judged_documents")
        facts = facts.astype(object).where(facts.notna(), None)  # None, not NaN, for what is not printed
        self.documents = _documents(conn)
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
            matched = self.alone(doc, lambda: _Document(doc, frame, _Resolver(catalogue, grids.get(doc, empty))))  # noqa: B023
            if matched is not None:
                self.docs[doc] = matched
        self.resolvers = {doc: _Resolver(catalogue, frame) for doc, frame in grids.items()}
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
        matches = pd.DataFrame(self.matches, columns=_MATCH_COLUMNS)
        results = pd.DataFrame(self.results, columns=_RESULT_COLUMNS)
        results["passed"] = results["passed"].astype(bool)
        return NarrativeEvaluation(matches, results, unchecked=self.unchecked)

    def evaluate_document(self, doc: _Document) -> bool:
        for figure in doc.figures.values():
            matched, reason, table = self.evaluate(doc, figure)
            self.matches.append(_match_row(figure, matched, reason, table))
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

    def evaluate(self, doc: _Document, figure) -> tuple[bool, str, TableFigure | None]:
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
    def amount(self, doc: _Document, figure) -> tuple[bool, str, TableFigure | None]:
        table = doc.match(int(figure.ordinal))
        if table is None:
            return False, doc.reason[int(figure.ordinal)], None
        stated = _stated(figure)
        decimals = int(figure.printed_decimals)
        expected = _rounded(_in_unit(table.amount_yuan, figure), decimals)
        self.check(
            "amount", figure, figure.printed_text, f"{expected} {figure.printed_unit}",
            f"rounded half up to {decimals} decimals", stated == expected,
            f"{table.where}: printed {', '.join(t or '(blank)' for t in table.printed_texts)}",
        )
        return True, "", table

    def _anchor(self, doc: _Document, figure):
        if not figure.anchor_figure_key:
            return None
        return doc.figures.get(_ordinal(figure.anchor_figure_key))

    def _stated_prior(self, doc: _Document, figure):
        """A prior-year amount stated in the same sentence as the figure."""
        return next(
            (f for f in doc.figures.values()
             if f.role == PRIOR_AMOUNT and f.paragraph == figure.paragraph and f.sentence == figure.sentence),
            None,
        )

    def _stated_change(self, doc: _Document, figure):
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
    def change_percent(self, doc: _Document, figure) -> tuple[bool, str, TableFigure | None]:
        anchor = self._anchor(doc, figure)
        if anchor is None:
            return False, "no amount stated before the percentage", None
        current = _interval(_stated(anchor), int(anchor.printed_decimals))
        change = self._stated_change(doc, figure)
        prior = self._stated_prior(doc, figure)
        if change is not None:
            change_range = _interval(_stated(change), int(change.printed_decimals))
            sign = -1 if change.direction == "decrease" else 1

            def percent(a, c):
                base = a - sign * c
                return None if base <= 0 else c / base * _HUNDRED

            used = f"this year {anchor.printed_text}, change {change.printed_text}"
            if current[0] - sign * change_range[1] <= 0:
                return False, f"growth from zero is undefined ({used})", None
            found = _range(percent, current, change_range)
        elif prior is not None:
            prior_range = _interval(_stated(prior), int(prior.printed_decimals))
            if prior_range[0] <= 0:
                return False, f"growth from zero is undefined ({prior.fiscal_year}: {prior.printed_text})", None

            def percent(a, p):
                return None if p <= 0 else abs(a - p) / p * _HUNDRED

            found = _range(percent, current, prior_range)
            if found and current[0] - prior_range[1] <= 0 <= current[1] - prior_range[0]:
                found = (Decimal(0), found[1])
            used = f"this year {anchor.printed_text}, {prior.fiscal_year} {prior.printed_text}"
        else:
            return False, "only the percentage is stated: no change amount or prior-year amount to recompute it from", None
        if found is None:
            return False, f"growth from zero is undefined ({used})", None
        self.direction_from_stated(doc, figure, anchor, prior)
        stated = _stated(figure)
        low, high = found
        half = _half_unit(int(figure.printed_decimals))
        passed = stated + half >= low and stated - half <= high
        expected = f"{_rounded(low, int(figure.printed_decimals))}%–{_rounded(high, int(figure.printed_decimals))}%"
        if _rounded(low, int(figure.printed_decimals)) == _rounded(high, int(figure.printed_decimals)):
            expected = f"{_rounded(low, int(figure.printed_decimals))}%"
        self.check("change_percent", figure, figure.printed_text, expected,
                   "the stated amounts ± half their last digit", passed, f"recomputed from {used}")
        return True, "", None

    # narrative_share_percent_recomputes
    def share_percent(self, doc: _Document, figure) -> tuple[bool, str, TableFigure | None]:
        part = self._anchor(doc, figure)
        if part is None or not part.parent_figure_key:
            return False, "the whole it is a share of is not stated (no 其中 before it)", None
        whole = doc.figures[_ordinal(part.parent_figure_key)]
        if whole.printed_unit != part.printed_unit:
            return False, "its amount and the whole are printed in different units", None
        found = _range(
            lambda a, w: None if w <= 0 else a / w * _HUNDRED,
            _interval(_stated(part), int(part.printed_decimals)),
            _interval(_stated(whole), int(whole.printed_decimals)),
        )
        if found is None:
            return False, "the whole is zero", None
        stated = _stated(figure)
        decimals = int(figure.printed_decimals)
        half = _half_unit(decimals)
        passed = stated + half >= found[0] and stated - half <= found[1]
        expected = f"{_rounded(found[0], decimals)}%" if _rounded(found[0], decimals) == _rounded(found[1], decimals) \
            else f"{_rounded(found[0], decimals)}%–{_rounded(found[1], decimals)}%"
        self.check("share_percent", figure, figure.printed_text, expected,
                   "the stated amounts ± half their last digit", passed,
                   f"{part.printed_text} of {whole.printed_text}")
        return True, "", None

    # narrative_change_direction_matches_sign, from amounts the narrative states itself
    def direction_from_stated(self, doc: _Document, figure, anchor, prior) -> None:
        if prior is None:
            return
        current, previous = _stated(anchor), _stated(prior)
        actual = "increase" if current > previous else "decrease" if current < previous else "flat"
        self.check("direction", figure, f"{figure.direction} ({figure.printed_text})", actual, "sign",
                   figure.direction == actual,
                   f"this year {anchor.printed_text}, {prior.fiscal_year} {prior.printed_text} (both as stated)")

    # narrative_change_equals_prior_document and the direction from two documents
    def change_amount(self, doc: _Document, figure) -> tuple[bool, str, TableFigure | None]:
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
        current = doc.match(_ordinal(figure.anchor_figure_key))
        if current is None:
            return False, f"its amount is not matched to a table figure ({doc.reason[_ordinal(figure.anchor_figure_key)]})", None
        other = self.docs.get(other_id)
        resolver = other.resolver if other else self.resolvers.get(other_id)
        previous, reason = (other or _Stub(resolver)).resolve_like(anchor, doc)
        if previous is None:
            return False, f"the {figure.compared_year} document prints no such figure ({reason})", None
        unit = Decimal(anchor.yuan_per_unit) if figure.role == NO_CHANGE else Decimal(figure.yuan_per_unit)
        decimals = int(anchor.printed_decimals) if figure.role == NO_CHANGE else int(figure.printed_decimals)
        difference = (current.amount_yuan - previous.amount_yuan) / unit
        stated = _signed(_stated(figure), figure.direction)
        digit_yuan = unit * Decimal(10) ** -decimals
        finer = sum(1 for t in (current, previous) if t.precision_yuan < digit_yuan)
        tolerance = _half_unit(decimals) * (1 + finer)
        actual = "increase" if difference > tolerance else "decrease" if difference < -tolerance else "flat"
        where = f"{current.where} {current.amount_yuan} yuan; {figure.compared_year}: {previous.where} {previous.amount_yuan} yuan"
        self.check("direction", figure, f"{figure.direction} ({figure.printed_text})", actual, f"± {tolerance}",
                   figure.direction == actual, where)
        if figure.role == CHANGE_AMOUNT:
            self.check("prior_document_change", figure, f"{stated} {figure.printed_unit}",
                       f"{_rounded(difference, decimals)} {figure.printed_unit}", f"± {tolerance}",
                       abs(difference - stated) <= tolerance, where)
        return True, "", previous

    # narrative_change_carried_by_amount
    def change_carried(self, figure, anchor) -> None:
        """This year's amount less the stated change is the year compared with: an increase
        larger than the amount (0万元, 比2022年增加1421.25万元) implies a negative budget."""
        unit = Decimal(figure.yuan_per_unit)
        decimals = max(int(figure.printed_decimals), int(anchor.printed_decimals))
        amount = _stated(anchor) * Decimal(anchor.yuan_per_unit) / unit
        implied = amount - _signed(_stated(figure), figure.direction)
        tolerance = _half_unit(int(figure.printed_decimals)) + _half_unit(int(anchor.printed_decimals)) * Decimal(
            anchor.yuan_per_unit) / unit
        self.check(
            "change_carried", figure, f"{figure.direction} {figure.printed_text}",
            f"{figure.compared_year or 'the year compared'}: {_rounded(implied, decimals)} {figure.printed_unit} ≥ 0",
            f"± {tolerance}", implied >= -tolerance,
            f"this year's {anchor.printed_text} less the stated change",
        )

    # narrative_prior_amount_equals_prior_document
    def prior_amount(self, doc: _Document, figure) -> tuple[bool, str, TableFigure | None]:
        if figure.compared_basis in ("execution", "final_accounts"):
            basis = "预算执行数" if figure.compared_basis == "execution" else "决算"
            return False, f"quotes {figure.fiscal_year} {basis}, which no budget document prints (used to recompute the stated change)", None
        other_id = self.other_year(figure.document_id, figure.fiscal_year)
        if other_id is None:
            return False, f"no {figure.fiscal_year} document of this department is loaded: kept as a stated figure", None
        other = self.docs.get(other_id)
        previous, reason = (other or _Stub(self.resolvers.get(other_id))).resolve_like(figure, doc)
        if previous is None:
            return False, f"the {figure.fiscal_year} document prints no such figure ({reason})", None
        decimals = int(figure.printed_decimals)
        expected = _rounded(_in_unit(previous.amount_yuan, figure), decimals)
        self.check("prior_document_amount", figure, figure.printed_text, f"{expected} {figure.printed_unit}",
                   f"rounded half up to {decimals} decimals", _stated(figure) == expected,
                   previous.where)
        return True, "", previous


class _Stub:
    """A loaded document without narrative figures of its own: its tables only."""

    def __init__(self, resolver: _Resolver | None):
        self.resolver = resolver

    def resolve_like(self, figure, other: _Document) -> tuple[TableFigure | None, str]:
        if self.resolver is None:
            return None, "it prints no tables"
        parent, parent_kind = None, ""
        if figure.parent_figure_key:
            source_parent = other.figures[_ordinal(figure.parent_figure_key)]
            parent, _ = self.resolve_like(source_parent, other)
            parent_kind = source_parent.subject_kind
        return self.resolver.resolve(figure, parent, parent_kind)


def _match_row(figure, matched: bool, reason: str, table: TableFigure | None) -> dict:
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
