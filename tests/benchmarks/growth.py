"""`make bench` (growth): what one more document costs as the warehouse grows.

Warehouses of 1, 100 and 1,000 documents are grown from a load of the seed rendering and
the Putuo corpus: their raw rows are copied under new document ids (and departments, so
that each copy is a budget of its own), then the models and checks are built once, as a
batch load of that many documents leaves them. Into each, `cnbudget load` of one new
document (a copy of the seed rendering no cache holds) runs in a fresh process: its wall
time and the peak memory of its processes (the load, or dbt) are printed, beside the
time camelot alone takes to read that PDF's pages, measured in the same run. Each timed
load starts with the page cache warm (the modules a load imports read once just before):
this machine reclaims cold file pages within minutes, and the 1,000-document build
before the last load would otherwise make its imports, not the warehouse, cost more.

A single load's wall time varies by several seconds from one run to the next on this
machine, so each size is loaded REPEATS times, each into a fresh copy of its grown
warehouse, in turns over the sizes (drift of the machine falls on all of them alike),
and the medians are compared.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from cnbudget.quality.chain import CHUNK_DOCUMENTS
from tests.benchmarks.extraction import REPO, documents, scratch_environment, timed

SIZES = (1, 100, 1000)
REPEATS = 3
SEED = sorted((REPO / "raw").rglob("*.pdf"))[0]


def _clone_documents(warehouse: Path, wanted: int) -> None:
    """Copy raw rows under new ids until the warehouse holds `wanted` documents."""
    with duckdb.connect(str(warehouse)) as conn:
        have = conn.execute("select count(*) from raw.documents").fetchone()[0]
        sources = [d for (d,) in conn.execute("select document_id from raw.documents order by document_id").fetchall()]
        tables = conn.execute(
            "select table_name, list(column_name) from information_schema.columns where table_schema = 'raw' group by 1"
        ).fetchall()
        conn.execute("BEGIN TRANSACTION")
        for copy in range(have, wanted):
            source = sources[copy % len(sources)]
            new = conn.execute("select left(md5(? || ?), 16)", [source, copy]).fetchone()[0]
            for table, columns in tables:
                if table == "load_errors" or ("document_id" not in columns and "table_id" not in columns):
                    continue
                rewritten = []
                for column in columns:
                    if column == "document_id":
                        rewritten.append(f"'{new}' as document_id")
                    elif column == "table_id":
                        rewritten.append(f"'{new}' || substr(table_id, 17) as table_id")
                    elif table == "documents" and column in ("department", "logical_key", "sha256"):
                        rewritten.append(f"{column} || ' (copy {copy})' as {column}")
                    else:
                        rewritten.append(f'"{column}"')
                where = "document_id = ?" if "document_id" in columns else "left(table_id, 16) = ?"
                conn.execute(f"insert into raw.{table} select {', '.join(rewritten)} from raw.{table} where {where}",
                             [source])
        conn.execute("COMMIT")


def grow(base: Path, size: int, out: Path) -> float:
    """A warehouse of `size` documents with its models and checks built; the build's seconds."""
    from cnbudget.pipeline import LoadOutcome, transform
    from cnbudget.resources import build_resources
    from cnbudget.runs import local_instance

    shutil.copy(base, out)
    with duckdb.connect(str(out)) as conn:  # the base holds the 6 documents: keep `size` of them
        conn.execute("create temp table kept as select document_id from raw.documents order by document_id limit ?",
                     [size])
        for table, in conn.execute("select table_name from information_schema.tables where table_schema = 'raw'"
                                   " and table_type = 'BASE TABLE'").fetchall():
            columns = {c for (c,) in conn.execute(
                "select column_name from information_schema.columns where table_schema = 'raw' and table_name = ?",
                [table]).fetchall()}
            if "document_id" in columns:
                conn.execute(f"delete from raw.{table} where document_id not in (select document_id from kept)")
            elif "table_id" in columns:
                conn.execute(f"delete from raw.{table} where left(table_id, 16) not in (select document_id from kept)")
    _clone_documents(out, size)
    os.environ["CNBUDGET_WAREHOUSE"] = str(out)
    outcome = LoadOutcome()
    _, seconds = timed(lambda: transform(outcome, build_resources(), local_instance(), quiet=True))
    assert outcome.transform_ok, outcome.transform_error
    return seconds


# Runs the load and prints the peak memory of its process tree: ru_maxrss of the children
# waited for is that of the largest of them (the load, or the dbt it starts).
_PEAK_OF = (
    "import resource, subprocess, sys; run = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
    "print(run.stdout[-3000:], run.stderr[-3000:], file=sys.stderr) if run.returncode else None; "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024); sys.exit(run.returncode)"
)


_WARM = ("import duckdb, camelot, great_expectations, dbt.cli.main, cnbudget.cli, cnbudget.pipeline, "
         "cnbudget.ingest.staging, cnbudget.transform.assets, cnbudget.quality.assets; "
         "duckdb.connect().close()")


