"""Who may reach what: every route of the URL map × every role and anonymous, against one written table.

ROUTES says, for each (method, rule), what a caller needs: PUBLIC, any logged-in USER (or any
valid token), or one Permission of formulary/auth/permissions.py. The answer expected follows:

- anonymous: a page redirects to /login; the API answers 401;
- a role without the permission: 403;
- a role with it (or a public route): anything but 401, 403 or a server error. URL ids are real
  rows; a POST sends an empty form with a valid CSRF token (an API write sends {}), so 200, 302,
  400, 409 and 422 are all fine: the point is who got past the door.

A route that is not in ROUTES fails the test by name, and so does an entry whose route is gone.
"""

import io
import re
from collections import Counter

from sqlalchemy import func, select

from formulary.auth.permissions import Permission, role_may
from formulary.auth.session import API_PREFIX
from formulary.auth.tokens import create_token
from formulary.auth.users import change_role, set_active
from formulary.extensions import db
from formulary.stock.models import Lot, StockMovement
from formulary.treatments.models import Override, SessionDraw, TreatmentSession
from formulary.treatments.sessions import check_session, plan_session
from tests.conftest import csrf_token, log_in, post_form
from tests.security.conftest import TODAY
from tests.security.helpers import assert_security_headers

PUBLIC, USER = "public", "any user"
P = Permission

