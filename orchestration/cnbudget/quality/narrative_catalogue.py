"""The narrative part of the identity catalogue (expectations/identities.yml): the subject
rules that say where each subject's figure is printed (`narrative_subjects`), and the
narrative identities. catalogue.py loads both with the rest of the catalogue; this module
holds what the narrative matching reads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cnbudget.quality.catalogue import Identity

NAMED = "named"  # the subject rule for words that are a name to look up


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
class NarrativeCatalogue:
    subjects: dict[str, SubjectRule]
    identities: tuple[Identity, ...]

    def identity(self, kind: str) -> Identity:
        return next(i for i in self.identities if i.kind == kind)


def read_subjects(section: dict, error: type[Exception]) -> dict[str, SubjectRule]:
    """The `narrative_subjects` section; `error` (CatalogueError) names a rule it cannot read."""
    selector_fields = set(Selector.__dataclass_fields__)
    subjects = {}
    for kind, rule in section.items():
        unknown = set(rule) - {"description_zh", "figures", "unprinted"}
        if unknown:
            raise error(f"narrative subject {kind}: fields {sorted(unknown)} mean nothing to a subject rule")
        figures = []
        for selector in rule.get("figures", []):
            if set(selector) - selector_fields:
                raise error(f"narrative subject {kind}: unknown selector word(s) {sorted(set(selector) - selector_fields)}")
            figures.append(Selector(**selector))
        if not figures and not rule.get("unprinted"):
            raise error(f"narrative subject {kind}: a subject no table prints says so (`unprinted`)")
        subjects[kind] = SubjectRule(kind, rule.get("description_zh", ""), tuple(figures), rule.get("unprinted", ""))
    return subjects
