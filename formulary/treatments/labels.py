"""The syringe label drawn as a PNG or a PDF at a label printer's size, with a QR code of the preparation.

Pillow draws the text and writes PNG and PDF (one library for both, already the reference for
images in Python); segno makes the QR code (pure Python, no dependencies, standard-conformant).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cache

import segno
from PIL import Image, ImageDraw, ImageFont

from formulary.treatments.label_content import LabelContent

DPI = 300
MM_PER_INCH = 25.4
FONTS = ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
         "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf")


@dataclass(frozen=True)
class LabelSize:
    """A label stock: width × height in millimetres."""

    key: str
    width_mm: int
    height_mm: int

    @property
    def pixels(self) -> tuple[int, int]:
        """Its size in dots at 300 dpi."""
        return (round(self.width_mm / MM_PER_INCH * DPI), round(self.height_mm / MM_PER_INCH * DPI))


# Brother DK-11209-style 62 × 29 mm is the default; Dymo 11352-style 54 × 25 mm; a larger 62 × 100 mm.
SIZES = {size.key: size for size in (LabelSize("62x29", 62, 29), LabelSize("54x25", 54, 25),
                                     LabelSize("62x100", 62, 100))}
DEFAULT_SIZE = "62x29"


@cache
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in FONTS:
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            continue
    return ImageFont.load_default(size)


def _lines(content: LabelContent) -> list[tuple[str, bool]]:
    """The label's lines, top to bottom, each with whether it is bold (drawn larger)."""
    lines = []
    if content.wasted:
        lines.append((f"WASTED — DO NOT USE ({content.waste_reason})", True))
    lines += [(content.patient_line, True), (f"{content.cocktail} v{content.version} · {content.reference}", False)]
    lines += [(line.text, False) for line in content.lines]
    lines.append((content.total_line, True))
    if content.dose_line:
        lines.append((content.dose_line, False))
    lines.append((content.times_line, False))
    return lines


def _qr(text: str, side: int) -> Image.Image:
    """The QR code of the text, drawn as a square image of about `side` dots, quiet zone included."""
    code = segno.make(text, error="m", micro=False)
    rows = list(code.matrix_iter(scale=1, border=2))
    scale = max(1, side // len(rows))
    image = Image.new("1", (len(rows) * scale,) * 2, 1)
    draw = ImageDraw.Draw(image)
    for y, row in enumerate(rows):
        for x, dark in enumerate(row):
            if dark:
                draw.rectangle((x * scale, y * scale, (x + 1) * scale - 1, (y + 1) * scale - 1), fill=0)
    return image


def _wrap(draw: ImageDraw.ImageDraw, text: str, font, width: int) -> list[str]:
    words, lines, current = text.split(" "), [], ""
    for word in words:
        candidate = f"{current} {word}".strip()
        if draw.textlength(candidate, font=font) <= width or not current:
            current = candidate
        else:
            lines.append(current)
            current = word
    return [*lines, current] if current else lines


def render(content: LabelContent, size_key: str = DEFAULT_SIZE) -> Image.Image:
    """The label as a black-and-white image: the QR code on the left, the text beside it, shrunk to fit."""
    size = SIZES[size_key]
    width, height = size.pixels
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    margin = 12
    qr = _qr(content.barcode, min(height - 2 * margin, width // 3))
    image.paste(qr.convert("L"), (margin, margin))
    left = margin * 2 + qr.width
    text_width = width - left - margin
    for points in range(30, 9, -1):  # the largest type that fits every line
        regular, bold = _font(points), _font(points + 3)
        wrapped = [(part, big) for text, big in _lines(content)
                   for part in _wrap(draw, text, bold if big else regular, text_width)]
        line_height = points + 5
        if sum(line_height + (3 if big else 0) for _, big in wrapped) <= height - margin * 2:
            break
    y = margin
    for part, big in wrapped:
        draw.text((left, y), part, fill=0, font=bold if big else regular)
        y += line_height + (3 if big else 0)
    if content.wasted:  # a frame nobody can miss
        draw.rectangle((2, 2, width - 3, height - 3), outline=0, width=6)
    return image


def png(content: LabelContent, size_key: str = DEFAULT_SIZE) -> bytes:
    """The label as a PNG at 300 dpi."""
    out = io.BytesIO()
    render(content, size_key).save(out, format="PNG", dpi=(DPI, DPI))
    return out.getvalue()


def pdf(content: LabelContent, size_key: str = DEFAULT_SIZE) -> bytes:
    """The label as a one-page PDF of exactly the label's size."""
    out = io.BytesIO()
    render(content, size_key).convert("RGB").save(out, format="PDF", resolution=DPI)
    return out.getvalue()
