"""Preparations through the API: stock drawn at preparation, the label and its barcode, administering it."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from io import BytesIO

import pytest
import zxingcpp
from PIL import Image

from formulary.extensions import db
from formulary.stock.models import Lot, StockMovement
from formulary.treatments.models import TreatmentSession
from formulary.treatments.preparation_models import Preparation
from formulary.treatments.preparations import confirm_scan
from formulary.treatments.sessions import plan_session
from tests.treatments.conftest import TODAY


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def room(clinic, make_product, make_lot, make_cocktail, make_patient, api_token):
    """The clinic's cocktail plus a multi-dose 10 mL lidocaine vial; two patients booked today."""
    lido = make_product("Lidocaine 2% 10 mL multi-dose", unit_size="10", single_use=False,
                        opened_shelf_life_days=28, category="anaesthetic",
                        composition=[("lidocaine hydrochloride", "active")])
    lido_lot = make_lot(lido, lot_number="LI-1", quantity="20", expiry=TODAY + timedelta(days=200))
    cocktail = make_cocktail("Glow with lidocaine", [(clinic["ha"], "1.5"), (lido, "0.5")])
    user, token = api_token("practitioner")
    ana = make_patient("Ana Silva", date_of_birth=TODAY.replace(year=1990), reference="P-0001")
    bea = make_patient("Bea Costa")
    sessions = [plan_session(p, cocktail, TODAY, practitioner=user, actor=user) for p in (ana, bea)]
    db.session.commit()
    return {**clinic, "lido": lido, "lido_lot": lido_lot, "user": user, "headers": bearer(token),
            "ana": sessions[0], "bea": sessions[1]}


def prepare(client, room, session, **body):
    return client.post(f"/api/v1/sessions/{session.id}/preparations", json=body, headers=room["headers"])


def decode(png: bytes) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(Image.open(BytesIO(png)))]


def test_preparing_draws_the_stock_with_a_use_by_an_hour_later(client, room):
    answer = prepare(client, room, room["ana"])
    assert answer.status_code == 201, answer.json
    body = answer.json
    prepared, use_by = datetime.fromisoformat(body["prepared_at"]), datetime.fromisoformat(body["use_by"])
    assert use_by - prepared == timedelta(minutes=60)
    lido_draw = next(d for d in body["draws"] if d["lot_id"] == room["lido_lot"].id)
    assert lido_draw["amount"] == 0.5 and lido_draw["unit_id"]
    db.session.expire_all()
    assert db.session.get(Lot, room["lido_lot"].id).on_hand == Decimal("19.5")
    assert db.session.get(Lot, room["early"].id).on_hand == Decimal("2")  # 1.5 mL + the rest of a 2 mL vial


def test_the_label_png_decodes_to_the_preparation_and_names_the_patient(client, room):
    prep_id = prepare(client, room, room["ana"]).json["id"]
    answer = client.get(f"/api/v1/preparations/{prep_id}/label.png", headers=room["headers"])
    assert answer.status_code == 200 and answer.mimetype == "image/png"
    image = Image.open(BytesIO(answer.data))
    assert image.size == (732, 343)  # 62 × 29 mm at 300 dpi
    assert any(f"PREP-{prep_id}" in text for text in decode(answer.data))
    small = client.get(f"/api/v1/preparations/{prep_id}/label.png?size=54x25", headers=room["headers"])
    assert Image.open(BytesIO(small.data)).size == (638, 295)
    assert any(f"PREP-{prep_id}" in text for text in decode(small.data))
    pdf = client.get(f"/api/v1/preparations/{prep_id}/label.pdf", headers=room["headers"])
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_the_label_content_lists_each_product_with_lot_expiry_and_volume(room, client):
    from formulary.treatments.label_content import label_content

    prep_id = prepare(client, room, room["ana"]).json["id"]
    content = label_content(db.session.get(Preparation, prep_id))
    assert content.patient_line.startswith("Ana Silva · born 1990-") and "ref P-0001" in content.patient_line
    texts = [line.text for line in content.lines]
    lido = next(t for t in texts if t.startswith("Lidocaine 2% 10 mL multi-dose"))
    expiry = room["lido_lot"].expiry
    assert "0.5 mL" in lido and "lot LI-1" in lido and f"exp {expiry:%Y-%m-%d}" in lido
    assert content.total_line == "Total 2 mL in 1 syringe"
    assert content.version == 1 and content.cocktail == "Glow with lidocaine"


def test_administering_a_prepared_session_records_that_preparation_and_draws_nothing_more(client, room):
    prep_id = prepare(client, room, room["ana"]).json["id"]
    before = db.session.query(StockMovement).count()
    answer = client.post(f"/api/v1/sessions/{room['ana'].id}/administer", json={"preparation_id": prep_id},
                         headers=room["headers"])
    assert answer.status_code == 201, answer.json
    assert db.session.query(StockMovement).count() == before
    assert sorted(d["administered"] for d in answer.json["draws"]) == [0.5, 1.5]
    assert db.session.get(Preparation, prep_id).status == "administered"


