"""The committed seed PDF is exactly what the renderer draws from the ground truth."""

from __future__ import annotations

import hashlib

from tests.conftest import SEED_PDF, render_variant, seed_table
from tests.pdfgen.render_budget import render_document


def _sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_committed_seed_pdf_has_not_drifted(seed_spec, tmp_path):
    rendered = tmp_path / "seed.pdf"
    layout = render_document(seed_spec, rendered)
    assert _sha256(rendered) == _sha256(SEED_PDF), "re-render with `make seed-pdf` and commit the PDF"
    # Published layout the extractor must cope with: tables over two pages, header repeated.
    assert layout["tables"]["表3"] == [8, 9]
    assert layout["tables"]["表5-1"] == [12, 13]
    assert layout["page_count"] == 53
    assert layout["tables"]["表11"] == [22, 23, 24, 25, 26, 27]  # forms over several pages
    assert layout["tables"]["表12-4"] == [46, 47]


def test_a_changed_cell_is_drift(seed_spec, tmp_path):
    def change(spec):
        seed_table(spec, "表7")["rows"][0][0] = "100.11"

    variant = render_variant(seed_spec, tmp_path / "variant.pdf", change)
    assert _sha256(variant) != _sha256(SEED_PDF)
