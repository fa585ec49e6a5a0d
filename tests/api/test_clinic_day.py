"""Expiry is judged on the clinic's calendar, not the server's (which often runs in UTC)."""

from datetime import UTC, date, datetime

from formulary.clinic_time import today_in, zone_named
from formulary.extensions import db
from tests.api.test_stock_api import bearer

# Fourteen hours ahead of UTC, and twelve behind: at any instant one of them is on another day than UTC.
ZONES = ("Pacific/Kiritimati", "Etc/GMT+12")


def a_zone_on_another_day() -> tuple[str, date, date]:
    now = datetime.now(UTC)
    server = date.today()  # the server's own calendar, what the pages used to judge by
    for name in ZONES:
        clinic = today_in(zone_named(name), now)
        if clinic != server:
            return name, clinic, server
    raise AssertionError("one of the two zones is always on another day")


def test_a_lot_expires_on_the_clinics_date(app, client, monkeypatch, api_token, make_product, make_lot):
    name, clinic, server = a_zone_on_another_day()
    monkeypatch.setitem(app.config, "TIMEZONE", name)
    # The lot's last day is the earlier of the two dates: past on one calendar, today on the other.
    expiry = min(clinic, server)
    lot = make_lot(make_product("Vitamin C 5 mL"), lot_number="EDGE", expiry=expiry)
    db.session.commit()
    headers = bearer(api_token("manager")[1])

    body = client.get(f"/api/v1/lots/{lot.id}", headers=headers).get_json()

    assert body["expired"] is (clinic > expiry), f"clinic day {clinic}, server day {server}, expiry {expiry}"
