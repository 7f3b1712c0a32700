"""Issue #15: extraction on Celery workers, tested on real parts: a Redis broker and two
worker processes on loopback (tests/celery_workers.py). `cnbudget load` through them
builds, from the seed rendering and the Putuo corpus and from the national corpus, the
warehouses the session's local loads of the same files build (full_warehouse,
national_warehouse); the Dagster ingest job itself runs on them, loading only where the
writer queue is served; a worker killed mid-document loses no document."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterEventType, DagsterInstance, RunsFilter, execute_job, reconstructable

from cnbudget.extract.document import document_id_for, sha256_of
from cnbudget.ingest.job import ingest_documents_on_celery
from cnbudget.ingest.staging import StageJob, staging_run_config
from tests.celery_workers import CeleryWorkers, free_loopback_port
from tests.conftest import CORPUS_DIR, REPO, SEED_PDF, CliRun, corpus_pdfs, warehouse_digests
from tests.test_dagster import fingerprint

NATIONAL_DIR = CORPUS_DIR / "national"
WRITER = "worker2"
# Short, so the test of a whole worker dying does not wait long for Redis to hand its
# document on; longer than any one extraction here, so none is extracted twice.
VISIBILITY_TIMEOUT_SECONDS = 20
LOAD_TIMEOUT_SECONDS = 1200


@pytest.fixture(scope="session")
def celery_workers(tmp_path_factory):
    folder = tmp_path_factory.mktemp("celery")
    # The workers share the session's extraction cache: the comparisons with the local
    # loads test the engine, hand-off and loader, not extraction twice; the kill test
    # gives them documents no cache holds.
    with CeleryWorkers(folder, count=2, visibility_timeout=VISIBILITY_TIMEOUT_SECONDS, writer=WRITER,
                       writer_warehouse=folder / "writer.duckdb",
                       cache_dir=Path(os.environ["CNBUDGET_CACHE_DIR"])) as workers:
        yield workers


def cli_load(files: list[Path], warehouse: Path, env: dict) -> CliRun:
    result = subprocess.run(
        [sys.executable, "-m", "cnbudget.cli", "load", *map(str, files), "--warehouse", str(warehouse)],
        capture_output=True, text=True, env=env, timeout=LOAD_TIMEOUT_SECONDS,
    )
    return CliRun(warehouse, result.returncode, result.stdout, result.stderr)


def celery_hosts(instance: DagsterInstance, since: datetime) -> dict[tuple[str, str], list[str]]:
    """(source file, step) -> the Celery workers that began it, for the ingest runs
    created since `since`, as each worker recorded it in the run's events."""
    hosts: dict[tuple[str, str], list[str]] = {}
    for run in instance.get_runs(RunsFilter(job_name="ingest_documents", created_after=since)):
        for record in instance.all_logs(run.run_id, of_type=DagsterEventType.ENGINE_EVENT):
            metadata = record.dagster_event.engine_event_data.metadata
            if "Celery worker" in metadata:
                key = (run.tags["cnbudget/source_file"], record.dagster_event.step_key)
                hosts.setdefault(key, []).append(metadata["Celery worker"].value)
    return hosts


@pytest.fixture(scope="session")
def distributed_loads(celery_workers, corpus_dir, full_warehouse, request, tmp_path_factory):
    """`cnbudget load` on the workers of the batches the session loads locally too: the
    seed and the Putuo corpus, and the national corpus when it is there; with, per
    (file, step), the workers that ran it. After the local loads: so that the workers find
    every extraction cached, never extracting a file while the other test process does."""
    national_there = bool(list(NATIONAL_DIR.glob("*.pdf")))
    if national_there:
        request.getfixturevalue("national_warehouse")
    folder = tmp_path_factory.mktemp("distributed")
    started = datetime.now(timezone.utc)
    env = celery_workers.environment()
    seed_and_putuo = cli_load([REPO / "raw", *corpus_pdfs(corpus_dir)], folder / "seed_and_putuo.duckdb", env)
    national = cli_load([NATIONAL_DIR], folder / "national.duckdb", env) if national_there else None
    return seed_and_putuo, national, celery_hosts(DagsterInstance.get(), started)


