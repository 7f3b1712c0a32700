"""The hand-off between extraction and the loader: a document's frames or its refusal,
at any fsspec URL, so extraction never needs the warehouse."""

from __future__ import annotations

import pandas as pd

from cnbudget.ingest.handoff import Refusal, read_handoff, read_refusal, write_handoff, write_refusal

REFUSAL = Refusal("/landing/2025/scan.pdf", "ab" * 32, "no_text_layer", "scan.pdf: no text layer; it needs OCR")


def test_a_refusal_is_handed_to_the_loader_and_cleared_by_a_later_staging(tmp_path):
    url = f"file://{tmp_path / 'handoff'}"
    assert read_refusal("doc1", url) is None
    write_refusal(REFUSAL, "doc1", url)
    assert read_refusal("doc1", url) == REFUSAL
    # The same content staged again, now loadable (another page limit): its frames, no refusal.
    frames = {"documents": pd.DataFrame({"document_id": ["doc1"]})}
    write_handoff(frames, "doc1", url)
    assert read_refusal("doc1", url) is None
    assert read_handoff("doc1", url, ("documents",))["documents"]["document_id"].tolist() == ["doc1"]


def test_a_refusal_wins_over_frames_an_earlier_staging_left(tmp_path):
    url = str(tmp_path / "handoff")  # a plain folder works too
    write_handoff({"documents": pd.DataFrame({"document_id": ["doc2"]})}, "doc2", url)
    write_refusal(REFUSAL, "doc2", url)
    assert read_refusal("doc2", url) == REFUSAL
    assert not list((tmp_path / "handoff" / "doc2").glob("*partial*"))  # nothing left half-written
