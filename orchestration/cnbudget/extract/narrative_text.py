"""Narrative page text as paragraphs, sentences and clauses, and the patterns of a printed amount, year, outline number."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from cnbudget.extract.pages import PageText
from cnbudget.extract.text import compact, normalize

_PAGE_NUMBER = re.compile(r"^[-—–]\s*\d+\s*[-—–]$")
# Outline numbering that starts a paragraph: 第三部分, 一、, （一）, (1), 1. / 1、
OUTLINE = re.compile(
    r"^(第[一二三四五六七八九十]+部分|[一二三四五六七八九十]+、|\([一二三四五六七八九十]+\)、?|\(\d+\)|\d+[.、](?!\d))\s*"
)
# A line this much narrower than the page's widest line ends its paragraph.
_SHORT_LINE = 0.75

MONEY = re.compile(
    r"(?<![\d.])(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)\s*(?P<unit>亿元|万元|元|万(?![\u4e00-\u9fff]))"
)
# Clause delimiters: ， ； ： 、 (after NFKC , ; :), never a thousands separator.
_CLAUSE_DELIMITER = re.compile(r"[;:、]|,(?!(?<=\d,)\d{3}(?!\d))")
# A parenthetical note without figures is dropped before clauses are cut, so that
# 比2022年（上一年度，下同）预算增加 stays one clause.
_NOTE = re.compile(r"\([^()]*[,;][^()]*\)")
YEAR = re.compile(r"(\d{4})\s*年度?")


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


@dataclass
class Paragraph:
    text: str
    pages: list[tuple[int, int]]  # (offset in text, page) where each line starts

    def page_at(self, offset: int) -> int:
        page = self.pages[0][1]
        for start, number in self.pages:
            if start > offset:
                break
            page = number
        return page


def paragraphs_of(pages: list[PageText]) -> list[Paragraph]:
    paragraphs: list[Paragraph] = []
    text, starts = "", []

    def flush():
        nonlocal text, starts
        if text.strip():
            paragraphs.append(Paragraph(text, starts))
        text, starts = "", []

    for page in pages:
        lines = [normalize(line) for line in page.lines]
        lines = [line for line in lines if line and not _PAGE_NUMBER.match(compact(line))]
        widest = max((_display_width(line) for line in lines), default=0)
        for line in lines:
            if text and OUTLINE.match(line):
                flush()
            starts.append((len(text), page.number))
            text += line
            if _display_width(line) < _SHORT_LINE * widest:
                flush()
    flush()
    return paragraphs


def sentences_of(text: str) -> list[tuple[int, str]]:
    """(offset, sentence) pairs; a sentence keeps its closing 。"""
    out, start = [], 0
    for m in re.finditer("。", text):
        out.append((start, text[start : m.end()]))
        start = m.end()
    if text[start:].strip():
        out.append((start, text[start:]))
    return out


def clauses_of(sentence: str) -> list[tuple[int, str]]:
    """(offset, clause) pairs. Parenthetical notes without figures are blanked (same
    length, so offsets hold) rather than cut apart."""
    masked = _NOTE.sub(lambda m: m.group() if MONEY.search(m.group()) else " " * len(m.group()), sentence)
    out, start = [], 0
    for m in _CLAUSE_DELIMITER.finditer(masked):
        out.append((start, masked[start : m.start()]))
        start = m.end()
    out.append((start, masked[start:]))
    return out


def is_heading(paragraph: str) -> bool:
    text = compact(paragraph)
    return 0 < len(text) <= 40 and not text.endswith("。") and not MONEY.search(text)
