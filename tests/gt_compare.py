"""Comparing the raw layer with a hand-written ground-truth file, cell by cell."""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from cnbudget.extract.numbers import looks_like_amount
from cnbudget.extract.text import compact


@dataclass
class Comparison:
    cells: int = 0
    numbers: int = 0
    mismatches: list[str] = field(default_factory=list)


def compare_with_ground_truth(conn: duckdb.DuckDBPyConnection, document_id: str, spec: dict) -> Comparison:
    """Every ground-truth cell must be in raw.cells, in the table with the same label,
    at the same body row and column, with exactly the printed text."""
    result = Comparison()
    for table in spec["tables"]:
        found = conn.execute(
            "select table_id, is_empty from raw.tables where document_id = ? and label = ?",
            [document_id, table["label"]],
        ).fetchall()
        if len(found) != 1:
            result.mismatches.append(f"{table['label']}: {len(found)} tables found, expected 1")
            continue
        table_id, is_empty = found[0]
        paths = [r[0] for r in conn.execute(
            "select column_path from raw.columns where table_id = ? order by col_index", [table_id]
        ).fetchall()]
        expected_paths = [compact(c) for c in table["columns"]]
        if paths != expected_paths:
            result.mismatches.append(f"{table['label']}: columns {paths} != {expected_paths}")
        if bool(is_empty) != (not table["rows"]):
            result.mismatches.append(f"{table['label']}: is_empty={is_empty}")
        printed = {
            (row, col): text
            for row, col, text in conn.execute(
                "select row_index, col_index, text from raw.cells where table_id = ?", [table_id]
            ).fetchall()
        }
        for i, row in enumerate(table["rows"]):
            for j, expected in enumerate(row):
                result.cells += 1
                result.numbers += looks_like_amount(expected) and not paths_is_label(expected_paths[j])
                got = printed.get((i, j))
                if got != expected:
                    result.mismatches.append(
                        f"{table['label']} row {i + 1} column {expected_paths[j]!r}: {got!r} != {expected!r}"
                    )
        extra_rows = {r for r, _ in printed} - set(range(len(table["rows"])))
        if table["rows"] and extra_rows:
            result.mismatches.append(f"{table['label']}: extra body rows {sorted(extra_rows)}")
    return result


def paths_is_label(path: str) -> bool:
    from cnbudget.extract.catalog import is_label_column

    return is_label_column(path.split("/")[-1])
