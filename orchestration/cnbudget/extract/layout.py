"""What each page prints, with positions: text segments grouped into lines, top to
bottom, and how many vector paths the page draws (ruling lines are paths).

Positions are PDF points in the page's user space (origin bottom-left), as camelot's
and pdfium's are, so a line can be placed above, inside or below a grid.
"""

from __future__ import annotations

from dataclasses import dataclass
from cnbudget.extract.text import compact, normalize


@dataclass(frozen=True)
class Segment:
    """A run of text pdfium reports as one rectangle."""

    text: str
    x0: float
    y0: float
    x1: float
    y1: float


@dataclass(frozen=True)
class TextLine:
    """Segments printed on one baseline, left to right."""

    segments: tuple[Segment, ...]

    @property
    def text(self) -> str:
        """The line's text, NFKC-normalized, a blank where the page leaves a gap (some
        PDFs place every character on its own, so segments are not words)."""
        return normalize(self.printed)

    @property
    def printed(self) -> str:
        """The line's text as printed (full-width colons kept), blanks where gaps are."""
        height = max(self.y1 - self.y0, 1.0)
        parts: list[str] = []
        previous = None
        for seg in self.segments:
            if not seg.text.strip():
                continue
            if previous is not None and (seg.x0 - previous.x1 > 0.4 * height or previous.text.endswith(" ")):
                parts.append(" ")
            parts.append(seg.text.strip())
            previous = seg
        return "".join(parts)

    @property
    def compact(self) -> str:
        return compact(self.text)

    @property
    def x0(self) -> float:
        return min(s.x0 for s in self.segments)

    @property
    def x1(self) -> float:
        return max(s.x1 for s in self.segments)

    @property
    def y0(self) -> float:
        return min(s.y0 for s in self.segments)

    @property
    def y1(self) -> float:
        return max(s.y1 for s in self.segments)

    @property
    def y_center(self) -> float:
        return (self.y0 + self.y1) / 2


@dataclass(frozen=True)
class Glyph:
    """One printed character and its box (pdfium's generated spaces and line breaks left out)."""

    char: str
    x0: float
    y0: float
    x1: float
    y1: float
    baseline: float = 0.0  # y of the character's origin: glyphs of one line share it

    @property
    def centre(self) -> tuple[float, float]:
        return (self.x0 + self.x1) / 2, (self.y0 + self.y1) / 2


@dataclass(frozen=True)
class PageLayout:
    number: int  # 1-based
    width: float
    height: float
    text: str  # the text layer in content order (the narrative reader's input)
    lines: tuple[TextLine, ...]  # top to bottom
    path_count: int  # vector paths drawn: a ruled table draws many
    glyphs: tuple[Glyph, ...] = ()  # every printed character, in content order

    def lines_between(self, top: float, bottom: float) -> list[TextLine]:
        """Lines whose centre lies below `top` and above `bottom` (top > bottom)."""
        return [line for line in self.lines if bottom < line.y_center < top]


def _group_lines(segments: list[Segment]) -> tuple[TextLine, ...]:
    """Segments on one baseline form a line: a segment joins the line whose band (the
    extent of its tallest segment) holds the segment's centre, or whose centre its own
    extent holds (small marks such as “ 、 一 sit high or low in the band). Sorted top to
    bottom, then left to right."""
    lines: list[list[Segment]] = []
    bands: list[tuple[float, float]] = []
    for seg in sorted(segments, key=lambda s: (-(s.y0 + s.y1) / 2, s.x0)):
        centre = (seg.y0 + seg.y1) / 2
        best = None
        for k in range(len(lines) - 1, max(len(lines) - 4, -1), -1):
            y0, y1 = bands[k]
            if y0 <= centre <= y1 or seg.y0 <= (y0 + y1) / 2 <= seg.y1:
                distance = abs((y0 + y1) / 2 - centre)
                if best is None or distance < best[0]:
                    best = (distance, k)
        if best is None:
            lines.append([seg])
            bands.append((seg.y0, seg.y1))
            continue
        k = best[1]
        lines[k].append(seg)
        if seg.y1 - seg.y0 > bands[k][1] - bands[k][0]:
            bands[k] = (seg.y0, seg.y1)
    ordered = sorted(zip(bands, lines), key=lambda bl: -(bl[0][0] + bl[0][1]) / 2)
    # A line of small marks only (“ ” 、) whose band lies inside a taller neighbour's
    # belongs to it: it was started before the neighbour's tall glyphs were seen.
    merged: list[tuple[tuple[float, float], list[Segment]]] = []
    for band, line in ordered:
        if merged:
            (y0, y1), previous = merged[-1]
            if (y0 <= band[0] and band[1] <= y1) or (band[0] <= y0 and y1 <= band[1]):
                taller = (y0, y1) if y1 - y0 >= band[1] - band[0] else band
                merged[-1] = (taller, previous + line)
                continue
        merged.append((band, line))
    return tuple(TextLine(tuple(sorted(line, key=lambda s: s.x0))) for _, line in merged)


