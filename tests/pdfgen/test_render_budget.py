"""Self-tests of the test renderer (determinism, layout report, camelot
read-back). Run: /tmp/venvtest/.venv/bin/python -m pytest tests/pdfgen -q"""

import copy
import hashlib
from pathlib import Path

import pytest

from .render_budget import header_cells, load_spec, render_document

SAMPLE = Path(__file__).with_name("sample.yaml")


@pytest.fixture(scope="module")
def spec():
    return load_spec(SAMPLE)


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def test_deterministic(spec, tmp_path):
    a, b = tmp_path / "a.pdf", tmp_path / "b.pdf"
    ra = render_document(spec, a)
    rb = render_document(spec, b)
    assert ra == rb
    assert _sha(a) == _sha(b)


def test_layout_report(spec, tmp_path):
    rep = render_document(spec, tmp_path / "s.pdf")
    assert rep["tables"]["表3"] == [5, 6]  # 36 rows -> two pages
    assert rep["tables"]["三级表头示例表"] == [9]  # empty label -> title key
    assert rep["page_count"] == 10
    t3 = rep["table_list"][1]
    assert [p["header_rows"] for p in t3["parts"]] == [2, 2]
    assert t3["parts"][0]["body_rows"][0] == 0 and t3["parts"][-1]["body_rows"][1] == 36


def test_header_cells():
    depth, cells = header_cells(["a", "b/c", "b/d/e", "b/d/f"])
    assert depth == 3
    got = {(c["text"], c["row"], c["rowspan"], c["col"], c["colspan"]) for c in cells}
    assert got == {
        ("a", 0, 3, 0, 1),
        ("b", 0, 1, 1, 3),
        ("c", 1, 2, 1, 1),
        ("d", 1, 1, 2, 2),
        ("e", 2, 1, 2, 1),
        ("f", 2, 1, 3, 1),
    }


def test_options(spec, tmp_path):
    s = copy.deepcopy(spec)
    t = s["tables"][1]
    t["layout"] = {"rows_per_page": 10, "repeat_header": False}
    rep = render_document(s, tmp_path / "o.pdf")
    parts = rep["table_list"][1]["parts"]
    assert [p["body_rows"] for p in parts] == [[0, 10], [10, 20], [20, 30], [30, 36]]
    assert [p["header_rows"] for p in parts] == [2, 0, 0, 0]


def test_non_string_cell_rejected(spec, tmp_path):
    s = copy.deepcopy(spec)
    s["tables"][0]["rows"][0][1] = 35.0
    with pytest.raises(TypeError):
        render_document(s, tmp_path / "x.pdf")


def test_camelot_reads_sample(spec, tmp_path):
    pytest.importorskip("camelot")
    from .verify_camelot import verify

    res = verify(spec, tmp_path / "s.pdf")
    assert res["mismatches"] == []
    assert res["cells"] > 300
    assert res["ideographic_space"]["camelot_kept"] == res["ideographic_space"]["cells_with_indent"]
