"""The session page's preparation: prepare, print view, scan, waste, administer the preparation."""

from io import BytesIO

import zxingcpp
from PIL import Image

from formulary.extensions import db
from formulary.treatments.models import TreatmentSession
from formulary.treatments.preparation_models import Preparation
from formulary.treatments.sessions import plan_session
from tests.conftest import post_form
from tests.treatments.conftest import TODAY


def html(response):
    return response.get_data(as_text=True)


def planned(clinic, patient, user):
    session = plan_session(patient, clinic["cocktail"], TODAY, practitioner=user, actor=user)
    db.session.commit()
    return session


def test_prepare_print_scan_and_administer_from_the_session_page(client, login_as, clinic, make_patient):
    user = login_as("practitioner")
    session = planned(clinic, make_patient("Ana Silva"), user)
    page = html(client.get(f"/sessions/{session.id}"))
    assert "Prepare the cocktail" in page
    page = html(post_form(client, f"/sessions/{session.id}/prepare", {"syringes": "1"}))
    preparation = db.session.scalars(db.select(Preparation)).one()
    assert f"Prepared PREP-{preparation.id}" in page and "Scan the syringe label" in page
    view = html(client.get(f"/sessions/preparations/{preparation.id}/label"))
    assert "Ana Silva" in view and f"PREP-{preparation.id}" in view and "HA-EARLY" in view
    image = client.get(f"/sessions/preparations/{preparation.id}/label.png")
    texts = [r.text for r in zxingcpp.read_barcodes(Image.open(BytesIO(image.data)))]
    page = html(post_form(client, f"/sessions/{session.id}/scan-label", {"scan": texts[0]}))
    assert "Right patient (Ana Silva), right preparation" in page
    page = html(post_form(client, f"/sessions/{session.id}/administer", {}))
    assert "Administered" in page
    db.session.expire_all()
    assert db.session.get(Preparation, preparation.id).status == "administered"
    assert db.session.get(TreatmentSession, session.id).status == "administered"


def test_scanning_another_patients_label_says_so(client, login_as, clinic, make_patient):
    user = login_as("practitioner")
    ana = planned(clinic, make_patient("Ana Silva"), user)
    bea = planned(clinic, make_patient("Bea Costa"), user)
    post_form(client, f"/sessions/{ana.id}/prepare", {"syringes": "1"})
    preparation = db.session.scalars(db.select(Preparation)).one()
    page = html(post_form(client, f"/sessions/{bea.id}/scan-label", {"scan": f"PREP-{preparation.id}"}))
    assert f"PREP-{preparation.id} is for Ana Silva, not Bea Costa" in page


def test_wasting_a_preparation_from_the_page_records_the_reason(client, login_as, clinic, make_patient):
    user = login_as("practitioner")
    session = planned(clinic, make_patient("Ana Silva"), user)
    post_form(client, f"/sessions/{session.id}/prepare", {"syringes": "1"})
    preparation = db.session.scalars(db.select(Preparation)).one()
    page = html(post_form(client, f"/sessions/preparations/{preparation.id}/waste", {"reason": "dropped"}))
    assert "wasted; the reason is recorded" in page and "Prepare the cocktail" in page
    view = html(client.get(f"/sessions/preparations/{preparation.id}/label"))
    assert "This preparation was wasted (dropped)" in view
