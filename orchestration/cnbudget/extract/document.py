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
from cnbudget.extract.anchors import department_name, is_table_of_contents, page_items, trailing_label
from cnbudget.extract.assembly import TableErrorRecord, assemble_tables, resolve_units
from cnbudget.extract.errors import DocumentError
from cnbudget.extract.final_accounts import BUDGET, FINAL, document_phase, final_document_kind, name_final_tables
from cnbudget.extract.grid import read_document_grids
from cnbudget.extract.layout import read_layouts
from cnbudget.extract.narrative import NarrativeFigure, extract_narrative
from cnbudget.extract.pages import PageText, open_pdf
from cnbudget.extract.performance import read_performance_tables
from cnbudget.extract.performance_records import PerformanceTable
from cnbudget.extract.tables import Cell, Table
from cnbudget.extract.text import compact

# Bump when extraction output changes, so cached results are not reused.
EXTRACTOR_VERSION = "23"

_FISCAL_YEAR = re.compile(r"(20\d\d)\s*年度?\s*(?:区级|市级|省级)?\s*(?:部门|单位|预算单位)")
# A cover printing the year apart from the kind: `2026 年深圳市审计局部门预算`.
_COVER_YEAR = re.compile(r"(20\d\d)年度?[^。，]{0,40}?(?:预算|决算)")


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
    rendered_pages: list[int] = field(default_factory=list)  # read by rendering (ruled with shapes)
    tables: list[Table] = field(default_factory=list)
    # Tables that could not be read: page, title and the reason (the others still load).
    table_errors: list[TableErrorRecord] = field(default_factory=list)
    coverage_tokens: int = 0  # numbers printed inside table grids
    coverage_gaps: list[CoverageGap] = field(default_factory=list)  # ...not found in a stored cell
    # Figures quoted in the narrative pages (the pages that hold no table).
    narrative_figures: list[NarrativeFigure] = field(default_factory=list)
    # What the 绩效目标表 (表11, 表12-x) state: indicators, goals, project fields.
    performance: list[PerformanceTable] = field(default_factory=list)
    phase: str = BUDGET  # budget (预算) / final (决算, final accounts)

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
        errors = [TableErrorRecord(**e) for e in data.pop("table_errors")]
        narrative = [NarrativeFigure(**f) for f in data.pop("narrative_figures")]
        performance = [PerformanceTable.from_dict(p) for p in data.pop("performance")]
        return cls(
            **data,
            tables=tables,
            table_errors=errors,
            coverage_gaps=gaps,
            narrative_figures=narrative,
            performance=performance,
        )


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def document_id_for(sha256: str) -> str:
    """Stable id of a document: its content, not its file name."""
    return sha256[:16]


def _read_cached(cached: Path, sha: str) -> tuple[ExtractedDocument | None, str]:
    """A cached extraction of this content, or None and why it cannot be trusted
    (truncated, corrupt, of other content): then the PDF is extracted again."""
    if not cached.exists():
        return None, ""
    try:
        document = ExtractedDocument.from_json(cached.read_text(encoding="utf-8"))
    except (ValueError, KeyError, TypeError, AttributeError) as error:  # not a whole extraction
        return None, f"not a whole extraction ({type(error).__name__})"
    if document.sha256 != sha:
        return None, f"it holds the extraction of other content ({document.sha256[:16]})"
    return document, ""


def extract_document(path: Path, cache_dir: Path | None = None, engine: str | None = None,
                     notes: list[str] | None = None) -> ExtractedDocument:
    """Extract every table of one budget (预算) or final-accounts (决算) PDF; reuse a cached
    result of the same content.
    A cache entry that cannot be trusted is replaced, and said so in `notes`."""
    path = Path(path)
    engine = engine or settings.camelot_engine()
    # Checked before the cache: a limit or a file that changed kind applies to cached content too.
    _check_file(path)
    open_pdf(path, settings.max_pages()).close()
    sha = sha256_of(path)
    cached = cache_dir / f"{sha}-v{EXTRACTOR_VERSION}-{engine}.json" if cache_dir else None
    document, damage = _read_cached(cached, sha) if cached else (None, "")
    if document is not None:
        document.source_file = str(path)
        return document
    if damage and notes is not None:
        notes.append(f"extraction cache entry {cached} was damaged: {damage}; extracted again and replaced")
    document = _extract(path, sha, engine)
    if cached:
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(f".{os.getpid()}.tmp")  # concurrent loads share the cache
        tmp.write_text(document.to_json(), encoding="utf-8")
        tmp.replace(cached)
    return document


