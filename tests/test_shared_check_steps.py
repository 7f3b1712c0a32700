"""The steps the table and the narrative identities share: the Great Expectations
judgement, and the asset checks' summaries (in SQL: counts exact, listings bounded)."""

import duckdb
import pandas as pd

from cnbudget.quality.catalogue import load_catalogue
from cnbudget.quality.gx_judgement import judge_with_gx

from cnbudget.quality.check_summaries import LISTED, CheckSummary, summarize_checks


def _results() -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect()
    conn.execute("create table results (identity_id varchar, document_id varchar, status varchar, page int, reason varchar)")
    rows = [("sum", f"d{i % 3}", "failed", i, None) for i in range(LISTED + 10)]
    rows += [("sum", "d9", "passed", 1, None), ("sum", "d9", "not_applicable", None, "表8 is printed empty")]
    rows += [("sum", "d8", "not_applicable", None, "表8 is printed empty"), ("sum", "d8", "not_applicable", None, "no 表9")]
    rows += [("total", "d1", "passed", 2, None)]
    conn.executemany("insert into results values (?, ?, ?, ?, ?)", rows)
    return conn


def test_counts_are_exact_and_the_listing_is_bounded_in_written_order():
    summaries = summarize_checks(_results(), "results", failed="status = 'failed'",
                                 not_applicable="status = 'not_applicable'", listed=["document_id", "page"], reason="reason")
    summed = summaries["sum"]
    assert (summed.evaluated, summed.failed, summed.passed, summed.not_applicable) == (LISTED + 11, LISTED + 10, 1, 3)
    assert summed.documents_evaluated == 4  # d0, d1, d2 (failures) and d9 (a pass); d8 only not applicable
    assert summed.failures == [(f"d{i % 3}", i) for i in range(LISTED)]
    assert summed.reasons == ["表8 is printed empty", "no 表9"]
    total = summaries["total"]
    assert (total.evaluated, total.failed, total.failures, total.reasons) == (1, 0, [], [])


def test_an_identity_without_rows_has_no_summary():
    summaries = summarize_checks(_results(), "results", failed="status = 'failed'", listed=["page"])
    assert set(summaries) == {"sum", "total"}
    assert CheckSummary().passed == 0


def test_great_expectations_fails_exactly_the_instances_that_exceed():
    table, narrative = load_catalogue().table_identities[0], load_catalogue().narrative.identities[0]
    instances = pd.DataFrame({"identity_id": [table.id, table.id, narrative.id, narrative.id],
                              "excess": [0, 3, 0, 0]})
    judgement = judge_with_gx(instances, [table, narrative], "shared")
    assert judgement.failing == {1}
    assert (judgement.succeeded(table.id), judgement.succeeded(narrative.id)) == (False, True)
    assert {r.expectation_config.type for r in judgement.result.results} == {"expect_column_values_to_be_between"}
    passing = judge_with_gx(instances.assign(excess=0), [table, narrative], "shared")
    assert passing.failing == set() and passing.result.success
    assert judge_with_gx(instances.head(0), [table], "shared").result is None  # nothing to judge
