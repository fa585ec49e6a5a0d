"""Hostile text in every field a user can set comes back as text: on every page, in the API, in exports.

Each field is stored, through the services, with the probe set below (cut to the field's length)
and a tag naming the field. Then every GET page of the URL map is fetched with the ids of those
rows, once plainly and once per query parameter the pages read (set to the probe as well): no
answer may contain a probe unescaped, and each field's escaped text must be on the pages that
show it. The JSON API answers the exact stored strings; the recall list and stock workbooks hold
them as plain text cells, never formulas or links. Not covered: conditions (reference data
only, no user can name one) and usernames (letters, digits, . _ - only).
"""

import io
import re
from datetime import timedelta
from urllib.parse import quote

import openpyxl
import pytest
from markupsafe import escape
from sqlalchemy import func, select

from formulary.auth.tokens import create_token
from formulary.auth.users import create_user
from formulary.catalogue.products import ComponentData, ProductData, create_product
from formulary.catalogue.substances import add_group, add_substance
from formulary.cocktails.goals import add_goal
from formulary.cocktails.recipes import ComponentLine, RecipeData, create_cocktail
from formulary.extensions import db
from formulary.patients.models import Patient
from formulary.patients.records import AllergyData, PatientData, add_allergy, create_patient
from formulary.purchasing.orders import LineData, create_order
from formulary.purchasing.suppliers import SupplierData, create_supplier
from formulary.stock import ledger
from formulary.stock.models import StockImport
from formulary.treatments.aftercare import save_advice
from formulary.treatments.consent import record_consent, save_wording
from formulary.treatments.courses import CoursePlan, start_course
from formulary.treatments.sessions import administer, cancel, check_session, plan_session, record_reaction
from tests.conftest import PASSWORD, csrf_token, log_in
from tests.security.conftest import TODAY

PROBES = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "{{7*7}}",
    "'; DROP TABLE patient; --",
)
FULL = " ".join(PROBES)
SHORT = '"><img src=x onerror=alert(1)>'  # for fields of 40 characters
TINY = "\"'><b>x"  # for the 20-character unit
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Never in any answer: a probe that would run, or a link that would.
RAW = ("<script>alert(1)</script>", "<img src=x onerror", '"><img', "<b>x", 'href="javascript:',
       'src="javascript:', "href='javascript:", 'action="javascript:')
# The query parameters the pages read (grep request.args): each is sent the probe, one at a time.
QUERY_PARAMETERS = ("q", "status", "category", "sort", "dir", "within", "product_id", "date", "amount",
                    "goal", "a", "b", "from", "to", "user", "action", "next", "default", "on", "substance",
                    "retired", "patient_id", "cocktail_id", "page", "per_page")


def probe(tag: str, limit: int = 200) -> str:
    """The probe set with a tag naming the field, cut to what the field holds."""
    for text in (FULL, SHORT, TINY):
        if len(text) + len(tag) + 1 <= limit:
            return f"{text} {tag}"
    raise AssertionError(f"no probe fits {limit} characters")


class Probed:
    """The rows holding probes; `fields`: tag → (stored text, pages that show it); `ids` for URLs."""


def _catalogue_and_stock(w: Probed, admin, make_lot) -> None:
    w.substance = add_substance(probe("substance"), category="other", synonyms=[probe("synonym")],
                                actor=admin)
    w.group = add_group(probe("group"), description=probe("group-description", 1000),
                        members=[w.substance.id], actor=admin)
    w.goal = add_goal(probe("goal", 120), probe("goal-description", 1000), actor=admin)
    w.product = create_product(ProductData(
        name=probe("product"), category="vitamin", unit=probe("unit", 20), unit_size="2",
        manufacturer=probe("manufacturer"), storage=probe("storage"), notes=probe("product-notes", 5000),
        composition=[ComponentData(substance=w.substance.name, role="excipient",
                                   strength=probe("strength", 60))],
    ), actor=admin)
    w.lot = ledger.receive(w.product, lot_number=probe("lot", 40), expiry=TODAY + timedelta(days=200),
                           quantity="20", received_on=TODAY, actor=admin, supplier=probe("supplier"),
                           reason=probe("receive-reason", 1000))
    ledger.waste(w.lot, "1", actor=admin, reason=probe("waste-reason", 1000))
    ledger.adjust(w.lot, "18", actor=admin, reason=probe("adjust-reason", 1000))
    w.held = make_lot(w.product, lot_number="HELD-1", quantity="4")
    ledger.set_status(w.held, "quarantined", actor=admin, reason=probe("quarantine-reason", 1000))
    w.stock_import = StockImport(user=w.user, mode="delivery", file_name=probe("file-name", 255),
                                 sha256="0" * 64)
    db.session.add(w.stock_import)


