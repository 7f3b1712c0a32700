"""`make bench`: extraction speed and memory on the seed rendering plus the corpus.

Reports, per document and overall: pages, pages camelot was run on, seconds and
pages/s of cnbudget's extraction (text layer first, camelot only where tables are),
against camelot lattice on every page (the naive approach), for the default vector
line detection and for camelot's default rendering one ("combined").
Speed and memory targets live here, not in timed tests.
"""

from __future__ import annotations

import contextlib
import os
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from cnbudget.extract.document import extract_document
from cnbudget.extract.grid import read_grids
from cnbudget.extract.pages import read_pages

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO.parent / "shared" / "corpus"


def documents() -> list[Path]:
    found = sorted((REPO / "raw").rglob("*.pdf"))
    if CORPUS.is_dir():
        found += sorted(CORPUS.glob("*.pdf"))
    else:
        print(f"(the corpus is not at {CORPUS}: the seed rendering only)", file=sys.stderr)
    return found


@contextlib.contextmanager
def scratch_environment() -> Iterator[Path]:
    """A scratch folder holding this process's extraction cache, hand-off and Dagster
    instance, so a benchmark starts cold and leaves nothing behind."""
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        os.environ["CNBUDGET_CACHE_DIR"] = str(scratch / "cache")
        os.environ["CNBUDGET_HANDOFF_URL"] = str(scratch / "handoff")
        os.environ["DAGSTER_HOME"] = str(scratch / "dagster")
        yield scratch


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def main() -> None:
    docs = documents()
    # Warm up imports and camelot's first-call costs outside the measurements.
    extract_document(docs[0], cache_dir=None)
    rows = []
    for engine in ("vector", "combined"):
        for path in docs:
            document, ours = timed(lambda: extract_document(path, cache_dir=None, engine=engine))
            pages = len(read_pages(path))
            _, naive = timed(lambda: read_grids(path, list(range(1, pages + 1)), engine))
            rows.append((engine, path.name, pages, len(document.camelot_pages), ours, naive))
    print(f"{'engine':9} {'document':42} {'pages':>5} {'camelot':>7} {'ours s':>7} {'all-pages s':>11} {'speed-up':>8}")
    for engine, name, pages, camelot_pages, ours, naive in rows:
        print(f"{engine:9} {name[:42]:42} {pages:5d} {camelot_pages:7d} {ours:7.2f} {naive:11.2f} {naive / ours:7.1f}x")
    for engine in ("vector", "combined"):
        mine = [r for r in rows if r[0] == engine]
        pages = sum(r[2] for r in mine)
        ours = sum(r[4] for r in mine)
        naive = sum(r[5] for r in mine)
        print(
            f"{engine}: {len(mine)} documents, {pages} pages in {ours:.2f} s = {pages / ours:.1f} pages/s "
            f"(camelot on all pages: {pages / naive:.1f} pages/s; speed-up {naive / ours:.1f}x)"
        )
    ours = sum(r[4] for r in rows if r[0] == "vector")
    camelot_default = sum(r[5] for r in rows if r[0] == "combined")
    print(
        f"cnbudget (vector, table pages only) against camelot's default on every page: "
        f"{camelot_default / ours:.1f}x faster"
    )
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (max RSS of this process): {peak_mib:.0f} MiB")


if __name__ == "__main__":
    main()
