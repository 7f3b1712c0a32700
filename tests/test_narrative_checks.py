"""Issue #8 acceptance, narrative: every figure the narrative pages quote is in
marts.fact_narrative_figure, every amount that names a table figure is matched to it and
agrees, every stated percentage and change is recomputed; what cannot be matched is
listed with its reason. Real PDFs (the seed rendering, its variants, the corpus) loaded
through the real pipeline; the corpus's own contradictions are found, at their sentence."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pytest

from cnbudget.extract.document import document_id_for, sha256_of
from cnbudget.extract.pages import read_pages
from cnbudget.pipeline import load
from cnbudget.quality.catalogue import load_catalogue
from cnbudget.quality.narrative import evaluate_narrative, report_lines
from cnbudget.quality.narrative_arithmetic import rounded, value_range
from cnbudget.quality.narrative_identities import NarrativeIdentityChecks
from cnbudget.quality.narrative_results import NARRATIVE
from tests.conftest import SEED_PDF, render_variant, seed_table

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def _id(path: Path) -> str:
    return document_id_for(sha256_of(path))


def _evaluate(warehouse: Path):
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        return evaluate_narrative(conn)


@pytest.fixture(scope="session")
def full_evaluation(full_warehouse):
    return _evaluate(full_warehouse)


def _page_printing(pdf: Path, text: str) -> int:
    """The page whose text layer prints `text` (read independently of the extractor)."""
    pages = [p.number for p in read_pages(pdf) if text in p.text.replace("\n", "")]
    assert len(pages) == 1, (text, pages)
    return pages[0]


# ── The seed and the corpus ──────────────────────────────────────────────────────────

# Per document: figures found, role=amount among them, matched, checks passed, failed.
EXPECTED_COUNTS = {
    "seed": (143, 82, 105, 132, 0),
    "putuo_commerce_2025_dept.pdf": (73, 62, 33, 36, 0),
    "putuo_commerce_2025_unit.pdf": (51, 40, 33, 36, 0),
    "putuo_district_office_2025_dept.pdf": (49, 38, 29, 32, 0),
    "putuo_wanli_street_2023_dept.pdf": (182, 104, 117, 147, 4),
    "putuo_wanli_street_2024_dept.pdf": (173, 96, 126, 163, 2),
}


def _document_ids() -> dict[str, str]:
    ids = {"seed": _id(SEED_PDF)}
    ids.update({name: _id(CORPUS / name) for name in EXPECTED_COUNTS if name != "seed"})
    return ids


def test_counts_per_document(full_evaluation):
    summary = full_evaluation.summary().set_index("document_id")
    found = {}
    for name, doc in _document_ids().items():
        row = summary.loc[doc]
        found[name] = (int(row.figures), int(row.amounts), int(row.matched), int(row.checks_passed), int(row.checks_failed))
        print(f"\n{name}: {found[name]} match rate {row.match_rate:.1%}")
    assert found == EXPECTED_COUNTS


def test_every_amount_that_names_a_table_figure_is_matched(full_evaluation):
    """An amount is left unmatched only when what it names is printed in no table of its
    document (政府采购, assets …) or it is a threshold, and then with that reason."""
    catalogue = load_catalogue().narrative
    allowed = {rule.unprinted for rule in catalogue.subjects.values() if rule.unprinted}
    threshold = "a threshold (以上 / 以下), not a budget figure"
    allowed.add(threshold)
    amounts = full_evaluation.matches[full_evaluation.matches.role == "amount"]
    unmatched = amounts[~amounts.matched]
    assert set(unmatched.reason) <= allowed, set(unmatched.reason) - allowed
    assert (unmatched.reason != "").all()
    # Named subjects (function 类, economic classes, projects) and printed 类/款/项 paths all resolve.
    named = amounts[amounts.subject_kind.isin(["", "function_subject"]) & (amounts.reason != threshold)]
    assert named.matched.all() and len(named) == 222
    seed = amounts[amounts.document_id == _id(SEED_PDF)]
    assert sorted(seed[~seed.matched].printed_text) == sorted(
        ["1007.77 万元", "3330.68 万元", "26.18 万元", "3304.5 万元", "3183 万元", "1953 万元", "1230 万元", "93.18 万元"]
    )


def test_unmatched_figures_are_listed_with_their_reason(full_evaluation):
    matches = full_evaluation.matches
    assert (matches[~matches.matched].reason.str.len() > 0).all()
    wanli_2024 = matches[matches.document_id == _id(CORPUS / "putuo_wanli_street_2024_dept.pdf")]
    reasons = set(wanli_2024[~wanli_2024.matched].reason)
    assert "quotes 2023 预算执行数, which no budget document prints (used to recompute the stated change)" in reasons
    seed = matches[matches.document_id == _id(SEED_PDF)]
    assert "no 2024 document of this department is loaded: kept as a stated figure" in set(seed.reason)


def test_all_checks_pass_on_the_seed(full_evaluation):
    results = full_evaluation.results[full_evaluation.results.document_id == _id(SEED_PDF)]
    assert results.passed.all(), results[~results.passed].to_dict("records")
    assert results.groupby("identity_id").size().to_dict() == {
        "narrative_amount_equals_table": 74,
        "narrative_change_percent_recomputes": 27,
        "narrative_change_carried_by_amount": 27,
        "narrative_share_percent_recomputes": 4,
    }


def test_the_corpus_contradicts_itself_exactly_where_it_does(full_evaluation):
    """Every check passes on the corpus except where the documents contradict themselves:
    万里街道 2023 copies item 15's amount and percentage into item 16 and prints 314.82%
    for a rise from 11.67 to 45.41 万元 (289.1%) and states 政府性基金拨款支出预算0万元，
    比2022年预算增加1421.25万元 (a 2022 budget of −1421.25 万元); 万里街道 2024 quotes 352.67
    万元 for the 住房公积金 its table prints as 350.35."""
    failures = full_evaluation.failures
    found = sorted(
        (row.document_id, row.page, row.identity_id, row.stated, row.expected) for row in failures.itertuples()
    )
    w23, w24 = _id(CORPUS / "putuo_wanli_street_2023_dept.pdf"), _id(CORPUS / "putuo_wanli_street_2024_dept.pdf")
    assert found == sorted([
        (w23, 6, "narrative_change_percent_recomputes", "314.82%", "288.91%–289.33%"),
        (w23, 6, "narrative_change_carried_by_amount", "increase 1421.25万元", "2022: -1421.25 万元 ≥ 0"),
        (w23, 7, "narrative_amount_equals_table", "441.25万元", "220.63 万元"),
        (w23, 7, "narrative_change_percent_recomputes", "60.54%", "232.78%–232.81%"),
        (w24, 9, "narrative_amount_equals_table", "352.67万元", "350.35 万元"),
        (w24, 9, "narrative_change_percent_recomputes", "0.53%", "1.19%"),
    ])
    sentence = failures[failures.stated == "352.67万元"].sentence.iloc[0]
    assert "2024年预算安排352.67万元" in sentence


def test_the_prior_year_document_is_checked_when_loaded(full_evaluation):
    """万里街道 2024 states its changes against 2023, whose document is loaded: each change
    stated against the 2023 budget is recomputed from both documents' tables."""
    results = full_evaluation.results
    w24 = results[results.document_id == _id(CORPUS / "putuo_wanli_street_2024_dept.pdf")]
    prior = w24[w24.identity_id == "narrative_change_equals_prior_document"]
    assert sorted(prior.stated) == sorted(["-876.75 万元"] * 3 + ["25 万元"] * 3)
    assert prior.passed.all()
    direction = w24[w24.identity_id == "narrative_change_direction_matches_sign"]
    assert direction.passed.all() and len(direction) >= 13


