"""Cell values: every date form, quantities, money, GTINs and text, with the reason when refused."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal as D

import pytest

from formulary.spreadsheets.values import (
    CellProblem,
    is_blank,
    shown,
    to_date,
    to_gtin,
    to_money,
    to_quantity,
    to_text,
)


def problem(convert, *args, **kwargs) -> str:
    with pytest.raises(CellProblem) as caught:
        convert(*args, **kwargs)
    return caught.value.message


@pytest.mark.parametrize(("value", "expected"), [
    (date(2027, 3, 31), date(2027, 3, 31)),
    (datetime(2027, 3, 31, 0, 0), date(2027, 3, 31)),
    (datetime(2027, 3, 31, 14, 30), date(2027, 3, 31)),
    (46477.0, date(2027, 3, 31)),  # an Excel date number, 1900 system
    (46477, date(2027, 3, 31)),
    (46477.75, date(2027, 3, 31)),  # a time of day does not change the date
    (36526, date(2000, 1, 1)),
    ("2027-03-31", date(2027, 3, 31)),
    ("2027-3-5", date(2027, 3, 5)),
    (" 2027-03-31 ", date(2027, 3, 31)),
    ("2027-03-31T00:00:00", date(2027, 3, 31)),
    ("2027-03-31 00:00:00", date(2027, 3, 31)),
    ("2027/03/31", date(2027, 3, 31)),
    ("2027.03.31", date(2027, 3, 31)),
    ("31/03/2027", date(2027, 3, 31)),
    ("03/04/2027", date(2027, 4, 3)),  # the clinic's day order decides
    ("3.4.27", date(2027, 4, 3)),
    ("03/04/27", date(2027, 4, 3)),
    ("03-04-2027", date(2027, 4, 3)),
    ("31/03/2027 00:00", date(2027, 3, 31)),
    ("1 Mar 2027", date(2027, 3, 1)),
    ("1st March 2027", date(2027, 3, 1)),
    ("01-Mar-27", date(2027, 3, 1)),
    ("Mar 1, 2027", date(2027, 3, 1)),
    ("Sept 9 2027", date(2027, 9, 9)),
    ("EXP 2027-03-31", date(2027, 3, 31)),
    ("", None),
    ("   ", None),
    (None, None),
])
def test_dates_day_first(value, expected):
    assert to_date(value, "DMY") == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("03/04/2027", date(2027, 3, 4)),
    ("3.4.27", date(2027, 3, 4)),
    ("12/31/2027", date(2027, 12, 31)),
    ("2027-03-04", date(2027, 3, 4)),  # ISO never depends on the day order
])
def test_dates_month_first(value, expected):
    assert to_date(value, "MDY") == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("2027-03", date(2027, 3, 31)),
    ("2027/02", date(2027, 2, 28)),
    ("2028-02", date(2028, 2, 29)),
    ("03/2027", date(2027, 3, 31)),
    ("3-2027", date(2027, 3, 31)),
    ("EXP 2027-03", date(2027, 3, 31)),
    ("Exp: 2027-04", date(2027, 4, 30)),
    ("Use by 2027-06", date(2027, 6, 30)),
    ("Mar 2027", date(2027, 3, 31)),
    ("MARCH 2027", date(2027, 3, 31)),
    ("Mar-2027", date(2027, 3, 31)),
    ("2027 Nov", date(2027, 11, 30)),
])
def test_a_month_only_expiry_means_the_last_day_of_that_month(value, expected):
    assert to_date(value, "DMY", month_end=True) == expected
    assert to_date(value, "MDY", month_end=True) == expected


def test_a_month_alone_is_not_a_received_date():
    assert problem(to_date, "2027-03", "DMY") == "Gives a month but no day; write it as YYYY-MM-DD."


@pytest.mark.parametrize(("value", "message"), [
    ("1/2/3", "Ambiguous date: the year has 1 digit(s); write it as YYYY-MM-DD."),
    ("1/2/202", "Ambiguous date: the year has 3 digit(s); write it as YYYY-MM-DD."),
    ("2027/13/01", "Ambiguous date: there is no month 13 in year/month/day order; write it as YYYY-MM-DD."),
    ("12/31/2027", "Ambiguous date: there is no month 31 in day/month/year order (the clinic's setting); "
                   "write it as YYYY-MM-DD."),
    ("03/27", "Ambiguous date; write it as YYYY-MM-DD."),
    ("2027-13", "Ambiguous date: there is no month 13 in month and year; write it as YYYY-MM-DD."),
    ("31/02/2027", "Not a real date: February has no day 31."),
    ("2027-02-29", "Not a real date: February has no day 29."),
    ("0227-03-01", "Not a plausible date (the year 227); write it as YYYY-MM-DD."),
    (date(1999, 12, 31), "Not a plausible date (the year 1999); write it as YYYY-MM-DD."),
    ("Foo 2027", "'Foo' is not a month we can read; write it as YYYY-MM-DD."),
    ("next week", "Not a date we can read; write it as YYYY-MM-DD."),
    ("46477", "A number, not a date; write it as YYYY-MM-DD."),
    (2027, "A number, not a date (as an Excel date it is 1905-07-19); write it as YYYY-MM-DD."),
    (60, "A number, not a date; write it as YYYY-MM-DD."),  # 1900-02-29, which never was
    (-5.0, "A number, not a date; write it as YYYY-MM-DD."),
    (float("nan"), "A number, not a date; write it as YYYY-MM-DD."),
    (1e300, "A number, not a date; write it as YYYY-MM-DD."),
    (True, "TRUE/FALSE, not a date; write it as YYYY-MM-DD."),
    (time(10, 30), "A time, not a date."),
    (timedelta(hours=3), "A time, not a date."),
])
def test_dates_refused_with_their_reason(value, message):
    assert problem(to_date, value, "DMY", month_end=True) == message


def test_the_serial_numbers_around_the_1900_leap_year_bug():
    # Excel counts a 29 February 1900 that never was, so serial 61 is 1 March 1900.
    assert date(1899, 12, 30) + timedelta(days=61) == date(1900, 3, 1)
    assert to_date(45000, "DMY") == date(2023, 3, 15)  # as Excel shows it


def test_an_unknown_day_order_is_a_programming_error():
    with pytest.raises(ValueError, match="DMY or MDY"):
        to_date("03/04/2027", "YMD")


@pytest.mark.parametrize(("value", "expected"), [
    (2, D("2")), (2.0, D("2")), (2.5, D("2.5")), ("2.5", D("2.5")), ("2,5", D("2.5")), (" 10 ", D("10")),
    ("0,250", D("0.25")), ("0.125", D("0.125")), ("+4", D("4")),
    ("1,234.5", D("1234.5")), ("1.234,5", D("1234.5")), ("12,345,678", D("12345678")),
    (0.1 + 0.2, D("0.3")),  # what Excel shows: 15 significant digits
    (100.0, D("100")), ("", None), (None, None),
])
def test_quantities(value, expected):
    assert to_quantity(value, allow_zero=False) == expected


def test_a_quantity_of_100_keeps_exponent_zero():
    assert to_quantity(100.0, allow_zero=False).as_tuple().exponent == 0


@pytest.mark.parametrize(("value", "message"), [
    ("abc", "Not a number."),
    ("5 mL", "Not a number."),
    ("1e3", "Not a number."),
    ("1 000", "Not a number."),
    ("1,000", "Ambiguous number: it could mean 1000 or 1; write it without a thousands separator."),
    ("2.500", "Ambiguous number: it could mean 2500 or 2.5; write it without a thousands separator."),
    ("2.5555", "Has more than 3 decimals."),
    (1 / 3, "Has more than 3 decimals."),
    (-1, "Must be more than 0."),
    (0, "Must be more than 0."),
    ("0", "Must be more than 0."),
    (1e12, "Too large."),
    (1e300, "Too large."),
    (float("inf"), "Not a number."),
    (True, "TRUE/FALSE, not a number."),
    (date(2027, 1, 1), "A date or time, not a number."),
])
def test_quantities_refused_with_their_reason(value, message):
    assert problem(to_quantity, value, allow_zero=False) == message


def test_a_stocktake_may_count_zero_but_never_below():
    assert to_quantity(0, allow_zero=True) == 0
    assert to_quantity("0,0", allow_zero=True) == 0
    assert problem(to_quantity, "-1", allow_zero=True) == "Cannot be negative."


@pytest.mark.parametrize(("value", "expected"), [
    (12.5, D("12.5")), ("€12.50", D("12.5")), ("12,50 €", D("12.5")), ("USD 3", D("3")), ("£0.1234", D("0.1234")),
    (0, D("0")), ("", None),
])
def test_money(value, expected):
    assert to_money(value) == expected


@pytest.mark.parametrize(("value", "message"), [
    ("-1", "Cannot be negative."), (1.23456, "Has more than 4 decimals."), ("12 euros", "Not a number."),
])
def test_money_refused(value, message):
    assert problem(to_money, value) == message


@pytest.mark.parametrize(("value", "expected"), [
    ("09506000134352", "09506000134352"),
    ("9506000134352", "09506000134352"),
    ("950 6000 134352", "09506000134352"),
    (9506000134352.0, "09506000134352"),  # a number cell lost the leading zero
    (12345678905.0, "00012345678905"),  # a UPC-A whose leading zero a spreadsheet dropped
    ("", None),
])
def test_gtins(value, expected):
    assert to_gtin(value) == expected


@pytest.mark.parametrize(("value", "message"), [
    ("9506000134353", "Not a valid GTIN: it fails its check digit (expected 2)."),
    ("12345", "Not a valid GTIN: it is not 8, 12, 13 or 14 digits."),
    (1.5, "Not a valid GTIN: it is not 8, 12, 13 or 14 digits."),
])
def test_gtins_refused(value, message):
    assert problem(to_gtin, value) == message


@pytest.mark.parametrize(("value", "expected"), [
    ("  L-123 ", "L-123"), ("=SUM(A1)", "=SUM(A1)"), ("Ａｃｉｄｅ", "Ａｃｉｄｅ"), (12345.0, "12345"), (1.5, "1.5"),
    (date(2027, 3, 1), "2027-03-01"), ("", None), (" ", None), (None, None),
])
def test_text_is_stripped_and_otherwise_untouched(value, expected):
    assert to_text(value) == expected


def test_text_longer_than_its_column_is_refused():
    assert to_text("x" * 40, max_length=40) == "x" * 40
    assert problem(to_text, "x" * 41, max_length=40) == "Longer than 40 characters."


@pytest.mark.parametrize(("value", "expected"), [
    (None, ""), (True, "TRUE"), (2.0, "2"), (0.1 + 0.2, "0.3"), (date(2027, 3, 1), "2027-03-01"),
    (datetime(2027, 3, 1), "2027-03-01"), (datetime(2027, 3, 1, 9, 5), "2027-03-01 09:05:00"), ("=x", "=x"),
])
def test_a_value_is_shown_as_the_user_typed_it(value, expected):
    assert shown(value) == expected


def test_blank_cells():
    assert is_blank(None) and is_blank("") and is_blank(" \t")
    assert not is_blank(0) and not is_blank("0")
