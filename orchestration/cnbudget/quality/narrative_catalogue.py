"""The narrative checks' catalogue (expectations/narrative_identities.yml): the subject
rules that say where each subject's figure is printed, and the narrative identities."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from cnbudget import settings

CATALOGUE_FILE = settings.EXPECTATIONS_DIR / "narrative_identities.yml"
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