ROUTES: dict[tuple[str, str], str | Permission] = {
    # sign-in, profile, dashboard
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("POST", "/logout"): USER,
    ("GET", "/"): USER,
    ("GET", "/profile"): USER,
    ("POST", "/profile"): USER,
    ("POST", "/profile/tokens/<int:token_id>/revoke"): USER,
    # admin
    ("GET", "/admin/audit"): P.VIEW_AUDIT,
    ("GET", "/admin/users"): P.MANAGE_USERS,
    ("GET", "/admin/users/new"): P.MANAGE_USERS,
    ("POST", "/admin/users/new"): P.MANAGE_USERS,
    ("GET", "/admin/users/<int:user_id>"): P.MANAGE_USERS,
    ("POST", "/admin/users/<int:user_id>"): P.MANAGE_USERS,
    ("POST", "/admin/users/<int:user_id>/active"): P.MANAGE_USERS,
    # catalogue
    ("GET", "/catalogue/"): P.VIEW_STOCK,
    ("GET", "/catalogue/substances"): P.VIEW_STOCK,
    ("GET", "/catalogue/substances/<int:substance_id>"): P.VIEW_STOCK,
    ("GET", "/catalogue/substances/new"): P.EDIT_CATALOGUE,
    ("POST", "/catalogue/substances/new"): P.EDIT_CATALOGUE,
    ("GET", "/catalogue/groups"): P.VIEW_STOCK,
    ("GET", "/catalogue/groups/<int:group_id>"): P.VIEW_STOCK,
    ("GET", "/catalogue/groups/new"): P.EDIT_CATALOGUE,
    ("POST", "/catalogue/groups/new"): P.EDIT_CATALOGUE,
    ("GET", "/catalogue/conditions"): P.VIEW_STOCK,
    ("GET", "/catalogue/conditions/new"): P.EDIT_CATALOGUE,
    ("POST", "/catalogue/conditions/new"): P.EDIT_CATALOGUE,
    ("GET", "/catalogue/products"): P.VIEW_STOCK,
    ("GET", "/catalogue/products/<int:product_id>"): P.VIEW_STOCK,
    ("GET", "/catalogue/products/new"): P.EDIT_CATALOGUE,
    ("POST", "/catalogue/products/new"): P.EDIT_CATALOGUE,
    ("GET", "/catalogue/products/<int:product_id>/edit"): P.EDIT_CATALOGUE,
    ("POST", "/catalogue/products/<int:product_id>/edit"): P.EDIT_CATALOGUE,
    ("POST", "/catalogue/products/<int:product_id>/retire"): P.EDIT_CATALOGUE,
    # stock
    ("GET", "/stock"): P.VIEW_STOCK,
    ("GET", "/stock/fefo"): P.VIEW_STOCK,
    ("GET", "/stock/count-sheet"): P.VIEW_STOCK,
    ("GET", "/stock/product-suggestions"): P.VIEW_STOCK,
    ("GET", "/stock/lots/<int:lot_id>"): P.VIEW_STOCK,
    ("POST", "/stock/lots/<int:lot_id>/<action>"): P.EDIT_STOCK,
    ("GET", "/stock/receive"): P.EDIT_STOCK,
    ("POST", "/stock/receive"): P.EDIT_STOCK,
    # spreadsheets: import and export
    ("GET", "/stock/spreadsheets/"): P.VIEW_STOCK,
    ("GET", "/stock/spreadsheets/export"): P.VIEW_STOCK,
    ("GET", "/stock/spreadsheets/template"): P.VIEW_STOCK,
    ("GET", "/stock/spreadsheets/imports"): P.VIEW_STOCK,
    ("GET", "/stock/spreadsheets/imports/<int:import_id>"): P.VIEW_STOCK,
    ("POST", "/stock/spreadsheets/upload"): P.EDIT_STOCK,
    ("POST", "/stock/spreadsheets/confirm"): P.EDIT_STOCK,
    ("GET", "/stock/spreadsheets/uploads/<digest>/errors.csv"): P.EDIT_STOCK,
    # cocktails
    ("GET", "/cocktails/"): P.VIEW_COCKTAILS,
    ("GET", "/cocktails/<int:cocktail_id>"): P.VIEW_COCKTAILS,
    ("GET", "/cocktails/<int:cocktail_id>/versions/<int:number>"): P.VIEW_COCKTAILS,
    ("GET", "/cocktails/<int:cocktail_id>/compare"): P.VIEW_COCKTAILS,
    ("GET", "/cocktails/<int:cocktail_id>/edit"): P.EDIT_COCKTAILS,
    ("POST", "/cocktails/<int:cocktail_id>/edit"): P.EDIT_COCKTAILS,
    ("POST", "/cocktails/<int:cocktail_id>/retire"): P.EDIT_COCKTAILS,
    ("GET", "/cocktails/new"): P.EDIT_COCKTAILS,
    ("POST", "/cocktails/new"): P.EDIT_COCKTAILS,
    ("POST", "/cocktails/preview"): P.EDIT_COCKTAILS,
    ("GET", "/cocktails/goals"): P.VIEW_COCKTAILS,
    ("POST", "/cocktails/goals"): P.EDIT_COCKTAILS,
    ("GET", "/cocktails/kit"): P.VIEW_COCKTAILS,
    ("POST", "/cocktails/kit"): P.EDIT_COCKTAILS,
    ("POST", "/catalogue/substances/<int:substance_id>/max-dose"): P.EDIT_CATALOGUE,
    # patients
    ("GET", "/patients/"): P.VIEW_PATIENTS,
    ("GET", "/patients/allergen-suggestions"): P.VIEW_PATIENTS,
    ("GET", "/patients/new"): P.EDIT_PATIENTS,
    ("POST", "/patients/new"): P.EDIT_PATIENTS,
    ("GET", "/patients/<int:patient_id>"): P.VIEW_PATIENTS,
    ("GET", "/patients/<int:patient_id>/edit"): P.EDIT_PATIENTS,
    ("POST", "/patients/<int:patient_id>/edit"): P.EDIT_PATIENTS,
    ("GET", "/patients/<int:patient_id>/allergies/new"): P.EDIT_PATIENTS,
    ("POST", "/patients/<int:patient_id>/allergies/new"): P.EDIT_PATIENTS,
    ("POST", "/patients/<int:patient_id>/allergies/<int:allergy_id>/status"): P.EDIT_PATIENTS,
    # sessions, checks, recall, aftercare
    ("GET", "/sessions"): P.VIEW_PATIENTS,
    ("GET", "/sessions/new"): P.RUN_CHECKS,
    ("POST", "/sessions/new"): P.RUN_CHECKS,
    ("GET", "/sessions/<int:session_id>"): P.VIEW_PATIENTS,
    ("POST", "/sessions/<int:session_id>/check"): P.RUN_CHECKS,
    ("POST", "/sessions/<int:session_id>/checks/<int:check_id>/acknowledge"): P.RUN_CHECKS,
    ("POST", "/sessions/<int:session_id>/checks/<int:check_id>/override"): P.OVERRIDE_BLOCK,
    ("POST", "/sessions/<int:session_id>/administer"): P.ADMINISTER,
    ("POST", "/sessions/<int:session_id>/reaction"): P.EDIT_PATIENTS,
    ("POST", "/sessions/<int:session_id>/cancel"): P.RUN_CHECKS,
    ("GET", "/sessions/<int:session_id>/aftercare"): P.VIEW_PATIENTS,
    ("GET", "/sessions/aftercare-text"): P.EDIT_COCKTAILS,
    ("POST", "/sessions/aftercare-text"): P.EDIT_COCKTAILS,
    ("GET", "/sessions/recall/<int:lot_id>"): P.VIEW_PATIENTS,
    ("POST", "/sessions/recall/<int:lot_id>"): P.EDIT_STOCK,
    ("GET", "/sessions/recall/<int:lot_id>.xlsx"): P.VIEW_PATIENTS,
    # reports
    ("GET", "/reports/"): P.VIEW_REPORTS,
    ("GET", "/reports/consumption"): P.VIEW_REPORTS,
    ("GET", "/reports/consumption.xlsx"): P.VIEW_REPORTS,
    ("GET", "/reports/waste"): P.VIEW_REPORTS,
    ("GET", "/reports/waste.xlsx"): P.VIEW_REPORTS,
    ("GET", "/reports/session-costs"): P.VIEW_REPORTS,
    ("GET", "/reports/session-costs.xlsx"): P.VIEW_REPORTS,
    ("GET", "/reports/sessions"): P.VIEW_REPORTS,
    ("GET", "/reports/sessions.xlsx"): P.VIEW_REPORTS,
    ("GET", "/reports/turnover"): P.VIEW_REPORTS,
    ("GET", "/reports/turnover.xlsx"): P.VIEW_REPORTS,
    # courses and consent
    ("GET", "/sessions/courses/new"): P.RUN_CHECKS,
    ("POST", "/sessions/courses/new"): P.RUN_CHECKS,
    ("GET", "/sessions/courses/<int:course_id>"): P.VIEW_PATIENTS,
    ("GET", "/sessions/<int:session_id>/consent"): P.RUN_CHECKS,
    ("POST", "/sessions/<int:session_id>/consent"): P.RUN_CHECKS,
    ("GET", "/sessions/<int:session_id>/consent/print"): P.VIEW_PATIENTS,
    ("GET", "/sessions/<int:session_id>/consent/signature.png"): P.VIEW_PATIENTS,
    ("GET", "/sessions/consent-wording"): P.EDIT_COCKTAILS,
    ("POST", "/sessions/consent-wording"): P.EDIT_COCKTAILS,
    ("GET", "/sessions/recall/<int:lot_id>/letters"): P.VIEW_PATIENTS,
    ("GET", "/sessions/recall-letter"): P.EDIT_STOCK,
    ("POST", "/sessions/recall-letter"): P.EDIT_STOCK,
    # the JSON API
    ("GET", "/api/v1/openapi.json"): PUBLIC,
    ("GET", "/api/v1/me"): USER,
    ("GET", "/api/v1/reports/consumption"): P.VIEW_REPORTS,
    ("GET", "/api/v1/reports/consumption.xlsx"): P.VIEW_REPORTS,
    ("GET", "/api/v1/substances"): P.VIEW_STOCK,
    ("GET", "/api/v1/allergen-groups"): P.VIEW_STOCK,
    ("GET", "/api/v1/products"): P.VIEW_STOCK,
    ("POST", "/api/v1/products"): P.EDIT_CATALOGUE,
    ("GET", "/api/v1/products/<int:product_id>"): P.VIEW_STOCK,
    ("GET", "/api/v1/lots"): P.VIEW_STOCK,
    ("POST", "/api/v1/lots"): P.EDIT_STOCK,
    ("GET", "/api/v1/lots/<int:lot_id>"): P.VIEW_STOCK,
    ("POST", "/api/v1/lots/<int:lot_id>/movements"): P.EDIT_STOCK,
    ("POST", "/api/v1/lots/<int:lot_id>/status"): P.EDIT_STOCK,
    ("GET", "/api/v1/lots/<int:lot_id>/recipients"): P.VIEW_PATIENTS,
    ("GET", "/api/v1/cocktails"): P.VIEW_COCKTAILS,
    ("POST", "/api/v1/cocktails"): P.EDIT_COCKTAILS,
    ("GET", "/api/v1/cocktails/<int:cocktail_id>"): P.VIEW_COCKTAILS,
    ("PUT", "/api/v1/cocktails/<int:cocktail_id>"): P.EDIT_COCKTAILS,
    ("GET", "/api/v1/cocktails/<int:cocktail_id>/availability"): P.VIEW_COCKTAILS,
    ("GET", "/api/v1/patients"): P.VIEW_PATIENTS,
    ("POST", "/api/v1/patients"): P.EDIT_PATIENTS,
    ("GET", "/api/v1/patients/<int:patient_id>"): P.VIEW_PATIENTS,
    ("PATCH", "/api/v1/patients/<int:patient_id>"): P.EDIT_PATIENTS,
    ("POST", "/api/v1/checks"): P.RUN_CHECKS,
    ("POST", "/api/v1/sessions"): P.RUN_CHECKS,
    ("GET", "/api/v1/sessions/<int:session_id>"): P.VIEW_PATIENTS,
    ("POST", "/api/v1/sessions/<int:session_id>/check"): P.RUN_CHECKS,
    ("POST", "/api/v1/sessions/<int:session_id>/administer"): P.ADMINISTER,
    ("POST", "/api/v1/sessions/<int:session_id>/reactions"): P.ADMINISTER,
    ("GET", "/api/v1/procedure-kit"): P.VIEW_COCKTAILS,
    ("PUT", "/api/v1/procedure-kit"): P.EDIT_COCKTAILS,
    ("POST", "/api/v1/substances"): P.EDIT_CATALOGUE,
    ("POST", "/api/v1/allergen-groups"): P.EDIT_CATALOGUE,
    ("GET", "/api/v1/conditions"): P.VIEW_STOCK,
    ("POST", "/api/v1/conditions"): P.EDIT_CATALOGUE,
    ("GET", "/api/v1/patients/<int:patient_id>/allergy-intolerances"): P.VIEW_PATIENTS,
    ("POST", "/api/v1/patients/<int:patient_id>/allergy-intolerances"): P.EDIT_PATIENTS,
    ("POST", "/api/v1/sessions/<int:session_id>/consent"): P.RUN_CHECKS,
    ("POST", "/api/v1/courses"): P.RUN_CHECKS,
    ("GET", "/api/v1/courses/<int:course_id>"): P.VIEW_PATIENTS,
    ("POST", "/api/v1/stock/imports"): P.EDIT_STOCK,
    ("GET", "/api/v1/stock/export"): P.VIEW_STOCK,
    # purchasing: suppliers, the suggested order, purchase orders
    ("GET", "/orders/"): P.VIEW_STOCK,
    ("GET", "/orders/suppliers"): P.VIEW_STOCK,
    ("GET", "/orders/suppliers/new"): P.EDIT_CATALOGUE,
    ("POST", "/orders/suppliers/new"): P.EDIT_CATALOGUE,
    ("GET", "/orders/suppliers/<int:supplier_id>"): P.VIEW_STOCK,
    ("GET", "/orders/suppliers/<int:supplier_id>/edit"): P.EDIT_CATALOGUE,
    ("POST", "/orders/suppliers/<int:supplier_id>/edit"): P.EDIT_CATALOGUE,
    ("GET", "/orders/suppliers/<int:supplier_id>/suggested"): P.VIEW_STOCK,
    ("POST", "/orders/suppliers/<int:supplier_id>/draft"): P.EDIT_STOCK,
    ("GET", "/orders/<int:order_id>"): P.VIEW_STOCK,
    ("POST", "/orders/<int:order_id>"): P.EDIT_STOCK,
    ("POST", "/orders/<int:order_id>/delete"): P.EDIT_STOCK,
    ("POST", "/orders/<int:order_id>/send"): P.EDIT_STOCK,
    ("GET", "/orders/<int:order_id>/print"): P.VIEW_STOCK,
    ("GET", "/orders/<int:order_id>/order.xlsx"): P.VIEW_STOCK,
    ("POST", "/orders/<int:order_id>/lines/<int:line_id>/receive"): P.EDIT_STOCK,
    ("POST", "/orders/<int:order_id>/scan"): P.EDIT_STOCK,
    ("GET", "/api/v1/suppliers"): P.VIEW_STOCK,
    ("POST", "/api/v1/suppliers"): P.EDIT_CATALOGUE,
    ("GET", "/api/v1/suppliers/<int:supplier_id>"): P.VIEW_STOCK,
    ("GET", "/api/v1/orders/suggested"): P.VIEW_STOCK,
    ("GET", "/api/v1/orders"): P.VIEW_STOCK,
    ("POST", "/api/v1/orders"): P.EDIT_STOCK,
    ("GET", "/api/v1/orders/<int:order_id>"): P.VIEW_STOCK,
    # Opened vials and preparations (helper "opened").
    ("GET", "/api/v1/stock/opened-units"): P.VIEW_STOCK,
    ("POST", "/api/v1/sessions/<int:session_id>/preparations"): P.ADMINISTER,
    ("POST", "/api/v1/preparations/<int:preparation_id>/waste"): P.ADMINISTER,
    ("GET", "/api/v1/preparations/<int:preparation_id>/label.png"): P.ADMINISTER,
    ("GET", "/api/v1/preparations/<int:preparation_id>/label.pdf"): P.ADMINISTER,
    ("POST", "/sessions/<int:session_id>/prepare"): P.ADMINISTER,
    ("POST", "/sessions/<int:session_id>/scan-label"): P.ADMINISTER,
    ("POST", "/sessions/preparations/<int:preparation_id>/waste"): P.ADMINISTER,
    ("GET", "/sessions/preparations/<int:preparation_id>/label"): P.ADMINISTER,
    ("GET", "/sessions/preparations/<int:preparation_id>/label.png"): P.ADMINISTER,
    ("GET", "/sessions/preparations/<int:preparation_id>/label.pdf"): P.ADMINISTER,
    ("POST", "/stock/opened-units/<int:unit_id>/discard"): P.ADMINISTER,
}
# Past the door, these answer 404 for the ids fill() gives: an upload is kept only between its
# preview and its confirmation; a signature exists only once a consent was signed on screen.
NOT_FOUND_PAST_THE_DOOR = {("GET", "/stock/spreadsheets/uploads/<digest>/errors.csv"),
                           ("GET", "/sessions/<int:session_id>/consent/signature.png")} | {
    # The clinic holds no preparation and no opened vial (tests/treatments and tests/stock make them).
    key for key in ROUTES if "<int:preparation_id>" in key[1] or "<int:unit_id>" in key[1]
}