def extracted_by(hosts: dict, files: list[Path]) -> set[str]:
    """The workers that extracted `files`; each file must have been extracted by one."""
    staged = {name: workers for (name, step), workers in hosts.items() if step == "staged__budget_document"}
    assert {f.name for f in files} <= set(staged), sorted({f.name for f in files} - set(staged))
    return {host for f in files for host in staged[f.name]}


def test_the_seed_and_putuo_corpus_on_two_celery_workers_build_the_local_warehouse(
    celery_workers, distributed_loads, full_warehouse, corpus_dir
):
    run, _, hosts = distributed_loads
    assert "extracting on the Celery workers of redis://127.0.0.1:" in run.stdout
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    digests = warehouse_digests(run.warehouse)
    assert digests == warehouse_digests(full_warehouse)
    assert {'"raw"."cells"', '"raw"."load_errors"', '"marts"."published_figures"', '"dq"."identity_results"'} <= set(digests)
    files = sorted((REPO / "raw").rglob("*.pdf")) + corpus_pdfs(corpus_dir)
    assert extracted_by(hosts, files) == {w.name for w in celery_workers.workers}  # both took part


def test_the_national_corpus_on_two_celery_workers_builds_the_local_warehouse(
    distributed_loads, national_warehouse, national_dir
):
    """Whatever each file's outcome: loaded, or refused with its reason (raw.load_errors)."""
    _, run, hosts = distributed_loads
    assert run.returncode in (0, 2), run.stdout[-3000:] + run.stderr[-3000:]  # 2: a file refused
    assert warehouse_digests(run.warehouse) == warehouse_digests(national_warehouse)
    extracted_by(hosts, sorted(national_dir.glob("*.pdf")))


def test_a_broker_that_does_not_answer_or_has_no_worker_ends_the_load_in_one_line(celery_workers, tmp_path):
    silent = f"redis://127.0.0.1:{free_loopback_port()}/0"
    no_worker = celery_workers.broker_url.rsplit("/", 1)[0] + "/5"  # the same Redis, a database no worker uses
    for broker, words in ((silent, "does not answer"), (no_worker, "no Celery worker listens to")):
        run = cli_load([SEED_PDF], tmp_path / "warehouse.duckdb", {**os.environ, "CNBUDGET_CELERY_BROKER": broker})
        assert run.returncode == 1, run.stdout + run.stderr
        assert "cnbudget load: " in run.stderr and words in run.stderr and broker in run.stderr, run.stderr
        assert "Traceback" not in run.stderr
        assert not run.warehouse.exists()


def test_warehouse_digests_tell_a_changed_figure_apart(seed_warehouse, tmp_path):
    changed = Path(shutil.copy(seed_warehouse, tmp_path / "changed.duckdb"))
    with duckdb.connect(str(changed)) as conn:
        conn.execute("update raw.cells set text = '466.76' where text = '466.67'")
    before, after = warehouse_digests(seed_warehouse), warehouse_digests(changed)
    differing = [table for table in before if before[table] != after[table]]
    assert '"raw"."cells"' in differing and '"raw"."documents"' not in differing


def test_the_ingest_job_runs_on_the_workers_and_loads_only_on_the_writer(celery_workers, seed_warehouse, monkeypatch):
    """The Dagster job the UI, the sensor and backfills run, with both steps on Celery:
    extraction on any worker, loading on the one listening to the queue duckdb_writer."""
    for name, value in celery_workers.settings().items():
        monkeypatch.setenv(name, value)
    seed_id = document_id_for(sha256_of(SEED_PDF))
    instance = DagsterInstance.get()
    instance.add_dynamic_partitions("budget_documents", [seed_id])
    started = datetime.now(timezone.utc)
    result = execute_job(
        reconstructable(ingest_documents_on_celery), instance,
        run_config=staging_run_config(StageJob(SEED_PDF, seed_id), quiet=True),
        tags={"dagster/partition": seed_id, "cnbudget/source_file": SEED_PDF.name},
    )
    assert result.success
    hosts = celery_hosts(instance, started)
    assert hosts[(SEED_PDF.name, "raw__budget_document")] == [f"{WRITER}@cnbudget-tests"]
    assert (SEED_PDF.name, "staged__budget_document") in hosts
    assert fingerprint(celery_workers.writer_warehouse, schemas=("raw",)) == fingerprint(seed_warehouse, schemas=("raw",))