def _extract(path: Path, sha: str, engine: str) -> ExtractedDocument:
    source = path.name
    pdf = open_pdf(path, settings.max_pages())
    try:
        layouts = read_layouts(pdf)
    finally:
        pdf.close()
    pages = [PageText(layout.number, layout.text) for layout in layouts]
    if not any(p.text.strip() for p in pages):
        raise DocumentError(
            "no_text_layer",
            f"{source}: none of its {len(pages)} pages has a text layer (a scanned document?): "
            "it needs OCR, which cnbudget does not do",
        )
    phase = document_phase(pages[0].text)

    grids, rendered = read_document_grids(path, layouts, engine)
    contents = {layout.number for layout in layouts if is_table_of_contents(layout, grids[layout.number])}
    items, carried = [], ""
    for layout in layouts:
        if layout.number not in contents:
            items += page_items(layout, grids[layout.number], carried)
        carried = trailing_label(layout)
    tables, table_errors = assemble_tables(items)
    if not tables and not table_errors:
        raise _no_tables(source, pages)
    resolve_units(tables, table_errors)
    if phase == FINAL:
        name_final_tables(tables)

    front = " ".join(p.text for p in pages[:2])
    titles = " ".join(t.title for t in tables)
    fiscal_year = _fiscal_year(front + " " + titles)
    for table in tables:
        year = re.match(r"(20\d\d)年", compact(table.title))
        table.fiscal_year = int(year.group(1)) if year else fiscal_year
    coverage = check_coverage(path, tables, layouts)
    department = _department(tables, pages)
    table_pages = {number for table in tables for number in table.pages} | {e.page for e in table_errors}
    return ExtractedDocument(
        source_file=str(path),
        sha256=sha,
        size_bytes=path.stat().st_size,
        page_count=len(pages),
        title=_document_title(pages),
        department=department,
        fiscal_year=fiscal_year,
        kind=(final_document_kind(pages[0].text, titles) if phase == FINAL
              else document_kind(pages[0].text) or document_kind(titles)),
        phase=phase,
        extractor_version=EXTRACTOR_VERSION,
        camelot_pages=[layout.number for layout in layouts],
        rendered_pages=rendered,
        tables=tables,
        table_errors=table_errors,
        coverage_tokens=coverage.tokens,
        coverage_gaps=coverage.gaps,
        narrative_figures=extract_narrative(pages, table_pages | contents, fiscal_year, department),
        performance=read_performance_tables(tables, fiscal_year),
    )


# Words a budget's narrative uses: a document printing several of them but no table is
# the narrative half of a budget whose tables are published as a separate file.
_BUDGET_WORDS = ("预算", "一般公共预算", "基本支出", "项目支出", "三公", "财政拨款", "收支")


def _no_tables(source: str, pages: list[PageText]) -> DocumentError:
    text = compact(" ".join(p.text for p in pages))
    if sum(word in text for word in _BUDGET_WORDS) >= 4:
        return DocumentError(
            "narrative_only",
            f"{source}: a budget's narrative (情况说明) without its tables: no table is printed on any of its "
            f"{len(pages)} pages; the tables are published separately (附件 / 公开表) and load from that file",
        )
    return DocumentError(
        "not_a_budget", f"{source}: no budget table found on any of its {len(pages)} pages: not a budget?"
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
    return _cover_department(pages[0].text) if pages else ""


def _cover_department(text: str) -> str:
    """The department a cover names before its year and kind (2026 年深圳市审计局部门预算),
    or on the line above them (湖州市卫生健康委员会 / 2026 年部门预算)."""
    lines = [compact(line) for line in text.replace("\r", "").split("\n")]
    lines = [line for line in lines if line and not re.fullmatch(r"[-—\d]+", line)]
    for i, line in enumerate(lines):
        if not (m := re.search(r"预算|决算", line)):
            continue
        head = re.sub(r"20\d\d年度?", "", line[: m.start()])
        head = re.sub(r"(市级|区级|省级)?(部门|单位)?(综合)?$", "", head)
        if len(head) >= 2:
            return head
        return re.sub(r"20\d\d年度?", "", lines[i - 1]) if i > 0 else ""
    return ""


def _fiscal_year(text: str) -> int | None:
    text = compact(text)
    m = _FISCAL_YEAR.search(text) or _COVER_YEAR.search(text)
    return int(m.group(1)) if m else None