ROLES = ("admin", "manager", "practitioner")
REFUSED = {401, 403}


def url_map_routes(app) -> dict[tuple[str, str], object]:
    """(method, rule) → view function, for every route but static files; HEAD and OPTIONS left out."""
    routes = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.endswith(".static"):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes[(method, rule.rule)] = app.view_functions[rule.endpoint]
    return routes


def test_every_route_has_an_entry_in_the_table(app):
    routes = url_map_routes(app)
    missing = sorted(set(routes) - set(ROUTES))
    gone = sorted(set(ROUTES) - set(routes))
    assert not missing, "routes without an entry in ROUTES (say who may use them): " + ", ".join(
        f"{method} {rule}" for method, rule in missing)
    assert not gone, "entries in ROUTES whose route is gone: " + ", ".join(f"{m} {r}" for m, r in gone)
    # Where a view names its permission itself, the table says the same.
    for key, view in routes.items():
        if getattr(view, "permission", None) is not None:
            assert ROUTES[key] == view.permission, key


def expected(requirement, who: str, api: bool) -> str:
    """'allowed', 'login' (page redirect to /login), 401 or 403."""
    if requirement == PUBLIC:
        return "allowed"
    if who == "anonymous":
        return "401" if api else "login"
    if requirement == USER or role_may(who, requirement):
        return "allowed"
    return "403"


