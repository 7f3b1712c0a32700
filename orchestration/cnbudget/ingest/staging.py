"""Staging partitions: per PDF, one run of the ingest job's extraction step
(staged/budget_document), described once (`staging_run_config`, `staging_tags`)
whichever executor runs it:

- on this machine (`cnbudget load`, nothing to start): the job's in-process executor,
  in this process or in a pool of processes (`--workers N`) that extract;
- on Celery workers (CNBUDGET_CELERY_BROKER): the job's celery executor sends the step
  to the broker and long-lived workers extract; the pool's processes only coordinate
  the runs, enough of them to keep every worker busy (celery_cluster.py).

Runs are coordinated in processes, never in threads of one process: setting up a run
reconfigures Python's logging (Dagster calls logging.config.dictConfig), which
deadlocks against another thread's run logging an event.

The pool is built for throughput:
- its processes are spawned, not forked (the parent holds a Dagster instance and may
  run threads), and are started before the parent's own heavy imports so the two
  overlap;
- a process imports only what staging needs (the ingest job, and camelot where it
  extracts; not the dbt project) once, then stages documents until the batch is done.
Results come back in file order as they are ready, so the one loader applies each
document while the next ones are extracted (the order also fixes which of two
versions of a document in one batch becomes current: the later file).
"""

from __future__ import annotations

import functools
import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from cnbudget import settings
from cnbudget.runs import QUIET_LOGS, local_instance, run_failure


@dataclass(frozen=True)
class StageJob:
    path: Path
    document_id: str


@dataclass(frozen=True)
class StageResult:
    ok: bool
    error: str = ""
    reason: str = ""  # the failure's kind ("error" when staging itself broke)
    notes: tuple[str, ...] = ()  # damage found and repaired (a cache entry extracted again)


def staging_run_config(job: StageJob, quiet: bool) -> dict:
    """The run config of one document's staging, for every executor."""
    from cnbudget.ingest.assets import staged_budget_document

    return {
        "ops": {staged_budget_document.op.name: {"config": {"path": str(job.path)}}},
        **(QUIET_LOGS if quiet else {}),
    }


def staging_tags(job: StageJob) -> dict[str, str]:
    return {"dagster/partition": job.document_id, "cnbudget/source_file": job.path.name}


@functools.cache
def _process_instance():
    """A pool process's Dagster instance, opened once: it stages many documents."""
    return local_instance()


def stage(job: StageJob, quiet: bool, on_workers: bool = False, instance=None) -> StageResult:
    """Run the ingest job's extraction step for one document: in this process, or on
    the Celery workers. The run is recorded in `instance` (default: this process's)."""
    from dagster import execute_job, reconstructable

    from cnbudget.ingest.assets import STAGED_DOCUMENT
    from cnbudget.ingest.job import ingest_documents_in_process, ingest_documents_on_celery

    try:
        result = execute_job(
            reconstructable(ingest_documents_on_celery if on_workers else ingest_documents_in_process),
            instance or _process_instance(),
            run_config=staging_run_config(job, quiet),
            tags=staging_tags(job),
            asset_selection=[STAGED_DOCUMENT],
            raise_on_error=False,
        )
    except Exception as error:  # noqa: BLE001 - reported for this file; the batch goes on
        return StageResult(False, f"{job.path.name}: {type(error).__name__}: {error}", "error")
    if not result.success:
        return StageResult(False, *run_failure(result))
    metadata = result.get_asset_materialization_events()[0].materialization.metadata
    return StageResult(True, notes=tuple(metadata["notes"].value) if "notes" in metadata else ())


def _warm_up(on_workers: bool) -> None:
    """A pool process's start: import what staging needs once, before any document arrives."""
    from cnbudget.ingest.job import ingest_documents_in_process, ingest_documents_on_celery

    if on_workers:
        ingest_documents_on_celery()
    else:
        import camelot  # noqa: F401 - imported for its import time

        ingest_documents_in_process()
    _process_instance()


def _ready() -> int:
    return os.getpid()


class StagingPool:
    """Stages partitions on the Celery workers when CNBUDGET_CELERY_BROKER is set, else
    in `workers` processes (in this one when `workers` is 1).

    Create it as early as possible: its processes start importing at once. Close it (or
    leave the `with` block) after staging, before loading, to return their memory."""

    def __init__(self, workers: int, quiet: bool) -> None:
        self.broker = settings.celery_broker()
        if self.broker:
            from cnbudget.ingest.celery_cluster import runs_in_flight

            processes = runs_in_flight(self.broker)
        else:
            processes = workers
        self._stage = functools.partial(stage, quiet=quiet, on_workers=bool(self.broker))
        self._executor: ProcessPoolExecutor | None = None
        if processes > 1:
            self._executor = ProcessPoolExecutor(
                max_workers=processes,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_warm_up,
                initargs=(bool(self.broker),),
            )
            # The executor spawns a process per pending task: one each starts them all now.
            for _ in range(processes):
                self._executor.submit(_ready)

    def staged_in_order(self, jobs: list[StageJob], instance=None) -> Iterator[tuple[int, StageResult]]:
        """Stage every job; yield (index, result) in job order, each as soon as it and
        those before it are staged, so the caller can load one document while the
        next ones are extracted. Staging in this process records its runs in
        `instance` (default: the local one)."""
        if self._executor is None:
            for index, job in enumerate(jobs):
                yield index, self._stage(job, instance=instance or local_instance())
            return
        futures = [self._executor.submit(self._stage, job) for job in jobs]
        for index, future in enumerate(futures):
            yield index, future.result()

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(cancel_futures=True)
            self._executor = None

    def __enter__(self) -> StagingPool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
