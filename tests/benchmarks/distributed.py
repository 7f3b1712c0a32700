"""`make bench` (distributed): documents per minute with the local pool (2 processes)
and with two Celery workers on this machine (a Redis broker and two `celery worker`
processes of one process each, started cold), on the national corpus and on the seed
rendering plus the Putuo corpus; and what the engine costs per task.

Each load runs as `cnbudget load` does, in a fresh Python process, from an empty
warehouse, extraction cache and Dagster instance (the workers' caches are empty too).
From the Dagster runs it recorded, medians per document: the extraction step itself,
the worker-seconds a document costs (on Celery from the worker taking the task to the
step's end), and the loader's run of raw/budget_document (serial: one writer).

The engine's overhead per task is measured apart, one document at a time so nothing
waits for a free worker: the seed rendering, served from the extraction cache so the
step does next to nothing, staged in this process and then on a worker; the difference
of the two runs' times is what the engine adds (queueing the task, the worker opening
the Dagster instance and planning the step, the executor looking for results once a
second), broken down from the Celery runs' events.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cnbudget.ingest.celery_cluster import RUNS_PER_WORKER_PROCESS
from cnbudget.runs import DAGSTER_YAML
from tests.benchmarks.extraction import CORPUS, REPO, documents
from tests.benchmarks.loads import Clock

CONFIGURATIONS = ("local pool, 2 processes", "2 Celery workers")
WORKLOADS = {
    "national corpus": lambda: sorted((CORPUS / "national").glob("*.pdf")),
    "seed + Putuo corpus": lambda: documents()["seed + Putuo"],
}


REPEATS = 5


def _step_seconds(instance, run_id: str) -> dict[str, float]:
    """When each part of a staging run happened, from its events (seconds since epoch)."""
    marks: dict[str, float] = {}
    for record in instance.all_logs(run_id):
        event = record.dagster_event
        marks.setdefault("first", record.timestamp)
        marks["last"] = record.timestamp
        if event is None:
            continue
        if event.event_type_value == "ENGINE_EVENT" and "Submitting celery task" in (event.message or ""):
            marks.setdefault("submitted", record.timestamp)
        elif event.event_type_value == "ENGINE_EVENT" and "in celery worker" in (event.message or ""):
            marks["on_worker"] = record.timestamp
        elif event.event_type_value == "STEP_START":
            marks["step_start"] = record.timestamp
        elif event.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE"):
            marks["step_end"] = record.timestamp
    return marks


def run_timings(document_ids: list[str]) -> dict:
    """Per-document medians over the staging and loading runs this process recorded."""
    from dagster import RunsFilter

    from cnbudget.runs import local_instance

    instance = local_instance()
    staging, loading = [], []
    for run in instance.get_runs(RunsFilter(job_name="ingest_documents")):
        marks = _step_seconds(instance, run.run_id)
        if "step_end" in marks:
            staging.append(marks)
    for run in instance.get_runs(RunsFilter(job_name="__ephemeral_asset_job__")):  # the loader's, and dbt's
        if run.tags.get("dagster/partition") in document_ids:
            marks = _step_seconds(instance, run.run_id)
            loading.append(marks["last"] - marks["first"])

    def median(values):
        return statistics.median(values) if values else float("nan")

    return {
        "extraction": median([m["step_end"] - m["step_start"] for m in staging]),
        "worker_seconds": median([m["step_end"] - m.get("on_worker", m["step_start"]) for m in staging]),
        "loading": median(loading),
    }


def one_configuration(workload: str) -> None:
    """Load the workload in this (fresh) process, with the settings in the environment; print JSON."""
    from cnbudget.pipeline import load

    docs = WORKLOADS[workload]()
    clock = Clock()
    outcome = load(docs, Path(os.environ["CNBUDGET_WAREHOUSE"]), quiet=True, workers=2, progress=clock)
    assert outcome.transform_ok, outcome.transform_error
    print(json.dumps({
        "documents": len(docs),
        "loaded": len(docs) - len(outcome.refused),
        "ingest": clock.loaded_at - clock.start,
        **run_timings([f.document_id for f in outcome.files if f.document_id]),
    }))


def engine_overhead() -> None:
    """Stage one cached document REPEATS times on a worker, then here; print JSON."""
    from dagster import RunsFilter

    from cnbudget.ingest.landing import document_id_of
    from cnbudget.ingest.staging import StageJob, stage
    from cnbudget.memory import peak_memory_mib
    from cnbudget.runs import local_instance

    seed = sorted((REPO / "raw").rglob("*.pdf"))[0].resolve()
    job = StageJob(seed, document_id_of(seed))
    instance = local_instance()
    instance.add_dynamic_partitions("budget_documents", [job.document_id])
    seconds: dict[str, float] = {}
    # On Celery first: until it extracts here, this process is what coordinates runs in a load.
    for where, on_workers in (("celery", True), ("local", False)):
        assert stage(job, True, on_workers, instance).ok  # warms this process, the worker and both caches
        times = []
        for _ in range(REPEATS):
            start = time.perf_counter()
            assert stage(job, True, on_workers, instance).ok
            times.append(time.perf_counter() - start)
        seconds[where] = statistics.median(times)
        if on_workers:
            seconds["coordinator_peak_mib"] = peak_memory_mib()
            celery_runs = [run.run_id for run in instance.get_runs(RunsFilter(job_name="ingest_documents"), limit=REPEATS)]
    marks = [_step_seconds(instance, run_id) for run_id in celery_runs]
    print(json.dumps(seconds | {
        "step": statistics.median(m["step_end"] - m["step_start"] for m in marks),
        "to_worker": statistics.median(m["on_worker"] - m["submitted"] for m in marks),
        "worker_setup": statistics.median(m["step_start"] - m["on_worker"] for m in marks),
        "pickup": statistics.median(m["last"] - m["step_end"] for m in marks),
    }))


def measure(workload: str, configuration: str) -> dict:
    """One configuration in a fresh process, with empty caches, hand-off and instance."""
    from tests.celery_workers import CeleryWorkers

    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        env = {
            **os.environ,
            "CNBUDGET_CACHE_DIR": str(scratch / "cache"),
            "CNBUDGET_HANDOFF_URL": str(scratch / "handoff"),
            "CNBUDGET_WAREHOUSE": str(scratch / "warehouse.duckdb"),
            "DAGSTER_HOME": str(scratch / "dagster"),
        }
        (scratch / "dagster").mkdir()
        (scratch / "dagster" / "dagster.yaml").write_text(DAGSTER_YAML, encoding="utf-8")
        workers = CeleryWorkers(scratch / "celery") if configuration == CONFIGURATIONS[1] else None
        if workers:
            workers.__enter__()
            env.update(workers.settings())
        try:
            start = time.perf_counter()
            completed = subprocess.run(
                [sys.executable, "-m", "tests.benchmarks.distributed", *(["--one", workload] if workload else ["--overhead"])],
                cwd=REPO, capture_output=True, text=True, env=env,
            )
            total = time.perf_counter() - start
        finally:
            if workers:
                workers.stop()
    if completed.returncode:
        raise SystemExit(f"{configuration} on the {workload or 'overhead'} failed:\n{completed.stderr[-5000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1]) | {"total": total}


def main() -> None:
    for workload, files in WORKLOADS.items():
        if not files():
            print(f"({workload}: no PDFs found, skipped)\n")
            continue
        results = {configuration: measure(workload, configuration) for configuration in CONFIGURATIONS}
        first = results[CONFIGURATIONS[0]]
        print(f"{workload}: {first['documents']} documents ({first['loaded']} loaded, the others refused); "
              "seconds; per document: medians")
        print(f"{'':26} {'ingest':>7} {'total':>7} {'docs/min':>9} {'extraction':>11} {'worker s':>9} {'loading':>8}")
        for configuration, r in results.items():
            print(
                f"{configuration:26} {r['ingest']:7.1f} {r['total']:7.1f} {60 * r['documents'] / r['ingest']:9.1f} "
                f"{r['extraction']:11.2f} {r['worker_seconds']:9.2f} {r['loading']:8.2f}"
            )
        print()
    print("docs/min is over ingest: from the file list to the last document in the raw layer (imports, "
          "dbt and the checks are in total)\n")
    o = measure("", CONFIGURATIONS[1])
    print(f"Engine overhead per task, one document at a time (the seed, its extraction cached; {REPEATS} runs, medians):")
    print(f"  staging run here {o['local']:.2f} s, on a Celery worker {o['celery']:.2f} s: the engine adds "
          f"{o['celery'] - o['local']:.2f} s per document")
    print(f"  on Celery: submitted -> the worker's run of it begins {o['to_worker']:.2f} s (queue, the worker opening "
          f"the Dagster instance and planning), -> step {o['worker_setup']:.2f} s, step {o['step']:.2f} s, "
          f"step end -> result seen {o['pickup']:.2f} s (the executor looks once a second)")
    print(f"  a process coordinating runs on Celery holds {o['coordinator_peak_mib']:.0f} MiB (a load keeps "
          f"{RUNS_PER_WORKER_PROCESS} per worker process)")


if __name__ == "__main__":
    if "--one" in sys.argv:
        one_configuration(sys.argv[sys.argv.index("--one") + 1])
    elif "--overhead" in sys.argv:
        engine_overhead()
    else:
        main()
