"""`make bench` (loads): documents per minute with 1 and 2 extraction processes on the
seed rendering plus the corpus, and peak memory. Each run starts from an empty
warehouse, an empty extraction cache and a fresh Dagster instance."""

from __future__ import annotations

import os
import resource
import tempfile
import time
from pathlib import Path

from tests.benchmarks.extraction import documents


class Clock:
    """Marks when extraction (all files staged) and loading finished."""

    def begin(self, paths):
        self.start, self.files, self.staged_count = time.perf_counter(), len(paths), 0

    def staged(self, path, ok):
        self.staged_count += 1
        if self.staged_count == self.files:
            self.extracted = time.perf_counter()

    def loaded(self, path, ok):
        self.loaded_at = time.perf_counter()

    def transforming(self):
        pass


def run(workers: int, docs: list[Path]) -> dict:
    from cnbudget.pipeline import load

    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        os.environ["CNBUDGET_CACHE_DIR"] = str(scratch / "cache")
        os.environ["CNBUDGET_HANDOFF_URL"] = str(scratch / "handoff")
        os.environ["DAGSTER_HOME"] = str(scratch / "dagster")
        (scratch / "dagster").mkdir()
        (scratch / "dagster" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
        clock = Clock()
        start = time.perf_counter()
        outcome = load(docs, scratch / "warehouse.duckdb", quiet=True, workers=workers, progress=clock)
        total = time.perf_counter() - start
    assert not outcome.refused and outcome.transform_ok
    return {
        "extract": clock.extracted - clock.start,
        "load": clock.loaded_at - clock.extracted,
        "total": total,
    }


def main() -> None:
    docs = documents()
    results = {workers: run(workers, docs) for workers in (1, 2)}
    print(f"{len(docs)} documents, {sum(1 for _ in docs)} PDFs; times in seconds")
    print(f"{'workers':>7} {'extraction':>10} {'loading':>8} {'total':>7} {'docs/min (extraction)':>22} {'docs/min (total)':>17}")
    for workers, r in results.items():
        print(
            f"{workers:7d} {r['extract']:10.1f} {r['load']:8.1f} {r['total']:7.1f} "
            f"{60 * len(docs) / r['extract']:22.1f} {60 * len(docs) / r['total']:17.1f}"
        )
    print(f"speed-up 1 -> 2 workers: extraction {results[1]['extract'] / results[2]['extract']:.2f}x, "
          f"total {results[1]['total'] / results[2]['total']:.2f}x")
    worker_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    main_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory: extraction worker process {worker_peak:.0f} MiB; "
          f"the loading process (1-worker run extracts in it too) {main_peak:.0f} MiB")


if __name__ == "__main__":
    main()
