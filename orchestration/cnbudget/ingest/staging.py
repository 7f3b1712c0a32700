"""Staging partitions: one Dagster run of staged/budget_document per PDF, in this
process or in a pool of worker processes (`cnbudget load --workers N`).

The pool is built for throughput:
- workers are spawned, not forked (the parent holds a Dagster instance and may run
  threads), and are started before the parent's own heavy imports so the two overlap;
- a worker imports only what staging needs (the ingest assets and camelot, not the dbt
  project) once, then stages documents until the batch is done;
- results come back in file order as they are ready, so the one loader applies each
  document while the workers extract the next ones (the order also fixes which of two
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

from cnbudget.resources import warehouse_resource
from cnbudget.runs import QUIET_LOGS, local_instance, run_failure


@dataclass(frozen=True)
class StageJob:
    path: Path
    document_id: str


@dataclass(frozen=True)
class StageResult:
    ok: bool
    error: str = ""
    reason: str = ""  # the refusal's kind (raw.load_errors.error_kind)


@functools.cache
def _worker_instance():
    """A worker's Dagster instance, opened once: a worker stages many documents."""
    return local_instance()


def stage(job: StageJob, quiet: bool, instance=None) -> StageResult:
    """Stage one partition in this process (in `instance`, default the worker's)."""
    from dagster import materialize

    from cnbudget.ingest.assets import staged_budget_document

    try:
        result = materialize(
            [staged_budget_document],
            partition_key=job.document_id,
            run_config={
                "ops": {staged_budget_document.op.name: {"config": {"path": str(job.path)}}},
                **(QUIET_LOGS if quiet else {}),
            },
            resources={"warehouse": warehouse_resource()},
            instance=instance or _worker_instance(),
            raise_on_error=False,
            tags={"cnbudget/source_file": job.path.name},
        )
    except Exception as error:  # noqa: BLE001 - reported for this file; the batch goes on
        return StageResult(False, f"{job.path.name}: {type(error).__name__}: {error}", "error")
    return StageResult(True) if result.success else StageResult(False, *run_failure(result))


def _warm_up() -> None:
    """A worker's start: import what staging needs once, before any document arrives."""
    import camelot  # noqa: F401 - imported for its import time

    import cnbudget.ingest.assets  # noqa: F401

    _worker_instance()


def _ready() -> int:
    return os.getpid()


class StagingPool:
    """Stages partitions in `workers` processes (in this one when `workers` is 1).

    Create it as early as possible: the workers start importing at once. Close it (or
    leave the `with` block) after staging, before loading, to return their memory."""

    def __init__(self, workers: int, quiet: bool) -> None:
        self.quiet = quiet
        self._executor: ProcessPoolExecutor | None = None
        if workers > 1:
            self._executor = ProcessPoolExecutor(
                max_workers=workers, mp_context=multiprocessing.get_context("spawn"), initializer=_warm_up
            )
            # The executor spawns a worker per pending task: one each starts them all now.
            for _ in range(workers):
                self._executor.submit(_ready)

    def staged_in_order(self, jobs: list[StageJob], instance=None) -> Iterator[tuple[int, StageResult]]:
        """Stage every job; yield (index, result) in job order, each as soon as it and
        those before it are staged, so the caller can load one document while the
        workers extract the next. Staging in this process records its runs in
        `instance` (default: the local one)."""
        if self._executor is None:
            for index, job in enumerate(jobs):
                yield index, stage(job, self.quiet, instance or local_instance())
            return
        futures = [self._executor.submit(stage, job, self.quiet) for job in jobs]
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
