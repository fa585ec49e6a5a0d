"""The clinic's time zone: appointment times are read and shown in it, and stored in UTC.

The one place that turns a stored UTC time into the clinic's wall clock (the `datetime` template
filter calls `local_text`) and a wall-clock appointment into UTC (`appointment_utc`). The zone is
FORMULARY_TIMEZONE, an IANA name; an unknown name stops the app at start (`init_app`).
"""

from datetime import UTC, date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask, current_app

DEFAULT_ZONE = "Europe/Paris"


class NoSuchLocalTime(ValueError):
    """A wall-clock time that does not exist in the zone that day (the hour skipped when clocks go forward)."""


@lru_cache(maxsize=8)
def zone_named(name: str) -> ZoneInfo:
    """The zone of an IANA name; a clear ValueError for a name the system does not know."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"FORMULARY_TIMEZONE={name!r} is not a time zone this system knows: use an IANA name such as "
            "Europe/Paris, Europe/London, America/New_York or UTC."
        ) from None


def init_app(app: Flask) -> None:
    """Refuse to start with a time zone name the system does not know."""
    try:
        zone_named(app.config.get("TIMEZONE") or DEFAULT_ZONE)
    except ValueError as error:
        raise RuntimeError(str(error)) from None


def clinic_zone() -> ZoneInfo:
    """The clinic's zone, from the app's configuration."""
    return zone_named(current_app.config.get("TIMEZONE") or DEFAULT_ZONE)


# --- pure conversions (the zone is passed in) -----------------------------------------------


def appointment_utc(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of a wall-clock appointment in the zone.

    A time the clocks skip that day is refused; a time they repeat (the hour when clocks go back)
    is its first occurrence, as a diary would read it.
    """
    local = datetime.combine(day, at.replace(tzinfo=None), tzinfo=zone)
    instant = local.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
        raise NoSuchLocalTime(
            f"{at:%H:%M} does not exist on {day:%Y-%m-%d} in {zone.key}: the clocks go forward that night. "
            "Choose another time."
        )
    return instant


def in_zone(moment: datetime, zone: ZoneInfo) -> datetime:
    """A stored (aware UTC) time on the zone's wall clock."""
    if moment.tzinfo is None:  # stored times are aware; a naive one is UTC by the models' rule
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone)


def wall_clock(moment: datetime, zone: ZoneInfo) -> str:
    """"2026-12-15 14:30", the zone's wall clock to the minute."""
    return f"{in_zone(moment, zone):%Y-%m-%d %H:%M}"


def today_in(zone: ZoneInfo, now: datetime | None = None) -> date:
    """The date on the zone's calendar at `now` (default: the current instant)."""
    return (now or datetime.now(UTC)).astimezone(zone).date()


# --- with the app's zone ------------------------------------------------------------------


def local_text(moment: datetime | None) -> str:
    """A stored time as the clinic reads it everywhere: its own wall clock, to the minute."""
    return wall_clock(moment, clinic_zone()) if moment is not None else ""


def local_time_text(moment: datetime | None) -> str:
    """Only the time of day of a stored time, on the clinic's clock: "14:30"."""
    return f"{in_zone(moment, clinic_zone()):%H:%M}" if moment is not None else ""


def clinic_today() -> date:
    """Today on the clinic's calendar (not the server's, which may run in UTC)."""
    return today_in(clinic_zone())


def clinic_appointment(day: date, at: time) -> datetime:
    """An appointment on the clinic's wall clock, as the aware UTC time it is stored as."""
    return appointment_utc(day, at, clinic_zone())


def appointment_text(day: date, starts_at: datetime | None) -> str:
    """A session's appointment as the API answers it: "2026-12-15T14:30" on the clinic's clock, or the date."""
    return f"{in_zone(starts_at, clinic_zone()):%Y-%m-%dT%H:%M}" if starts_at is not None else day.isoformat()


def appointment_shown(session) -> str:
    """A session's day and, when it has one, its time on the clinic's clock: "2026-12-15 14:30"."""
    day = f"{session.scheduled_for:%Y-%m-%d}"
    return f"{day} {local_time_text(session.starts_at)}" if session.starts_at is not None else day
