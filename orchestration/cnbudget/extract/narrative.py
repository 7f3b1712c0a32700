"""Figures quoted in a budget's narrative pages (部门预算情况说明, 部门预算编制说明, 其他相关
情况说明 …): every amount with what it is the amount of, every stated change with the year
it is compared against, every percentage.

Pure functions from page text to `NarrativeFigure`s. Which table figure an amount names,
and whether it agrees, is decided later on the warehouse (cnbudget.quality.narrative):
extraction only records what the text says.

The text is read as the text layer prints it (narrative_text.py): lines joined into
paragraphs (a wrapped line is full, so a short line ends a paragraph, and a line starting
with outline numbering starts one: a full line ending in 。 may be a wrapped one),
paragraphs split into sentences at 。 and sentences into clauses at ， ； ： 、 (never at a
thousands separator). An amount's subject is the words of its clause before it
(narrative_subjects.py); a change (增加 / 减少 X 万元, 增长 / 下降 Y%) belongs to the amount
before it in its sentence; a part (其中 …, or in parentheses) names the amount before 其中
as its parent. A 决算's 完成年初预算的 Z% belongs to the final amount before it and names as
parent the budget amount just before that (年初预算为 X，支出决算为 Y，完成年初预算的 Z%).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from cnbudget.extract.narrative_subjects import classify_subject, clean_subject
from cnbudget.extract.narrative_text import MONEY, YEAR, clauses_of, is_heading, paragraphs_of, sentences_of
from cnbudget.extract.pages import PageText
from cnbudget.extract.text import compact

# Roles of a narrative figure.
AMOUNT = "amount"  # an amount of the budget year (its subject's figure)
PRIOR_AMOUNT = "prior_amount"  # an amount of an earlier year (…2024年预算执行数为 X 万元)
CHANGE_AMOUNT = "change_amount"  # 比 2024 年预算增加 X 万元
CHANGE_PERCENT = "change_percent"  # 增长 Y%
NO_CHANGE = "no_change"  # 与 2024 年预算持平
SHARE_PERCENT = "share_percent"  # 占 Z%
COMPLETION_PERCENT = "completion_percent"  # a 决算's 完成年初预算的 Z%: its final amount of the budget before it
OTHER_PERCENT = "other_percent"  # a percentage that is neither a change, a share nor a completion

_PERCENT = re.compile(r"(?<![\d.])(?P<num>\d+(?:\.\d+)?)\s*%")
_INCREASE = ("增加", "增长", "上升", "提高")
_CHANGE_VERB = re.compile(r"(增加|增长|上升|提高|减少|下降|降低|减)\s*$")
_SHARE = re.compile(r"占[^\d]{0,12}$")
# 完成年初预算的 91.14% / 完成预算的 60.46% / 完成调整预算数的 …: the outturn as a percentage of a budget.
_COMPLETION = re.compile(r"完成(?:年初|全年|调整后?)?预算数?的\s*$")
# The words of the budget amount a completion is a percentage of end naming a 预算 (年初预算为 X,
# 支出预算为 X, 全年预算数为 X); 一般公共预算 X names a fund, not a budget.
_BUDGET_NAMED = re.compile(r"(?<!一般公共)(?<!政府性基金)(?<!国有资本经营)预算数?\s*(?:为|是)?\s*$")
_THRESHOLD = re.compile(r"^\s*(\(含\))?\s*(以上|以下|以内)")
# The year a change is stated against: 比2024年预算执行数 / 较上年 / 与2024年预算.
_COMPARED = re.compile(
    r"(比|较|与|同比)\s*(?:(?P<year>\d{4})\s*年度?|(?P<previous>上年|上一年度?))\s*"
    r"(?:当年)?(?P<basis>预算执行数|执行数|预算|决算)?"
)
_NO_CHANGE = re.compile(r"(比|较|与)[^,;]*?持平")
# An amount stated for an earlier year: 2022年当年预算执行数为 / 上年预算为.
_PRIOR = re.compile(
    r"(?:(?P<year>\d{4})\s*年度?|(?P<previous>上年|上一年度?))\s*(?:当年)?"
    r"(?P<basis>预算执行数|执行数|预算数?|决算数?)?\s*(?:为|是)?\s*$"
)


@dataclass
class NarrativeFigure:
    """One figure printed in the narrative, with what the text says it is."""

    ordinal: int  # order in the document, from 1
    page: int
    section: str  # the heading it is printed under
    paragraph: int  # order of its paragraph in the document, from 1
    sentence: str  # the sentence it is printed in (NFKC, line breaks joined)
    printed_text: str  # as printed: '36231.79 万元', '33.7%', '持平'
    number: str  # the exact decimal, separators removed ('0' for 持平)
    unit: str  # 万元 / 元 / 亿元 / % ('' for 持平)
    role: str  # AMOUNT, PRIOR_AMOUNT, CHANGE_AMOUNT, CHANGE_PERCENT, NO_CHANGE, SHARE_PERCENT, COMPLETION_PERCENT, OTHER_PERCENT
    subject: str  # the words naming what it is the figure of (its anchor's, for a change)
    subject_kind: str  # from narrative_subjects.yaml, FUNCTION_SUBJECT, or '' (a name to look up)
    subject_path: list[str] = field(default_factory=list)  # 类/款/项 names of a function subject
    fiscal_year: int | None = None  # the year the amount is of
    compared_year: int | None = None  # a change: the year it is stated against
    compared_basis: str = ""  # budget (预算) / execution (预算执行数) / final_accounts (决算) / ''
    direction: str = ""  # increase / decrease / flat, for changes
    anchor: int | None = None  # a change, share, completion or prior amount: the amount it belongs to
    # A part (其中 …): the amount it is a part of; a completion: the budget amount it is a
    # percentage of (the amount it is measured against, as a share's whole is its part's parent).
    parent: int | None = None
    qualifier: str = ""  # 'threshold' for 100万元以上 and the like

    @property
    def value(self) -> Decimal:
        return Decimal(self.number)

    @property
    def decimals(self) -> int:
        """Printed precision: digits after the decimal point."""
        return len(self.number.split(".")[1]) if "." in self.number else 0



def _direction(verb: str) -> str:
    return "increase" if verb in _INCREASE else "decrease"


def _basis(word: str | None) -> str:
    if not word:
        return ""
    if "执行" in word:
        return "execution"
    if "决算" in word:
        return "final_accounts"
    return "budget"



@dataclass
class _Mention:
    start: int  # offset in the sentence
    end: int
    printed: str
    number: str
    unit: str
    percent: bool
    clause: int
    prefix: str  # clause text before it (after the previous mention in the clause)
    suffix: str  # sentence text after it
    flat: bool = False  # 持平: a stated change of nothing


def _mentions(sentence: str) -> list[_Mention]:
    """Amounts and percentages of a sentence in order, and 持平 (a change of nothing) where
    a clause states one without a figure."""
    mentions = []
    for index, (offset, clause) in enumerate(clauses_of(sentence)):
        found = [(m, False) for m in MONEY.finditer(clause)] + [(m, True) for m in _PERCENT.finditer(clause)]
        found.sort(key=lambda item: item[0].start())
        previous_end = 0
        for m, percent in found:
            mentions.append(
                _Mention(
                    start=offset + m.start(),
                    end=offset + m.end(),
                    printed=m.group().strip(),
                    number=m.group("num").replace(",", ""),
                    # 1720.00万 is 万元 written short: one unit vocabulary for the checks.
                    unit="%" if percent else {"万": "万元"}.get(m.group("unit"), m.group("unit")),
                    percent=percent,
                    clause=index,
                    prefix=clause[previous_end : m.start()],
                    suffix=sentence[offset + m.end() :],
                )
            )
            previous_end = m.end()
        flat = _NO_CHANGE.search(clause)
        if flat and not found:
            mentions.append(
                _Mention(offset + flat.start(), offset + flat.end(), "持平", "0", "", False, index, clause, "", flat=True)
            )
    return mentions


def _compared(sentence_clauses: list[tuple[int, str]], clause_index: int, prefix: str, fiscal_year: int | None):
    """(year, basis) a change is stated against: its own clause first, then earlier ones."""
    texts = [prefix] + [c for _, c in reversed(sentence_clauses[:clause_index])]
    for text in texts:
        matches = list(_COMPARED.finditer(text))
        if matches:
            m = matches[-1]
            year = int(m.group("year")) if m.group("year") else (fiscal_year - 1 if fiscal_year else None)
            return year, _basis(m.group("basis"))
    return None, ""


def extract_narrative(
    pages: list[PageText], table_pages: set[int], fiscal_year: int | None, department: str = ""
) -> list[NarrativeFigure]:
    """Every figure printed on the pages that hold no table (tables' own text is read by
    the table extractor), in reading order."""
    narrative_pages = [p for p in pages if p.number not in table_pages and not p.is_table_of_contents]
    figures: list[NarrativeFigure] = []
    section = ""
    for paragraph_number, paragraph in enumerate(paragraphs_of(narrative_pages), start=1):
        if is_heading(paragraph.text):
            section = compact(paragraph.text)
            continue
        amounts: list[NarrativeFigure] = []  # the paragraph's amounts so far
        whole: NarrativeFigure | None = None  # the amount before 其中, once its parts start
        for sentence_offset, sentence in sentences_of(paragraph.text):
            clauses = clauses_of(sentence)
            parts_from = sentence.find("其中")
            parts_open = False
            sentence_amounts: list[tuple[NarrativeFigure, _Mention]] = []  # the sentence's amounts so far
            for mention in _mentions(sentence):
                figure = _figure(mention, clauses, fiscal_year, department)
                figure.ordinal = len(figures) + 1
                figure.page = paragraph.page_at(sentence_offset + mention.start)
                figure.section = section
                figure.paragraph = paragraph_number
                figure.sentence = sentence.strip()
                if 0 <= parts_from < mention.start and not parts_open:
                    parts_open = True
                    whole = amounts[-1] if amounts else None
                if figure.role == AMOUNT and whole is not None and _larger(figure, whole):
                    whole = None  # a part is never larger than its whole: the parts have ended
                if figure.role == AMOUNT:
                    if whole is not None:
                        figure.parent = whole.ordinal
                        if figure.subject and not figure.subject_kind:
                            figure.subject_kind, figure.subject_path = classify_subject(figure.subject, whole.subject_kind)
                    if not figure.subject and amounts:
                        # No words of its own (2023年预算安排 2.63 万元): the paragraph's item again.
                        _inherit(figure, amounts[0])
                else:
                    _attach(figure, amounts)
                if figure.role == COMPLETION_PERCENT:
                    figure.parent = _budget_of_completion(sentence_amounts)
                figures.append(figure)
                if figure.role == AMOUNT:
                    amounts.append(figure)
                    sentence_amounts.append((figure, mention))
    return figures


def _figure(mention: _Mention, clauses, fiscal_year: int | None, department: str) -> NarrativeFigure:
    prefix = mention.prefix
    figure = NarrativeFigure(
        ordinal=0,
        page=0,
        section="",
        paragraph=0,
        sentence="",
        printed_text=mention.printed,
        number=mention.number,
        unit=mention.unit,
        role=AMOUNT,
        subject="",
        subject_kind="",
        fiscal_year=fiscal_year,
    )
    # A change verb states a change only in a sentence that compares (比 2024 年 …):
    # 支持商销稳增长 30.00 万 is a name.
    compared = _compared(clauses, mention.clause, prefix, fiscal_year)
    verb = _CHANGE_VERB.search(prefix) if compared[0] else None
    if mention.flat:
        figure.role, figure.direction = NO_CHANGE, "flat"
    elif mention.percent:
        if verb:
            figure.role, figure.direction = CHANGE_PERCENT, _direction(verb.group(1))
        elif _SHARE.search(prefix):
            figure.role = SHARE_PERCENT
        elif _COMPLETION.search(prefix):
            figure.role = COMPLETION_PERCENT
        else:
            figure.role = OTHER_PERCENT
            figure.subject = clean_subject(prefix, department)
    elif verb:
        figure.role, figure.direction = CHANGE_AMOUNT, _direction(verb.group(1))
    else:
        prior = _PRIOR.search(prefix)
        year = int(prior.group("year")) if prior and prior.group("year") else None
        if prior and prior.group("previous") and fiscal_year:
            year = fiscal_year - 1
        if prior and year and fiscal_year and year < fiscal_year:
            figure.role, figure.fiscal_year = PRIOR_AMOUNT, year
            figure.compared_basis = _basis(prior.group("basis"))
        else:
            years = YEAR.findall(prefix)
            if years:
                figure.fiscal_year = int(years[-1])
            figure.subject = clean_subject(prefix, department)
            figure.subject_kind, figure.subject_path = classify_subject(figure.subject)
        if _THRESHOLD.match(mention.suffix):
            figure.qualifier = "threshold"
    if figure.role in (CHANGE_AMOUNT, CHANGE_PERCENT, NO_CHANGE):
        figure.compared_year, figure.compared_basis = compared
    return figure


def _larger(figure: NarrativeFigure, whole: NarrativeFigure) -> bool:
    return figure.unit == whole.unit and figure.value > whole.value


def _inherit(figure: NarrativeFigure, source: NarrativeFigure) -> None:
    figure.subject, figure.subject_kind, figure.subject_path = source.subject, source.subject_kind, list(source.subject_path)


def _attach(figure: NarrativeFigure, amounts: list[NarrativeFigure]) -> None:
    """Link a change, share or prior-year amount to the amount it belongs to: the last
    amount before it in its paragraph; a prior-year amount to the paragraph's first (the
    item it describes). A percentage that is neither keeps its own words."""
    if figure.role == OTHER_PERCENT and figure.subject or not amounts:
        return
    anchor = amounts[0] if figure.role == PRIOR_AMOUNT else amounts[-1]
    figure.anchor = anchor.ordinal
    _inherit(figure, anchor)
    if figure.role in (SHARE_PERCENT, COMPLETION_PERCENT, CHANGE_AMOUNT, CHANGE_PERCENT, NO_CHANGE):
        figure.fiscal_year = anchor.fiscal_year


def _budget_of_completion(sentence_amounts: list[tuple[NarrativeFigure, _Mention]]) -> int | None:
    """The budget a completion is a percentage of: the amount just before its final amount
    in the sentence, when its words name a 预算 (年初预算为 X，支出决算为 Y，完成…的 Z%).
    Only that one: in 其中：因公出国（境）费支出决算为 Y，完成预算的 Z% the budget before is
    the whole's, not the part's, so it states none."""
    if len(sentence_amounts) < 2:
        return None
    budget, mention = sentence_amounts[-2]
    return budget.ordinal if _BUDGET_NAMED.search(mention.prefix) else None