def outcome(response) -> str:
    """What the caller got, in the terms of `expected`."""
    status = response.status_code
    if status == 302 and response.headers["Location"].startswith("/login?next="):
        return "login"  # bounced for want of a login (a plain /login is where logging out lands)
    if status in REFUSED:
        return str(status)
    return "allowed" if status < 500 else f"error {status}"


def fill(rule: str, clinic, who: str) -> str:
    """The rule with every URL parameter set to a real row's id."""
    ids = {
        "user_id": clinic.other.id, "token_id": clinic.token_rows.get(who, clinic.token_rows["admin"]).id,
        "lot_id": clinic.lot.id, "product_id": clinic.product.id, "substance_id": clinic.substance.id,
        "group_id": clinic.group.id, "cocktail_id": clinic.cocktail.id, "number": 1,
        "patient_id": clinic.patient.id, "allergy_id": clinic.allergy.id, "session_id": clinic.session.id,
        "check_id": clinic.check.id, "action": "waste", "import_id": clinic.stock_import.id,
        "digest": "0" * 64, "supplier_id": clinic.order.supplier_id, "order_id": clinic.order.id,
        "line_id": clinic.order.lines[0].id, "course_id": clinic.course.id,
        "preparation_id": 1, "unit_id": 1,  # none made: past the door, a 404
    }
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(ids[m.group(1)]), rule)


