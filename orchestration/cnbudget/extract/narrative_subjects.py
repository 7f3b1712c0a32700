"""What a narrative figure is the figure of: its subject words cleaned and classified (narrative_subjects.yaml)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from cnbudget.extract.narrative_text import OUTLINE, YEAR
from cnbudget.extract.text import compact

_SUBJECTS_FILE = Path(__file__).with_name("narrative_subjects.yaml")

FUNCTION_SUBJECT = "function_subject"  # subject kind of a printed 类/款/项 path
# Words around a subject that do not name it.
_FILLER_TAIL = re.compile(r"(预算数|预算安排|预算为|安排|共计|合计|总额|共|约|达|为|是|的)+$")
_FILLER_HEAD = re.compile(r"^(其中|包括|含|\(|本部门|本单位|全年|当年)+")
_FUNCTION_LEVEL = re.compile(r"\((类|款|项)\)")
_QUOTES = "“”\"'‘’「」"


@dataclass(frozen=True)
class _Subject:
    kind: str
    patterns: tuple[re.Pattern, ...]
    under: tuple[str, ...]


@cache
def _subjects() -> tuple[_Subject, ...]:
    data = yaml.safe_load(_SUBJECTS_FILE.read_text(encoding="utf-8"))
    return tuple(
        _Subject(s["kind"], tuple(re.compile(p) for p in s["patterns"]), tuple(s.get("under", ())))
        for s in data["subjects"]
    )


def clean_subject(words: str, department: str) -> str:
    text = compact(words)
    previous = None
    while previous != text:
        previous = text
        text = OUTLINE.sub("", text)
        text = YEAR.sub("", text)
        if department:
            text = text.replace(department, "")
        text = re.sub(r"^\(部门\)|^\(单位\)", "", text)
        text = _FILLER_HEAD.sub("", text)
        text = _FILLER_TAIL.sub("", text)
    return text.strip()


def _function_path(subject: str) -> list[str] | None:
    """The 类/款/项 names of a printed function-subject path, else None."""
    if _FUNCTION_LEVEL.search(subject):
        pieces = _FUNCTION_LEVEL.split(subject)
        names = [pieces[i].strip(_QUOTES) for i in range(0, len(pieces) - 1, 2)]
        return [n for n in names if n] or None
    quoted = re.fullmatch(r"[“\"]?(?P<path>[^“”\"]+?-[^“”\"]+?)[”\"]?科目", subject)
    if quoted:
        return [n.strip() for n in quoted.group("path").split("-") if n.strip()]
    return None


def classify_subject(subject: str, parent_kind: str = "") -> tuple[str, list[str]]:
    """The subject kind (and, for a function subject, its 类/款/项 names) of cleaned words;
    ('', []) when the words are a name to look up in the tables."""
    path = _function_path(subject)
    if path:
        return FUNCTION_SUBJECT, path
    plain = subject.strip(_QUOTES)
    for entry in _subjects():
        if entry.under and parent_kind not in entry.under:
            continue
        if any(p.search(plain) for p in entry.patterns):
            return entry.kind, []
    return "", []
