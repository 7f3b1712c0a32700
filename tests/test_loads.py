"""Issue #6: loads a data engineer can leave running: every kind of bad input refused
with its own message and recorded while the rest of the batch loads, idempotent
reloads of a loaded file (test_load_versions.py has the versions and concurrent loads)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from reportlab.pdfgen import canvas

from cnbudget.extract.document import document_id_for, sha256_of
from cnbudget.pipeline import load
from tests.conftest import SEED_PDF, render_variant, seed_table
from tests.test_dagster import fingerprint
from tests.test_hard_cases import SPLIT_CODE_COLUMNS, numbered_rows, one_table_document
from tests.pdfgen.render_budget import render_document


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _scanned(path: Path) -> Path:
    """A page that is only drawing, as a scan is only an image: no text layer."""
    c = canvas.Canvas(str(path))
    c.rect(50, 50, 400, 600, fill=1)
    c.showPage()
    c.save()
    return path


def _encrypted(path: Path) -> Path:
    c = canvas.Canvas(str(path), encrypt="secret")
    c.drawString(100, 700, "2025年部门预算")
    c.save()
    return path


def _unrelated(path: Path) -> Path:
    c = canvas.Canvas(str(path))
    c.drawString(100, 700, "Minutes of the meeting, 3 March 2025")
    c.save()
    return path


def _final_accounts(spec: dict, path: Path) -> Path:
    table = {**seed_table(spec, "表1"), "title": "部门收支决算总表"}
    render_document({**spec, "document": {**spec["document"], "title": "武汉市经济和信息化局2024年部门决算"},
                     "front_matter": [], "back_matter": [], "tables": [table], "performance_tables": []}, path)
    return path


BAD_INPUTS = {
    # file name: (how to make it, expected kind, words the message must contain)
    "empty.pdf": (lambda p, s: _write(p, b""), "empty_file", "the file is empty"),
    "spreadsheet.pdf": (lambda p, s: _write(p, b"PK\x03\x04" + bytes(200)), "not_pdf", ".xlsx"),
    "webpage.pdf": (lambda p, s: _write(p, b"<!DOCTYPE html><html><body>budget</body></html>"),
                    "not_pdf", "HTML"),
    "truncated.pdf": (lambda p, s: _write(p, SEED_PDF.read_bytes()[:40000]), "corrupt_pdf",
                      "truncated or corrupt"),
    "encrypted.pdf": (lambda p, s: _encrypted(p), "encrypted_pdf", "needs a password"),
    "scanned.pdf": (lambda p, s: _scanned(p), "no_text_layer", "needs OCR"),
    "unrelated.pdf": (lambda p, s: _unrelated(p), "not_a_budget", "no budget table found"),
}

# What a table prints wrong refuses the table, never the document: it loads with the
# problem in raw.table_errors (page, title, reason) and its other tables.
TABLE_PROBLEMS = {
    # file name: (how to make it, expected kind, words the message must contain, page, tables loaded)
    "unknown_unit.pdf": (
        lambda p, s: render_document(one_table_document(SPLIT_CODE_COLUMNS, numbered_rows(3), unit_line="单位：百元"), p)
        and p,
        "unit_unknown", "unknown unit '百元'", 2, 0),
    "unparsable_number.pdf": (
        lambda p, s: render_variant(s, p, lambda v: seed_table(v, "表7")["rows"][0].__setitem__(0, "约100")),
        "number_unparsable", "amount '约100' does not parse", 17, 15),
    "only_three_public.pdf": (
        lambda p, s: render_document(one_table_document(
            ["“三公”经费合计", "因公出国(境)费", "公务接待费"], [["3.00", "1.00", "2.00"]],
            title="一般公共预算“三公”经费支出表", unit_line="单位：万元"), p) and p,
        None, "", None, 1),
    # not a problem: a 决算 (final accounts) loads beside the budgets, as phase final
    "final_accounts.pdf": (lambda p, s: _final_accounts(s, p), None, "", None, 1),
}


@pytest.fixture(scope="session")
def bad_batch(seed_warehouse, seed_spec, corpus_dir, tmp_path_factory):
    """The seed warehouse, then one batch: every kind of bad input plus a good PDF,
    with the hand-off at a local fsspec URL."""
    folder = tmp_path_factory.mktemp("bad_batch")
    warehouse = folder / "warehouse.duckdb"
    shutil.copy(seed_warehouse, warehouse)
    before = fingerprint(warehouse)
    files = [make(folder / name, seed_spec) for name, (make, _, _) in BAD_INPUTS.items()]
    files += [make(folder / name, seed_spec) for name, (make, *_) in TABLE_PROBLEMS.items()]
    good = corpus_dir / "putuo_district_office_2025_dept.pdf"
    handoff = folder / "handoff"
    patch = pytest.MonkeyPatch()
    patch.setenv("CNBUDGET_HANDOFF_URL", f"file://{handoff}")
    try:
        outcome = load([*files, good], warehouse, quiet=True, workers=2)
    finally:
        patch.undo()
    return warehouse, before, outcome, good, handoff


@pytest.mark.parametrize("name", BAD_INPUTS)
def test_bad_input_is_refused_with_its_reason_and_recorded(bad_batch, name):
    warehouse, _, outcome, _, _ = bad_batch
    _, kind, words = BAD_INPUTS[name]
    (file,) = [f for f in outcome.files if f.path.name == name]
    assert file.status == "refused"
    assert file.reason == kind
    assert file.error.startswith(name) and words in file.error, file.error
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        recorded = conn.execute(
            "select error_kind, message from raw.load_errors where source_file like ?", [f"%/{name}"]
        ).fetchall()
    assert recorded == [(kind, file.error)]


@pytest.mark.parametrize("name", TABLE_PROBLEMS)
def test_a_table_printed_wrong_is_recorded_and_the_document_loads(bad_batch, name):
    warehouse, _, outcome, _, _ = bad_batch
    _, kind, words, page, tables = TABLE_PROBLEMS[name]
    (file,) = [f for f in outcome.files if f.path.name == name]
    assert file.status == "loaded"
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        complete, errors = conn.execute(
            "select is_complete, table_errors from raw.documents where document_id = ?", [file.document_id]
        ).fetchone()
        recorded = conn.execute(
            "select error_kind, page, message from raw.table_errors where document_id = ?", [file.document_id]
        ).fetchall()
        loaded = conn.execute("select count(*) from raw.tables where document_id = ?", [file.document_id]).fetchone()[0]
    assert loaded == tables
    if kind is None:  # a budget printing one table: the identities say what is missing
        assert (complete, errors, recorded) == (True, 0, [])
        return
    assert (complete, errors) == (False, 1)
    ((error_kind, error_page, message),) = recorded
    assert (error_kind, error_page) == (kind, page) and words in message, message


def test_a_final_accounts_document_loads_as_final(bad_batch):
    warehouse, _, outcome, _, _ = bad_batch
    (file,) = [f for f in outcome.files if f.path.name == "final_accounts.pdf"]
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        document = conn.execute(
            "select kind, phase from marts.dim_document where document_id = ?", [file.document_id]).fetchone()
        kinds = conn.execute("select kind from raw.tables where document_id = ?", [file.document_id]).fetchall()
    assert document == ("部门决算", "final")
    assert kinds == [("final_income_expenditure_summary",)]


def _rows_of(warehouse: Path, document_id: str) -> dict[str, str]:
    """A digest of one document's raw rows, table by table. Whether it is the current
    version is left out: a later version loaded beside it (a variant of the seed with a
    table printed wrong) supersedes it, and that is all that may change."""
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        return {
            table: conn.execute(
                f"select md5(coalesce(string_agg(cast(t as varchar), '|' order by cast(t as varchar)), '')) "
                f"from (select * exclude (is_current) from raw.{table}) t where document_id = ?"
                if table == "documents" else
                f"select md5(coalesce(string_agg(cast(t as varchar), '|' order by cast(t as varchar)), '')) "
                f"from raw.{table} t where document_id = ?",
                [document_id],
            ).fetchone()[0]
            for table in ("documents", "tables", "cells", "coverage_gaps")
        }


def test_the_rest_of_the_batch_loads_and_nothing_earlier_changes(bad_batch, seed_warehouse):
    warehouse, _, outcome, good, handoff = bad_batch
    (good_file,) = [f for f in outcome.files if f.path == good]
    assert good_file.status == "loaded" and outcome.transform_ok
    assert len(outcome.refused) == len(BAD_INPUTS)
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        documents = conn.execute("select count(*) from raw.documents").fetchone()[0]
    assert documents == 2 + len(TABLE_PROBLEMS)  # the seed as it was, the good file, those with table problems
    seed_id = document_id_for(sha256_of(SEED_PDF))
    assert _rows_of(warehouse, seed_id) == _rows_of(seed_warehouse, seed_id)
    # The hand-off went where the setting says: Parquet per raw table of the good file.
    assert sorted(p.name for p in (handoff / good_file.document_id).iterdir())[:3] == [
        "cells.parquet", "columns.parquet", "coverage_gaps.parquet"]


def test_refusal_leaves_the_warehouse_as_it_was(seed_warehouse, tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(seed_warehouse, warehouse)
    before = fingerprint(warehouse)
    bad = _unrelated(tmp_path / "not_a_budget.pdf")
    outcome = load([bad], warehouse, quiet=True, workers=1)
    assert [f.reason for f in outcome.files] == ["not_a_budget"]
    after = fingerprint(warehouse)
    assert after == before



def test_page_limit_is_a_setting(seed_warehouse, tmp_path, monkeypatch):
    import pypdfium2 as pdfium

    pages = len(pdfium.PdfDocument(str(SEED_PDF)))
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(seed_warehouse, warehouse)  # the seed is loaded: the limit is applied all the same
    monkeypatch.setenv("CNBUDGET_MAX_PAGES", str(pages - 1))
    outcome = load([SEED_PDF], warehouse, quiet=True, workers=1)
    (file,) = outcome.files
    assert file.reason == "too_many_pages"
    assert f"{pages} pages, over the limit of {pages - 1}" in file.error
    monkeypatch.setenv("CNBUDGET_MAX_PAGES", str(pages))  # at the limit: not refused (cached extraction too)
    assert [f.status for f in load([SEED_PDF], warehouse, quiet=True, workers=1).files] == ["unchanged"]


def test_cli_exit_codes(seed_load, tmp_path):
    warehouse = tmp_path / "w.duckdb"
    shutil.copy(seed_load.warehouse, warehouse)
    env = {**os.environ, "CNBUDGET_WAREHOUSE": str(warehouse)}
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    refused = subprocess.run([sys.executable, "-m", "cnbudget.cli", "load", str(empty), str(SEED_PDF)],
                             capture_output=True, text=True, env=env)
    assert refused.returncode == 2, refused.stderr[-2000:]
    assert "empty.pdf: refused (empty_file) — empty.pdf: the file is empty" in refused.stdout
    assert "Load summary" in refused.stdout and "1 loaded, 1 refused." in refused.stdout
    again = subprocess.run([sys.executable, "-m", "cnbudget.cli", "load", str(SEED_PDF)],
                           capture_output=True, text=True, env=env)
    assert again.returncode == 0, again.stderr[-2000:]
    assert "(unchanged)" in again.stdout
    # Nothing new: the models and checks built by the first load of the seed stand (not rebuilt).
    assert seed_load.returncode == 0 and "No document is new" not in seed_load.stdout
    for run in (refused, again):
        assert "No document is new: the models and checks stand as built at " in run.stdout