class Callers:
    """One browser per role (logged in again whenever a route logged it out), and the API tokens."""

    def __init__(self, app, clinic):
        self.app, self.clinic = app, clinic
        self.browsers = {"anonymous": app.test_client()}
        for role in ROLES:
            self.browsers[role] = app.test_client()
            log_in(self.browsers[role], clinic.users[role].username)

    def send(self, who: str, method: str, path: str):
        if path.startswith(API_PREFIX):
            token = self.clinic.tokens.get(who)
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            body = {} if method != "GET" else None
            return self.app.test_client().open(path, method=method, headers=headers, json=body)
        browser = self.browsers[who]
        if who != "anonymous" and browser.get("/").status_code != 200:  # a route logged it out
            log_in(browser, self.clinic.users[who].username)
        if method == "GET":
            return browser.get(path)
        token = csrf_token(browser, "/login" if who == "anonymous" else "/profile")
        return browser.open(path, method=method, data={"csrf_token": token}, headers={"X-CSRFToken": token})


def test_access_matrix_every_route_every_role_and_anonymous(app, clinic, figures):
    routes = url_map_routes(app)
    callers = Callers(app, clinic)
    cells, answers, reached, wrong = 0, Counter(), Counter(), []
    for (method, rule), requirement in sorted(ROUTES.items(), key=lambda item: (item[0][1], item[0][0])):
        if (method, rule) not in routes:
            continue  # reported by the test above
        api = rule.startswith(API_PREFIX)
        for who in ("anonymous", *ROLES):
            path = fill(rule, clinic, who)
            response = callers.send(who, method, path)
            cells += 1
            want, got = expected(requirement, who, api), outcome(response)
            answers[got] += 1
            if got == "allowed":
                reached[response.status_code] += 1
                if response.status_code in (404, 405) and (method, rule) not in NOT_FOUND_PAST_THE_DOOR:
                    # the door opened on nothing: fill() gave a wrong id
                    wrong.append(f"{method} {path} as {who}: {response.status_code}")
            if want != got:
                wrong.append(f"{method} {rule} as {who}: expected {want}, got {response.status_code}")
            assert_security_headers(response, path)
            if api and got in ("401", "403"):
                assert response.is_json and response.get_json()["message"], (method, rule, who)
    summary = ", ".join(f"{answer}: {count}" for answer, count in sorted(answers.items()))
    summary += "; allowed answered " + ", ".join(f"{code}: {n}" for code, n in sorted(reached.items()))
    figures(f"access matrix: {len(ROUTES)} routes × 4 callers = {cells} requests ({summary}), "
          f"failures: {len(wrong)}")
    assert not wrong, "\n".join(wrong)
    assert cells == 4 * len(ROUTES)


