"""`make bench` (batch): a yearly batch of 200 documents against their extraction alone.

The documents are distinct copies of the seed rendering and the Putuo corpus (a PDF
comment after the end makes each copy new to every cache). In the same run, cold:
- extraction alone: cnbudget's extraction of each document (text layer, camelot's grids,
  tables, narrative), in a pool of WORKERS fresh processes, nothing cached or stored;
- the load: `cnbudget load` of the same documents with --workers WORKERS, in a fresh
  process, into an empty warehouse with an empty extraction cache and Dagster instance:
  extraction, the raw layer, the dbt models and every check.
Their ratio is what loading adds to reading the PDFs.
"""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from tests.benchmarks.extraction import REPO, documents, scratch_environment, timed
from tests.benchmarks.loads import distinct_copies

DOCUMENTS = 200
WORKERS = 2


def _extract(path: str) -> int:
    from cnbudget.extract.document import extract_document

    return len(extract_document(Path(path), cache_dir=None).tables)


def extraction_alone(paths: list[Path]) -> float:
    def run() -> int:
        with ProcessPoolExecutor(WORKERS, mp_context=multiprocessing.get_context("spawn")) as pool:
            return sum(pool.map(_extract, map(str, paths), chunksize=4))

    _, seconds = timed(run)
    return seconds


def load(paths: list[Path], warehouse: Path) -> float:
    def run():
        return subprocess.run([sys.executable, "-m", "cnbudget.cli", "load", *map(str, paths), "--warehouse",
                               str(warehouse), "--workers", str(WORKERS)], cwd=REPO, capture_output=True, text=True)

    completed, seconds = timed(run)
    if completed.returncode:
        raise SystemExit(f"the batch load failed:\n{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}")
    return seconds


def main(wanted: int = DOCUMENTS) -> None:
    corpus = documents()["seed + Putuo"]
    with scratch_environment() as scratch:
        copies = -(-wanted // len(corpus))
        paths = distinct_copies(corpus, max(copies, 2), scratch / "copies")[:wanted]
        extraction = extraction_alone(paths)
        loading = load(paths, scratch / "warehouse.duckdb")
    print(f"a batch of {len(paths)} documents (distinct copies of the seed rendering and the Putuo corpus), "
          f"{WORKERS} workers, cold: extraction alone {extraction:.1f} s; `cnbudget load` {loading:.1f} s; "
          f"the load takes {loading / extraction:.2f}x the extraction alone")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else DOCUMENTS)  # a smaller batch: python -m tests.benchmarks.batch 12
