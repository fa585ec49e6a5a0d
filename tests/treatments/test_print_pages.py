"""Pages to print or download: a lot's recall list and workbook, the aftercare sheet and its wording."""

import io
from datetime import datetime

import openpyxl
from sqlalchemy import func, select

from formulary.audit.models import AuditEvent
from formulary.extensions import db
from formulary.stock.models import Lot
from formulary.treatments.aftercare import DEFAULT_ADVICE, blocks
from formulary.treatments.models import ClinicText
from formulary.treatments.sessions import administer, plan_session
from tests.conftest import post_form
from tests.treatments.conftest import TODAY


def administered(clinic, patient, user, **kwargs):
    session = plan_session(patient, clinic["cocktail"], TODAY, practitioner=user, actor=user)
    administer(session, actor=user, today=TODAY, **kwargs)
    db.session.commit()
    return session


def test_recalling_a_lot_lists_its_patients(client, login_as, clinic, make_patient, make_user):
    practitioner = make_user("practitioner")
    administered(clinic, make_patient("Rita Received", reference="R-7", date_of_birth=None), practitioner,
                 areas="cheeks")
    administered(clinic, make_patient("=HYPERLINK(\"http://x\")"), practitioner)
    login_as("manager")
    lot = clinic["early"]
    page = client.get(f"/sessions/recall/{lot.id}").get_data(as_text=True)
    assert "Available — not recalled" in page and "Recall this lot" in page
    assert "Rita Received" in page and "R-7" in page and "1.5 mL" in page

    refused = post_form(client, f"/sessions/recall/{lot.id}", {"reason": ""})
    assert refused.status_code == 422 and "Give the reason for the recall." in refused.get_data(as_text=True)
    assert db.session.get(Lot, lot.id).status == "available"

    response = post_form(client, f"/sessions/recall/{lot.id}", {"reason": "Manufacturer notice MR-9: particles"})
    page = response.get_data(as_text=True)
    assert "Lot HA-EARLY of HA 1% 2 mL is recalled: no session can use it any more." in page
    assert db.session.get(Lot, lot.id).status == "recalled"
    assert "Recall this lot" not in page and '2 patients</strong>' in page
    assert 'data-action="print"' in page and "d-print-none" in page
    assert response.headers["Cache-Control"] == "no-store"


def test_the_recall_workbook_has_the_patient_rows(client, login_as, clinic, make_patient, make_user):
    practitioner = make_user("practitioner")
    administered(clinic, make_patient("Rita Received", reference="R-7"), practitioner)
    administered(clinic, make_patient("=1+1"), practitioner)
    login_as("practitioner")
    response = client.get(f"/sessions/recall/{clinic['early'].id}.xlsx")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith('attachment; filename="recall-lot-HA-EARLY-')
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    sheet = book["Recipients"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("Session date", "Patient", "Reference", "Date of birth", "Administered")
    assert rows[1][0] == datetime.combine(TODAY, datetime.min.time()) and rows[1][1] == "Rita Received"
    assert rows[1][2] == "R-7" and rows[1][4] == 1.5 and rows[1][5] == "mL"
    assert sheet["B3"].data_type == "s" and sheet["B3"].value == "=1+1"  # text, never a formula
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref.startswith("A1:K")
    assert sheet["A1"].font.bold
    assert book["Lot"]["B2"].value == "HA 1% 2 mL"
    exports = db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "recall.export"))
    assert exports == 1


def test_a_practitioner_sees_the_list_but_cannot_recall(client, login_as, clinic):
    login_as("practitioner")
    page = client.get(f"/sessions/recall/{clinic['late'].id}").get_data(as_text=True)
    assert "No patient received this lot" in page and "Recall this lot" not in page
    response = post_form(client, f"/sessions/recall/{clinic['late'].id}", {"reason": "Heard about a problem"})
    assert response.status_code == 403 and "may not change stock" in response.get_data(as_text=True)
    assert db.session.get(Lot, clinic["late"].id).status == "available"
    assert client.get("/sessions/recall/999999").status_code == 404


def test_the_aftercare_sheet_shows_what_was_done_the_lots_and_the_advice(client, login_as, clinic, make_patient,
                                                                        make_user, app):
    practitioner = make_user("practitioner")
    session = administered(clinic, make_patient("Alma Aftercare"), practitioner, areas="cheeks, neck")
    login_as("practitioner")
    page = client.get(f"/sessions/{session.id}/aftercare").get_data(as_text=True)
    assert app.config["CLINIC_NAME"] in page and "Alma Aftercare" in page and "cheeks, neck" in page
    assert "Hydra glow (version 1)" in page and "HA-EARLY" in page and "VB-1" in page
    assert "Avoid sun, sunbeds, sauna, steam rooms, hot baths and intense exercise for 48 hours." in page
    assert "Bruising at a few points" in page and "Call the clinic straight away if you notice" in page
    assert "fever" in page and "allergic reaction" in page
    assert "Edit the wording" not in page  # a practitioner may not edit it


def test_the_aftercare_sheet_waits_for_administration(client, login_as, clinic, make_patient):
    user = login_as("practitioner")
    session = plan_session(make_patient(), clinic["cocktail"], TODAY, practitioner=user, actor=user)
    db.session.commit()
    response = client.get(f"/sessions/{session.id}/aftercare", follow_redirects=True)
    assert "The aftercare sheet is printed once the session is administered." in response.get_data(as_text=True)


def test_the_clinic_edits_the_wording_as_plain_text(client, login_as, clinic, make_patient, make_user):
    practitioner = make_user("practitioner")
    session = administered(clinic, make_patient(), practitioner)
    login_as("manager")
    assert "Load the default wording" in client.get("/sessions/aftercare-text").get_data(as_text=True)
    empty = post_form(client, "/sessions/aftercare-text", {"body": "  "})
    assert empty.status_code == 422 and db.session.get(ClinicText, "aftercare") is None
    body = "After your visit\n- No <b>sauna</b> for two days.\n- Call us on 555-0100.\n\n<script>alert(1)</script>"
    page = post_form(client, "/sessions/aftercare-text", {"body": body}).get_data(as_text=True)
    assert "Aftercare wording saved" in page
    assert db.session.get(ClinicText, "aftercare").body.startswith("After your visit")
    sheet = client.get(f"/sessions/{session.id}/aftercare").get_data(as_text=True)
    assert "<li>No &lt;b&gt;sauna&lt;/b&gt; for two days.</li>" in sheet
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in sheet and "<script>alert" not in sheet
    assert "Avoid sun, sunbeds" not in sheet


def test_only_roles_that_edit_cocktails_edit_the_wording(client, login_as):
    login_as("practitioner")
    assert client.get("/sessions/aftercare-text").status_code == 403


def test_blocks_make_headings_paragraphs_and_lists():
    parsed = blocks(DEFAULT_ADVICE)
    assert parsed[0].heading == "For the next 24–48 hours" and len(parsed[0].items) == 5
    assert parsed[-1].heading == "" and parsed[-1].lines[0].startswith("If you have difficulty breathing")
    assert blocks("One line.\nTwo lines.")[0].lines == ("One line.", "Two lines.")
