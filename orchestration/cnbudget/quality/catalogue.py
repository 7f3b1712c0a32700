"""The identity catalogue (expectations/identities.yml), read into typed objects.

The YAML is the single place where identities are defined, those of the tables and
those of the narrative alike, in one format; this module is its one loader. It only
checks that the catalogue says something the evaluators understand, and refuses it with
the entry's id and the offending field otherwise.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from decimal import Decimal
from fnmatch import fnmatchcase
from pathlib import Path

import yaml

from cnbudget import settings
from cnbudget.extract.catalog import BUDGET, phase_of_kind
from cnbudget.quality.narrative_catalogue import NarrativeCatalogue, SubjectRule, read_subjects

CATALOGUE_FILE = settings.EXPECTATIONS_DIR / "identities.yml"

TABLE_KINDS = ("row", "hierarchy", "total_row", "total_of_lines", "summary_lines", "match", "code_parent",
               "empty_note", "carry_over")
# judged on what the narrative states, by quality/narrative_identities.py
NARRATIVE_KINDS = ("amount", "change_percent", "share_percent", "completion_percent", "direction", "change_carried",
                   "prior_document_change", "prior_document_amount")
KINDS = TABLE_KINDS + NARRATIVE_KINDS
SEVERITIES = ("ERROR", "WARN")
COMPARISONS = ("equal", "at_least")
TOLERANCES = ("per_printed_addend", "coarser_unit")
NARRATIVE_TOLERANCE = "printed_precision"  # the narrative's rounding rule
FAMILIES = ("seed", "corpus", "national")
SUMMARY_RELATIONS = ("sub_lines", "current_year_total", "grand_total")
LINE_ROLES = ("grand_total", "current_year_total", "items")
ROW_KEYS = ("code", "name", "none")
# Dagster check names allow only these characters, and each identity is one check.
_ID = re.compile(r"^[a-z][a-z0-9_]*$")


class CatalogueError(ValueError):
    """The catalogue says something the evaluator does not understand."""


@dataclass(frozen=True)
class ColumnSelector:
    """Header path globs, alternatives in order (see the catalogue's vocabulary)."""

    alternatives: tuple[str, ...]

    def matches(self, pattern: str, path: str) -> bool:
        parts = path.split("/")
        return any(fnmatchcase("/".join(parts[i:]), pattern) for i in range(len(parts)))

    def __str__(self) -> str:
        return " | ".join(self.alternatives)


@dataclass(frozen=True)
class RowSelector:
    total: bool = False
    level: str | None = None
    coded: bool = False
    code: str | None = None
    only_row: bool = False
    part: str | None = None  # regex on the side-by-side half's header
    line: str | None = None  # a summary line role
    label: str | None = None  # regex on the printed name

    def __str__(self) -> str:
        if self.code is not None:
            return self.code
        if self.total:
            return "合计"
        shown = {k: v for k, v in self.__dict__.items() if v not in (None, False)}
        return ", ".join(f"{k}={v}" for k, v in shown.items())


@dataclass(frozen=True)
class Side:
    rows: RowSelector
    column: ColumnSelector
    key: str  # code | name | none


@dataclass(frozen=True)
class Pair:
    left: Side
    right: Side


@dataclass(frozen=True)
class ZeroCondition:
    table: str
    required: bool
    rows: RowSelector
    columns: ColumnSelector  # every matching column, not alternatives


@dataclass(frozen=True)
class Precondition:
    name: str
    description_zh: str
    description_en: str
    zero: tuple[ZeroCondition, ...]


@dataclass(frozen=True)
class Identity:
    id: str
    kind: str
    description_zh: str
    description_en: str
    severity: str
    families: tuple[str, ...]
    tolerance: str
    comparison: str = "equal"
    phase: str | None = BUDGET  # of the documents it is evaluated on (their tables' kinds say); narrative: None
    tables: tuple[str, ...] = ()  # row, hierarchy, total_row, summary_lines
    # row
    total: ColumnSelector | None = None
    addends: tuple[ColumnSelector, ...] = ()
    optional_addends: tuple[ColumnSelector, ...] = ()
    # carry_over: total is the closing balance, addends the opening one and the inflows
    subtrahends: tuple[ColumnSelector, ...] = ()  # the outflows
    # hierarchy
    code_kind: str | None = None
    parent_level: str | None = None
    child_level: str | None = None
    grouping: str | None = None
    # summary_lines
    relation: str | None = None
    # match
    table_pairs: tuple[tuple[str, str], ...] = ()
    pairs: tuple[Pair, ...] = ()
    missing: str = "zero"
    precondition: str | None = None
    # empty_note: per table kind, what its note must not name (another fund's table)
    must_not_name: tuple[tuple[str, re.Pattern], ...] = ()


@dataclass(frozen=True)
class SummaryLineGrammar:
    parts: dict[str, re.Pattern]
    numbering: tuple[re.Pattern, ...]  # outline levels from the top: 一、 (一) 1. (1)
    of_which: re.Pattern  # 其中： lines restate part of the line above, never add to it
    grand_total: re.Pattern
    current_year_total: re.Pattern
    carry_over: re.Pattern


@dataclass(frozen=True)
class Catalogue:
    identities: tuple[Identity, ...]
    half_unit: dict[str, Decimal]  # printed unit -> half a unit of its last printed digit
    code_levels: dict[str, tuple[str, ...]]
    summary_lines: SummaryLineGrammar
    preconditions: dict[str, Precondition]
    narrative_subjects: dict[str, SubjectRule] = field(default_factory=dict)
    sha256: str = field(default="")  # of the YAML text: results name the catalogue they came from

    def identity(self, identity_id: str) -> Identity:
        return next(i for i in self.identities if i.id == identity_id)

    @property
    def table_identities(self) -> tuple[Identity, ...]:
        """Judged on the printed tables (evaluate.py)."""
        return tuple(i for i in self.identities if i.kind in TABLE_KINDS)

    @property
    def narrative(self) -> NarrativeCatalogue:
        """What the narrative checks read: the subject rules and the narrative identities."""
        return NarrativeCatalogue(self.narrative_subjects, tuple(i for i in self.identities if i.kind in NARRATIVE_KINDS))


def _columns(value, where: str) -> ColumnSelector:
    alternatives = [value] if isinstance(value, str) else value
    if not alternatives or not all(isinstance(a, str) and a for a in alternatives):
        raise CatalogueError(f"{where}: a column is a header glob or a list of them, got {value!r}")
    return ColumnSelector(tuple(alternatives))


def _rows(value, where: str) -> RowSelector:
    if not isinstance(value, dict) or not value:
        raise CatalogueError(f"{where}: rows must be a mapping, got {value!r}")
    unknown = set(value) - set(RowSelector.__dataclass_fields__)
    if unknown:
        raise CatalogueError(f"{where}: unknown row selector(s) {sorted(unknown)}")
    if value.get("line") is not None and value["line"] not in LINE_ROLES:
        raise CatalogueError(f"{where}: line must be one of {LINE_ROLES}, got {value['line']!r}")
    for regex in ("part", "label"):
        if value.get(regex) is not None:
            re.compile(value[regex])
    return RowSelector(**{k: (str(v) if k == "code" else v) for k, v in value.items()})


def _side(value, where: str) -> Side:
    rows = _rows(value.get("rows"), where)
    key = value.get("key", "none")
    if key not in ROW_KEYS:
        raise CatalogueError(f"{where}: key must be one of {ROW_KEYS}, got {key!r}")
    return Side(rows, _columns(value.get("column"), where), key)


def _require(entry: dict, name: str, where: str, allowed=None):
    if name not in entry:
        raise CatalogueError(f"{where}: missing {name}")
    value = entry[name]
    if allowed is not None and value not in allowed:
        raise CatalogueError(f"{where}: {name} must be one of {allowed}, got {value!r}")
    return value


_COMMON = {"id", "kind", "description_zh", "description_en", "severity", "families", "tolerance", "comparison"}
_FIELDS_BY_KIND = {
    "row": {"tables", "total", "addends", "optional_addends"},
    "hierarchy": {"tables", "code_kind", "parent_level", "child_level", "grouping"},
    "total_row": {"tables"},
    "total_of_lines": {"tables"},
    "summary_lines": {"tables", "relation"},
    "match": {"tables", "pairs", "missing", "precondition"},
    "code_parent": {"tables"},
    "empty_note": {"tables", "must_not_name"},
    "carry_over": {"tables", "closing", "opening", "inflows", "outflows"},
    **{kind: set() for kind in NARRATIVE_KINDS},
}


def _phase(tables: list, where: str) -> str:
    """The document phase an identity's tables belong to: a 决算 identity is never
    evaluated on a budget (not even as not applicable), nor a budget's on a 决算."""
    kinds = [k for t in tables for k in (t if isinstance(t, list) else [t])]
    phases = {phase_of_kind(str(k)) for k in kinds}
    if len(phases) > 1:
        raise CatalogueError(f"{where}: its tables mix the budget and the 决算 kinds")
    return phases.pop() if phases else BUDGET


def _identity(entry: dict, preconditions: dict, code_levels: dict) -> Identity:
    where = f"identity {entry.get('id', '?')}"
    identity_id = _require(entry, "id", where)
    if not _ID.match(str(identity_id)):
        raise CatalogueError(f"{where}: an id is lower snake_case (it names a Dagster check)")
    kind = _require(entry, "kind", where, KINDS)
    unknown = set(entry) - _COMMON - _FIELDS_BY_KIND[kind]
    if unknown:
        raise CatalogueError(f"{where}: fields {sorted(unknown)} mean nothing to a {kind} identity")
    families = tuple(_require(entry, "families", where))
    if not families or set(families) - set(FAMILIES):
        raise CatalogueError(f"{where}: families must be a non-empty subset of {FAMILIES}")
    common = dict(
        id=identity_id,
        kind=kind,
        description_zh=_require(entry, "description_zh", where),
        description_en=_require(entry, "description_en", where),
        severity=_require(entry, "severity", where, SEVERITIES),
        families=families,
        comparison=entry.get("comparison", "equal"),
    )
    if common["comparison"] not in COMPARISONS:
        raise CatalogueError(f"{where}: comparison must be one of {COMPARISONS}")
    if kind in NARRATIVE_KINDS:  # judged on a narrative figure, of any phase's narrative
        return Identity(**common, tolerance=_require(entry, "tolerance", where, (NARRATIVE_TOLERANCE,)), phase=None)
    common["tolerance"] = _require(entry, "tolerance", where, TOLERANCES)
    tables = _require(entry, "tables", where)
    common["phase"] = _phase(tables, where)
    if kind == "match":
        if not all(isinstance(p, list) and len(p) == 2 for p in tables):
            raise CatalogueError(f"{where}: a match relates pairs of table kinds: [[left, right], …]")
        pairs = tuple(
            Pair(_side(p.get("left", {}), f"{where} pair {n} left"), _side(p.get("right", {}), f"{where} pair {n} right"))
            for n, p in enumerate(_require(entry, "pairs", where), 1)
        )
        precondition = entry.get("precondition")
        if precondition is not None and precondition not in preconditions:
            raise CatalogueError(f"{where}: unknown precondition {precondition!r}")
        missing = entry.get("missing", "zero")
        if missing not in ("zero", "not_applicable"):
            raise CatalogueError(f"{where}: missing must be zero or not_applicable, got {missing!r}")
        return Identity(
            **common,
            table_pairs=tuple((str(a), str(b)) for a, b in tables),
            pairs=pairs,
            missing=missing,
            precondition=precondition,
        )
    common["tables"] = tuple(tables)
    if kind == "row":
        return Identity(
            **common,
            total=_columns(_require(entry, "total", where), where),
            addends=tuple(_columns(a, where) for a in _require(entry, "addends", where)),
            optional_addends=tuple(_columns(a, where) for a in entry.get("optional_addends", [])),
        )
    if kind == "carry_over":
        return Identity(
            **common,
            total=_columns(_require(entry, "closing", where), where),
            addends=(_columns(_require(entry, "opening", where), where),)
            + tuple(_columns(a, where) for a in _require(entry, "inflows", where)),
            subtrahends=tuple(_columns(a, where) for a in _require(entry, "outflows", where)),
        )
    if kind == "hierarchy":
        code_kind = _require(entry, "code_kind", where, tuple(code_levels))
        levels = code_levels[code_kind]
        parent = _require(entry, "parent_level", where, levels)
        child = _require(entry, "child_level", where, levels)
        if levels.index(child) != levels.index(parent) + 1:
            raise CatalogueError(f"{where}: {child} is not the level right below {parent}")
        return Identity(
            **common,
            code_kind=code_kind,
            parent_level=parent,
            child_level=child,
            grouping=_require(entry, "grouping", where, ("code_prefix", "row_order")),
        )
    if kind == "summary_lines":
        return Identity(**common, relation=_require(entry, "relation", where, SUMMARY_RELATIONS))
    if kind == "empty_note":
        names = _require(entry, "must_not_name", where)
        if set(names) != set(tables):
            raise CatalogueError(f"{where}: must_not_name says what each of its tables' notes must not name")
        return Identity(**common, must_not_name=tuple((k, re.compile(v)) for k, v in names.items()))
    return Identity(**common)


def load_catalogue(path: Path = CATALOGUE_FILE) -> Catalogue:
    text = path.read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    code_levels = {kind: tuple(levels) for kind, levels in data["code_levels"].items()}
    preconditions = {
        name: Precondition(
            name=name,
            description_zh=spec["description_zh"],
            description_en=spec["description_en"],
            zero=tuple(
                ZeroCondition(
                    table=z["table"],
                    required=bool(z.get("required", False)),
                    rows=_rows(z["rows"], f"precondition {name}"),
                    columns=_columns(z["columns"], f"precondition {name}"),
                )
                for z in spec["zero"]
            ),
        )
        for name, spec in data.get("preconditions", {}).items()
    }
    identities = tuple(_identity(entry, preconditions, code_levels) for entry in data["identities"])
    seen = set()
    for identity in identities:
        if identity.id in seen:
            raise CatalogueError(f"identity {identity.id} is defined twice")
        seen.add(identity.id)
    grammar = data["summary_lines"]
    return Catalogue(
        identities=identities,
        half_unit={unit: Decimal(str(v)) for unit, v in data["half_unit"].items()},
        code_levels=code_levels,
        summary_lines=SummaryLineGrammar(
            parts={name: re.compile(p) for name, p in grammar["parts"].items()},
            numbering=tuple(re.compile(p) for p in grammar["numbering"]),
            of_which=re.compile(grammar["of_which"]),
            grand_total=re.compile(grammar["grand_total"]),
            current_year_total=re.compile(grammar["current_year_total"]),
            carry_over=re.compile(grammar["carry_over"]),
        ),
        preconditions=preconditions,
        narrative_subjects=read_subjects(data.get("narrative_subjects", {}), CatalogueError),
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )
