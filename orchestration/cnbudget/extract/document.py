"""One budget PDF to an ExtractedDocument, cached by content hash."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from cnbudget import settings
from cnbudget.extract.catalog import document_kind
from cnbudget.extract.coverage import CoverageGap, check_coverage
from cnbudget.extract.grid import Grid, read_grids
from cnbudget.extract.errors import DocumentError
from cnbudget.extract.narrative import NarrativeFigure, extract_narrative
from cnbudget.extract.performance import PerformanceTable, read_performance_tables
from cnbudget.extract.pages import (
    PageText,
    check_unit,
    department_name,
    find_table_starts,
    open_pdf,
    read_pages,
)
from cnbudget.extract.tables import Cell, Table, continue_table, start_table
from cnbudget.extract.text import compact

# Bump when extraction output changes, so cached results are not reused.
EXTRACTOR_VERSION = "12"

_FISCAL_YEAR = re.compile(r"(20\d\d)\s*年度?\s*(?:区级|市级|省级)?\s*(?:部门|单位|预算单位)")


@dataclass
class ExtractedDocument:
    source_file: str
    sha256: str
    size_bytes: int
    page_count: int
    title: str
    department: str
    fiscal_year: int | None
    kind: str | None
    extractor_version: str
    camelot_pages: list[int]
    tables: list[Table] = field(default_factory=list)
    coverage_tokens: int = 0  # numbers printed inside table grids
    coverage_gaps: list[CoverageGap] = field(default_factory=list)  # ...not found in a stored cell
    # Figures quoted in the narrative pages (the pages that hold no table).
    narrative_figures: list[NarrativeFigure] = field(default_factory=list)
    # What the 绩效目标表 (表11, 表12-x) state: indicators, goals, project fields.
    performance: list[PerformanceTable] = field(default_factory=list)

    @property
    def document_id(self) -> str:
        return document_id_for(self.sha256)

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> ExtractedDocument:
        data = json.loads(text)
        tables = []
        for t in data.pop("tables"):
            cells = [Cell(**c) for c in t.pop("cells")]
            tables.append(Table(**t, cells=cells))
        gaps = [CoverageGap(**g) for g in data.pop("coverage_gaps")]
        narrative = [NarrativeFigure(**f) for f in data.pop("narrative_figures")]
        performance = [PerformanceTable.from_dict(p) for p in data.pop("performance")]
        return cls(**data, tables=tables, coverage_gaps=gaps, narrative_figures=narrative, performance=performance)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def document_id_for(sha256: str) -> str:
    """Stable id of a document: its content, not its file name."""
    return sha256[:16]


def extract_document(path: Path, cache_dir: Path | None = None, engine: str | None = None) -> ExtractedDocument:
    """Extract every budget table of one PDF; reuse a cached result of the same content."""
    path = Path(path)
    engine = engine or settings.camelot_engine()
    # Checked before the cache: a limit or a file that changed kind applies to cached content too.
    _check_file(path)
    open_pdf(path, settings.max_pages()).close()
    sha = sha256_of(path)
    cached = cache_dir / f"{sha}-v{EXTRACTOR_VERSION}-{engine}.json" if cache_dir else None
    if cached and cached.exists():
        document = ExtractedDocument.from_json(cached.read_text(encoding="utf-8"))
        document.source_file = str(path)
        return document
    document = _extract(path, sha, engine)
    if cached:
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(f".{os.getpid()}.tmp")  # concurrent loads share the cache
        tmp.write_text(document.to_json(), encoding="utf-8")
        tmp.replace(cached)
    return document


def _extract(path: Path, sha: str, engine: str) -> ExtractedDocument:
    source = path.name
    pages = read_pages(path)
    if not any(p.text.strip() for p in pages):
        raise DocumentError(
            "no_text_layer",
            f"{source}: none of its {len(pages)} pages has a text layer (a scanned document?): "
            "it needs OCR, which cnbudget does not do",
        )
    cover = compact(pages[0].text)
    if "决算" in cover and "预算" not in cover:
        raise DocumentError("final_accounts", f"{source}: this is a 决算 (final accounts) report, not a budget (预算)")
    starts = {p.number: find_table_starts(p) for p in pages}
    start_pages = [n for n, s in starts.items() if s]
    if not start_pages:
        raise DocumentError(
            "not_a_budget", f"{source}: no budget table title found on any of its {len(pages)} pages: not a budget?"
        )

    # Camelot only where tables are: pages with a title, and the pages between two
    # titled pages (continuations). After the last title, pages are read one at a
    # time until one has no ruled grid.
    first, last = start_pages[0], start_pages[-1]
    batch = [p.number for p in pages if first <= p.number <= last and not p.is_table_of_contents]
    grids = read_grids(path, batch, engine)
    scanned = list(batch)
    tables: list[Table] = []
    open_table: Table | None = None
    page_by_number = {p.number: p for p in pages}

    def visit(page: PageText, page_grids: list[Grid]) -> None:
        nonlocal open_table
        page_starts = starts[page.number]
        leading = len(page_grids) - len(page_starts) if page_starts else len(page_grids)
        for grid in page_grids[: max(leading, 0)]:
            if open_table is not None:
                continue_table(open_table, grid, source)
        remaining = page_grids[max(leading, 0) :]
        for i, start in enumerate(page_starts):
            unit = check_unit(start, source)
            grid = remaining[i] if i < len(remaining) else None
            open_table = start_table(len(tables) + 1, start, unit, grid, page.lines)
            tables.append(open_table)
        if not page_starts and not page_grids:
            open_table = None

    for number in batch:
        visit(page_by_number[number], grids[number])
    for page in pages[last:]:
        if open_table is None:
            break
        page_grids = read_grids(path, [page.number], engine)[page.number]
        scanned.append(page.number)
        if not page_grids or starts[page.number]:
            break
        visit(page, page_grids)

    front = " ".join(p.text for p in pages[:2])
    titles = " ".join(t.title for t in tables)
    fiscal_year = _fiscal_year(front + " " + titles)
    for table in tables:
        year = re.match(r"(20\d\d)年", compact(table.title))
        table.fiscal_year = int(year.group(1)) if year else fiscal_year
    coverage = check_coverage(path, tables)
    department = _department(tables, pages)
    table_pages = {number for table in tables for number in table.pages}
    return ExtractedDocument(
        source_file=str(path),
        sha256=sha,
        size_bytes=path.stat().st_size,
        page_count=len(pages),
        title=_document_title(pages),
        department=department,
        fiscal_year=fiscal_year,
        kind=document_kind(compact(pages[0].text) + titles),
        extractor_version=EXTRACTOR_VERSION,
        camelot_pages=scanned,
        tables=tables,
        coverage_tokens=coverage.tokens,
        coverage_gaps=coverage.gaps,
        narrative_figures=extract_narrative(pages, table_pages, fiscal_year, department),
        performance=read_performance_tables(tables, fiscal_year),
    )


def _check_file(path: Path) -> None:
    """Refuse what is not a PDF before any parser sees it, saying what it looks like."""
    with path.open("rb") as f:
        head = f.read(1024)
    if not head:
        raise DocumentError("empty_file", f"{path.name}: the file is empty")
    if b"%PDF-" in head:
        return
    if head.startswith(b"PK"):
        looks = "a ZIP-based Office file (.xlsx / .docx) renamed"
    elif b"<html" in head.lower() or head.lstrip().startswith(b"<"):
        looks = "an HTML or XML page"
    else:
        looks = "not a PDF (no %PDF header)"
    raise DocumentError("not_pdf", f"{path.name}: this file is {looks}, not a PDF")


def _document_title(pages: list[PageText]) -> str:
    lines = pages[0].lines if pages else []
    return compact(lines[0]) if lines else ""


def _department(tables: list[Table], pages: list[PageText]) -> str:
    for table in tables:
        if name := department_name(table.department_line):
            return name
    for page in pages[:2]:
        if name := department_name(page.text):
            return name
    return ""


def _fiscal_year(text: str) -> int | None:
    m = _FISCAL_YEAR.search(compact(text))
    return int(m.group(1)) if m else None
