"""GS1-128 barcodes of a lot (GTIN, expiry, lot) as inline SVG, for the printed count sheet.

The scanner that receives stock reads them back (stock/scan.py): scanning the count sheet
opens the lot. The lot number goes last, so that its variable length needs no separator.
"""

from __future__ import annotations

import io
import re
from datetime import date

import barcode
from barcode.errors import BarcodeError
from barcode.writer import SVGWriter

_PROLOGUE = re.compile(r"^.*?(?=<svg)", re.DOTALL)  # the XML declaration and doctype: not in an HTML page
# The page's Content-Security-Policy allows no inline style: the writer's style="fill:…" becomes fill="…",
# and its fixed id (the same in every barcode) goes.
_STYLE_FILL = re.compile(r'style="fill:\s*([#\w]+);?"')
_ID = re.compile(r'\sid="[^"]*"')
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_GS1_LOT = re.compile(r"[!-~]{1,20}")  # GS1 AI (10): up to 20 printable ASCII characters


def gs1_element_string(gtin: str, expiry: date, lot_number: str) -> str:
    """(01)GTIN(17)YYMMDD(10)LOT, as printed under the barcode."""
    return f"(01){gtin.zfill(14)}(17){expiry:%y%m%d}(10){lot_number}"


def lot_barcode_svg(gtin: str | None, expiry: date, lot_number: str) -> str | None:
    """An SVG element of the lot's GS1-128 barcode; None without a GTIN or for a lot GS1 cannot carry."""
    if not gtin or not _GS1_LOT.fullmatch(lot_number):
        return None
    data = f"01{gtin.zfill(14)}17{expiry:%y%m%d}10{lot_number}"
    try:
        code = barcode.get_barcode_class("gs1_128")(data, writer=SVGWriter())
        buffer = io.BytesIO()
        code.write(buffer, options={"module_width": 0.25, "module_height": 9.0, "quiet_zone": 2.0,
                                    "write_text": False})
    except (BarcodeError, ValueError, KeyError):
        return None
    svg = _PROLOGUE.sub("", buffer.getvalue().decode(), count=1)
    return _ID.sub("", _COMMENT.sub("", _STYLE_FILL.sub(r'fill="\1"', svg)))