# --- the rules that matter most, with real input rather than empty forms ------------------------

def _stock_state(lot_id: int):
    lot = db.session.get(Lot, lot_id)
    db.session.refresh(lot)
    movements = db.session.scalar(select(func.count()).select_from(StockMovement))
    return lot.on_hand, lot.status, movements, db.session.scalar(select(func.count()).select_from(Lot))


def test_a_practitioner_cannot_change_stock_counts_by_page_or_api(app, client, clinic, figures):
    lot = clinic.lot
    before = _stock_state(lot.id)
    log_in(client, clinic.users["practitioner"].username)
    attempts = {
        "/stock/receive": {"product": clinic.product.id, "lot_number": "NEW-1", "expiry": "2030-01-31",
                           "quantity": "5", "received_on": TODAY.isoformat()},
        f"/sessions/recall/{lot.id}": {"reason": "supplier recall notice"},
    }
    for action in ("receive-more", "waste", "adjust", "return", "quarantine", "release", "recall"):
        attempts[f"/stock/lots/{lot.id}/{action}"] = {f"{action}-quantity": "1", f"{action}-reason": "count"}
    workbook = (io.BytesIO(b"Product,Lot,Expiry,Quantity\n"), "stocktake.csv")
    attempts["/stock/spreadsheets/upload"] = {"mode": "stocktake", "file": workbook}
    attempts["/stock/spreadsheets/confirm"] = {"sha256": "0" * 64, "mode": "stocktake", "signature": "x"}
    for url, data in attempts.items():
        response = post_form(client, url, data, follow=False) if url != "/stock/receive" else \
            client.post(url, data={**data, "csrf_token": csrf_token(client, "/profile")})
        assert response.status_code == 403, url
        assert "may not change stock" in response.get_data(as_text=True), url
    bearer = {"Authorization": f"Bearer {clinic.tokens['practitioner']}"}
    api = [
        ("/api/v1/lots", {"product_id": clinic.product.id, "lot_number": "NEW-2", "expiry": "2030-01",
                          "quantity": 5}),
        *[(f"/api/v1/lots/{lot.id}/movements", {"kind": kind, "quantity": 1, "reason": "count"})
          for kind in ("waste", "adjust", "return")],
        *[(f"/api/v1/lots/{lot.id}/status", {"status": status, "reason": "count"})
          for status in ("quarantined", "recalled")],
    ]
    api_import = client.post("/api/v1/stock/imports", headers=bearer, data={
        "mode": "stocktake", "file": (io.BytesIO(b"Product,Lot,Expiry,Quantity\n"), "stocktake.csv")})
    assert api_import.status_code == 403
    for url, body in api:
        response = client.post(url, json=body, headers=bearer)
        assert response.status_code == 403, url
        assert "may not change stock" in response.get_json()["message"]
    assert _stock_state(lot.id) == before  # on hand, status, ledger and lots: all as they were
    figures(f"practitioner stock changes refused: {len(attempts)} pages, {len(api) + 1} API calls; "
          "failures: 0")


