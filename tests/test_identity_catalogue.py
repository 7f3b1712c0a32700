"""The identity catalogue is data the evaluator understands, or it is refused with the
identity and field at fault; its column vocabulary means what its header says."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from cnbudget.quality.catalogue import CATALOGUE_FILE, CatalogueError, ColumnSelector, load_catalogue

REQUIRED_IDENTITIES = {
    # within a row
    "expenditure_row_total", "general_budget_row_total", "basic_personnel_plus_public", "basic_economic_row_total",
    "income_row_total", "income_current_year_sources", "income_carry_over_sources", "three_public_total",
    "three_public_vehicles",
    # hierarchy
    "function_class_sum_of_sections", "function_section_sum_of_items", "economic_class_sum_of_sections",
    "project_group_sum_of_projects", "project_department_sum_of_groups",
    # totals
    "total_row_sum_of_top_level", "summary_income_equals_expenditure", "summary_grand_total",
    # across tables
    "summary_expenditure_matches_expenditure_table", "expenditure_matches_general_budget",
    "general_budget_by_function_matches_by_unit", "basic_economic_total_matches_general_budget_basic",
    "three_public_covers_basic_economic_lines", "projects_total_matches_expenditure_projects",
    "income_units_match_general_budget_units",
}  # fmt: skip


def test_the_catalogue_holds_the_identities_the_issue_asks_for():
    catalogue = load_catalogue()
    ids = {i.id for i in catalogue.identities}
    assert REQUIRED_IDENTITIES <= ids
    for identity in catalogue.identities:
        assert identity.description_zh and identity.description_en
        assert identity.families and identity.severity in ("ERROR", "WARN")
    # The two identities the primer says hold only under a precondition carry one.
    assert catalogue.identity("expenditure_matches_general_budget").precondition == "only_general_budget"
    assert catalogue.identity("fiscal_grant_summary_matches_summary").precondition == "only_fiscal_grants"
    # “三公” may include project spending: against the basic-expenditure lines it is an inequality.
    assert catalogue.identity("three_public_covers_basic_economic_lines").comparison == "at_least"


def test_each_identity_is_of_the_phase_its_tables_are():
    """A 决算 identity is evaluated on 决算 only (table_kinds.yaml's final_kinds say which
    kinds are a 决算's), every other on budgets."""
    phases = {i.id: i.phase for i in load_catalogue().table_identities}
    assert phases["final_fund_carry_over"] == phases["final_summary_grand_total"] == "final"
    assert phases["expenditure_row_total"] == phases["three_public_covers_basic_economic_lines"] == "budget"
    assert {p for i, p in phases.items() if i.startswith("final_")} == {"final"}
    assert {p for i, p in phases.items() if not i.startswith("final_")} == {"budget"}


def test_tolerance_is_half_a_unit_of_the_printed_unit_never_a_percentage():
    catalogue = load_catalogue()
    assert {unit: str(v) for unit, v in catalogue.half_unit.items()} == {
        "元": "0", "千元": "0.005", "万元": "0.005", "亿元": "0.005",
    }  # fmt: skip
    assert {i.tolerance for i in catalogue.table_identities} == {"per_printed_addend", "coarser_unit"}
    assert all(i.tolerance == "coarser_unit" for i in catalogue.table_identities if i.kind == "match")
    # the narrative identities round to the narrative's printed precision
    assert {i.tolerance for i in catalogue.narrative.identities} == {"printed_precision"}


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("合计", "合计", True),
        ("合计", "支出预算/合计", True),  # any tail at a '/'
        ("合计", "“三公”经费合计", False),  # not inside a header text
        ("基本支出", "基本支出/小计", False),  # the whole tail, not a prefix
        ("基本支出/小计", "基本支出/小计", True),
        ("本年收入/*", "本年收入/一般公共预算", True),
        ("*事业收入", "本年收入/事业单位经营收入", False),
        ("*“三公”经费*/合计", "2023年“三公”经费预算数/合计", True),
        ("公务用车购置及运行费/*运行费", "“三公”经费预算数/公务用车购置及运行费/运行费", True),
        ("公务用车购置及运行费/*运行费", "公务用车购置及运行费/小计", False),
    ],
)
def test_column_selectors_match_header_tails(pattern, path, matches):
    assert ColumnSelector((pattern,)).matches(pattern, path) is matches


def _catalogue_with(tmp_path: Path, change) -> Path:
    data = yaml.safe_load(CATALOGUE_FILE.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "identities.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _identity(data: dict, identity_id: str) -> dict:
    return next(i for i in data["identities"] if i["id"] == identity_id)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: _identity(d, "expenditure_row_total").update(kind="sum"), "identity expenditure_row_total: kind"),
        (lambda d: _identity(d, "expenditure_row_total").update(id="Expenditure-Row"), "lower snake_case"),
        (lambda d: _identity(d, "expenditure_row_total").update(code_kind="x"), "mean nothing to a row identity"),
        (lambda d: _identity(d, "expenditure_row_total").update(families=["wuhan"]), "families"),
        (lambda d: _identity(d, "expenditure_row_total").pop("total"), "missing total"),
        (lambda d: _identity(d, "function_section_sum_of_items").update(child_level="类"), "not the level right below"),
        (lambda d: _identity(d, "expenditure_matches_general_budget").update(precondition="sunny"), "unknown precondition"),
        (lambda d: _identity(d, "three_public_covers_basic_economic_lines").update(comparison="≥"), "comparison"),
        (lambda d: _identity(d, "summary_grand_total").update(relation="sum"), "relation"),
        (lambda d: d["identities"].append(dict(_identity(d, "three_public_total"))), "defined twice"),
        (lambda d: _identity(d, "expenditure_row_total").update(tables=["expenditure", "final_expenditure"]),
         "mix the budget and the 决算 kinds"),
        (
            lambda d: _identity(d, "summary_income_equals_expenditure")["pairs"][0]["left"]["rows"].update(line="totals"),
            "line must be one of",
        ),
        # the narrative identities and subjects are read by the same loader, by the same rules
        (lambda d: _identity(d, "narrative_amount_equals_table").update(tables=["expenditure"]),
         "mean nothing to a amount identity"),
        (lambda d: _identity(d, "narrative_amount_equals_table").update(tolerance="per_printed_addend"),
         "narrative_amount_equals_table: tolerance must be one of"),
        (lambda d: _identity(d, "narrative_amount_equals_table").update(families=[]), "families"),
        (lambda d: d["identities"].append(dict(_identity(d, "narrative_amount_equals_table"))), "defined twice"),
        (lambda d: d["narrative_subjects"]["total_income"]["figures"][0].update(colour="red"),
         "narrative subject total_income: unknown selector"),
        (lambda d: d["narrative_subjects"]["total_income"].update(figures=[]), "says so"),
    ],
)
def test_a_catalogue_the_evaluator_does_not_understand_is_refused(tmp_path, change, message):
    with pytest.raises(CatalogueError, match=message):
        load_catalogue(_catalogue_with(tmp_path, change))


def test_the_unchanged_catalogue_round_trips(tmp_path):
    # The refusals above come from the changes, not from re-serializing the YAML.
    catalogue = load_catalogue(_catalogue_with(tmp_path, lambda d: None))
    assert [i.id for i in catalogue.identities] == [i.id for i in load_catalogue().identities]
    assert catalogue.narrative == load_catalogue().narrative

