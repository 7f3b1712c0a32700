"""The cells of a failed identity, highlighted on an image of the printed page.

Cell boxes are stored in PDF points with the origin at the page's bottom left
(raw.cells, dq.identity_results.cells); pdfium renders the page's crop box top-down,
so a box maps to pixels by flipping y against the crop box's top.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image, ImageDraw

from cnbudget.extract.document import document_id_for, sha256_of
from cnbudget.ingest.landing import find_in_landing

RENDER_SCALE = 2.5  # image pixels per PDF point
DISPLAY_SCALE = 1.35  # CSS pixels per PDF point: printed 8-pt figures read at about 11 px, sharp on 2x screens
ROLE_COLOURS = {"actual": (220, 38, 38), "expected": (37, 99, 235)}  # red: the checked figure; blue: the other side
_FILL_ALPHA = 48
_OUTLINE_PX = 4
_MIN_MARGIN_PT = 36.0  # context above and below the highlighted cells: two rows or so either side

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in PDF points, origin bottom-left


@dataclass(frozen=True)
class Highlight:
    role: str  # actual / expected
    box: Box


@dataclass(frozen=True)
class PageCrop:
    page: int
    png: bytes
    width_px: int
    height_px: int

    @property
    def data_uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")

    @property
    def css_width(self) -> int:
        return round(self.width_px / RENDER_SCALE * DISPLAY_SCALE)


def box_to_pixels(box: Box, crop_box: Box, scale: float) -> tuple[float, float, float, float]:
    """A box in PDF points (origin bottom-left) as left, top, right, bottom pixels of
    the page rendered at `scale` (origin top-left); crop_box is the page's (left, bottom, right, top)."""
    x0, y0, x1, y1 = box
    left, _bottom, _right, top = crop_box
    return ((x0 - left) * scale, (top - y1) * scale, (x1 - left) * scale, (top - y0) * scale)


def locate_pdf(source_file: str, document_id: str, landing_dir: Path) -> Path | None:
    """The PDF a document was loaded from: where it was, else the landing folder's file with
    the same content; None when neither holds it (moved or deleted since the load)."""
    path = Path(source_file)
    if path.is_file() and document_id_for(sha256_of(path)) == document_id:
        return path
    try:
        return find_in_landing(document_id, landing_dir)
    except FileNotFoundError:
        return None


class PageCropper:
    """Renders pages once each and cuts highlighted crops out of them."""

    def __init__(self, landing_dir: Path):
        self._landing_dir = landing_dir
        self._pdfs: dict[str, pdfium.PdfDocument | None] = {}
        self._pages: dict[tuple[str, int], tuple[Image.Image, Box]] = {}

    def pdf_of(self, document_id: str, source_file: str) -> pdfium.PdfDocument | None:
        if document_id not in self._pdfs:
            path = locate_pdf(source_file, document_id, self._landing_dir)
            self._pdfs[document_id] = pdfium.PdfDocument(path) if path else None
        return self._pdfs[document_id]

    def _page(self, pdf: pdfium.PdfDocument, document_id: str, page_number: int) -> tuple[Image.Image, Box]:
        key = (document_id, page_number)
        if key not in self._pages:
            page = pdf[page_number - 1]
            # Stored boxes are in the unrotated page space: render it unrotated too.
            page.set_rotation(0)
            image = page.render(scale=RENDER_SCALE).to_pil().convert("RGB")
            self._pages[key] = (image, tuple(page.get_cropbox()))
        return self._pages[key]

    def crop(
        self,
        document_id: str,
        source_file: str,
        page_number: int,
        highlights: list[Highlight],
        horizontal_extent: tuple[float, float] | None = None,
    ) -> PageCrop | None:
        """The highlighted cells on their page, cropped to the printed table's width
        (horizontal_extent, in points: so the row names show) and a row or two above and
        below. None when the PDF is no longer where it was loaded from."""
        pdf = self.pdf_of(document_id, source_file)
        if pdf is None:
            return None
        image, crop_box = self._page(pdf, document_id, page_number)
        overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
        draw = ImageDraw.Draw(overlay)
        for highlight in highlights:
            colour = ROLE_COLOURS[highlight.role]
            draw.rectangle(
                box_to_pixels(highlight.box, crop_box, RENDER_SCALE),
                fill=(*colour, _FILL_ALPHA),
                outline=(*colour, 255),
                width=_OUTLINE_PX,
            )
        drawn = Image.alpha_composite(image.convert("RGBA"), overlay).convert("RGB")
        region = self._region(highlights, horizontal_extent, crop_box)
        left, top, right, bottom = (round(v) for v in box_to_pixels(region, crop_box, RENDER_SCALE))
        cropped = drawn.crop((max(left, 0), max(top, 0), min(right, image.width), min(bottom, image.height)))
        buffer = io.BytesIO()
        # A palette keeps a crop of printed text small without visible loss.
        cropped.quantize(colors=64).save(buffer, format="PNG", optimize=True)
        return PageCrop(page_number, buffer.getvalue(), cropped.width, cropped.height)

    @staticmethod
    def _region(highlights: list[Highlight], horizontal_extent: tuple[float, float] | None, crop_box: Box) -> Box:
        x0 = min(h.box[0] for h in highlights)
        x1 = max(h.box[2] for h in highlights)
        y0 = min(h.box[1] for h in highlights)
        y1 = max(h.box[3] for h in highlights)
        row_height = max(h.box[3] - h.box[1] for h in highlights)
        margin = max(_MIN_MARGIN_PT, 2.5 * row_height)
        if horizontal_extent:
            x0, x1 = min(x0, horizontal_extent[0]), max(x1, horizontal_extent[1])
        left, bottom, right, top = crop_box
        return (max(x0 - 8, left), max(y0 - margin, bottom), min(x1 + 8, right), min(y1 + margin, top))
