"""Issue #14: a load's checking costs what it changed. The identities and the narrative
checks judge only the documents whose verdicts are stale (and, for the narrative, the
other years of their departments); their verdicts are those of judging the whole
warehouse again (the path `cnbudget check` keeps), on the seed, the Putuo corpus, the
corrupted twins and a warehouse grown by one document."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from dagster import AssetKey, DagsterInstance

from cnbudget.pipeline import load
from cnbudget.quality.catalogue import load_catalogue
from cnbudget.quality.narrative import evaluate_narrative
from cnbudget.quality.narrative_results import narrative_stale_reason
from cnbudget.quality.results import read_results, stale_reason
from cnbudget.quality.validate import validate_warehouse
from tests.conftest import SEED_PDF, render_variant, warehouse_digests
from tests.test_star_schema import dbt
from tests.test_identity_corruptions import corrupted, misprint_item_code  # noqa: F401 - the fixture

VERDICT = ["document_id", "identity_id", "table_id", "row_name", "column_path", "status", "reason"]
NARRATIVE_VERDICT = ["document_id", "identity_id", "ordinal", "stated", "expected", "passed", "detail"]


def _sorted(frame: pd.DataFrame, columns: list[str]) -> list[tuple]:
    return sorted(tuple("" if pd.isna(v) else str(v) for v in row) for row in frame[columns].itertuples(index=False))


def assert_verdicts_are_those_of_judging_everything(warehouse: Path) -> None:
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        assert stale_reason(conn, load_catalogue()) is None and narrative_stale_reason(conn) is None
        persisted = read_results(conn)
        everything = validate_warehouse(conn, load_catalogue()).results
        narrative = conn.execute("select * from dq.narrative_results").df()
        narrative_again = evaluate_narrative(conn, great_expectations=False).results
    assert len(persisted) == len(everything) > 0
    assert _sorted(persisted, VERDICT) == _sorted(everything, VERDICT)
    assert _sorted(narrative, NARRATIVE_VERDICT) == _sorted(narrative_again, NARRATIVE_VERDICT)


@pytest.mark.parametrize("built", ["seed_warehouse", "corpus_warehouse", "corrupted"])
def test_persisted_verdicts_are_those_of_judging_the_whole_warehouse(built, request):
    found = request.getfixturevalue(built)
    assert_verdicts_are_those_of_judging_everything(found if built != "corrupted" else found.warehouse)


def _judged(asset: str) -> int:
    event = DagsterInstance.get().get_latest_materialization_event(AssetKey(["dq", asset]))
    return event.asset_materialization.metadata["documents_judged"].value


def test_one_more_document_is_all_a_load_judges(full_warehouse, seed_spec, tmp_path):
    """The seed and Putuo warehouse plus a misprinted twin of the seed: the marts add the
    twin's rows, the identities judge the twin alone, the narrative the twin and the seed
    (one department and kind); the result is what building and judging everything gives."""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(full_warehouse, warehouse)
    # A mark on a row of another document that only a rebuild of the mart would erase.
    mark = "update marts.published_figures set x0 = {} where figure_key = ?"
    with duckdb.connect(str(warehouse)) as conn:
        key, x0 = conn.execute("select figure_key, x0 from marts.published_figures order by figure_key limit 1").fetchone()
        conn.execute(mark.format(-1), [key])
    twin = render_variant(seed_spec, tmp_path / "misprinted_twin.pdf", misprint_item_code)
    outcome = load([twin], warehouse, quiet=True)
    assert outcome.transform_ok and [f.status for f in outcome.files] == ["loaded"]
    assert (_judged("identity_results"), _judged("narrative_results")) == (1, 2)
    assert_verdicts_are_those_of_judging_everything(warehouse)
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        judged_at = dict(conn.execute("select document_id, validated_at from dq.identity_documents").fetchall())
    with duckdb.connect(str(full_warehouse), read_only=True) as conn:
        before = dict(conn.execute("select document_id, validated_at from dq.identity_documents").fetchall())
    assert {d: t for d, t in judged_at.items() if d in before} == before  # the others' verdicts stand
    # The marts were built incrementally: the other documents' rows stand (the mark is
    # there), the twin's were added, and they are those a full build makes.
    with duckdb.connect(str(warehouse)) as conn:
        assert conn.execute("select x0 from marts.published_figures where figure_key = ?", [key]).fetchone() == (-1,)
        conn.execute(mark.format(x0), [key])
        twin_rows, seed_rows = (conn.execute(
            "select count(*) from marts.published_figures join raw.documents using (document_id)"
            " where source_file like ?", [f"%{name}"]).fetchone()[0] for name in (twin.name, SEED_PDF.name))
    assert twin_rows == seed_rows > 400
    rebuilt = shutil.copy(warehouse, tmp_path / "rebuilt.duckdb")
    result = dbt("run", "--full-refresh", warehouse=Path(rebuilt))
    assert result.returncode == 0, result.stdout[-3000:]
    marts = {t: d for t, d in warehouse_digests(warehouse).items() if t.startswith('"marts"')}
    assert len(marts) > 15 and marts == {t: d for t, d in warehouse_digests(Path(rebuilt)).items() if t.startswith('"marts"')}
