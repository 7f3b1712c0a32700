"""Issue #14: one check chain (quality/chain.py). The table identities and the narrative
checks are evaluated, judged by one Great Expectations validation and stored the same
way, a department chunk at a time.

The verdicts it stores are compared with those of the two paths it replaced: the quality
package as it was at OLD_PATH_COMMIT (validate.py with its own GX step and writer,
narrative.py with its own), read out of git and run beside the new one on the same
warehouses: the seed, the Putuo corpus, the seed with it, and the corrupted twins."""

from __future__ import annotations

import importlib
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from cnbudget import settings
from cnbudget.quality.catalogue import load_catalogue
from cnbudget.quality.chain import department_chunks, judge_stale
from cnbudget.quality.narrative_results import NARRATIVE
from cnbudget.quality.results import IDENTITIES
from tests.test_identity_corruptions import corrupted  # noqa: F401 - the fixture

OLD_PATH_COMMIT = "2836ebc"  # the last commit with the two paths
OLD_PACKAGE = "quality_before_one_chain"
VERDICT_TABLES = ("identity_results", "narrative_results", "narrative_matches", "identity_documents",
                  "narrative_documents")
_LEDGER_COUNTS = {"identity_documents": "document_id, fingerprint, passed, failed, not_applicable, internal_error",
                  "narrative_documents": "document_id, fingerprint, figures, checks_passed, checks_failed, internal_error"}


@pytest.fixture(scope="session")
def old_quality(tmp_path_factory):
    """The quality package of OLD_PATH_COMMIT, importable as OLD_PACKAGE."""
    root = settings.REPO_ROOT
    listing = subprocess.run(["git", "-C", str(root), "ls-tree", "--name-only", OLD_PATH_COMMIT,
                              "orchestration/cnbudget/quality/"], capture_output=True, text=True)
    if listing.returncode != 0:
        pytest.skip(f"the old path is read from git history, which this checkout lacks: {listing.stderr.strip()}")
    folder = tmp_path_factory.mktemp("old_path") / OLD_PACKAGE
    folder.mkdir()
    for path in listing.stdout.split():
        text = subprocess.run(["git", "-C", str(root), "show", f"{OLD_PATH_COMMIT}:{path}"],
                              capture_output=True, text=True, check=True).stdout
        (folder / Path(path).name).write_text(text.replace("cnbudget.quality.", f"{OLD_PACKAGE}."), encoding="utf-8")
    sys.path.insert(0, str(folder.parent))
    try:
        yield {name: importlib.import_module(f"{OLD_PACKAGE}.{name}")
               for name in ("catalogue", "results", "narrative", "narrative_results")}
    finally:
        sys.path.remove(str(folder.parent))


def _judged_by_old_paths(old, warehouse: Path) -> None:
    with duckdb.connect(str(warehouse)) as conn:
        catalogue = old["catalogue"].load_catalogue()
        validation, stale = old["results"].judge_stale_documents(conn, catalogue)
        old["results"].write_results(conn, validation, stale)
        stale = old["narrative_results"].narrative_staleness(conn)
        evaluation = old["narrative"].evaluate_narrative(conn, catalogue.narrative, documents=stale.stale)
        old["narrative_results"].write_narrative_results(conn, evaluation, stale)


def _without_verdicts(source: Path, target: Path) -> Path:
    shutil.copy(source, target)
    with duckdb.connect(str(target)) as conn:
        for table in VERDICT_TABLES:
            conn.execute(f"drop table if exists dq.{table}")
    return target


def _difference(a: Path, b: Path) -> dict[str, int]:
    """Per verdict table, how many rows one warehouse holds that the other does not."""
    with duckdb.connect(str(a)) as conn:
        conn.execute(f"attach '{b}' as other (read_only)")
        found = {}
        for table in VERDICT_TABLES:
            columns = _LEDGER_COUNTS.get(table, "*")
            mine, theirs = f"select {columns} from dq.{table}", f"select {columns} from other.dq.{table}"
            found[table] = conn.execute(
                f"select (select count(*) from ({mine} except all {theirs})) + "
                f"(select count(*) from ({theirs} except all {mine}))").fetchone()[0]
        found["rows"] = conn.execute("select count(*) from dq.identity_results").fetchone()[0]
    return found


@pytest.mark.parametrize("built", ["seed_warehouse", "corpus_warehouse", "full_warehouse", "corrupted"])
def test_the_chain_stores_the_verdicts_the_two_old_paths_stored(built, request, old_quality, tmp_path):
    found = request.getfixturevalue(built)
    warehouse = found if built != "corrupted" else found.warehouse
    old = _without_verdicts(warehouse, tmp_path / "old.duckdb")
    new = _without_verdicts(warehouse, tmp_path / "new.duckdb")
    _judged_by_old_paths(old_quality, old)
    with duckdb.connect(str(new)) as conn:
        # a chunk per department: the narrative's years of one department stay together
        runs = judge_stale(conn, load_catalogue(), [IDENTITIES, NARRATIVE], limit=1)
    difference = _difference(new, old)
    assert difference.pop("rows") > 0
    assert difference == dict.fromkeys(VERDICT_TABLES, 0)
    assert all(run.staleness.stale == set(run.staleness.fingerprints) for run in runs.values())  # all judged


def test_the_comparison_tells_verdicts_apart(seed_warehouse, old_quality, tmp_path):
    """The failing case of the comparison above: one verdict changed is one row apart."""
    old = _without_verdicts(seed_warehouse, tmp_path / "old.duckdb")
    _judged_by_old_paths(old_quality, old)
    changed = tmp_path / "changed.duckdb"
    shutil.copy(old, changed)
    with duckdb.connect(str(changed)) as conn:
        conn.execute("update dq.identity_results set status = 'failed', passed = false "
                     "where rowid = (select min(rowid) from dq.identity_results where status = 'passed')")
    assert _difference(changed, old)["identity_results"] == 2


def test_a_chunk_holds_whole_departments(full_warehouse):
    with duckdb.connect(str(full_warehouse), read_only=True) as conn:
        department_of = dict(conn.execute("select document_id, coalesce(department, '') from raw.documents").fetchall())
        everything = set(department_of)
        for limit in (1, 2, 3, 100):
            chunks = department_chunks(conn, everything, limit)
            assert sorted(d for chunk in chunks for d in chunk) == sorted(everything)
            departments = [{department_of[d] for d in chunk} for chunk in chunks]
            assert all(not (a & b) for i, a in enumerate(departments) for b in departments[i + 1:])
            assert all(len(chunk) <= limit or len(departments[i]) == 1 for i, chunk in enumerate(chunks))
        assert len(department_chunks(conn, everything, 100)) == 1
        assert len(department_chunks(conn, everything, 1)) == len(set(department_of.values())) > 1
        assert department_chunks(conn, set(), 1) == []