def _patients_and_sessions(w: Probed, admin) -> None:
    w.cocktail = create_cocktail(RecipeData(
        name=probe("cocktail", 120), goals=[w.goal.name], components=[ComponentLine(w.product.id, "1")],
        notes=probe("cocktail-notes", 5000),
    ), actor=admin)
    w.patient = create_patient(PatientData(
        name=probe("patient"), reference=probe("reference", 40), notes=probe("patient-notes", 5000),
        allergy_status="recorded",
    ), actor=admin)
    add_allergy(w.patient, AllergyData(allergen=probe("allergy-text", 300), criticality="high",
                                       reaction=probe("allergy-reaction", 2000)), actor=admin)
    add_allergy(w.patient, AllergyData(allergen=w.group.name, criticality="low"), actor=admin)
    # Blocked (the group) with a caution (the free text): overridden, administered, a reaction noted.
    w.session = plan_session(w.patient, w.cocktail, TODAY, practitioner=w.user, actor=admin)
    check_session(w.session, actor=admin)
    administer(w.session, actor=admin, today=TODAY, acknowledge_caution=True,
               override_reason=probe("override-reason", 2000), areas=probe("areas", 500))
    record_reaction(w.session, probe("reaction", 2000), actor=admin)
    w.cancelled = plan_session(w.patient, w.cocktail, TODAY + timedelta(days=30), practitioner=w.user,
                               actor=admin)
    cancel(w.cancelled, actor=admin, reason=probe("cancel-reason", 500))
    # A preparation, so that its label's print view is probed too (patient, cocktail, product, lot).
    from formulary.treatments.preparations import prepare

    w.prepared = plan_session(w.patient, w.cocktail, TODAY, practitioner=w.user, actor=admin)
    w.preparation = prepare(w.prepared, actor=admin, today=TODAY, use_by_minutes=60, acknowledge_caution=True,
                            override_reason=probe("prepare-override", 2000))
    save_advice(f"{probe('aftercare-heading', 1000)}\n- {probe('aftercare-item', 1000)}", actor=admin)
    # A course (its goals), the clinic's consent wording, and a consent signed on paper under it.
    w.course = start_course(CoursePlan(w.patient, w.cocktail, 2, 14, TODAY + timedelta(days=40),
                                       goals=probe("course-goals", 2000)), practitioner=w.user, actor=admin, today=TODAY)
    save_wording(f"{probe('consent-wording', 5000)}\n- {probe('consent-item', 1000)}", actor=admin)
    record_consent(w.course.sessions[0], "paper", actor=admin)


def _purchasing(w: Probed, admin) -> None:
    w.supplier = create_supplier(SupplierData(
        name=probe("supplier-name"), lead_time_days=7, phone=probe("phone", 40),
        contact_person=probe("contact-person"), notes=probe("supplier-notes", 1000)), actor=admin)
    w.product.supplier = w.supplier
    w.order = create_order(w.supplier, [LineData(w.product.id, 2, probe("order-reason", 1000))], actor=admin)


