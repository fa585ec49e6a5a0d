"""The demo sessions: past and planned, some blocked by the check and one by stock; loaded once."""

from datetime import date

from sqlalchemy import select

from formulary.demo import sessions
from formulary.extensions import db
from formulary.treatments.checks import stored_findings
from formulary.treatments.models import TreatmentSession

TODAY = date.today()


def test_nothing_to_build_on_is_said_and_skipped():
    assert sessions.load(TODAY) == [
        "Demo sessions skipped: the demo practitioner, patients and cocktails not loaded."]


def test_the_demo_clinic_has_sessions_past_and_planned(app):
    from formulary.catalogue.reference_sync import sync_reference_library
    from formulary.demo.clinic import load_demo

    sync_reference_library()
    lines = load_demo(TODAY)
    assert any(line.startswith("Demo sessions: ") for line in lines), lines
    rows = db.session.scalars(select(TreatmentSession)).all()
    past = [s for s in rows if s.status == "administered"]
    planned = [s for s in rows if s.scheduled_for > TODAY]
    assert len(past) >= 10 and all(s.scheduled_for < TODAY and s.draws for s in past)
    assert any(r.allergy is not None for s in past for r in s.reactions)
    blocked = [s for s in planned if s.checks and s.checks[-1].outcome == "blocked"]
    kinds = {f["kind"] for s in blocked for f in stored_findings(s.checks[-1])}
    assert {"allergy", "contraindication", "stock"} <= kinds
    assert any(s.checks[-1].override is not None for s in blocked)
    assert any(not s.checks for s in planned)  # some still to be checked
    assert sessions.load(TODAY) == ["Demo sessions already there."]
