"""GS1 scans as a keyboard-wedge scanner types them."""

from datetime import date

import pytest

from formulary.stock.scan import ScanError, ScanResult, parse_scan

GTIN = "09506000134352"
FULL = ScanResult(gtin=GTIN, lot_number="ABC123", expiry=date(2027, 3, 31), serial="XYZ")


@pytest.mark.parametrize(
    "text",
    [
        "(01)09506000134352(17)270331(10)ABC123(21)XYZ",  # as printed (HRI)
        "(01) 09506000134352 (17) 270331 (10) ABC123 (21) XYZ",  # HRI typed with spaces
        "01095060001343521727033110ABC123\x1d21XYZ",  # GS after the variable-length lot
        "\x1d01095060001343521727033110ABC123\x1d21XYZ",  # leading FNC1 sent as GS
        "]d201095060001343521727033110ABC123\x1d21XYZ",  # GS1 DataMatrix identifier
        "]C101095060001343521727033110ABC123\x1d21XYZ",  # GS1-128 identifier
        "]Q301095060001343521727033110ABC123\x1d21XYZ",  # GS1 QR identifier
        "01095060001343521727033110ABC123<GS>21XYZ",  # visible stand-ins for GS
        "01095060001343521727033110ABC123[GS]21XYZ",
        "01095060001343521727033110ABC123{gs}21XYZ",
        "01095060001343521727033110ABC123^]21XYZ",
        "01095060001343521727033110ABC123\u241d21XYZ",
        "0109506000134352\x1d17270331\x1d10ABC123\x1d21XYZ\x1d",  # GS after every field
    ],
)
def test_full_scan_in_every_form(text):
    assert parse_scan(text) == FULL


def test_fields_in_any_order():
    text = "10ABC123\x1d21XYZ\x1d0109506000134352\x1d17270331"
    assert parse_scan(text) == FULL


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("09506000134352", ScanResult(GTIN)),
        ("4006381333931", ScanResult("04006381333931")),  # EAN-13 on the box
        ("]E04006381333931", ScanResult("04006381333931")),  # with its symbology identifier
        ("036000291452", ScanResult("00036000291452")),  # UPC-A
        ("96385074", ScanResult("00000096385074")),  # GTIN-8
        ("0109506000134352", ScanResult(GTIN)),  # GS1 string with the GTIN alone
        ("(01)09506000134352(10)L-07/B", ScanResult(GTIN, lot_number="L-07/B")),
        ("(01)09506000134352(17)270331", ScanResult(GTIN, expiry=date(2027, 3, 31))),
        ("  09506000134352\r\n", ScanResult(GTIN)),  # the scanner's Enter key
    ],
)
def test_partial_scans_and_plain_gtins(text, expected):
    assert parse_scan(text) == expected


@pytest.mark.parametrize(
    ("text", "expiry"),
    [
        ("(01)09506000134352(17)270300", date(2027, 3, 31)),
        ("(01)09506000134352(17)270200", date(2027, 2, 28)),
        ("(01)09506000134352(17)280200", date(2028, 2, 29)),  # leap year
        ("(01)09506000134352(17)271100", date(2027, 11, 30)),
        ("0109506000134352172712001012", date(2027, 12, 31)),
    ],
)
def test_expiry_day_00_is_the_last_day_of_the_month(text, expiry):
    assert parse_scan(text).expiry == expiry


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("hello", "Scan 'hello' is not a GS1 barcode or a GTIN"),
        ("]X9abc", "is not a GS1 barcode or a GTIN"),
        ("(01)09506000134352junk(", "is not a GS1 barcode or a GTIN"),
        ("", "Scan '' is empty"),
        ("4006381333932", "has GTIN 4006381333932, which fails its check digit (expected 1)"),
        ("(01)09506000134353(17)270331", "has GTIN 09506000134353, which fails its check digit"),
        ("0109506000134353\x1d10A", "Scan '0109506000134353<GS>10A' has GTIN 09506000134353"),
        ("(01)123", "has a GTIN (AI 01) that is not 14 digits"),
        ("(17)270331(10)ABC123", "has no GTIN (AI 01)"),
        ("17270331\x1d10ABC123", "has no GTIN (AI 01)"),
        ("(01)09506000134352(17)271331", "has an invalid expiry date '271331' (AI 17)"),
        ("(01)09506000134352(17)270231", "has an invalid expiry date '270231' (AI 17)"),
        ("01095060001343521727023110A", "has an invalid expiry date '270231' (AI 17)"),
        ("010950600013435217270", "has an invalid expiry date '270' (AI 17)"),
        ("(01)09506000134352(999)1", "has an unknown AI (999)"),
        ("(01)09506000134352(10)A(10)B", "has AI (10) twice with different values"),
    ],
)
def test_errors_name_the_problem(text, message):
    with pytest.raises(ScanError) as caught:
        parse_scan(text)
    assert message in str(caught.value)
    assert isinstance(caught.value, ValueError) and caught.value.scan == text
