"""Issue #6: idempotent reloads, versions of a corrected document, and concurrent loads
(their own file, so that the test processes share test_loads.py's work evenly)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from cnbudget.pipeline import load
from tests.conftest import SEED_PDF, corpus_pdfs, render_variant, seed_table
from tests.test_dagster import fingerprint


def test_reloading_the_corpus_changes_nothing(corpus_warehouse, corpus_dir, tmp_path):
    """Issue #14: and does nothing but stage and find each file unchanged: no dbt model,
    no identity or narrative evaluation, no check runs (the Dagster runs' events say)."""
    from dagster import DagsterEventType, DagsterInstance, RunsFilter

    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(corpus_warehouse, warehouse)
    before = fingerprint(warehouse)
    instance = DagsterInstance.get()
    since = datetime.now(timezone.utc)
    outcome = load(corpus_pdfs(corpus_dir), warehouse, quiet=True, workers=2, instance=instance)
    assert [f.status for f in outcome.files] == ["unchanged"] * 5
    runs = instance.get_runs(RunsFilter(created_after=since))
    events = [e for run in runs for e in instance.all_logs(run.run_id)]
    assert len(runs) == 10  # staging and applying, per file
    materialized = {e.dagster_event.asset_key.to_user_string() for e in events
                    if e.dagster_event and e.dagster_event.event_type == DagsterEventType.ASSET_MATERIALIZATION}
    assert materialized == {"staged/budget_document", "raw/budget_document"}
    assert not [e for e in events if e.dagster_event and e.dagster_event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION]
    assert fingerprint(warehouse, with_load_times=True) == fingerprint(corpus_warehouse, with_load_times=True)
    assert fingerprint(warehouse) == before


def test_the_standing_build_is_judged_by_content_not_file_times(seed_warehouse, tmp_path):
    """The marts stand while the dbt project is the one they were built from (however
    often it is parsed again: `dagster dev` does, in any process), never once it is not.
    (No test touches the project's own files: the other test process builds from them.)"""
    from cnbudget.pipeline import _standing_build

    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(seed_warehouse, warehouse)
    assert _standing_build(warehouse)
    with duckdb.connect(str(warehouse)) as conn:
        conn.execute("update meta.dbt_builds set project_sha256 = 'another project'")
    assert _standing_build(warehouse) == ""


def test_a_corrected_pdf_becomes_the_current_version(seed_warehouse, seed_spec, tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(seed_warehouse, warehouse)
    def correct(spec):  # 公务接待费 9.10 -> 9.20 万元, and the 三公 total with it
        row = seed_table(spec, "表7")["rows"][0]
        row[0], row[5] = "100.20", "9.20"

    corrected = render_variant(seed_spec, tmp_path / "corrected.pdf", correct)
    outcome = load([corrected], warehouse, quiet=True, workers=1)
    assert [(f.status, f.version) for f in outcome.files] == [("loaded", 2)]
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        versions = conn.execute(
            "select version, is_current, source_file from marts.dim_document order by version"
        ).fetchall()
        per_version = conn.execute(
            "select d.version, count(*) from marts.published_figures f join marts.dim_document d using (document_id) "
            "group by 1 order by 1"
        ).fetchall()
    assert [(v, c) for v, c, _ in versions] == [(1, False), (2, True)]
    assert versions[1][2].endswith("corrected.pdf")
    assert per_version[0][1] == per_version[1][1] > 400  # both versions stay queryable


def test_two_concurrent_loads_end_with_a_correct_warehouse(seed_warehouse, tmp_path):
    """Two loads of the same file into one new warehouse at once: they wait for each
    other's writes (DuckDB has one writer) and end with the warehouse one load builds."""
    warehouse = tmp_path / "warehouse.duckdb"
    env = {**os.environ, "CNBUDGET_WAREHOUSE": str(warehouse)}
    command = [sys.executable, "-m", "cnbudget.cli", "load", str(SEED_PDF), "--workers", "1"]
    first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    second = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    outputs = [p.communicate(timeout=600) for p in (first, second)]
    for process, (out, err) in zip((first, second), outputs):
        assert process.returncode == 0, out[-2000:] + err[-2000:]
        assert "could not set lock" not in (out + err).lower()
    assert fingerprint(warehouse) == fingerprint(seed_warehouse)


def test_in_a_batch_the_later_file_becomes_current_however_fast_each_extracts(seed_warehouse, seed_spec, tmp_path):
    """Documents load in file order, each as soon as it is staged: the first file here
    needs a real extraction while the second is served from the cache (the seed), so
    loading in finishing order would make the first one current."""
    def correct(spec):  # 公务接待费 9.10 -> 9.30 万元, and the 三公 total with it
        row = seed_table(spec, "表7")["rows"][0]
        row[0], row[5] = "100.30", "9.30"

    batch = tmp_path / "batch"
    batch.mkdir()
    first = render_variant(seed_spec, batch / "a_corrected_first.pdf", correct)
    second = Path(shutil.copy(SEED_PDF, batch / "b_original_second.pdf"))
    outcome = load([first, second], tmp_path / "warehouse.duckdb", quiet=True, workers=2)
    assert [(f.path.name, f.status, f.version) for f in outcome.files] == [
        (first.name, "loaded", 1), (second.name, "loaded", 2)
    ]
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as conn:
        current = conn.execute("select source_file from raw.documents where is_current").fetchall()
    assert [Path(name).name for (name,) in current] == [second.name]


def test_processes_opening_a_new_dagster_instance_at_once_all_succeed(tmp_path):
    """The first opening creates the instance's SQLite storage; unguarded, processes
    doing it at once (concurrent loads, extraction workers) break its schema version."""
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path / "dagster")}
    code = "from cnbudget.runs import local_instance; local_instance()"
    processes = [
        subprocess.Popen([sys.executable, "-c", code], env=env, stderr=subprocess.PIPE, text=True) for _ in range(4)
    ]
    errors = [p.communicate(timeout=120)[1] for p in processes]
    assert [p.returncode for p in processes] == [0] * 4, "\n".join(errors)[-3000:]
