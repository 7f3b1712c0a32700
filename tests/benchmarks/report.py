"""`make bench` (report): how long the load report of the corpus takes to build, and to
render in Debian's headless Chromium with the network cut off (target: under 5 s).

The warehouse holds the seed rendering, the five corpus PDFs and a corrupted twin of
the seed (so the report carries failed identities with page crops, the heaviest part).
Each render is a fresh navigation; the time is Chromium's own, navigation start to the
end of the load event, and the wall time of WebDriver's get() beside it.
"""

from __future__ import annotations

import statistics
import time

from tests.benchmarks.extraction import documents, scratch_environment
from tests.conftest import SEED_SPEC, render_variant
from tests.headless_chromium import chromium, load_milliseconds
from tests.pdfgen.render_budget import load_spec
from tests.test_report import print_wrong_item_amount

RENDERS = 5
TARGET_SECONDS = 5.0


def main() -> None:
    from cnbudget.pipeline import load
    from cnbudget.report.build import build_report

    with scratch_environment() as scratch:
        (scratch / "twin").mkdir()
        twin = render_variant(load_spec(SEED_SPEC), scratch / "twin" / "corrupted_twin.pdf", print_wrong_item_amount)
        docs = documents()["seed + Putuo"] + [twin]
        warehouse = scratch / "warehouse.duckdb"
        load(docs, warehouse, quiet=True)

        builds = []
        for _ in range(3):
            start = time.perf_counter()
            report = build_report(warehouse, scratch / "report")
            builds.append(time.perf_counter() - start)
        size_kib = report.stat().st_size / 1024

        chromium_ms, wall = [], []
        with chromium(offline=True) as driver:
            for _ in range(RENDERS):
                driver.get("about:blank")
                start = time.perf_counter()
                driver.get(report.as_uri())
                wall.append(time.perf_counter() - start)
                chromium_ms.append(load_milliseconds(driver))
                charts = driver.execute_script("return document.querySelectorAll('svg.chart').length")
                crops = driver.execute_script("return document.querySelectorAll('img.crop').length")

    print(f"report of {len(docs)} PDFs (seed, corpus, corrupted twin): {size_kib:.0f} KiB, "
          f"{charts} charts, {crops} page crops")
    print(f"build (cnbudget report): median {statistics.median(builds):.2f} s over {len(builds)}")
    print(f"render in headless Chromium, offline, {RENDERS} fresh loads: "
          f"median {statistics.median(chromium_ms) / 1000:.2f} s, max {max(chromium_ms) / 1000:.2f} s "
          f"(navigation start → load event end); WebDriver get(): median {statistics.median(wall):.2f} s")
    verdict = "under" if max(chromium_ms) / 1000 < TARGET_SECONDS else "OVER"
    print(f"{verdict} the {TARGET_SECONDS:.0f} s target")


if __name__ == "__main__":
    main()
