"""Issue #3 acceptance on the real corpus: every table identified with the right kind,
unit, department, year and page span (an empty table recorded as empty), every
hand-verified figure in the raw layer exactly, and no number left unaccounted."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
import yaml

from cnbudget.extract.document import document_id_for, sha256_of
from cnbudget.extract.text import compact
from tests.conftest import REPO

GROUND_TRUTH = sorted((REPO / "tests" / "ground_truth" / "corpus").glob("*.yaml"))


def _truth(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def corpus(corpus_warehouse, corpus_dir):
    conn = duckdb.connect(str(corpus_warehouse), read_only=True)
    yield conn, corpus_dir
    conn.close()


def _document_id(corpus_dir: Path, truth: dict) -> str:
    return document_id_for(sha256_of(corpus_dir / truth["source"]))


@pytest.mark.parametrize("truth_file", GROUND_TRUTH, ids=lambda p: p.stem)
def test_tables_identified(corpus, truth_file):
    conn, corpus_dir = corpus
    truth = _truth(truth_file)
    document_id = _document_id(corpus_dir, truth)
    document = conn.execute(
        "select department, fiscal_year, kind, page_count from raw.documents where document_id = ?", [document_id]
    ).fetchone()
    expected = truth["document"]
    assert document == (expected["department"], expected["fiscal_year"], expected["kind"], expected["page_count"])
    tables = conn.execute(
        "select kind, title, printed_unit, first_page, last_page, is_empty, table_id from raw.tables "
        "where document_id = ? order by ordinal",
        [document_id],
    ).fetchall()
    got = []
    for kind, title, unit, first, last, is_empty, table_id in tables:
        pages = sorted({r[0] for r in conn.execute(
            "select distinct page from raw.cells where table_id = ?", [table_id]).fetchall()} | {first, last})
        got.append({"kind": kind, "title": compact(title), "unit": unit, "pages": pages, "empty": is_empty})
    assert got == [{**t, "title": compact(t["title"])} for t in truth["tables"]]


@pytest.mark.parametrize("truth_file", GROUND_TRUTH, ids=lambda p: p.stem)
def test_hand_verified_figures_match_exactly(corpus, truth_file):
    conn, corpus_dir = corpus
    truth = _truth(truth_file)
    document_id = _document_id(corpus_dir, truth)
    figures = conn.execute(
        """select f.table_kind, f.page, coalesce(f.row_code, ''), f.row_label, f.column_path, f.printed_text
           from marts.published_figures f where f.document_id = ?""",
        [document_id],
    ).fetchall()
    index = {}
    for kind, page, code, label, column, text in figures:
        index.setdefault((kind, page, code, compact(label or ""), column), []).append(text)
    missing = []
    for f in truth["figures"]:
        key = (f["table"], f["page"], f["row_code"], compact(f["row_label"]), f["column"])
        if f["text"] not in index.get(key, []):
            missing.append(f"{key}: expected {f['text']!r}, found {index.get(key)}")
    print(f"\n{truth_file.stem}: {len(truth['figures'])} hand-verified figures compared")
    assert len(truth["figures"]) >= 40
    assert missing == []


def test_no_number_is_unaccounted(corpus):
    conn, _ = corpus
    rows = conn.execute(
        "select source_file, coverage_tokens, coverage_gaps from raw.documents order by source_file"
    ).fetchall()
    print("\n" + "\n".join(f"{Path(s).name}: {t} numbers inside grids, {g} unaccounted" for s, t, g in rows))
    assert len(rows) == 5
    assert all(tokens > 400 for _, tokens, _ in rows)
    assert [gaps for _, _, gaps in rows] == [0] * 5
    assert conn.execute("select count(*) from raw.coverage_gaps").fetchone()[0] == 0