def test_results_are_persisted_and_reported(full_warehouse, tmp_path):
    copy_path = tmp_path / "copy.duckdb"
    copy_path.write_bytes(Path(full_warehouse).read_bytes())
    with duckdb.connect(str(copy_path)) as conn:
        evaluation = evaluate_narrative(conn, great_expectations=False)
        NARRATIVE.write(conn, evaluation, load_catalogue())
        stored = conn.execute("select count(*), count(*) filter (where not matched) from dq.narrative_matches").fetchone()
        failed = conn.execute("select count(*) from dq.narrative_results where not passed").fetchone()[0]
    assert stored == (len(evaluation.matches), int((~evaluation.matches.matched).sum()))
    assert failed == 6  # the five contradictions of test_the_corpus_contradicts_itself…, the change 0万元 cannot carry
    lines = report_lines(evaluation)
    assert any(line.startswith("FAIL narrative_amount_equals_table") and "352.67万元" in line for line in lines)


def test_the_dagster_asset_writes_the_results_and_the_checks_report_them(full_warehouse, tmp_path):
    from dagster import AssetSelection, materialize
    from dagster_duckdb import DuckDBResource

    from cnbudget.resources import build_resources
    from cnbudget.quality.assets import NARRATIVE_RESULTS, dq_verdicts, narrative_checks
    from cnbudget.transform.assets import budget_dbt_models

    copy_path = tmp_path / "dagster.duckdb"
    copy_path.write_bytes(Path(full_warehouse).read_bytes())
    resources = {**build_resources(), "warehouse": DuckDBResource(database=str(copy_path))}
    with duckdb.connect(str(copy_path)) as conn:  # one document's verdicts no longer describe it
        conn.execute("update dq.narrative_documents set fingerprint = 'judged before' "
                     "where document_id = (select min(document_id) from dq.narrative_documents)")
    stale = materialize([budget_dbt_models, dq_verdicts, narrative_checks],
                        selection=AssetSelection.checks(narrative_checks), resources=resources)
    assert {(e.passed, e.metadata["status"].value) for e in stale.get_asset_check_evaluations()} == {(False, "stale")}
    result = materialize(
        [budget_dbt_models, dq_verdicts, narrative_checks],
        selection=AssetSelection.assets(NARRATIVE_RESULTS) | AssetSelection.checks(narrative_checks),
        resources=resources,
    )
    assert result.success
    verdicts = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    # The corpus's own contradictions fail their checks; every other identity passes.
    assert verdicts == {
        "narrative_amount_equals_table": False,
        "narrative_change_percent_recomputes": False,
        "narrative_share_percent_recomputes": True,
        "narrative_change_direction_matches_sign": True,
        "narrative_change_equals_prior_document": True,
        "narrative_prior_amount_equals_prior_document": True,
        "narrative_change_carried_by_amount": False,
        # No budget prints a 完成率 (完成年初预算的 Z%, a 决算's): no instance, so nothing fails.
        "narrative_completion_percent_recomputes": True,
    }
    metadata = result.get_asset_materialization_events()[0].materialization.metadata
    assert metadata["checks_failed"].value == 6


