"""`make bench`: extraction speed and memory on the seed rendering plus the Putuo corpus,
and on the national corpus.

Reports, per document and per corpus: pages, pages read rendered, seconds and pages/s of
cnbudget's whole extraction (text layer, grids, tables, coverage, narrative), against
camelot lattice alone on every page with its default line detection ("combined",
rendering each page) and with the vector one cnbudget uses first.
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


def documents() -> dict[str, list[Path]]:
    found = {"seed + Putuo": sorted((REPO / "raw").rglob("*.pdf"))}
    if CORPUS.is_dir():
        found["seed + Putuo"] += sorted(CORPUS.glob("*.pdf"))
        found["national"] = sorted((CORPUS / "national").glob("*.pdf"))
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


def _extraction(path: Path):
    """cnbudget's extraction, or None for a document it refuses (narrative only, 决算)."""
    from cnbudget.extract.errors import DocumentError

    try:
        return extract_document(path, cache_dir=None)
    except DocumentError:
        return None


def main() -> None:
    corpora = documents()
    # Warm up imports and camelot's first-call costs outside the measurements.
    extract_document(corpora["seed + Putuo"][0], cache_dir=None)
    print(f"{'corpus':12} {'document':44} {'pages':>5} {'rendered':>8} {'ours s':>7} {'camelot s':>9} {'vector s':>8}")
    for corpus, docs in corpora.items():
        rows = []
        for path in docs:
            document, ours = timed(lambda: _extraction(path))
            pages = len(read_pages(path))
            every = list(range(1, pages + 1))
            _, default = timed(lambda: read_grids(path, every, "combined"))
            _, vector = timed(lambda: read_grids(path, every, "vector"))
            rendered = len(document.rendered_pages) if document else 0
            rows.append((pages, ours, default, vector))
            print(f"{corpus:12} {path.name[:44]:44} {pages:5d} {rendered:8d} {ours:7.2f} {default:9.2f} {vector:8.2f}")
        pages = sum(r[0] for r in rows)
        ours, default, vector = (sum(r[i] for r in rows) for i in (1, 2, 3))
        print(
            f"{corpus}: {len(rows)} documents, {pages} pages: cnbudget {pages / ours:.1f} pages/s; camelot alone on "
            f"every page {pages / default:.1f} pages/s with its default line detection (cnbudget {default / ours:.1f}x "
            f"as fast), {pages / vector:.1f} pages/s with vector lines ({vector / ours:.2f}x)"
        )
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (max RSS of this process): {peak_mib:.0f} MiB")


if __name__ == "__main__":
    main()