def one_more(warehouse: Path, pdf: Path) -> dict:
    subprocess.run([sys.executable, "-c", _WARM], cwd=REPO, check=True, capture_output=True)
    start = time.perf_counter()
    run = subprocess.run([sys.executable, "-c", _PEAK_OF, sys.executable, "-m", "cnbudget.cli", "load", str(pdf),
                          "--warehouse", str(warehouse), "--workers", "1"], cwd=REPO, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if run.returncode:
        raise SystemExit(f"loading one more document failed:\n{run.stderr[-6000:]}")
    return {"wall": wall, "peak_mib": float(run.stdout.strip().splitlines()[-1])}


# Judges every document again, as the first load after a change of the rules (the
# catalogue, or the code judging by it) does, and prints its seconds and peak memory.
_REJUDGE = (
    "import resource, sys, time, duckdb; from cnbudget.quality.assets import CATALOGUE, CHAINS; "
    "from cnbudget.quality.chain import judge_stale; conn = duckdb.connect(sys.argv[1]); "
    "[conn.execute(f\"update {c.store.ledger} set rules_sha256 = 'other rules'\") for c in CHAINS.values()]; "
    "start = time.perf_counter(); runs = judge_stale(conn, CATALOGUE, list(CHAINS.values())); "
    "assert all(run.staleness.stale == set(run.staleness.fingerprints) for run in runs.values()); "
    "print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)"
)


def rejudge_everything(warehouse: Path) -> dict:
    run = subprocess.run([sys.executable, "-c", _REJUDGE, str(warehouse)], cwd=REPO, capture_output=True, text=True)
    if run.returncode:
        raise SystemExit(f"judging every document again failed:\n{run.stderr[-6000:]}")
    seconds, peak = run.stdout.split()
    return {"seconds": float(seconds), "peak_mib": float(peak)}


def step_seconds(known_runs: set[str]) -> dict[str, float]:
    """Seconds per Dagster step of the runs not in `known_runs` (those of one load)."""
    from cnbudget.runs import local_instance

    instance = local_instance()
    seconds: dict[str, float] = {}
    for run in instance.get_runs():
        if run.run_id in known_runs:
            continue
        started = {}
        for entry in instance.all_logs(run.run_id):
            if not entry.is_dagster_event:
                continue
            kind = entry.dagster_event.event_type_value
            if kind == "STEP_START":
                started[entry.step_key] = entry.timestamp
            elif kind in ("STEP_SUCCESS", "STEP_FAILURE") and entry.step_key in started:
                seconds[entry.step_key] = seconds.get(entry.step_key, 0.0) + entry.timestamp - started[entry.step_key]
    return seconds


def _run_ids() -> set[str]:
    from cnbudget.runs import local_instance

    return {run.run_id for run in local_instance().get_runs()}


def main(sizes: tuple[int, ...] = SIZES) -> None:
    from cnbudget.extract.grid import read_grids
    from cnbudget.extract.pages import read_pages
    from cnbudget.pipeline import load

    with scratch_environment() as scratch:
        base = scratch / "base.duckdb"
        outcome = load(documents()["seed + Putuo"], base, quiet=True)
        assert outcome.transform_ok and not outcome.refused
        pages = list(range(1, len(read_pages(SEED)) + 1))
        read_grids(SEED, pages[:1], "vector")  # camelot's first-call costs, outside the measurement
        camelot = statistics.median(timed(lambda: read_grids(SEED, pages, "vector"))[1] for _ in range(REPEATS))
        print(f"one more document: a copy of {SEED.name} ({len(pages)} pages); camelot alone reads its pages "
              f"in {camelot:.1f} s (median of {REPEATS})")
        grown, pristine = {}, {}
        for size in sizes:
            grown[size], pristine[size] = scratch / f"grown_{size}.duckdb", scratch / f"pristine_{size}.duckdb"
            print(f"a warehouse of {size} documents built in {grow(base, size, grown[size]):.1f} s", flush=True)
            shutil.copy(grown[size], pristine[size])
        loads: dict[int, list[dict]] = {size: [] for size in sizes}
        for turn in range(REPEATS):
            for size in sizes:
                # the path it was built at, whose dbt partial parse is kept: a new path would make dbt parse again
                warehouse = shutil.copy(pristine[size], grown[size])
                pdf = scratch / f"one_more_{size}_{turn}.pdf"
                pdf.write_bytes(SEED.read_bytes() + f"\n% cnbudget growth benchmark {size} {turn}\n".encode())
                before = _run_ids()
                r = one_more(warehouse, pdf)
                loads[size].append(r)
                print(f"  turn {turn + 1}, {size:5d} documents: {r['wall']:5.1f} s, {r['peak_mib']:4.0f} MiB; steps: "
                      + ", ".join(f"{step} {s:.1f}" for step, s in step_seconds(before).items()), flush=True)
        print(f"{'warehouse':>10} {'load s (median)':>16} {'all':>18} {'peak MiB':>9} {'load / camelot':>15}")
        median = {size: statistics.median(r["wall"] for r in loads[size]) for size in sizes}
        for size in sizes:
            walls = " ".join(f"{r['wall']:.1f}" for r in loads[size])
            peak = max(r["peak_mib"] for r in loads[size])
            print(f"{size:10d} {median[size]:16.1f} {walls:>18} {peak:9.0f} {median[size] / camelot:15.2f}")
        ratio = median[sizes[-1]] / median[sizes[0]]
        print(json.dumps({f"ratio_{sizes[-1]}_to_{sizes[0]}": ratio}))
        print(f"one more document into {sizes[-1]} documents takes {ratio:.2f}x the time it takes into {sizes[0]}")
        print("every document judged again (as after a change of the rules), department chunks of "
              f"{CHUNK_DOCUMENTS} documents at most:")
        for size in sizes:
            r = rejudge_everything(shutil.copy(pristine[size], grown[size]))
            print(f"{size:10d} documents: {r['seconds']:6.1f} s, peak {r['peak_mib']:5.0f} MiB", flush=True)


if __name__ == "__main__":
    # other warehouse sizes, the first the reference: python -m tests.benchmarks.growth 1 100
    main(tuple(int(size) for size in sys.argv[1:]) or SIZES)