def _fields(w: Probed) -> dict[str, tuple[str, list[str]]]:
    s, lot, patient, cocktail, product = w.session.id, w.lot.id, w.patient.id, w.cocktail.id, w.product.id
    substance, group, imported = w.substance.id, w.group.id, w.stock_import.id
    return {
        "full-name": (w.user.full_name, ["/admin/users", f"/admin/users/{w.user.id}", f"/sessions/{s}"]),
        "token-name": (w.token.name, ["/profile"]),  # its owner's page
        "substance": (w.substance.name, [f"/catalogue/substances/{substance}", "/catalogue/substances",
                                         f"/catalogue/products/{product}", f"/sessions/{s}"]),
        "synonym": (w.substance.synonyms[0].name, [f"/catalogue/substances/{substance}"]),
        "group": (w.group.name, [f"/catalogue/groups/{group}", "/catalogue/groups", f"/patients/{patient}"]),
        "group-description": (w.group.description, [f"/catalogue/groups/{group}"]),
        "goal": (w.goal.name, ["/cocktails/goals", f"/cocktails/{cocktail}/edit"]),  # capitalized elsewhere
        "goal-description": (w.goal.description, ["/cocktails/goals"]),
        "product": (w.product.name, ["/catalogue/products", f"/catalogue/products/{product}", "/stock",
                                     f"/stock/lots/{lot}", f"/cocktails/{cocktail}", f"/sessions/{s}",
                                     f"/sessions/recall/{lot}"]),
        "unit": (w.product.unit, [f"/catalogue/products/{product}", f"/stock/lots/{lot}"]),
        "manufacturer": (w.product.manufacturer, [f"/catalogue/products/{product}"]),
        "storage": (w.product.storage, [f"/catalogue/products/{product}"]),
        "product-notes": (w.product.notes, [f"/catalogue/products/{product}"]),
        "strength": (w.product.composition[0].strength, [f"/catalogue/products/{product}"]),
        "lot": (w.lot.lot_number, [f"/stock/lots/{lot}", "/stock", f"/sessions/{s}",
                                   f"/sessions/recall/{lot}"]),
        "supplier": (w.lot.supplier, [f"/stock/lots/{lot}"]),
        "receive-reason": (probe("receive-reason", 1000), [f"/stock/lots/{lot}"]),
        "waste-reason": (probe("waste-reason", 1000), [f"/stock/lots/{lot}"]),
        "adjust-reason": (probe("adjust-reason", 1000), [f"/stock/lots/{lot}"]),
        "quarantine-reason": (probe("quarantine-reason", 1000), [f"/stock/lots/{w.held.id}"]),
        "file-name": (w.stock_import.file_name, ["/stock/spreadsheets/imports",
                                                 f"/stock/spreadsheets/imports/{imported}"]),
        "cocktail": (w.cocktail.name, ["/cocktails/", f"/cocktails/{cocktail}", f"/sessions/{s}",
                                       "/sessions"]),
        "cocktail-notes": (w.cocktail.current.notes, [f"/cocktails/{cocktail}"]),
        "patient": (w.patient.name, ["/patients/", f"/patients/{patient}", f"/sessions/{s}", "/sessions",
                                     f"/sessions/recall/{lot}", f"/sessions/{s}/aftercare"]),
        "reference": (w.patient.reference, ["/patients/", f"/patients/{patient}", f"/sessions/recall/{lot}"]),
        "patient-notes": (w.patient.notes, [f"/patients/{patient}"]),
        "allergy-text": (probe("allergy-text", 300), [f"/patients/{patient}", f"/sessions/{s}"]),
        "allergy-reaction": (probe("allergy-reaction", 2000), [f"/patients/{patient}"]),
        "areas": (w.session.areas, [f"/sessions/{s}", f"/sessions/{s}/aftercare"]),
        "override-reason": (probe("override-reason", 2000), [f"/sessions/{s}"]),
        "reaction": (probe("reaction", 2000), [f"/sessions/{s}"]),
        "cancel-reason": (probe("cancel-reason", 500), [f"/sessions/{w.cancelled.id}"]),
        "aftercare-heading": (probe("aftercare-heading", 1000), [f"/sessions/{s}/aftercare",
                                                                 "/sessions/aftercare-text"]),
        "aftercare-item": (probe("aftercare-item", 1000), [f"/sessions/{s}/aftercare",
                                                           "/sessions/aftercare-text"]),
        "supplier-name": (w.supplier.name, ["/orders/", "/orders/suppliers", f"/orders/suppliers/{w.supplier.id}",
                                            f"/orders/suppliers/{w.supplier.id}/suggested", f"/orders/{w.order.id}",
                                            f"/orders/{w.order.id}/print", f"/catalogue/products/{product}"]),
        "phone": (w.supplier.phone, ["/orders/suppliers", f"/orders/suppliers/{w.supplier.id}",
                                     f"/orders/{w.order.id}/print"]),
        "contact-person": (w.supplier.contact_person, [f"/orders/suppliers/{w.supplier.id}",
                                                       f"/orders/{w.order.id}/print"]),
        "supplier-notes": (w.supplier.notes, [f"/orders/suppliers/{w.supplier.id}"]),
        "order-reason": (w.order.lines[0].reason, [f"/orders/{w.order.id}"]),
        "course-goals": (probe("course-goals", 2000), [f"/sessions/courses/{w.course.id}"]),
        "consent-wording": (probe("consent-wording", 5000), [
            "/sessions/consent-wording", f"/sessions/{w.course.sessions[0].id}/consent/print"]),
        "consent-item": (probe("consent-item", 1000), [f"/sessions/{w.course.sessions[0].id}/consent/print"]),
        # The audit trail's detail column repeats names given to records.
        "audit-detail": (w.substance.name, ["/admin/audit?action=substance.create"]),
    }


