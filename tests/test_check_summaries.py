"""The asset checks' summaries are computed in SQL: counts exact, listings bounded."""

import duckdb

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
