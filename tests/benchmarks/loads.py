"""`make bench` (loads): documents per minute with 1 and 2 extraction processes on the
seed rendering plus the corpus, and peak memory.

Each configuration runs as `cnbudget load` does: in a fresh Python process, from an
empty warehouse, an empty extraction cache and a fresh Dagster instance, so both pay
their own imports and worker start-up. Times:
- extraction: from the load's start (files listed) until every file is staged;
- total: the whole process, interpreter start to exit (imports, dbt and checks included).
Peak memory of the extraction workers is read when they have exited, before dbt runs
(dbt is a child process too and would otherwise be counted).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

from cnbudget.extract.pages import open_pdf
from tests.benchmarks.extraction import REPO, documents, scratch_environment


class Clock:
    """Marks when extraction (all files staged) and loading finished, and the peak RSS
    of whatever did the extraction."""

    def __init__(self, workers: int) -> None:
        self.workers = workers

    def begin(self, paths):
        self.start, self.files, self.staged_count = time.perf_counter(), len(paths), 0
        self.extraction_peak = None

    def staged(self, path, ok):
        self.staged_count += 1
        if self.staged_count == self.files:
            self.extracted = time.perf_counter()

    def loaded(self, path, ok):
        if self.extraction_peak is None:  # the pool has shut down; dbt has not started
            who = resource.RUSAGE_CHILDREN if self.workers > 1 else resource.RUSAGE_SELF
            self.extraction_peak = resource.getrusage(who).ru_maxrss / 1024
        self.loaded_at = time.perf_counter()

    def transforming(self):
        pass


def one_configuration(workers: int) -> None:
    """Load the documents with `workers` processes in this (fresh) process; print JSON."""
    from cnbudget.pipeline import load

    docs = documents()
    with scratch_environment() as scratch:
        clock = Clock(workers)
        outcome = load(docs, scratch / "warehouse.duckdb", quiet=True, workers=workers, progress=clock)
    assert not outcome.refused and outcome.transform_ok, outcome
    print(json.dumps({
        "documents": len(docs),
        "pages": sum(_pages(d) for d in docs),
        "extract": clock.extracted - clock.start,
        "load": clock.loaded_at - clock.extracted,
        "extraction_peak_mib": clock.extraction_peak,
    }))


def _pages(path: Path) -> int:
    pdf = open_pdf(path)
    try:
        return len(pdf)
    finally:
        pdf.close()


def measure(workers: int) -> dict:
    start = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks.loads", "--workers", str(workers)],
        cwd=REPO, capture_output=True, text=True, check=True,
    )
    figures = json.loads(completed.stdout.strip().splitlines()[-1])
    return figures | {"total": time.perf_counter() - start}


def main() -> None:
    results = {workers: measure(workers) for workers in (1, 2)}
    first = results[1]
    print(f"{first['documents']} documents, {first['pages']} pages; times in seconds")
    print(f"{'workers':>7} {'extraction':>10} {'loading':>8} {'total':>7} "
          f"{'docs/min (extraction)':>22} {'docs/min (total)':>17} {'peak MiB per extraction process':>32}")
    for workers, r in results.items():
        print(
            f"{workers:7d} {r['extract']:10.1f} {r['load']:8.1f} {r['total']:7.1f} "
            f"{60 * r['documents'] / r['extract']:22.1f} {60 * r['documents'] / r['total']:17.1f} "
            f"{r['extraction_peak_mib']:32.0f}"
        )
    print(f"speed-up 1 -> 2 workers: extraction {results[1]['extract'] / results[2]['extract']:.2f}x, "
          f"total {results[1]['total'] / results[2]['total']:.2f}x (loading, dbt and the checks are serial)")


if __name__ == "__main__":
    if "--workers" in sys.argv:
        one_configuration(int(sys.argv[sys.argv.index("--workers") + 1]))
    else:
        main()
