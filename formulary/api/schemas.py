"""The API's input fields: text the database can store, exact quantities, days, expiries, ids, paging."""

import calendar
import re
from datetime import date, time
from decimal import Decimal

import marshmallow as ma

# Ids are INTEGER columns: PostgreSQL raises on a bigger number instead of finding nothing.
MAX_ID = 2**31 - 1
MAX_PER_PAGE = 500
# A lone surrogate cannot be encoded for the database, NUL cannot be stored by PostgreSQL.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# The same, for the OpenAPI document: what a Text may hold (no NUL; a lone surrogate cannot be
# written in JSON Schema's regex, nor sent as valid UTF-8), and a Text that must not be blank (a
# character other than a space or control character, as str.split sees them, at least).
STORABLE = r"^[^\x00]*$"
NOT_BLANK = r"^[^\x00]*[^\s\x00-\x20\x7f-\xa0][^\x00]*$"
_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_MONTH = re.compile(r"(\d{4})-(\d{2})")


class Text(ma.fields.String):
    """A string the database can store, at most max_length characters.

    A required Text is documented as not blank (the services refuse a blank name or reason);
    `blank=True` says otherwise.
    """

    default_error_messages = {
        "unstorable": "Contains a character that cannot be stored (NUL or an unpaired surrogate).",
        "too_long": "Longer than {max} characters.",
    }

    def __init__(self, *, max_length: int = 200, blank: bool | None = None, **kwargs):
        self.max_length = max_length
        blank = not kwargs.get("required", False) if blank is None else blank
        shape = {"pattern": STORABLE} if blank else {"minLength": 1, "pattern": NOT_BLANK}
        metadata = {"maxLength": max_length, **shape, **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if _UNSTORABLE.search(text):
            raise self.make_error("unstorable")
        if len(text) > self.max_length:
            raise self.make_error("too_long", max=self.max_length)
        return text


class Quantity(ma.fields.Field[Decimal]):
    """A quantity or amount of money: read exactly as a Decimal, answered as a JSON number."""

    default_error_messages = {
        "too_large": "{input} is more than the largest value accepted ({maximum}).",
        "too_precise": "Use at most {places} decimal places (got {input}).",
    }

    def __init__(self, *, places: int = 3, maximum: int | None = 10**9, positive: bool = False,
                 minimum: int | None = None, **kwargs):
        # The default fits a lot's Numeric(14, 3); narrower columns pass a smaller maximum, and a
        # sum over lots (answered, never read) passes None: it has no maximum. `positive` and `minimum`
        # document what the service refuses (zero or less; less than `minimum`): the smallest value
        # accepted is one step of `places`, or `minimum`.
        self.decimal_places = places
        self.maximum = None if maximum is None else Decimal(maximum)
        bound: dict = {} if maximum is None else {"maximum": maximum, "minimum": -maximum}
        if positive or minimum is not None:
            bound["minimum"] = 10**-places if positive else minimum
        metadata = {"type": "number", **bound, "multipleOf": 10**-places, **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)
        self.number = ma.fields.Decimal()  # reads the number: refuses NaN, infinity, booleans and text

    def _deserialize(self, value, attr, data, **kwargs) -> Decimal:
        number = self.number.deserialize(value)
        if self.maximum is not None and abs(number) > self.maximum:
            raise self.make_error("too_large", input=value, maximum=self.maximum)
        if number != number.quantize(Decimal(1).scaleb(-self.decimal_places)):
            raise self.make_error("too_precise", input=value, places=self.decimal_places)
        return number

    def _serialize(self, value, attr, obj, **kwargs) -> float | None:
        return None if value is None else float(value)


class Day(ma.fields.Date):
    """A date written YYYY-MM-DD, and nothing else."""

    def __init__(self, *, pattern: str | None = None, **kwargs):
        # `pattern` narrows what the OpenAPI document promises (e.g. years a date of birth may have).
        if pattern:
            kwargs["metadata"] = {"pattern": pattern, **kwargs.get("metadata", {})}
        super().__init__(**kwargs)

    default_error_messages = {"invalid": "Not a valid date: write it YYYY-MM-DD (got {input!r})."}

    def _deserialize(self, value, attr, data, **kwargs) -> date:
        if not isinstance(value, str) or not _DAY.fullmatch(value):
            raise self.make_error("invalid", input=value)
        return super()._deserialize(value, attr, data, **kwargs)


_APPOINTMENT = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}):(\d{2})(?::00)?)?")
_TIME = re.compile(r"(\d{2}):(\d{2})(?::00)?")


