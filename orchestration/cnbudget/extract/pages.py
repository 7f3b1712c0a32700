"""Opening a PDF and reading its text layer page by page."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cnbudget.extract.errors import DocumentError
from cnbudget.extract.text import compact

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