@pytest.fixture
def probed(make_user, make_lot) -> Probed:
    """Probes in every text field a user can set, stored through the services."""
    w = Probed()
    w.admin = make_user("admin")
    w.user = create_user("probe.user", PASSWORD, "manager", actor=w.admin, full_name=probe("full-name", 120))
    w.token, _text = create_token(w.user, probe("token-name", 80), actor=w.user)
    _catalogue_and_stock(w, w.admin, make_lot)
    _patients_and_sessions(w, w.admin)
    _purchasing(w, w.admin)
    db.session.commit()
    assert w.session.status == "administered" and w.session.checks[-1].outcome == "blocked"
    w.fields = _fields(w)
    w.ids = {
        "user_id": w.user.id, "lot_id": w.lot.id, "product_id": w.product.id, "substance_id": w.substance.id,
        "group_id": w.group.id, "cocktail_id": w.cocktail.id, "number": 1, "patient_id": w.patient.id,
        "session_id": w.session.id, "import_id": w.stock_import.id, "digest": "0" * 64,
        "supplier_id": w.supplier.id, "order_id": w.order.id, "course_id": w.course.id,
        "preparation_id": w.preparation.id,
    }
    return w


def assert_inert(body: str, where: str) -> None:
    """No probe unescaped in an answer."""
    for raw in RAW:
        assert raw not in body, f"{where}: unescaped {raw!r} at …{body[max(body.find(raw) - 80, 0):][:200]}…"


def get_pages(app, w) -> list[str]:
    """Every GET page of the URL map (no static files, no API), its ids set to the probed rows."""
    pages = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint.endswith("static") or rule.rule.startswith("/api/"):
            continue
        unknown = set(rule.arguments) - set(w.ids)
        assert not unknown, f"{rule.rule}: say in Probed.ids which row fills {unknown}"
        pages.append(re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(w.ids[m.group(1)]), rule.rule))
    return sorted(pages)