def test_another_patients_preparation_is_refused_with_409(client, room):
    prep_id = prepare(client, room, room["ana"]).json["id"]
    answer = client.post(f"/api/v1/sessions/{room['bea'].id}/administer", json={"preparation_id": prep_id},
                         headers=room["headers"])
    assert answer.status_code == 409
    assert "is for Ana Silva, not Bea Costa" in answer.json["message"]
    assert db.session.get(TreatmentSession, room["bea"].id).status != "administered"


def test_a_preparation_past_its_use_by_is_refused_and_can_be_wasted(client, room):
    prep_id = prepare(client, room, room["ana"]).json["id"]
    preparation = db.session.get(Preparation, prep_id)
    preparation.use_by = datetime.now(UTC) - timedelta(minutes=1)
    db.session.commit()
    answer = client.post(f"/api/v1/sessions/{room['ana'].id}/administer", json={"preparation_id": prep_id},
                         headers=room["headers"])
    assert answer.status_code == 409 and "past its use-by" in answer.json["message"]
    wasted = client.post(f"/api/v1/preparations/{prep_id}/waste", json={"reason": "past its use-by"},
                         headers=room["headers"])
    assert wasted.status_code == 200
    label = client.get(f"/api/v1/preparations/{prep_id}/label.png", headers=room["headers"])
    from formulary.treatments.label_content import label_content

    content = label_content(db.session.get(Preparation, prep_id))
    assert content.wasted and label.status_code == 200
    assert any(f"PREP-{prep_id}" in text for text in decode(label.data))


def test_a_blocked_session_cannot_be_prepared_without_an_override(client, room, make_patient):
    patient = make_patient("Cara Lopes", allergies=["lidocaine hydrochloride"])
    session = plan_session(patient, room["ana"].cocktail_version.cocktail, TODAY, practitioner=room["user"],
                           actor=room["user"])
    db.session.commit()
    before = db.session.query(StockMovement).count()
    answer = prepare(client, room, session)
    assert answer.status_code == 409 and "blocked" in answer.json["message"].lower()
    assert db.session.query(StockMovement).count() == before


def test_a_use_by_setting_above_four_hours_is_refused(client, room, app):
    app.config["PREPARATION_USE_BY_MINUTES"] = 300
    try:
        answer = prepare(client, room, room["ana"])
    finally:
        app.config["PREPARATION_USE_BY_MINUTES"] = 60
    assert answer.status_code == 409 and "1 to 240" in answer.json["message"]


def test_the_next_session_that_day_draws_from_the_vial_the_preparation_opened(client, room):
    first = prepare(client, room, room["ana"]).json
    second = prepare(client, room, room["bea"]).json
    unit = next(d["unit_id"] for d in first["draws"] if d["lot_id"] == room["lido_lot"].id)
    assert next(d["unit_id"] for d in second["draws"] if d["lot_id"] == room["lido_lot"].id) == unit


def test_scanning_the_label_confirms_or_says_what_is_wrong(client, room):
    prep_id = prepare(client, room, room["ana"]).json["id"]
    now = datetime.now(UTC)
    ok = confirm_scan(room["ana"], f"PREP-{prep_id} S{room['ana'].id}", now)
    assert ok.ok and "Right patient (Ana Silva)" in ok.message
    wrong = confirm_scan(room["bea"], f"PREP-{prep_id}", now)
    assert not wrong.ok and "is for Ana Silva, not Bea Costa" in wrong.message
    late = confirm_scan(room["ana"], f"PREP-{prep_id}", now + timedelta(hours=2))
    assert not late.ok and "past its use-by" in late.message
    assert not confirm_scan(room["ana"], "0104012345678901", now).ok


def test_a_wasted_preparations_label_says_so(client, room, tmp_path):
    from formulary.treatments.label_content import label_content
    from formulary.treatments.labels import _lines

    prep_id = prepare(client, room, room["ana"]).json["id"]
    client.post(f"/api/v1/preparations/{prep_id}/waste", json={"reason": "dropped on the floor"},
                headers=room["headers"])
    lines = _lines(label_content(db.session.get(Preparation, prep_id)))
    assert lines[0] == ("WASTED — DO NOT USE (dropped on the floor)", True)


def test_the_label_carries_the_dose_per_session_from_the_recipes_strengths(room, client):
    from formulary.treatments.label_content import label_content

    room["lido"].composition[0].strength = "2 %"  # 20 mg/mL × 0.5 mL in the recipe = 10 mg
    db.session.commit()
    prep_id = prepare(client, room, room["ana"]).json["id"]
    content = label_content(db.session.get(Preparation, prep_id))
    assert content.dose_line.startswith("Dose: ") and "idocaine" in content.dose_line
    assert content.dose_line.endswith("10 mg")
