"""Reading a PDF's text layer page by page, and finding where tables start."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from cnbudget.extract.catalog import TableKind, classify_title, unit_multipliers
from cnbudget.extract.errors import DocumentError
from cnbudget.extract.text import compact, normalize

# `单位：万元` prints the unit; `编制单位：…` / `预算单位：…` print a name. A value of
# at most four characters ending in 元 is a unit (known or not: unknown is refused).
_UNIT_LINE = re.compile(r"单位\s*[:：]\s*(?P<unit>[^\s:：,，;；()（）]{0,3}元)(?![^\s])")
_DEPARTMENT_LINE = re.compile(
    r"(?P<label>编制部门|编制单位|预算主管部门|主管部门|预算单位|单位名称|部门)\s*[:：]\s*(?P<name>[^\s:：]+)"
)
_TABLE_LABEL = re.compile(r"^表\s*(\d+(?:\s*-\s*\d+)?)$")
_TOC_MARKERS = ("目录", "目 录")


@dataclass(frozen=True)
class PageText:
    number: int  # 1-based
    text: str

    @property
    def lines(self) -> list[str]:
        return [line.strip() for line in self.text.replace("\r", "").split("\n") if line.strip()]

    @property
    def is_table_of_contents(self) -> bool:
        lines = self.lines
        return any(compact(line) in ("目录",) for line in lines[:3]) or sum(
            "……" in line or "..." in line for line in lines
        ) >= 3


@dataclass(frozen=True)
class TableStart:
    """A table title found on a page, with what the lines around it print."""

    page: int
    kind: TableKind
    title: str
    label: str
    unit: str | None  # as printed: 元 / 万元 / …; None when no unit line was found
    unit_line: str
    department_line: str


def open_pdf(pdf_path: Path, max_pages: int | None = None):
    """The pypdfium2 document, or a DocumentError saying why it cannot be read; a PDF
    over `max_pages` is refused before anything else is read."""
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(str(pdf_path))
    except pdfium.PdfiumError as error:
        if "password" in str(error).lower():
            raise DocumentError(
                "encrypted_pdf", f"{pdf_path.name}: the PDF is encrypted and needs a password to be read"
            ) from error
        raise DocumentError(
            "corrupt_pdf", f"{pdf_path.name}: the PDF is truncated or corrupt and cannot be read ({error})"
        ) from error
    if max_pages is not None and len(document) > max_pages:
        pages = len(document)
        document.close()
        raise DocumentError(
            "too_many_pages", f"{pdf_path.name}: {pages} pages, over the limit of {max_pages} (CNBUDGET_MAX_PAGES)"
        )
    return document


def read_pages(pdf_path: Path, max_pages: int | None = None) -> list[PageText]:
    """Every page's text."""
    document = open_pdf(pdf_path, max_pages)
    try:
        pages = []
        for index in range(len(document)):
            textpage = document[index].get_textpage()
            pages.append(PageText(index + 1, textpage.get_text_range()))
        return pages
    finally:
        document.close()


def find_table_starts(page: PageText) -> list[TableStart]:
    """Every table title on a page, in reading order, with its label, unit and department."""
    if page.is_table_of_contents:
        return []
    lines = page.lines
    starts = []
    for i, line in enumerate(lines):
        kind = classify_title(line)
        if kind is None:
            continue
        label = ""
        if i > 0 and (m := _TABLE_LABEL.match(compact(lines[i - 1]))):
            label = "表" + m.group(1).replace(" ", "")
        # The unit and department lines follow the title, before the grid.
        unit, unit_line, department_line = None, "", ""
        for follow in lines[i + 1 : i + 4]:
            if not unit_line and (u := _UNIT_LINE.search(follow)):
                unit, unit_line = normalize(u.group("unit")), u.group(0).strip()
            if not department_line and (d := _DEPARTMENT_LINE.search(follow)):
                department_line = d.group(0).strip()
        starts.append(TableStart(page.number, kind, normalize(line), label, unit, unit_line, department_line))
    return starts


def check_unit(start: TableStart, source: str) -> str:
    """The printed unit, or a DocumentError naming the file, page and table."""
    if start.unit is None:
        raise DocumentError(
            "unit_missing", f"{source}: page {start.page}, {start.title}: no unit line (单位：…) found"
        )
    if start.unit not in unit_multipliers():
        known = " / ".join(unit_multipliers())
        raise DocumentError(
            "unit_unknown",
            f"{source}: page {start.page}, {start.title}: unknown unit {start.unit!r} (expected {known})"
        )
    return start.unit


def department_name(line: str) -> str:
    m = _DEPARTMENT_LINE.search(line)
    return m.group("name") if m else ""