def fetch_inert(browser, url: str) -> str | None:
    """GET a page and check it holds no live probe; its HTML, or None for a download or JSON."""
    response = browser.get(url)
    assert response.status_code < 500, url
    if response.mimetype == XLSX:  # a download, never shown inline; its cells are checked below
        assert response.headers["Content-Disposition"].startswith("attachment;"), url
        return None
    if response.mimetype in ("image/png", "application/pdf"):  # a syringe label: drawn text, no markup
        assert response.headers["X-Content-Type-Options"] == "nosniff", url
        return None
    if response.is_json:  # data for a script, which writes it with textContent (see below)
        assert response.headers["X-Content-Type-Options"] == "nosniff", url
        response.get_json()
        return None
    body = response.get_data(as_text=True)
    assert_inert(body, url)
    return body if response.status_code == 200 else None


def test_probes_in_every_text_field_come_back_escaped_on_every_page(app, client, probed, figures):
    w = probed
    log_in(client, w.user.username)  # a manager: stock, patients, and their own token
    admin = app.test_client()
    log_in(admin, w.admin.username)
    pages = get_pages(app, w)
    fetched, html = 0, {}
    for page in pages:
        for browser in (client, admin):
            html[page] = html.get(page, "") + (fetch_inert(browser, page) or "")
        for name in QUERY_PARAMETERS:  # reflected: each parameter the pages read, set to the probes
            fetch_inert(admin, f"{page}?{name}={quote(FULL)}")
        fetched += 2 + len(QUERY_PARAMETERS)

    for tag, (value, shown_on) in w.fields.items():
        for page in shown_on:
            body = html.get(page) or fetch_inert(client if tag == "token-name" else admin, page)
            assert str(escape(value)) in body, f"{tag}: {escape(value)!s} not on {page}"
    assert "{{7*7}}" in html[f"/patients/{w.patient.id}"]  # shown as typed, never evaluated
    assert db.session.scalar(select(func.count()).select_from(Patient)) >= 1  # and no table was dropped
    figures(f"XSS probes: {len(PROBES)} probes in {len(w.fields)} fields; {len(pages)} pages, {fetched} "
          f"requests (plain, and with each of {len(QUERY_PARAMETERS)} query parameters set to the probes); "
          "unescaped: 0")


def test_page_answers_in_json_carry_the_probes_as_plain_text(client, probed):
    w = probed
    log_in(client, w.user.username)
    suggestions = client.get(f"/patients/allergen-suggestions?q={quote(w.substance.synonyms[0].name[:60])}")
    assert suggestions.mimetype == "application/json"
    assert w.substance.name in [item["name"] for item in suggestions.get_json()["items"]]  # as stored
    token = csrf_token(client, "/cocktails/new")
    preview = client.post("/cocktails/preview", headers={"X-CSRFToken": token, "Accept": "application/json"},
                          data={"name": probe("preview", 120), "components-0-product": w.product.id,
                                "components-0-amount": "1"})
    assert preview.status_code == 200 and preview.is_json
    html = preview.get_json()["html"]  # the one piece of HTML a script inserts
    assert_inert(html, "cocktail preview")
    assert str(escape(w.product.name)) in html


