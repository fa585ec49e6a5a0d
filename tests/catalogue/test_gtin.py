"""GTIN check digits, validation and the 14-digit form."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from formulary.catalogue.gtin import InvalidGtin, gtin_check_digit, is_valid_gtin, normalize_gtin


@pytest.mark.parametrize(
    ("code", "normalized"),
    [
        ("4006381333931", "04006381333931"),  # EAN-13 (Wikipedia's example)
        ("5901234123457", "05901234123457"),  # EAN-13 (GS1's example)
        ("09506000134352", "09506000134352"),  # GTIN-14 (GS1's example)
        ("10614141000415", "10614141000415"),  # GTIN-14 with packaging indicator 1
        ("036000291452", "00036000291452"),  # UPC-A
        ("96385074", "00000096385074"),  # GTIN-8
        (" 4 006381 333931 ", "04006381333931"),  # as printed under the bars
    ],
)
def test_valid_gtins_normalize_to_14_digits(code, normalized):
    assert is_valid_gtin(code)
    assert normalize_gtin(code) == normalized


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("4006381333932", "GTIN 4006381333932 fails its check digit (expected 1)"),
        ("09506000134353", "GTIN 09506000134353 fails its check digit (expected 2)"),
        ("96385075", "GTIN 96385075 fails its check digit (expected 4)"),
        ("12AB", "GTIN 12AB is not 8, 12, 13 or 14 digits"),
        ("400638133393", "GTIN 400638133393 fails its check digit (expected 0)"),  # 12 digits
        ("40063813339", "GTIN 40063813339 is not 8, 12, 13 or 14 digits"),  # 11 digits
        ("095060001343520", "GTIN 095060001343520 is not 8, 12, 13 or 14 digits"),  # 15
        ("4006-381333931", "GTIN 4006-381333931 is not 8, 12, 13 or 14 digits"),
        ("４００６３８１３３３９３１", "is not 8, 12, 13 or 14 digits"),  # full-width digits
        ("", "GTIN is empty"),
        ("   ", "GTIN is empty"),
    ],
)
def test_invalid_gtins_are_named_in_a_sentence(code, message):
    assert not is_valid_gtin(code)
    with pytest.raises(InvalidGtin) as caught:
        normalize_gtin(code)
    assert message in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_invalid_gtin_keeps_value_and_reason():
    error = InvalidGtin("123", "is not 8, 12, 13 or 14 digits")
    assert (error.value, error.reason) == ("123", "is not 8, 12, 13 or 14 digits")


@pytest.mark.parametrize(
    ("body", "digit"),
    [("400638133393", 1), ("0950600013435", 2), ("9638507", 4), ("03600029145", 2), ("0", 0)],
)
def test_check_digit(body, digit):
    assert gtin_check_digit(body) == digit


@pytest.mark.parametrize("body", ["", "12a4", "１２"])
def test_check_digit_needs_digits(body):
    with pytest.raises(ValueError):
        gtin_check_digit(body)


BODY = st.sampled_from([7, 11, 12, 13]).flatmap(
    lambda n: st.text(alphabet="0123456789", min_size=n, max_size=n)
)


@given(BODY)
def test_exactly_one_check_digit_is_valid(body):
    valid = [d for d in "0123456789" if is_valid_gtin(body + d)]
    assert valid == [str(gtin_check_digit(body))]
    # Zero padding never changes the check digit: that is what makes the 14-digit form work.
    assert normalize_gtin(body + valid[0]) == (body + valid[0]).zfill(14)
