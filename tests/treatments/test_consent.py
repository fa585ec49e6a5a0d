"""Consent: generated from the session, signed on screen or on paper, kept as signed, required to administer."""

import base64
import json
import struct
import zlib
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from formulary.audit.models import AuditEvent
from formulary.extensions import db
from formulary.treatments.consent import (
    ConsentDocument,
    ConsentRefused,
    record_consent,
    save_wording,
    wording_in_force,
)
from formulary.treatments.consent_models import Consent
from formulary.treatments.sessions import ConsentMissing, administer, plan_session
from tests.api.test_sessions_api import bearer
from tests.conftest import csrf_token
from tests.treatments import conftest as sessions_conftest
from tests.treatments.conftest import TODAY

clinic = sessions_conftest.clinic


def tiny_png(width: int = 4, height: int = 2) -> bytes:
    """A real PNG of a few white pixels, as a canvas would give."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\x00" + b"\xff\xff\xff" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


@pytest.fixture
def require_consent(app, monkeypatch):
    monkeypatch.setitem(app.config, "REQUIRE_CONSENT", True)


@pytest.fixture
def session(clinic, make_patient):
    patient = make_patient("Paula Paraben", allergies=["parabens"])
    planned = plan_session(make_patient("Ana Silva", allergy_status="none-known"), clinic["cocktail"], TODAY,
                           practitioner=None, actor=None)
    db.session.flush()
    return planned if patient else None


def test_the_consent_lists_what_is_injected_with_its_substances_side_effects_and_aftercare(session):
    consent = record_consent(session, "paper", actor=None)
    document = ConsentDocument.from_json(consent.document)
    assert [i["product"] for i in document.injected] == ["HA 1% 2 mL", "Vitamin Complex B 2 mL"]
    assert document.injected[1]["substances"] == ["thiamine", "methylparaben"]
    for effect in ("Bruising", "Redness", "Swelling", "Itching"):
        assert effect in document.wording
    assert "sun" in document.aftercare
    assert document.wording_version == 1 and consent.wording.version == 1
    assert session.checks, "signing runs the check when the session had none, for its cautions"


def test_the_checks_cautions_join_the_consent(clinic, make_patient, make_condition):
    # A patient whose allergy history is unknown gets a caution from the check.
    patient = make_patient("Uma Unknown", allergy_status="unknown")
    planned = plan_session(patient, clinic["cocktail"], TODAY, practitioner=None, actor=None)
    consent = record_consent(planned, "paper", actor=None)
    document = ConsentDocument.from_json(consent.document)
    assert planned.checks[-1].outcome == "caution"
    assert document.cautions and all(isinstance(c, str) and c for c in document.cautions)


def test_on_screen_needs_a_png_and_keeps_it(session):
    with pytest.raises(ConsentRefused, match="empty"):
        record_consent(session, "on-screen", actor=None)
    with pytest.raises(ConsentRefused, match="not a PNG"):
        record_consent(session, "on-screen", actor=None, signature_png=b"GIF89a....")
    consent = record_consent(session, "on-screen", actor=None, signature_png=tiny_png())
    assert consent.signature_png == tiny_png()


def test_a_signed_consent_is_never_edited_nor_signed_twice(session):
    consent = record_consent(session, "paper", actor=None)
    with pytest.raises(ConsentRefused, match="already recorded"):
        record_consent(session, "paper", actor=None)
    consent.document = json.dumps({"changed": True})
    with pytest.raises(ValueError, match="never edited"):
        db.session.flush()
    db.session.rollback()


def test_editing_the_wording_makes_a_new_version_and_old_consents_keep_theirs(session, clinic, make_patient):
    first = record_consent(session, "paper", actor=None)
    row = save_wording("Our own words about the treatment.\n\n- Bruising may happen.", actor=None)
    assert row.version == 2 and wording_in_force().version == 2
    other = plan_session(make_patient("Bea Costa", allergy_status="none-known"), clinic["cocktail"], TODAY,
                         practitioner=None, actor=None)
    second = record_consent(other, "paper", actor=None)
    assert second.wording.version == 2 and "Our own words" in ConsentDocument.from_json(second.document).wording
    assert first.wording.version == 1 and "Our own words" not in ConsentDocument.from_json(first.document).wording
    assert save_wording("Our own words about the treatment.\n\n- Bruising may happen.\n", actor=None).version == 2


def test_administering_without_consent_is_refused_when_required(require_consent, session):
    with pytest.raises(ConsentMissing, match="consent"):
        administer(session, actor=None, today=TODAY)
    record_consent(session, "paper", actor=None)
    administer(session, actor=None, today=TODAY)
    assert session.status == "administered"


def test_preparing_without_consent_is_refused_when_required_and_nothing_is_drawn(require_consent, session):
    from formulary.stock.models import StockMovement
    from formulary.treatments.preparations import prepare

    before = db.session.query(StockMovement).count()
    with pytest.raises(ConsentMissing, match="before preparing it"):
        prepare(session, actor=None, today=TODAY, use_by_minutes=60)
    assert db.session.query(StockMovement).count() == before
    record_consent(session, "paper", actor=None)
    preparation = prepare(session, actor=None, today=TODAY, use_by_minutes=60)
    assert preparation.draws and db.session.query(StockMovement).count() > before


def test_administering_without_consent_is_allowed_when_the_clinic_turned_it_off(session):
    administer(session, actor=None, today=TODAY)
    assert session.status == "administered"


def test_the_api_records_consent_and_administer_answers_409_without_it(client, api_token, require_consent, session):
    db.session.commit()
    headers = bearer(api_token("practitioner")[1])
    refused = client.post(f"/api/v1/sessions/{session.id}/administer", headers=headers, json={})
    assert refused.status_code == 409 and "consent" in refused.get_json()["message"]
    bad = client.post(f"/api/v1/sessions/{session.id}/consent", headers=headers, json={"method": "on-screen"})
    assert bad.status_code == 422 and "signature" in bad.get_json()["message"]
    wrong = client.post(f"/api/v1/sessions/{session.id}/consent", headers=headers, json={"method": "fax"})
    assert wrong.status_code == 422
    signed = client.post(f"/api/v1/sessions/{session.id}/consent", headers=headers, json={
        "method": "on-screen", "signature_png": base64.b64encode(tiny_png()).decode()})
    assert signed.status_code == 201, signed.get_json()
    assert signed.get_json()["method"] == "on-screen" and signed.get_json()["wording_version"] == 1
    again = client.post(f"/api/v1/sessions/{session.id}/consent", headers=headers, json={"method": "paper"})
    assert again.status_code == 409
    got = client.get(f"/api/v1/sessions/{session.id}", headers=headers).get_json()
    assert got["consent"]["method"] == "on-screen"
    given = client.post(f"/api/v1/sessions/{session.id}/administer", headers=headers, json={})
    assert given.status_code == 201, given.get_json()
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "consent.sign")) == 1


def test_the_consent_page_records_a_paper_signature_and_prints_it(client, login_as, require_consent, session):
    db.session.commit()
    login_as("practitioner")
    page = client.get(f"/sessions/{session.id}/consent")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "What will be injected" in text and "methylparaben" in text and "Bruising" in text
    detail = client.get(f"/sessions/{session.id}").get_data(as_text=True)
    assert "Not signed" in detail and "Required before administering" in detail
    token = csrf_token(client, f"/sessions/{session.id}/consent")
    done = client.post(f"/sessions/{session.id}/consent", data={"csrf_token": token, "method": "paper"})
    assert done.status_code == 302
    assert db.session.scalar(select(func.count(Consent.id))) == 1
    printed = client.get(f"/sessions/{session.id}/consent/print").get_data(as_text=True)
    assert "Signed on paper" in printed and "Wording version 1" in printed


def test_an_on_screen_signature_without_a_drawing_is_refused_on_the_page(client, login_as, session):
    db.session.commit()
    login_as("practitioner")
    token = csrf_token(client, f"/sessions/{session.id}/consent")
    refused = client.post(f"/sessions/{session.id}/consent", data={"csrf_token": token, "method": "on-screen"})
    assert refused.status_code == 409 and "signature is empty" in refused.get_data(as_text=True)
    data_url = "data:image/png;base64," + base64.b64encode(tiny_png()).decode()
    done = client.post(f"/sessions/{session.id}/consent", data={"csrf_token": token, "method": "on-screen",
                                                                  "signature": data_url})
    assert done.status_code == 302
    png = client.get(f"/sessions/{session.id}/consent/signature.png")
    assert png.status_code == 200 and png.data == tiny_png()


def test_a_later_day_is_fine_too(session):
    session.scheduled_for = TODAY + timedelta(days=3)
    assert record_consent(session, "paper", actor=None).document


def test_a_manager_edits_the_wording_and_a_new_version_is_kept(client, login_as):
    login_as("manager")
    page = client.get("/sessions/consent-wording")
    assert page.status_code == 200 and "Version 1" in page.get_data(as_text=True)
    token = csrf_token(client, "/sessions/consent-wording")
    saved = client.post("/sessions/consent-wording", data={"csrf_token": token,
                                                           "body": "Our clinic's words.\n\n- Bruising may happen."},
                        follow_redirects=True)
    assert "saved as version 2" in saved.get_data(as_text=True)
    assert wording_in_force().body.startswith("Our clinic's words.")
    token = csrf_token(client, "/sessions/consent-wording")
    again = client.post("/sessions/consent-wording", data={"csrf_token": token,
                                                           "body": "Our clinic's words.\n\n- Bruising may happen."},
                        follow_redirects=True)
    assert "unchanged: still version 2" in again.get_data(as_text=True)
