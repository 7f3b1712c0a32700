"""Check that a rendered spec reads back through camelot lattice.

For every page of every table: ``camelot.read_pdf(pdf, pages=N,
flavor="lattice")`` must return exactly one table whose grid has the leaf
columns as columns and header rows + body rows (+ empty_note row) as rows;
every body cell's text (wrapped lines joined with no separator, stripped)
must equal the spec cell; every merged header cell must come out as one
spanning cell (edges present exactly on its outline) holding its text in its
top-left grid cell; the page text (pypdfium2) must contain the title and the
unit line on the table's first page.

    python -m tests.pdfgen.verify_camelot SPEC.yaml [OUT.pdf]

Prints a summary and exits non-zero on mismatches.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from .render_budget import header_cells, load_spec, render_document


def _join(text: str) -> str:
    return "".join(text.split("\n")).strip()


def verify(spec: dict, pdf: Path, report: dict | None = None, **camelot_kwargs) -> dict:
    """Run the checks; ``camelot_kwargs`` go to ``camelot.read_pdf``
    (e.g. ``engine="raster"``, ``line_scale=40``)."""
    import camelot
    import pypdfium2 as pdfium

    if report is None:
        report = render_document(spec, pdf)
    pdoc = pdfium.PdfDocument(str(pdf))
    result = dict(cells=0, header_cells=0, mismatches=[], pages=[], ideographic_space={})
    ideo_cam = ideo_pdfium = ideo_total = 0
    for table, info in zip(spec.get("tables") or [], report["table_list"]):
        cols = table["columns"]
        rows = [[("" if v is None else str(v)) for v in r] for r in (table.get("rows") or [])]
        depth, hcells = header_cells(cols)
        for pi, part in enumerate(info["parts"]):
            page = part["page"]
            t0 = time.perf_counter()
            tables = camelot.read_pdf(str(pdf), pages=str(page), flavor="lattice", **camelot_kwargs)
            dt = time.perf_counter() - t0
            page_text = pdoc[page - 1].get_textpage().get_text_range()
            result["pages"].append(dict(key=info["key"], page=page, seconds=round(dt, 2), n_tables=len(tables)))
            where = f"{info['key']} p{page}"
            if pi == 0:
                for needle in (table.get("title"), table.get("unit_line"), table.get("department_line")):
                    if needle and needle not in page_text:
                        result["mismatches"].append(f"{where}: page text lacks {needle!r}")
            if len(tables) != 1:
                result["mismatches"].append(f"{where}: camelot found {len(tables)} tables")
                continue
            t = tables[0]
            hr = part["header_rows"]
            b0, b1 = part["body_rows"]
            nrows = hr + (b1 - b0) + (1 if part["empty_note"] else 0)
            if t.shape != (nrows, len(cols)):
                result["mismatches"].append(f"{where}: shape {t.shape} != {(nrows, len(cols))}")
                continue
            # grid coordinates vs. the renderer's report
            cx = [round(x, 1) for x in part["col_x"]]
            camx = [round(t.cells[0][k].x1, 1) for k in range(len(cols))] + [round(t.cells[0][-1].x2, 1)]
            if max(abs(a - b) for a, b in zip(cx, camx)) > 1.5:
                result["mismatches"].append(f"{where}: col x {camx} != {cx}")
            ry = part["row_y"]
            camy = [t.cells[r][0].y2 for r in range(nrows)] + [t.cells[-1][0].y1]
            if max(abs(a - b) for a, b in zip(ry, camy)) > 1.5:
                result["mismatches"].append(f"{where}: row y {camy} != {ry}")
            # header: spans and text
            if hr:
                for hc in hcells:
                    r0, r1 = hc["row"], hc["row"] + hc["rowspan"]
                    c0, c1 = hc["col"], hc["col"] + hc["colspan"]
                    for r in range(r0, r1):
                        for k in range(c0, c1):
                            cell = t.cells[r][k]
                            want = (k == c0, k == c1 - 1, r == r0, r == r1 - 1)
                            got = (cell.left, cell.right, cell.top, cell.bottom)
                            if want != got:
                                result["mismatches"].append(
                                    f"{where}: header {hc['text']!r} cell ({r},{k}) edges l/r/t/b {got} != {want}"
                                )
                    result["header_cells"] += 1
                    got = _join(t.cells[r0][c0].text)
                    if got != hc["text"]:
                        result["mismatches"].append(f"{where}: header ({r0},{c0}) {got!r} != {hc['text']!r}")
            # body
            for i in range(b0, b1):
                r = hr + (i - b0)
                for k, want in enumerate(rows[i]):
                    cell = t.cells[r][k]
                    raw = cell.text
                    result["cells"] += 1
                    if not (cell.left and cell.right and cell.top and cell.bottom):
                        result["mismatches"].append(f"{where}: body ({i},{k}) not fully boxed")
                    if _join(raw) != want.strip():
                        result["mismatches"].append(f"{where}: body row {i} col {k}: {raw!r} != {want!r}")
                    lead = len(want) - len(want.lstrip("\u3000"))
                    if lead:
                        ideo_total += 1
                        if raw.startswith("\u3000" * lead) and not raw.startswith("\u3000" * (lead + 1)):
                            ideo_cam += 1
                        if want.split("\n")[0][: lead + 3] in page_text:
                            ideo_pdfium += 1
            if part["empty_note"]:
                r = nrows - 1
                got = _join(t.cells[r][0].text)
                result["cells"] += 1
                if got != table["empty_note"].strip():
                    result["mismatches"].append(f"{where}: empty_note {got!r}")
                for k in range(len(cols)):
                    cell = t.cells[r][k]
                    if (cell.left, cell.right) != (k == 0, k == len(cols) - 1):
                        result["mismatches"].append(f"{where}: empty_note row col {k} edges wrong")
    result["ideographic_space"] = dict(cells_with_indent=ideo_total, camelot_kept=ideo_cam, pdfium_kept=ideo_pdfium)
    return result


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        print(__doc__)
        return 2
    spec = load_spec(argv[0])
    if len(argv) > 1:
        pdf = Path(argv[1])
    else:
        pdf = Path(tempfile.mkdtemp()) / "out.pdf"
    t0 = time.perf_counter()
    report = render_document(spec, pdf)
    t_render = time.perf_counter() - t0
    res = verify(spec, pdf, report)
    print(f"rendered {pdf} ({report['page_count']} pages) in {t_render:.2f}s")
    for p in res["pages"]:
        print(f"  {p['key']} page {p['page']}: {p['n_tables']} table(s), camelot {p['seconds']}s")
    print(f"body cells compared: {res['cells']}, header cells checked: {res['header_cells']}")
    print(f"U+3000 indentation: {res['ideographic_space']}")
    print(f"mismatches: {len(res['mismatches'])}")
    for m in res["mismatches"]:
        print("  " + m)
    return 1 if res["mismatches"] else 0


if __name__ == "__main__":
    sys.exit(main())