def _blocked_session(clinic):
    practitioner = clinic.users["practitioner"]
    session = plan_session(clinic.patient, clinic.cocktail, TODAY, practitioner=practitioner,
                           actor=practitioner)
    _result, check = check_session(session, actor=practitioner)
    db.session.commit()
    assert check.outcome == "blocked"
    return session, check


def _overrides_and_draws(session) -> tuple[int, int]:
    overrides = db.session.scalar(select(func.count()).select_from(Override).join(Override.check)
                                  .where(Override.check.has(session_id=session.id)))
    draws = db.session.scalar(
        select(func.count()).select_from(SessionDraw).where(SessionDraw.session_id == session.id))
    return overrides, draws


def test_only_a_manager_or_admin_overrides_a_block_by_page_or_api(app, clinic):
    reason = "Patch test on 2026-01-10 was negative; discussed with the patient."
    session, check = _blocked_session(clinic)
    practitioner = app.test_client()
    log_in(practitioner, clinic.users["practitioner"].username)
    refused = post_form(practitioner, f"/sessions/{session.id}/checks/{check.id}/override",
                        {"override-reason": reason}, follow=False)
    assert refused.status_code == 403 and "may not override a blocked check" in refused.get_data(as_text=True)
    # Nor by administering with a reason: the check stays blocked and nothing is drawn.
    page = post_form(practitioner, f"/sessions/{session.id}/administer",
                     {"administer-override_reason": reason}, follow=False)
    assert page.status_code == 409
    api = practitioner.post(f"/api/v1/sessions/{session.id}/administer", json={"override_reason": reason},
                            headers={"Authorization": f"Bearer {clinic.tokens['practitioner']}"})
    assert api.status_code == 409 and "manager or an admin" in api.get_json()["message"]
    assert _overrides_and_draws(session) == (0, 0)
    assert db.session.get(TreatmentSession, session.id).status == "checked"

    manager = app.test_client()
    log_in(manager, clinic.users["manager"].username)
    allowed = post_form(manager, f"/sessions/{session.id}/checks/{check.id}/override",
                        {"override-reason": reason}, follow=False)
    assert allowed.status_code == 302 and _overrides_and_draws(session) == (1, 0)
    other, _check = _blocked_session(clinic)
    answer = manager.post(f"/api/v1/sessions/{other.id}/administer", json={"override_reason": reason},
                          headers={"Authorization": f"Bearer {clinic.tokens['admin']}"})
    assert answer.status_code == 201 and _overrides_and_draws(other)[0] == 1