def test_the_api_answers_the_exact_stored_strings(client, probed, api_token):
    w = probed
    bearer = {"Authorization": f"Bearer {api_token('admin')[1]}"}

    def get(path):
        response = client.get(path, headers=bearer)
        assert response.status_code == 200 and response.is_json, path
        return response.get_json()

    product = get(f"/api/v1/products/{w.product.id}")
    keys = ("name", "manufacturer", "storage", "notes", "unit")
    assert [product[key] for key in keys] == [getattr(w.product, key) for key in keys]
    assert product["composition"][0]["strength"] == w.product.composition[0].strength
    substance = get(f"/api/v1/substances?q={w.substance.synonyms[0].name[:60]}")["items"][0]
    assert (substance["name"], substance["synonyms"], substance["groups"]) == (
        w.substance.name, [w.substance.synonyms[0].name], [w.group.name])
    group = next(g for g in get("/api/v1/allergen-groups?per_page=500")["items"] if g["id"] == w.group.id)
    assert (group["name"], group["description"], group["members"]) == (
        w.group.name, w.group.description, [w.substance.name])
    lot = get(f"/api/v1/lots/{w.lot.id}")
    assert (lot["lot_number"], lot["supplier"], lot["product"], lot["unit"]) == (
        w.lot.lot_number, w.lot.supplier, w.product.name, w.product.unit)
    cocktail = get(f"/api/v1/cocktails/{w.cocktail.id}")
    assert cocktail["name"] == w.cocktail.name and cocktail["notes"] == w.cocktail.current.notes
    patient = get(f"/api/v1/patients/{w.patient.id}")
    assert (patient["name"], patient["reference"], patient["notes"]) == (
        w.patient.name, w.patient.reference, w.patient.notes)
    free = next(a for a in patient["allergies"] if a["text"])
    assert (free["text"], free["reaction"]) == (probe("allergy-text", 300), probe("allergy-reaction", 2000))
    session = get(f"/api/v1/sessions/{w.session.id}")
    assert session["areas"] == w.session.areas
    assert session["override"]["reason"] == probe("override-reason", 2000)
    assert any(probe("allergy-text", 300) in f["message"] for f in session["checks"][-1]["findings"])
    recipients = get(f"/api/v1/lots/{w.lot.id}/recipients")
    assert recipients["patients"] == [
        {"id": w.patient.id, "name": w.patient.name, "reference": w.patient.reference, "phone": "", "email": "",
         "contact_ok": False}]


def test_scripts_write_server_text_only_as_text():
    """The page scripts put fetched data in with textContent; the one innerHTML takes HTML the server
    rendered through an autoescaping template (the composer's summary panel)."""
    from formulary import ROOT

    sinks = re.compile(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function")
    found = []
    for script in sorted((ROOT / "formulary" / "static").glob("*.js")):
        for line in script.read_text().splitlines():
            if sinks.search(line):
                found.append((script.name, line.strip()))
    assert found == [("cocktails.js", "if (request === latest) panel.innerHTML = summary.html;")], found


def _cells(content: bytes) -> list:
    book = openpyxl.load_workbook(io.BytesIO(content))
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row
            if cell.value is not None]


def assert_plain_text_cells(content: bytes, expected: set[str], where: str) -> int:
    """Each expected string is a plain text cell, identical; no cell holding a probe is a formula or link."""
    cells = _cells(content)
    found = {cell.value for cell in cells if cell.data_type == "s"}
    missing = expected - found
    assert not missing, f"{where}: not found as text cells: {missing}"
    for cell in cells:
        if any(part in str(cell.value) for part in ("alert(1)", "{{7*7}}", "DROP TABLE")):
            assert cell.data_type == "s" and cell.hyperlink is None, f"{where}: {cell.coordinate}"
    return len(expected)


def test_exports_hold_the_probes_as_plain_text_cells(app, client, probed, figures):
    w = probed
    log_in(client, w.user.username)
    recall = client.get(f"/sessions/recall/{w.lot.id}.xlsx")
    assert recall.status_code == 200
    checked = assert_plain_text_cells(recall.data, {
        w.patient.name, w.patient.reference, w.user.full_name, w.product.name, w.lot.lot_number,
        w.lot.supplier, w.product.unit}, "recall workbook")
    stock = {w.product.name, w.lot.lot_number, w.lot.supplier, w.product.unit}
    exports = {
        "/stock/spreadsheets/export": stock,
        "/stock/spreadsheets/template": {w.product.name},  # its product list
    }
    for url, expected in exports.items():
        response = client.get(url)
        assert response.status_code == 200 and response.mimetype == XLSX, url
        checked += assert_plain_text_cells(response.data, expected, url)
    _row, token = create_token(w.user, "export script", actor=w.user)
    api = client.get("/api/v1/stock/export", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 200
    checked += assert_plain_text_cells(api.data, stock, "API stock export")
    figures(f"exports: {2 + len(exports)} workbooks, {checked} probe cells, all plain text, no formula or "
          "link; failures: 0")