# ── A narrative changed in a rendered document ───────────────────────────────────────


def _replace_in_narrative(spec: dict, old: str, new: str) -> None:
    hits = 0
    for group in spec["back_matter"]:
        for i, paragraph in enumerate(group["paragraphs"]):
            if old in paragraph:
                group["paragraphs"][i] = paragraph.replace(old, new)
                hits += 1
    assert hits == 1, old


@pytest.fixture(scope="session")
def one_change(seed_spec, tmp_path_factory):
    folder = tmp_path_factory.mktemp("narrative_one_change")
    pdf = render_variant(seed_spec, folder / "seed_8031.pdf",
                         lambda spec: _replace_in_narrative(spec, "工资福利支出 8013 万元", "工资福利支出 8031 万元"))
    outcome = load([pdf], folder / "warehouse.duckdb", quiet=True)
    assert outcome.transform_ok, outcome.transform_error
    return pdf, _evaluate(folder / "warehouse.duckdb")


def test_a_changed_narrative_amount_fails_at_its_sentence(one_change):
    pdf, evaluation = one_change
    failures = evaluation.failures
    assert len(failures) == 1
    failure = failures.iloc[0]
    assert failure.identity_id == "narrative_amount_equals_table"
    assert (failure.stated, failure.expected) == ("8031 万元", "8013 万元")
    assert failure.page == _page_printing(pdf, "工资福利支出 8031 万元")
    assert failure.sentence.startswith("工资福利支出 8031 万元,主要用于")
    assert "表6" in failure.detail and "8,013.00" in failure.detail
    assert not evaluation.gx_success["narrative_amount_equals_table"]
    assert evaluation.gx_success["narrative_change_percent_recomputes"]


