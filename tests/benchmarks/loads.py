"""`make bench` (loads): documents per minute with 1 and 2 extraction processes, and
peak memory, on two workloads:
- the seed rendering plus the corpus (6 documents), as the issue names it;
- the same documents 5 times over (30), each copy made distinct by a PDF comment after
  its end, so the extraction cache cannot serve it: the one-off costs of a load (imports,
  worker start-up, dbt, the checks) weigh less, as in a yearly load of hundreds.

Each configuration runs as `cnbudget load` does: in a fresh Python process, from an
empty warehouse, an empty extraction cache and a fresh Dagster instance, so both pay
their own imports and worker start-up. Times:
- ingest: from the load's start (files listed) until the last document is in the raw
  layer; extraction runs in the workers while the one loader applies each document;
- total: the whole process, interpreter start to exit (imports, dbt and checks included).
Peak memory: of the extracting processes, as each staging run records it in Dagster;
of the loading process, before dbt (a child process of its own) runs.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from cnbudget.extract.pages import open_pdf
from cnbudget.memory import peak_memory_mib
from tests.benchmarks.extraction import REPO, documents, scratch_environment


class Clock:
    """Marks when the last document was loaded, and the loading process's peak memory
    before dbt runs."""

    def begin(self, paths):
        self.start = time.perf_counter()

    def staged(self, path, ok):
        pass

    def loaded(self, path, ok):
        self.loaded_at = time.perf_counter()

    def transforming(self):
        self.loader_peak = peak_memory_mib()


def extraction_peak_mib(document_ids: list[str]) -> float:
    """The most memory any extracting process held, as each staging run recorded it."""
    from dagster import AssetRecordsFilter

    from cnbudget.ingest.assets import STAGED_DOCUMENT
    from cnbudget.runs import local_instance

    records = local_instance().fetch_materializations(
        AssetRecordsFilter(asset_key=STAGED_DOCUMENT, asset_partitions=document_ids), limit=len(document_ids)
    ).records
    return max(r.asset_materialization.metadata["process_peak_memory_mib"].value for r in records)


def distinct_copies(docs: list[Path], copies: int, folder: Path) -> list[Path]:
    """`copies` of each PDF with different content (a comment appended after %%EOF)."""
    if copies == 1:
        return docs
    made = []
    for copy in range(1, copies + 1):
        (folder / f"copy{copy}").mkdir(parents=True)
        for doc in docs:
            made.append(folder / f"copy{copy}" / doc.name)
            made[-1].write_bytes(doc.read_bytes() + f"\n% cnbudget benchmark copy {copy}\n".encode())
    return made


def one_configuration(workers: int, copies: int) -> None:
    """Load the documents with `workers` processes in this (fresh) process; print JSON."""
    from cnbudget.pipeline import load

    with scratch_environment() as scratch:
        docs = distinct_copies(documents()["seed + Putuo"], copies, scratch / "copies")
        clock = Clock()
        outcome = load(docs, scratch / "warehouse.duckdb", quiet=True, workers=workers, progress=clock)
        pages = sum(_pages(d) for d in docs)
        worker_peak = extraction_peak_mib([f.document_id for f in outcome.files])
    assert not outcome.refused and outcome.transform_ok, outcome
    print(json.dumps({
        "documents": len(docs),
        "pages": pages,
        "ingest": clock.loaded_at - clock.start,
        "worker_peak_mib": worker_peak,
        "loader_peak_mib": clock.loader_peak,
    }))


def _pages(path: Path) -> int:
    pdf = open_pdf(path)
    try:
        return len(pdf)
    finally:
        pdf.close()


def measure(workers: int, copies: int) -> dict:
    start = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks.loads", "--workers", str(workers), "--copies", str(copies)],
        cwd=REPO, capture_output=True, text=True,
    )
    if completed.returncode:
        raise SystemExit(f"the {workers}-worker load failed:\n{completed.stderr[-5000:]}")
    figures = json.loads(completed.stdout.strip().splitlines()[-1])
    return figures | {"total": time.perf_counter() - start}


def main() -> None:
    for copies in (1, 5):
        results = {workers: measure(workers, copies) for workers in (1, 2)}
        first = results[1]
        print(f"{first['documents']} documents ({copies} x seed and corpus), {first['pages']} pages; seconds")
        print(f"{'workers':>7} {'ingest':>7} {'total':>7} {'docs/min (ingest)':>18} {'docs/min (total)':>17} "
              f"{'peak MiB: worker':>17} {'loader':>7}")
        for workers, r in results.items():
            print(
                f"{workers:7d} {r['ingest']:7.1f} {r['total']:7.1f} "
                f"{60 * r['documents'] / r['ingest']:18.1f} {60 * r['documents'] / r['total']:17.1f} "
                f"{r['worker_peak_mib']:17.0f} {r['loader_peak_mib']:7.0f}"
            )
        print(f"speed-up 1 -> 2 workers: ingest (extraction and loading) {first['ingest'] / results[2]['ingest']:.2f}x, "
              f"total {first['total'] / results[2]['total']:.2f}x (imports, dbt and the checks run once, serially)\n")
    print("with 1 worker the loading process extracts too: its worker figure is its own peak while extracting")


if __name__ == "__main__":
    if "--workers" in sys.argv:
        option = sys.argv.index
        one_configuration(int(sys.argv[option("--workers") + 1]), int(sys.argv[option("--copies") + 1]))
    else:
        main()