def test_api_tokens_carry_their_users_role_and_die_with_the_user(app, client, clinic):
    user, token = clinic.users["practitioner"], clinic.tokens["practitioner"]
    bearer = {"Authorization": f"Bearer {token}"}
    waste = {"kind": "waste", "quantity": 1, "reason": "dropped vial"}
    url = f"/api/v1/lots/{clinic.lot.id}/movements"
    assert client.get("/api/v1/me", headers=bearer).get_json()["role"] == "practitioner"
    assert client.post(url, json=waste, headers=bearer).status_code == 403
    # The role is the user's, as it is now: a promotion opens, a demotion closes, on the same token.
    change_role(user, "manager", actor=clinic.users["admin"])
    db.session.commit()
    assert client.get("/api/v1/me", headers=bearer).get_json()["role"] == "manager"
    assert client.post(url, json=waste, headers=bearer).status_code == 201
    change_role(user, "practitioner", actor=clinic.users["admin"])
    db.session.commit()
    assert client.post(url, json=waste, headers=bearer).status_code == 403
    # Deactivated: every token of the user is refused, and reactivating does not revive them.
    set_active(user, False, actor=clinic.users["admin"])
    db.session.commit()
    for path in ("/api/v1/me", "/api/v1/lots", f"/api/v1/patients/{clinic.patient.id}"):
        assert client.get(path, headers=bearer).status_code == 401, path
    set_active(user, True, actor=clinic.users["admin"])
    db.session.commit()
    assert client.get("/api/v1/me", headers=bearer).status_code == 401
    _row, fresh = create_token(user, "new laptop", actor=user)
    db.session.commit()
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {fresh}"}).status_code == 200


def test_a_session_cookie_opens_no_api_and_a_token_opens_no_page(app, client, clinic):
    log_in(client, clinic.users["admin"].username)
    assert client.get("/api/v1/me").status_code == 401
    other = app.test_client()
    response = other.get("/", headers={"Authorization": f"Bearer {clinic.tokens['admin']}"})
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
