"""Issue #8 acceptance, performance targets: every indicator of the seed's 表11 and 表12-x
is in the warehouse (marts.fact_performance_indicator), compared with a hand
transcription (tests/ground_truth/wuhan_jxj_2025_indicators.yaml): counts per table, a
sample of indicators field by field, and every project's header, funding and cost lines.
The comparison fails on a seed drawn with one target changed."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
import yaml

from cnbudget.extract.document import document_id_for, extract_document, sha256_of
from cnbudget.extract.text import compact, normalize
from tests.conftest import SEED_PDF, render_variant

TRANSCRIPTION = Path(__file__).parent / "ground_truth" / "wuhan_jxj_2025_indicators.yaml"


@pytest.fixture(scope="module")
def truth() -> dict:
    return yaml.safe_load(TRANSCRIPTION.read_text(encoding="utf-8"))


def _key(table: str, goal: str, levels) -> tuple:
    return (table, compact(goal), *(compact(level) for level in levels))


def _number(text) -> Decimal | None:
    return None if text is None else Decimal(str(text)).normalize()


def _value(period, year, text, comparator, number, high, unit) -> tuple:
    return (period, year, normalize(text), comparator, _number(number), _number(high), unit and normalize(unit))


def indicators_in_warehouse(conn, document_id: str) -> dict[tuple, dict]:
    rows = conn.execute(
        """select table_label, goal_name, goal_type, level1, level2, level3, basis, period, target_year,
                  printed_text, comparator, cast(number as varchar), cast(number_high as varchar), unit
           from marts.fact_performance_indicator where document_id = ?
           order by table_label, indicator_ordinal, period""",
        [document_id],
    ).fetchall()
    found: dict[tuple, dict] = {}
    for table, goal, goal_type, l1, l2, l3, basis, period, year, text, comparator, number, high, unit in rows:
        record = found.setdefault(_key(table, goal, (l1, l2, l3)), {"goal_type": goal_type, "basis": basis, "values": set()})
        record["values"].add(_value(period, year, text, comparator, number, high, unit))
    return found


def indicators_in_document(document) -> dict[tuple, dict]:
    found: dict[tuple, dict] = {}
    for table in document.performance:
        for i in table.indicators:
            found[_key(table.label, i.goal_name, (i.level1, i.level2, i.level3))] = {
                "goal_type": i.goal_type,
                "basis": i.basis,
                "values": {_value(v.period, v.year, v.text, v.comparator, v.number, v.number_high, v.unit)
                           for v in i.values},
            }
    return found


def compare_indicators(found: dict[tuple, dict], truth: dict) -> list[str]:
    """Every transcribed indicator, field by field; and the count per table."""
    mismatches = []
    for table, expected in truth["counts"].items():
        got = sum(1 for key in found if key[0] == table)
        if got != expected:
            mismatches.append(f"{table}: {got} indicators, transcribed {expected}")
    for t in truth["indicators"]:
        key = _key(t["table"], t["goal"], t["levels"])
        record = found.get(key)
        if record is None:
            mismatches.append(f"{t['table']} {t['goal']} {t['levels'][-1]}: not found")
            continue
        expected_values = {
            _value(v["period"], v.get("year"), v["text"], v.get("comparator"), v.get("number"), v.get("number_high"),
                   v.get("unit"))
            for v in t["values"]
        }
        if (record["goal_type"], record["basis"]) != (t["goal_type"], t["basis"]):
            mismatches.append(f"{t['table']} {t['levels'][-1]}: {record['goal_type']}, {record['basis']}")
        if record["values"] != expected_values:
            mismatches.append(
                f"{t['table']} {t['levels'][-1]}: {sorted(record['values'], key=str)} != {sorted(expected_values, key=str)}"
            )
    return mismatches


def test_every_indicator_of_the_seed_is_in_the_warehouse(seed_warehouse, truth):
    with duckdb.connect(str(seed_warehouse), read_only=True) as conn:
        found = indicators_in_warehouse(conn, document_id_for(sha256_of(SEED_PDF)))
        per_table = dict(conn.execute(
            "select table_label, count(distinct performance_indicator_key) from marts.fact_performance_indicator "
            "group by 1 order by 1"
        ).fetchall())
    print(f"\nindicators per table: {per_table}")
    assert compare_indicators(found, truth) == []
    assert per_table == truth["counts"] == {"表11": 53, "表12-1": 100, "表12-2": 83, "表12-3": 38, "表12-4": 12}
    assert len(truth["indicators"]) >= 30


def test_every_project_header_funding_and_cost_line(seed_warehouse, truth):
    with duckdb.connect(str(seed_warehouse), read_only=True) as conn:
        projects = {
            row[0]: row for row in conn.execute(
                """select table_label, project_name, project_codes, executing_unit, project_attribute,
                          expenditure_category, start_year, end_year, total_budget_yuan, current_budget_yuan,
                          performance_project_key
                   from marts.dim_performance_project"""
            ).fetchall()
        }
        for t in truth["projects"]:
            row = projects[t["table"]]
            assert row[1:8] == (normalize(t["name"]), t["codes"], normalize(t["executing_unit"]), t["attribute"],
                                t["category"], *t["years"]), t["table"]
            assert (row[8], row[9]) == (Decimal(t["total_budget"]) * 10000, Decimal(t["current_budget"]) * 10000)
            funding = conn.execute(
                "select source, printed_text from marts.fact_performance_project_funding "
                "where performance_project_key = ? order by ordinal", [row[10]]
            ).fetchall()
            assert funding == [(normalize(s), a) for s, a in t["funding"]], t["table"]
            costs = conn.execute(
                "select activity, economic_class, printed_text, amount_yuan from marts.fact_performance_project_cost "
                "where performance_project_key = ? order by ordinal", [row[10]]
            ).fetchall()
            assert [c[:3] for c in costs] == [(normalize(a), normalize(e), m) for a, e, m in t["costs"]], t["table"]
    assert set(projects) == {t["table"] for t in truth["projects"]}


def test_the_comparison_fails_on_a_changed_target(seed_spec, truth, tmp_path):
    """表12-4's 2025 target for 平台不间断服务率 printed ≥97% instead of ≥98%: the comparison
    names that indicator and no other."""
    def change(spec):
        form = next(t for t in spec["performance_tables"] if t["label"] == "表12-4")
        for row in form["rows"]:
            texts = [c if isinstance(c, str) else c["t"] for c in row]
            if "平台不间断服务率" in texts and texts.count("≥98%") == 3:
                row[texts.index("≥98%") + 2] = "≥97%"
                return
        raise AssertionError("row not found")

    pdf = render_variant(seed_spec, tmp_path / "variant.pdf", change)
    found = indicators_in_document(extract_document(pdf))
    mismatches = compare_indicators(found, truth)
    assert len(mismatches) == 1 and mismatches[0].startswith("表12-4 平台不间断服务率:")
    assert "'≥97%'" in mismatches[0]


def department_funding_transcribed(truth: dict) -> set[tuple]:
    block = truth["department_funding"]
    return {
        (composition, item, column, text)
        for composition in ("income", "expenditure")
        for item, texts in block[composition].items()
        for column, text in zip(block["columns"], texts)
    }


def department_funding_in_document(document) -> set[tuple]:
    return {
        (v.composition, compact(v.item), v.column, v.text)
        for table in document.performance
        for v in table.overall_funding
    }


def test_the_department_funding_block_of_table_11(seed_warehouse, truth):
    """表11's 部门总体资金情况, value by value, in yuan and percent, with its years."""
    with duckdb.connect(str(seed_warehouse), read_only=True) as conn:
        rows = conn.execute(
            """select composition, item, column_name, printed_text, amount_yuan, share_percent, fiscal_year,
                      is_total, page
               from marts.fact_department_funding"""
        ).fetchall()
    assert {(c, compact(i), column, text) for c, i, column, text, *_ in rows} == department_funding_transcribed(truth)
    for composition, item, column, text, amount, share, year, is_total, page in rows:
        if column == "占比":
            assert (amount, share, year) == (None, Decimal(text), None)
        else:
            assert (amount, share, year) == (Decimal(text) * 10000, None, 2025 if column == "当年金额" else int(column[:4]))
        assert is_total == (compact(item) == "合计") and page == 22


def test_the_department_funding_comparison_fails_on_a_changed_value(seed_spec, truth, tmp_path):
    """人员类项目支出 当年金额 printed 9687.62 instead of 9678.62: exactly that value differs."""
    def change(spec):
        form = next(t for t in spec["performance_tables"] if t["label"] == "表11")
        row = next(r for r in form["rows"] if "人员类项目支出" in r)
        row[row.index("9678.62")] = "9687.62"

    found = department_funding_in_document(extract_document(render_variant(seed_spec, tmp_path / "v.pdf", change)))
    expected = department_funding_transcribed(truth)
    assert found - expected == {("expenditure", "人员类项目支出", "当年金额", "9687.62")}
    assert expected - found == {("expenditure", "人员类项目支出", "当年金额", "9678.62")}