@pytest.fixture(scope="session")
def two_years(seed_spec, tmp_path_factory):
    """The seed as 2025 with its narrative cut to 二、收入 and 七、“三公” (one share and one
    percentage misprinted, last year's budget quoted twice), and a 2024 twin whose “三公”
    table differs: 公务接待费 9.50 where the 2025 narrative says 与上年持平, total 113.75
    where it says 减少 13.25 万元."""
    folder = tmp_path_factory.mktemp("narrative_two_years")

    def year_2025(spec):
        paragraphs, keep = [], False
        for paragraph in spec["back_matter"][0]["paragraphs"]:
            if paragraph[:2] in ("一、", "三、", "四、", "五、", "六、", "八、", "九、", "十、") or paragraph.startswith("十"):
                keep = False
            if paragraph.startswith(("二、", "七、")):
                keep = True
            if keep:
                paragraphs.append(paragraph)
        spec["back_matter"][0]["paragraphs"] = paragraphs
        _replace_in_narrative(spec, "占 86.44%", "占 84.66%")
        _replace_in_narrative(spec, "下降 29.82%", "下降 28.92%")
        # Last year's budget quoted: wrongly for 因公出国 (the 2024 table prints 42.75), rightly
        # for 公务接待费, which then contradicts 与上年持平 by the narrative's own numbers.
        _replace_in_narrative(spec, "经费 30 万元，比上年", "经费 30 万元，2024 年预算为 42.57 万元，比上年")
        _replace_in_narrative(spec, "公务接待费 9.1 万元，与上年持平", "公务接待费 9.1 万元，2024 年预算为 9.5 万元，与上年持平")

    def year_2024(spec):
        spec["document"]["title"] = "武汉市经济和信息化局2024年部门预算"
        spec["document"]["fiscal_year"] = 2024
        spec["back_matter"] = []
        seed_table(spec, "表7")["rows"] = [["113.75", "42.75", "61.50", "", "61.50", "9.50"]]

    pdf_2025 = render_variant(seed_spec, folder / "wuhan_2025.pdf", year_2025)
    pdf_2024 = render_variant(seed_spec, folder / "wuhan_2024.pdf", year_2024)
    outcome = load([pdf_2025, pdf_2024], folder / "warehouse.duckdb", quiet=True)
    assert outcome.transform_ok and not outcome.refused, (outcome.transform_error, outcome.refused)
    return pdf_2025, _evaluate(folder / "warehouse.duckdb")


def test_prior_year_document_checks_pass_and_fail(two_years):
    pdf, evaluation = two_years
    results = evaluation.results
    prior = results[results.identity_id == "narrative_change_equals_prior_document"]
    # 因公出国 30 vs 42.75 and 公务用车 61 vs 61.50 agree; the total 100.10 vs 113.75 does not.
    assert sorted(zip(prior.printed_text, prior.passed)) == [("0.5 万元", True), ("12.75 万元", True), ("13.25 万元", False)]
    total = prior[~prior.passed].iloc[0]
    assert (total.stated, total.expected) == ("-13.25 万元", "-13.65 万元")
    assert total.page == _page_printing(pdf, "比 2024 年减少 13.25 万元")
    direction = results[results.identity_id == "narrative_change_direction_matches_sign"]
    flat = direction[direction.printed_text == "持平"].iloc[0]
    assert (flat.passed, flat.stated, flat.expected) == (False, "flat (持平)", "decrease")
    assert flat.detail == "this year 9.1 万元, 2024 9.5 万元 (both as stated)"
    assert direction[direction.printed_text != "持平"].passed.all()
    # The quoted 2024 budgets, against the 2024 document's 表7.
    quoted = results[results.identity_id == "narrative_prior_amount_equals_prior_document"]
    assert sorted(zip(quoted.stated, quoted.expected, quoted.passed)) == [
        ("42.57 万元", "42.75 万元", False), ("9.5 万元", "9.5 万元", True)]