def display_box(box, rotation: int, width: float, height: float) -> tuple[float, float, float, float]:
    """A box in the page's user space, turned as the page is displayed (/Rotate), where
    camelot reads its grids: a landscape table printed on a rotated portrait page.
    `width` and `height` are the unrotated page's."""
    left, bottom, right, top = box
    if rotation == 90:
        return bottom, width - right, top, width - left
    if rotation == 180:
        return width - right, height - top, width - left, height - bottom
    if rotation == 270:
        return height - top, left, height - bottom, right
    return left, bottom, right, top


def _address(handle) -> int:
    import ctypes

    return ctypes.cast(handle, ctypes.c_void_p).value or 0


def _is_white_patch(obj) -> bool:
    """An opaque white image or filled shape: drawn over text, it hides it."""
    import ctypes

    import pypdfium2.raw as pdfium_c

    if obj.type == pdfium_c.FPDF_PAGEOBJ_IMAGE:
        try:
            image = obj.get_bitmap(render=False).to_pil()
        except Exception:  # noqa: BLE001 - an image pdfium cannot decode hides nothing we can tell
            return False
        return image.mode in ("RGB", "L") and all(low >= 250 for low, _ in (
            image.getextrema() if image.mode == "RGB" else [image.getextrema()]
        ))
    if obj.type == pdfium_c.FPDF_PAGEOBJ_PATH:
        fill, stroke = ctypes.c_int(), ctypes.c_int()
        pdfium_c.FPDFPath_GetDrawMode(obj.raw, fill, stroke)
        r, g, b, a = (ctypes.c_uint() for _ in range(4))
        pdfium_c.FPDFPageObj_GetFillColor(obj.raw, r, g, b, a)
        return fill.value != 0 and a.value == 255 and min(r.value, g.value, b.value) >= 250
    return False


def _hidden_text(page) -> set[int]:
    """Text objects a later opaque white patch covers (a page printing a corrected
    title over the old one): not what the page shows."""
    import pypdfium2.raw as pdfium_c

    texts: list[tuple[int, tuple]] = []
    hidden: set[int] = set()
    for obj in page.get_objects(max_depth=3):
        if obj.type == pdfium_c.FPDF_PAGEOBJ_TEXT:
            texts.append((_address(obj.raw), obj.get_bounds()))
        elif obj.type in (pdfium_c.FPDF_PAGEOBJ_IMAGE, pdfium_c.FPDF_PAGEOBJ_PATH) and texts:
            l, b, r, t = obj.get_bounds()
            covered = [a for a, (x0, y0, x1, y1) in texts
                       if a not in hidden and l - 1 <= x0 and x1 <= r + 1 and b - 1 <= y0 and y1 <= t + 1]
            if covered and _is_white_patch(obj):
                hidden.update(covered)
    return hidden


def _glyphs(textpage, rotation: int, width: float, height: float, hidden: set[int]) -> tuple[Glyph, ...]:
    import ctypes

    import pypdfium2.raw as pdfium_c

    text = textpage.get_text_range()
    x, y = ctypes.c_double(), ctypes.c_double()
    glyphs = []
    for i in range(min(textpage.count_chars(), len(text))):
        char = text[i]
        if char in "\r\n" or pdfium_c.FPDFText_IsGenerated(textpage.raw, i) == 1:
            continue
        if hidden and _address(pdfium_c.FPDFText_GetTextObject(textpage.raw, i)) in hidden:
            continue
        box = display_box(textpage.get_charbox(i), rotation, width, height)
        pdfium_c.FPDFText_GetCharOrigin(textpage.raw, i, x, y)
        origin = display_box((x.value, y.value, x.value, y.value), rotation, width, height)
        glyphs.append(Glyph(char, *(round(v, 2) for v in box), baseline=round(origin[1], 2)))
    return tuple(glyphs)


def _segments(glyphs: tuple[Glyph, ...]) -> list[Segment]:
    """Runs of glyphs printed one after the other on one baseline, without a wide gap."""
    segments: list[list[Glyph]] = []
    for glyph in glyphs:
        if segments:
            last = segments[-1][-1]
            height = max(last.y1 - last.y0, glyph.y1 - glyph.y0, 1.0)
            gap = glyph.x0 - last.x1
            if abs(glyph.baseline - last.baseline) <= height / 3 and -0.2 * height <= gap <= height:
                segments[-1].append(glyph)
                continue
        segments.append([glyph])
    return [
        Segment("".join(g.char for g in run), min(g.x0 for g in run), min(g.y0 for g in run),
                max(g.x1 for g in run), max(g.y1 for g in run))
        for run in segments
        if "".join(g.char for g in run).strip()
    ]


def read_layouts(document) -> list[PageLayout]:
    """Every page of an open pypdfium2 document."""
    import pypdfium2.raw as pdfium_c

    layouts = []
    for index in range(len(document)):
        page = document[index]
        textpage = page.get_textpage()
        left, bottom, right, top = page.get_mediabox()
        glyphs = _glyphs(textpage, page.get_rotation(), right - left, top - bottom, _hidden_text(page))
        width, height = page.get_size()
        layouts.append(
            PageLayout(
                number=index + 1,
                width=width,
                height=height,
                text=textpage.get_text_range(),
                lines=_group_lines(_segments(glyphs)),
                path_count=sum(1 for _ in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_PATH], max_depth=3)),
                glyphs=glyphs,
            )
        )
    return layouts