class TimeOfDay(ma.fields.Field[time]):
    """A wall-clock time HH:MM, read in the clinic's time zone (FORMULARY_TIMEZONE)."""

    default_error_messages = {"invalid": "Not a valid time: write it HH:MM, from 00:00 to 23:59 (got {input!r})."}

    def __init__(self, **kwargs):
        metadata = {"type": "string", "pattern": r"^([01]\d|2[0-3]):[0-5]\d$", "example": "14:30",
                    "description": "HH:MM on the clinic's clock", **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs) -> time:
        match = _TIME.fullmatch(value) if isinstance(value, str) else None
        if match is None or int(match.group(1)) > 23 or int(match.group(2)) > 59:
            raise self.make_error("invalid", input=value)
        return time(int(match.group(1)), int(match.group(2)))


class Appointment(ma.fields.Field[tuple]):
    """A session's day, YYYY-MM-DD, or its day and time, YYYY-MM-DDTHH:MM on the clinic's clock: (date, time | None)."""

    default_error_messages = {
        "invalid": "Not a valid appointment: write YYYY-MM-DD, or YYYY-MM-DDTHH:MM for a time on the clinic's "
                   "clock (got {input!r}).",
    }

    def __init__(self, **kwargs):
        metadata = {"type": "string",
                    "pattern": r"^[1-9]\d{3}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])(T([01]\d|2[0-3]):[0-5]\d)?$",
                    "example": "2026-12-15T14:30",
                    "description": "YYYY-MM-DD, or YYYY-MM-DDTHH:MM read in the clinic's time zone "
                                   "(FORMULARY_TIMEZONE)", **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs) -> tuple[date, time | None]:
        match = _APPOINTMENT.fullmatch(value) if isinstance(value, str) else None
        try:
            if match is None:
                raise ValueError
            day = date.fromisoformat(match.group(1))
            at = time(int(match.group(2)), int(match.group(3))) if match.group(2) else None
        except ValueError:
            raise self.make_error("invalid", input=value) from None
        return day, at

    def _serialize(self, value, attr, obj, **kwargs):
        return value


class Expiry(ma.fields.Field[date]):
    """An expiry date, YYYY-MM-DD or YYYY-MM (a month means its last day)."""

    default_error_messages = {
        "invalid": "Not a valid expiry: write it YYYY-MM-DD, or YYYY-MM for the month's last day "
                   "(got {input!r}).",
    }

    def __init__(self, **kwargs):
        metadata = {
            "type": "string",
            "pattern": r"^\d{4}-\d{2}(-\d{2})?$",
            "description": "YYYY-MM-DD, or YYYY-MM meaning the last day of that month",
            "example": "2027-03",
            **kwargs.pop("metadata", {}),
        }
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs) -> date:
        if isinstance(value, str):
            try:
                if day := _DAY.fullmatch(value):
                    return date(*(int(part) for part in day.groups()))
                if month := _MONTH.fullmatch(value):
                    year, number = int(month.group(1)), int(month.group(2))
                    return date(year, number, calendar.monthrange(year, number)[1])
            except (ValueError, calendar.IllegalMonthError):
                pass
        raise self.make_error("invalid", input=value)

    def _serialize(self, value, attr, obj, **kwargs) -> str | None:
        return None if value is None else value.isoformat()


def Id(**kwargs) -> ma.fields.Integer:  # noqa: N802  (reads like the field classes beside it)
    """A record id: a positive whole number (strict in a JSON body, text in a query string)."""
    return ma.fields.Integer(validate=ma.validate.Range(min=1, max=MAX_ID), **kwargs)


class PageArgs(ma.Schema):
    """page and per_page, which every list takes."""

    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=1_000_000))
    per_page = ma.fields.Integer(
        validate=ma.validate.Range(min=1, max=MAX_PER_PAGE),
        metadata={"description": "Items per page (default: the clinic's FORMULARY_PER_PAGE)"},
    )


def list_schema(name: str, item_schema: type[ma.Schema]) -> type[ma.Schema]:
    """The {items, total} answer of a list, named for the OpenAPI document."""
    return ma.Schema.from_dict(
        {
            "items": ma.fields.List(ma.fields.Nested(item_schema), required=True),
            "total": ma.fields.Integer(required=True, metadata={"description": "Items on every page"}),
        },
        name=name,
    )


def one_of(choices, what: str) -> ma.validate.OneOf:
    """A validator naming what was unknown and the values it may take."""
    return ma.validate.OneOf(choices, error=f"Unknown {what} {{input!r}}: use one of {{choices}}.")