def test_misprinted_share_and_percentage_fail_at_their_sentences(two_years):
    pdf, evaluation = two_years
    failures = evaluation.failures.set_index("identity_id")
    share = failures.loc["narrative_share_percent_recomputes"]
    assert (share.stated, share.expected) == ("84.66%", "86.44%")
    assert share.page == _page_printing(pdf, "占 84.66%")
    percent = failures.loc["narrative_change_percent_recomputes"]
    # 30 万元 is printed without decimals: 12.75 of 29.5–30.5 + 12.75 is 29.47%–30.19%.
    assert (percent.stated, percent.expected) == ("28.92%", "29.47%–30.19%")
    assert percent.page == _page_printing(pdf, "下降 28.92%")
    assert len(evaluation.failures) == 5  # with the total change, the 持平 and the 42.57 above


# ── The arithmetic, with passing and failing cases ───────────────────────────────────


def test_rounding_is_half_up_at_the_printed_precision():
    assert rounded(Decimal("37151.4655"), 2) == Decimal("37151.47")
    assert rounded(Decimal("0.125"), 2) == Decimal("0.13")  # half up, not to even
    assert rounded(Decimal("26840.00"), 0) == Decimal("26840")
    assert rounded(Decimal("26840.50"), 0) != Decimal("26840")


def test_percentage_range_from_rounded_amounts():
    # 12774 of a base 26840 − 12774, each within half a 万元: 90.81% is inside, 90.18% is not.
    low, high = value_range(lambda a, c: c / (a - c) * 100, (Decimal("26839.5"), Decimal("26840.5")),
                       (Decimal("12773.5"), Decimal("12774.5")))
    assert low <= Decimal("90.81") <= high
    assert not low <= Decimal("90.18") <= high


# A 决算 narrative's 完成率, judged alone (the real ones: test_final_accounts.py).
class _RecordingChecks(NarrativeIdentityChecks):
    def __init__(self):
        self.recorded = []

    def check(self, kind, figure, stated, expected, tolerance, passed, detail):
        self.recorded.append((kind, stated, expected, passed))


def _stated(ordinal: int, printed: str, role: str = "amount", anchor: int | None = None, budget: int | None = None):
    number, unit = re.match(r"([\d.]+)\s*(万元|%)", printed).groups()
    key = lambda o: f"doc:n{o}" if o else None  # noqa: E731
    return SimpleNamespace(
        document_id="doc", ordinal=ordinal, role=role, printed_text=printed, printed_number=number,
        printed_decimals=len(number.split(".")[1]) if "." in number else 0, printed_unit=unit,
        anchor_figure_key=key(anchor), parent_figure_key=key(budget))


def _judge_completion(budget: str, final: str, percent: str):
    figures = {1: _stated(1, budget), 2: _stated(2, final), 3: _stated(3, percent, "completion_percent", 2, 1)}
    checks = _RecordingChecks()
    verdict = checks.evaluate(SimpleNamespace(figures=figures), figures[3])
    return verdict, checks.recorded


def test_a_misprinted_completion_rate_fails_at_its_figure():
    # p.21's sentence with 91.14% misprinted 91.41%: 13733.8 / 15068.55 (± half their last digit) is 91.14%.
    verdict, recorded = _judge_completion("15068.55 万元", "13733.8 万元", "91.41%")
    assert verdict == (True, "", None)
    assert recorded == [("completion_percent", "91.41%", "91.14%", False)]
    assert _judge_completion("15068.55 万元", "13733.8 万元", "91.14%")[1][0][3]


def test_a_zero_budget_completion_is_not_applicable():
    (applicable, reason, _), recorded = _judge_completion("0 万元", "497.53 万元", "100%")
    assert not applicable and "budget is zero" in reason and recorded == []
