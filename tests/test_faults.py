"""Issue #13: faults survived. A failure inside cnbudget costs only its file, at every
stage; a load killed outright at any point leaves whole documents or nothing, and the
next load completes to the warehouse a load never interrupted builds; damaged cache
entries and hand-offs are found, named and replaced, never loaded."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from dagster import AssetSelection, DagsterInstance, materialize

from cnbudget.extract.document import EXTRACTOR_VERSION, document_id_for, sha256_of
from cnbudget.ingest.warehouse import RAW_TABLES, wait_until_free
from tests.conftest import REPO, SEED_PDF, warehouse_digests
from tests.pdfgen.render_budget import render_document
from tests.test_hard_cases import SPLIT_CODE_COLUMNS, numbered_rows, one_table_document

SEED_ID = document_id_for(sha256_of(SEED_PDF))


def _cli_load(paths: list[Path], warehouse: Path, fault: str = "") -> subprocess.CompletedProcess:
    # A session of its own: a drill's SIGKILL takes the load's process group, as a
    # container or the OOM killer would, and not pytest with it.
    env = {**os.environ, "CNBUDGET_FAULT": fault}
    return subprocess.run([sys.executable, "-m", "cnbudget.cli", "load", *map(str, paths), "--warehouse", str(warehouse),
                           "--workers", "1"], capture_output=True, text=True, env=env, start_new_session=True)


def _drawn(folder: Path, name: str, rows: int) -> Path:
    """A one-table budget of its own content (`rows` numbered rows)."""
    folder.mkdir(parents=True, exist_ok=True)
    render_document(one_table_document(SPLIT_CODE_COLUMNS, numbered_rows(rows)), folder / name)
    return folder / name


def test_a_failure_inside_cnbudget_costs_only_its_file(tmp_path):
    """An unexpected exception (injected by CNBUDGET_FAULT) while extracting one file,
    loading another and checking the identities of a third: each is recorded as
    internal_error naming it and the stage; the seed of the same batch loads, builds and
    is checked; exit 2. A damaged cache entry of a fourth is named and replaced."""
    drawn = [_drawn(tmp_path, name, rows) for rows, name in (
        (3, "fails_extracting.pdf"), (4, "fails_loading.pdf"), (6, "fails_checking.pdf"), (7, "damaged_cache.pdf"))]
    from cnbudget.extract.document import extract_document

    cache = Path(os.environ["CNBUDGET_CACHE_DIR"])
    extract_document(drawn[3], cache)
    entry = cache / f"{sha256_of(drawn[3])}-v{EXTRACTOR_VERSION}-vector.json"
    entry.write_text(entry.read_text(encoding="utf-8")[:1000], encoding="utf-8")  # cut short

    warehouse = tmp_path / "warehouse.duckdb"
    run = _cli_load([SEED_PDF, *drawn], warehouse,
                    "extraction:fails_extracting.pdf,loading:fails_loading.pdf,identities:fails_checking.pdf")
    assert run.returncode == 2, run.stdout[-3000:] + run.stderr[-3000:]
    for name, stage in (("fails_extracting.pdf", "extraction"), ("fails_loading.pdf", "loading")):
        assert f"{name}: refused (internal_error) — {name}: cnbudget failed during {stage} (InjectedFault" in run.stdout
    assert ("✗ fails_checking.pdf: not checked (identities) — fails_checking.pdf: cnbudget failed during its "
            "identities checks (InjectedFault") in run.stdout
    assert f"! extraction cache entry {entry} was damaged: not a whole extraction" in run.stdout
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        errors = sorted((Path(f).name, k, s) for f, k, s in conn.execute(
            "select source_file, error_kind, stage from raw.load_errors").fetchall())
        loaded = sorted(Path(f).name for (f,) in conn.execute("select source_file from raw.documents").fetchall())
        verdicts = dict(conn.execute(
            "select source_file, count(*) from dq.identity_results join raw.documents using (document_id) group by 1"
        ).fetchall())
    assert errors == [("fails_checking.pdf", "internal_error", "identities"),
                      ("fails_extracting.pdf", "internal_error", "extraction"),
                      ("fails_loading.pdf", "internal_error", "loading")]
    # checked, or not: the document whose check failed is loaded, without verdicts
    assert loaded == sorted([SEED_PDF.name, "damaged_cache.pdf", "fails_checking.pdf"])
    assert {Path(f).name for f in verdicts} == {SEED_PDF.name, "damaged_cache.pdf"} and min(verdicts.values()) > 10
    from cnbudget.extract.document import ExtractedDocument

    assert ExtractedDocument.from_json(entry.read_text(encoding="utf-8")).sha256 == sha256_of(drawn[3])


def test_a_truncated_extraction_cache_entry_is_extracted_again(tmp_path):
    """A cache entry cut short (a load killed while writing it, a full disk) or of other
    content is never loaded: the PDF is extracted again, the entry rewritten, and said so."""
    from cnbudget.extract.document import ExtractedDocument, extract_document

    pdf = _drawn(tmp_path, "one_table.pdf", 3)
    cache = tmp_path / "cache"
    notes: list[str] = []
    clean = extract_document(pdf, cache, notes=notes).to_json()
    assert notes == []
    (entry,) = cache.glob("*.json")
    for damaged, why in ((clean[: len(clean) // 2], "not a whole extraction"),
                         (clean.replace(sha256_of(pdf), "0" * 64), "it holds the extraction of other content")):
        entry.write_text(damaged, encoding="utf-8")
        assert extract_document(pdf, cache, notes=notes).to_json() == clean
        assert notes.pop().startswith(f"extraction cache entry {entry} was damaged: {why}")
        assert ExtractedDocument.from_json(entry.read_text(encoding="utf-8")).to_json() == clean


def _stage_and_apply(pdf: Path, warehouse: Path, damage=None):
    """Stage one PDF, let `damage(handoff folder)` loose on its hand-off, then apply it."""
    from cnbudget import settings
    from cnbudget.ingest.assets import SOURCE_PATH_TAG, budget_documents, raw_budget_document, staged_budget_document
    from cnbudget.resources import build_resources

    instance = DagsterInstance.get()
    document_id = document_id_for(sha256_of(pdf))
    instance.add_dynamic_partitions(budget_documents.name, [document_id])
    resources = build_resources()
    tags = {"cnbudget/source_file": pdf.name, SOURCE_PATH_TAG: str(pdf)}
    staged = materialize([staged_budget_document], partition_key=document_id, instance=instance, tags=tags,
                         run_config={"ops": {staged_budget_document.op.name: {"config": {"path": str(pdf)}}}})
    assert staged.success
    if damage:
        damage(Path(settings.handoff_url()) / document_id)
    return materialize([staged_budget_document, raw_budget_document], selection=AssetSelection.assets(raw_budget_document),
                       partition_key=document_id, resources=resources, instance=instance, tags=tags,
                       raise_on_error=False)


def test_a_damaged_hand_off_is_staged_again_never_loaded(tmp_path, monkeypatch):
    monkeypatch.setenv("CNBUDGET_HANDOFF_URL", str(tmp_path / "handoff"))
    pdf = _drawn(tmp_path, "handed_off.pdf", 5)

    def truncate(folder: Path) -> None:
        cells = folder / "cells.parquet"
        cells.write_bytes(cells.read_bytes()[:100])

    def drop_manifest(folder: Path) -> None:
        (folder / "manifest.json").unlink()

    expected = None
    for damage, why in ((None, None), (truncate, "cells.parquet is not the file staging wrote"),
                        (drop_manifest, "no manifest.json")):
        warehouse = tmp_path / f"{why or 'clean'}.duckdb"
        monkeypatch.setenv("CNBUDGET_WAREHOUSE", str(warehouse))
        result = _stage_and_apply(pdf, warehouse, damage)
        assert result.success
        notes = result.get_asset_materialization_events()[0].materialization.metadata["notes"].value
        if why is None:
            assert notes == []
        else:
            assert len(notes) == 1 and why in notes[0] and "staged again from handed_off.pdf" in notes[0], notes
        with duckdb.connect(str(warehouse), read_only=True) as conn:
            counts = {t: conn.execute(f"select count(*) from raw.{t}").fetchone()[0] for t in RAW_TABLES}
        expected = expected or counts
        assert counts == expected and counts["cells"] > 20


def _raw_counts(warehouse: Path) -> dict[str, int]:
    if not warehouse.exists():
        return {}
    # A killed load's children (its dbt) may still be exiting, holding the file's lock
    # for a moment; the next load waits for it the same way.
    wait_until_free(warehouse)
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        if not conn.execute("select count(*) from information_schema.tables where table_schema = 'raw'").fetchone()[0]:
            return {}
        return {t: conn.execute(f"select count(*) from raw.{t}").fetchone()[0] for t in RAW_TABLES}


def test_a_load_killed_anywhere_is_completed_by_the_next_load(seed_warehouse, tmp_path):
    """SIGKILL (CNBUDGET_FAULT=sigkill@…) to the load of raw/ while it extracts, inside its
    raw-layer transaction, while dbt builds, while the identities are checked. After each,
    the raw layer holds the seed whole or not at all; each next load picks up where the
    killed one left, and the last one completes to the warehouse of a load never
    interrupted (seed_warehouse), table by table."""
    warehouse = tmp_path / "warehouse.duckdb"
    whole = _raw_counts(seed_warehouse)
    name = SEED_PDF.name
    for fault, seed_loaded in ((f"sigkill@extraction:{name}", False), (f"sigkill@transaction:{name}", False),
                               (f"sigkill@dbt:{warehouse.name}", True), (f"sigkill@identities:{name}", True)):
        run = _cli_load([REPO / "raw"], warehouse, fault)
        assert run.returncode == -9, (fault, run.returncode, run.stdout[-2000:], run.stderr[-2000:])
        assert _raw_counts(warehouse) in (({}, {t: 0 for t in RAW_TABLES}) if not seed_loaded else (whole,)), fault
    run = _cli_load([REPO / "raw"], warehouse)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "1 loaded, 0 refused." in run.stdout
    assert warehouse_digests(warehouse) == warehouse_digests(seed_warehouse)


def test_a_bug_in_the_models_fails_the_load_loudly(seed_warehouse, tmp_path):
    """What no document can print: a mart holding one printed cell twice (a transformation
    bug) fails dbt's test during the next load, which exits 1 and says so; the raw layer
    and the verdicts are kept as they were."""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(seed_warehouse, warehouse)
    with duckdb.connect(str(warehouse)) as conn:
        conn.execute("insert into marts.published_figures select * from marts.published_figures limit 1")
    run = _cli_load([REPO / "raw"], warehouse)
    assert run.returncode == 1, run.stdout[-3000:] + run.stderr[-3000:]
    assert "dbt build failed" in run.stderr and "Traceback" not in run.stderr
    assert _raw_counts(warehouse) == _raw_counts(seed_warehouse)


def _writer_that_fails(resource, database: Path):
    """A block writing through `resource` that raises; then whether a read-only reader
    of the same process can open the file (the asset checks after a failed asset do)."""
    with pytest.raises(RuntimeError) as failure:
        with resource.get_connection() as conn:
            conn.execute("create table written (x integer)")
            raise RuntimeError("the writer fails")
    try:
        with duckdb.connect(str(database), read_only=True) as reader:
            return reader.execute("select count(*) from written").fetchone()[0], failure
    except duckdb.ConnectionException as refused:
        return str(refused), failure


def test_a_writer_that_fails_leaves_no_connection_open(tmp_path):
    from dagster_duckdb import DuckDBResource

    from cnbudget.resources import WarehouseResource

    # The failure (and its traceback) is still held, as Dagster holds a failed step's.
    count, _held = _writer_that_fails(WarehouseResource(database=str(tmp_path / "ours.duckdb")), tmp_path / "ours.duckdb")
    assert count == 0
    # dagster-duckdb's own resource leaves the failed writer's connection open: the reader is refused.
    refused, _held = _writer_that_fails(DuckDBResource(database=str(tmp_path / "plain.duckdb")), tmp_path / "plain.duckdb")
    assert "different configuration" in refused