def distinct_copies(files: list[Path], folder: Path, copies: int) -> list[Path]:
    """Copies with new content (a comment after %%EOF): no cache has extracted them."""
    made = []
    for copy in range(copies):
        (folder / f"copy{copy}").mkdir(parents=True)
        for path in files:
            made.append(folder / f"copy{copy}" / path.name)
            made[-1].write_bytes(path.read_bytes() + f"\n% kill test copy {copy}\n".encode())
    return made


def running_task(workers: CeleryWorkers, skip: set[str], timeout: float = 300.0) -> tuple[str, dict]:
    """A worker and the staging task it has been running for a while (not one in `skip`)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for worker, tasks in workers.active().items():
            for task in tasks:
                if task["id"] not in skip and time.time() - (task.get("time_start") or time.time()) > 0.5:
                    return worker, task
        time.sleep(0.2)
    raise AssertionError("no staging task ran on the workers")


def kill_an_extraction(workers: CeleryWorkers, skip: set[str], tries: int = 4) -> dict:
    """SIGKILL the process running a staging task, and return the task; a task whose step
    had already succeeded when the kill came (a snapshot of `active()` is a moment old)
    was not interrupted: another is killed instead."""
    instance = DagsterInstance.get()
    for _ in range(tries):
        _, task = running_task(workers, skip)
        killed_at = time.time()
        os.kill(task["worker_pid"], signal.SIGKILL)
        finished = instance.all_logs(run_of(task), of_type=DagsterEventType.STEP_SUCCESS)
        if not any(event.timestamp < killed_at for event in finished):
            return task
        skip = skip | {task["id"]}
    raise AssertionError(f"every staging task of {tries} had ended before it could be killed")


def staging_attempts(instance: DagsterInstance, run_id: str) -> tuple[int, bool]:
    """How many times a staging run's step started, and whether the run succeeded."""
    starts = instance.all_logs(run_id, of_type=DagsterEventType.STEP_START)
    return len(starts), instance.get_run_by_id(run_id).is_success


def run_of(task: dict) -> str:
    """The Dagster run a Celery task is a step of."""
    from dagster._grpc.types import ExecuteStepArgs
    from dagster._serdes import unpack_value

    return unpack_value(task["kwargs"]["execute_step_args_packed"], as_type=ExecuteStepArgs).run_id


def test_a_worker_killed_mid_document_loses_no_document(celery_workers, full_warehouse, corpus_dir, tmp_path):
    """Two deaths in one batch: a whole worker (Redis hands the document it held to the
    other worker after the visibility timeout), then the process extracting a document
    on the other (its worker puts the document back at once: acks late, reject on
    worker lost)."""
    originals = sorted((REPO / "raw").rglob("*.pdf")) + corpus_pdfs(corpus_dir)
    copies = distinct_copies(originals, tmp_path / "batch", copies=1)
    warehouse = tmp_path / "warehouse.duckdb"
    load = subprocess.Popen(
        [sys.executable, "-m", "cnbudget.cli", "load", str(tmp_path / "batch"), "--warehouse", str(warehouse)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=celery_workers.environment(),
    )
    try:
        worker, whole = running_task(celery_workers, skip=set())
        celery_workers.kill(celery_workers.worker(worker))
        extracting = kill_an_extraction(celery_workers, skip={whole["id"]})
        out, err = load.communicate(timeout=LOAD_TIMEOUT_SECONDS)
    finally:
        if load.poll() is None:
            load.kill()
    assert load.returncode == 0, out[-3000:] + err[-3000:]
    assert f"{len(copies)} loaded, 0 refused." in out
    # Each copy holds what its original holds, whatever worker extracted it, however often.
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        copied = conn.execute(
            "select department, fiscal_year, kind, count(*) from raw.cells join raw.documents using (document_id) "
            "group by all order by all").fetchall()
    with duckdb.connect(str(full_warehouse), read_only=True) as conn:
        original = conn.execute(
            "select department, fiscal_year, kind, count(*) from raw.cells join raw.documents using (document_id) "
            "group by all order by all").fetchall()
    assert copied == original
    # Both documents whose process died were started again, and finished.
    instance = DagsterInstance.get()
    assert [staging_attempts(instance, run_of(task)) for task in (whole, extracting)] == [(2, True), (2, True)]
