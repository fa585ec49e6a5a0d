"""The stock workbook format in one place: sheets, columns, header aliases and required columns."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from formulary.vocabulary import ImportMode

STOCK_SHEET = "Stock"
PRODUCTS_SHEET = "Products"
HEADER_SEARCH_ROWS = 10  # a header below a title or a note is still found


@dataclass(frozen=True)
class Column:
    """One column of a sheet: the field code uses, the header the clinic reads, and its aliases."""

    field: str
    header: str
    aliases: tuple[str, ...] = ()


# The Stock sheet, in order: one row per lot. Export writes it, import reads it back.
STOCK_COLUMNS = (
    Column("product", "Product", ("Item", "Product name", "Description", "Name")),
    Column("gtin", "GTIN", ("EAN", "GTIN-13", "GTIN-14", "EAN-13", "Barcode", "UPC")),
    Column("category", "Category"),
    Column("lot", "Lot", ("Lot No.", "Lot number", "Batch", "Batch no", "Batch number", "LOT/Batch")),
    Column(
        "expiry",
        "Expiry",
        ("Expires", "Exp. date", "Expiry date", "Expiration date", "Use by", "Best before", "EXP"),
    ),
    Column("status", "Status"),
    Column("quantity", "On hand", ("Qty", "Quantity", "Count", "Counted")),
    Column("unit", "Unit"),
    Column("unit_cost", "Unit cost", ("Cost", "Unit price", "Price")),
    Column("value", "Value", ("Stock value",)),
    Column("supplier", "Supplier", ("Vendor",)),
    Column("received", "Received", ("Received on", "Delivery date", "Date received")),
)

# Counting in the product's units (both modes read them; the exported Stock sheet writes them in place of
# On hand): whole sealed units, and what opened units (or an opened box) hold, in the stock unit. A row's
# quantity is sealed × the product's unit size + opened content. A file gives On hand or these, not both.
UNIT_COLUMNS = (
    Column("sealed", "Sealed units", ("Sealed", "Unopened", "Sealed vials", "Vials", "Ampoules", "Boxes")),
    Column("opened", "Opened content", ("Opened", "Open content", "Opened vials", "Loose", "Part used")),
)
SEALED, OPENED = (column.header for column in UNIT_COLUMNS)
PACKAGE = "Package"  # "vial of 2 mL": what one sealed unit is and holds (export only, for the counter)

# The exported Stock sheet, in order: the lot, its count in units, then what the stock list shows.
EXPORT_HEADERS = ("Product", "GTIN", "Category", "Lot", "Expiry", "Status", PACKAGE, SEALED, OPENED, "Unit",
                  "Unit cost", "Value", "Supplier", "Received")

# The Products sheet (export only): totals per product.
PRODUCT_COLUMNS = (
    Column("product", "Product"),
    Column("gtin", "GTIN"),
    Column("category", "Category"),
    Column("unit", "Unit"),
    Column("on_hand", "On hand"),
    Column("in_units", "In units"),
    Column("reorder_level", "Reorder level"),
    Column("below_reorder", "Below reorder"),
)

# The exported Stock sheet's last column: each lot's quantity when the workbook was made. The count
# record (count_record.py) is what the import reads; this copy is for the person counting, never "ignored".
QUANTITY_AT_COUNT = "Quantity at count"

STOCK_HEADERS = tuple(column.header for column in STOCK_COLUMNS)
PRODUCT_HEADERS = tuple(column.header for column in PRODUCT_COLUMNS)
HEADER_OF = {column.field: column.header for column in (*STOCK_COLUMNS, *UNIT_COLUMNS)}

# Per mode: groups of fields, each group satisfied by any one of its fields.
REQUIRED: dict[str, tuple[tuple[str, ...], ...]] = {
    ImportMode.DELIVERY: (("product", "gtin"), ("lot",), ("expiry",), ("quantity", "sealed")),
    ImportMode.STOCKTAKE: (("product", "gtin"), ("lot",), ("quantity", "sealed")),
}


def column_letter(index: int) -> str:
    """The spreadsheet letter of a 0-based column index: 0 → A, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def header_key(text: object) -> str:
    """The matching key of a header: case, accents, spaces and punctuation removed ("Lot No." → "lotno")."""
    folded = unicodedata.normalize("NFKD", str(text)).casefold()
    return "".join(char for char in folded if char.isalnum())


_FIELD_BY_KEY = {
    header_key(name): column.field
    for column in (*STOCK_COLUMNS, *UNIT_COLUMNS) for name in (column.header, *column.aliases)
}


def field_for_header(text: object) -> str | None:
    """The Stock field a header cell names, or None when it is not one of ours."""
    if not isinstance(text, str):
        return None
    return _FIELD_BY_KEY.get(header_key(text))


def read_elsewhere(text: str) -> bool:
    """Whether a header not among the Stock fields is one of ours all the same (not an ignored column)."""
    return header_key(text) in _OURS_UNREAD


_OURS_UNREAD = {header_key(QUANTITY_AT_COUNT), header_key(PACKAGE)}


def missing_columns(fields: set[str], mode: str) -> list[str]:
    """The required columns a mode lacks, in the clinic's words ("Product or GTIN", "Expiry")."""
    return [
        " or ".join(HEADER_OF[field] for field in group)
        for group in REQUIRED[mode]
        if not fields.intersection(group)
    ]


def expected_headers(mode: str) -> str:
    """The headers a mode needs, as one phrase for an error message."""
    return ", ".join(missing_columns(set(), mode))
