"""Schemathesis against /api/v1/openapi.json: generated, hostile requests; never a 5xx, always as documented.

Every operation of the OpenAPI document gets requests generated from its own schema, valid ones
and deliberately invalid ones, sent in-process to the WSGI app with a valid admin token, over a
database holding the demo clinic. Operations with ids in the path run twice more with ids of
real rows, so that real records' answers are checked too. Each answer: no server error, a
documented status code, content type, headers and body matching the schema, input the
schema calls invalid refused with a 4xx, and input it calls valid accepted (2xx, or 404/409 for a
missing record or a rule; a 422 only for the RULES below). A second test follows the document's
OpenAPI links (schemathesis' state machine): create, then read, change, check, administer, move.
Bounded and repeatable (derandomized): FORMULARY_FUZZ_EXAMPLES examples (default 20) per operation
and variant, about 1,350 requests, and 4 × as many link scenarios; both tests well under 2 minutes.
"""

import contextlib
import os
import re
import time
from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.config._checks import (
    NEGATIVE_DATA_REJECTION_EXPECTED_STATUSES,
    NegativeDataRejectionConfig,
    PositiveDataAcceptanceConfig,
)
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select

from formulary.catalogue.models import Product, Supplier
from formulary.cocktails.models import Cocktail
from formulary.extensions import db
from formulary.patients.models import Patient
from formulary.purchasing.models import PurchaseOrder
from formulary.stock.models import Lot
from formulary.treatments.course_models import Course
from formulary.treatments.models import TreatmentSession
from formulary.treatments.preparation_models import Preparation

EXAMPLES = int(os.environ.get("FORMULARY_FUZZ_EXAMPLES", "20"))
CHECKS = [
    not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
    response_schema_conformance, negative_data_rejection,
]
# Input the schema calls valid may be refused only for a missing record or a rule (API.md: 404, 409)…
ACCEPTED = ["2xx", "404", "409"]
# …or with a 422 naming only these fields, which no schema can foresee: names and ids that must
# exist in the clinic's catalogue or records (the body's equivalent of a 404), values that depend on
# each other, and a file's content. Anything else a valid request is refused for is a schema to fix.
ANY = r"\.\d+"
RULES = {
    "POST /api/v1/products": [  # and a GTIN's check digit
        rf"composition{ANY}\.substance", rf"contraindications{ANY}(\.condition)?", "gtin", "supplier_id"],
    "POST /api/v1/lots": [  # product_id, gtin or scan; the lot number and expiry may come from the scan
        "product_id", "gtin", "scan", "lot_number", "expiry"],
    "GET /api/v1/cocktails": ["goal", "substance"],
    "POST /api/v1/cocktails": ["goals", rf"components{ANY}\.product", "name", rf"procedure{ANY}\.product_id"],
    "PUT /api/v1/cocktails/{cocktail_id}": [
        "goals", rf"components{ANY}\.product", "name", rf"procedure{ANY}\.product_id"],
    "GET /api/v1/cocktails/{cocktail_id}/availability": ["sessions", "interval_days"],  # both or neither
    "POST /api/v1/patients": [  # exactly one of substance, group or text; "none-known" without active allergies;
        # status and clinical_status (one field) agree; an onset not in the future; conditions the catalogue knows
        rf"allergies{ANY}(\.(substance|group|text|criticality|clinical_status|onset))?", rf"conditions({ANY})?",
        "allergy_status", "reference"],
    "PATCH /api/v1/patients/{patient_id}": [  # also: only the statuses of a recorded allergy change
        rf"allergies{ANY}(\.(substance|group|text|criticality|id|status|clinical_status|onset))?",
        rf"conditions({ANY})?", "allergy_status", "reference"],
    "POST /api/v1/checks": ["patient_id", "cocktail_id"],
    # a workbook or CSV file the importer can read; an order that exists; lots to zero among those the file did not count
    "POST /api/v1/stock/imports": ["file", "order_id", "zero_not_counted"],
    "POST /api/v1/suppliers": ["email", "name"],  # an address the service can tell is one; a name taken
    "POST /api/v1/orders": ["supplier_id", rf"lines{ANY}\.product_id"],  # a product on the order once
    # scheduled_for: a day that does not exist (2027-02-30), or a time the clocks skip that night in the clinic's zone
    "POST /api/v1/sessions": ["patient_id", "cocktail_id", "practitioner_id", "scheduled_for"],
    # first_on: today or later (the schema cannot know today); time: one the clocks skip on a session's day
    "POST /api/v1/courses": ["patient_id", "cocktail_id", "first_on", "time"],
    "POST /api/v1/sessions/{session_id}/consent": ["signature_png"],  # its content must be a PNG image
    "POST /api/v1/lots/{lot_id}/movements": ["quantity"],  # waste and return take more than zero; a count may be 0
    # The kit and procedure items: products that must exist, each listed once.
    "PUT /api/v1/procedure-kit": [rf"items{ANY}\.product_id"],
    "POST /api/v1/substances": ["name", "synonyms", "groups"],  # names with letters; groups that exist
    "POST /api/v1/allergen-groups": ["name", "members"],
    "POST /api/v1/conditions": ["name", "synonyms"],  # a name with letters, not another condition's
    "POST /api/v1/sessions/{session_id}/reactions": ["session_id", "substance", "group"],  # administered only
    # A FHIR document: its elements are checked by the FHIR rules, not by the schema (which reads any element).
    "POST /api/v1/patients/{patient_id}/allergy-intolerances": [
        r"(entry\.\d+\.resource\.)?(resourceType|patient|code|verificationStatus|clinicalStatus|criticality|type"
        r"|category|onsetDateTime)", "entry"],
    # from ≤ to, at most ten years apart; the product must exist
    "GET /api/v1/reports/consumption": ["from", "product_id"],
    "GET /api/v1/reports/consumption.xlsx": ["from", "product_id"],
}


@schemathesis.check
def valid_input_accepted(ctx, response, case):
    """positive_data_acceptance, but for a 422 whose every field is one of the operation's RULES."""
    if response.status_code == 422 and case.meta is not None and case.meta.generation.mode.is_positive:
        rules = RULES.get(case.operation.label, [])
        fields = [error.get("field") or "file" for error in (response.json().get("errors") or [{}])]
        if rules and all(any(re.fullmatch(rule, field) for rule in rules) for field in fields):
            return None
    return positive_data_acceptance(ctx, response, case)


CHECKS.append(valid_input_accepted)
# Path parameter → the table whose real ids fill it.
PATH_IDS = {
    "patient_id": Patient, "cocktail_id": Cocktail, "lot_id": Lot, "product_id": Product,
    "session_id": TreatmentSession, "supplier_id": Supplier, "order_id": PurchaseOrder, "course_id": Course,
    "preparation_id": Preparation,
}


@pytest.fixture
def demo_clinic(app):
    """The demo clinic (catalogue, lots, patients with allergies, cocktails, sessions)."""
    from formulary.catalogue.reference_sync import sync_reference_library
    from formulary.demo.clinic import load_demo

    sync_reference_library()
    load_demo()
    db.session.commit()


def api_schema(app):
    """The API's OpenAPI document, with valid input expected to be accepted (or 404/409)."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    schema.config.checks.positive_data_acceptance = PositiveDataAcceptanceConfig(expected_statuses=ACCEPTED)
    # A query string too long for the server (flask's 414, answered in JSON) refuses invalid input too.
    schema.config.checks.negative_data_rejection = NegativeDataRejectionConfig(
        expected_statuses=[*NEGATIVE_DATA_REJECTION_EXPECTED_STATUSES, "414"])
    return schema


def _real_ids(operation) -> dict[str, list[int]]:
    names = re.findall(r"{(\w+)}", operation.path)
    unknown = [name for name in names if name not in PATH_IDS]
    assert not unknown, f"{operation.label}: say in PATH_IDS which table fills {unknown}"
    found = {name: db.session.scalars(select(PATH_IDS[name].id).order_by(PATH_IDS[name].id).limit(10)).all()
             for name in names}
    # The demo clinic holds no preparation: generated ids alone reach those operations.
    return found if all(found.values()) else {}


def _variants(operation, headers):
    """(name, strategy): generated ids and, with ids in the path, real rows' ids; valid and invalid input."""
    real = _real_ids(operation)
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        yield mode.value, operation.as_strategy(generation_mode=mode, headers=headers)
        if real:
            ids = st.fixed_dictionaries({name: st.sampled_from(values) for name, values in real.items()})
            yield f"{mode.value}, real ids", ids.flatmap(
                lambda path, mode=mode: operation.as_strategy(generation_mode=mode, path_parameters=path,
                                                              headers=headers))


class Tally:
    """What was sent and what went wrong, over every operation."""

    def __init__(self):
        self.operations, self.sent, self.statuses, self.failures = [], 0, Counter(), {}
        self.times = {}

    def check(self, case, response, headers, label: str, variant: str = "") -> None:
        """Count one answer and validate it; keep the first failure of each kind per operation."""
        self.sent += 1
        self.statuses[response.status_code // 100] += 1
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except FailureGroup as group:
            for failure in group.exceptions:
                self.failures.setdefault(
                    (label, failure.title),
                    f"{variant + ': ' if variant else ''}{failure.message}\n"
                    f"{case.as_curl_command(headers={'Authorization': 'Bearer …'})}\n"
                    f"→ {response.status_code} {response.text[:1500]}",
                )


def _fuzz(client, headers, strategy, label: str, variant: str, tally: Tally) -> None:
    """Send the strategy's cases and validate each answer; collect distinct failures."""

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
    @given(case=strategy)
    def run(case):
        tally.check(case, case.call(session=client, headers=headers), headers, label, variant)

    with contextlib.suppress(Unsatisfiable):  # nothing invalid can be said to it (GET /me takes no input)
        run()


def test_every_api_operation_answers_generated_requests_as_documented(app, api_token, demo_clinic, figures):
    _admin, token = api_token("admin")
    headers = {"Authorization": f"Bearer {token}"}
    client = app.test_client()  # a fresh `g` per request, as in production
    schema = api_schema(app)
    tally = Tally()
    started = time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()
        tally.operations.append(operation.label)
        began = time.monotonic()
        for variant, strategy in _variants(operation, headers):
            _fuzz(client, headers, strategy, operation.label, variant, tally)
        tally.times[operation.label] = time.monotonic() - began
    elapsed = time.monotonic() - started

    answers = ", ".join(f"{kind}xx: {count}" for kind, count in sorted(tally.statuses.items()))
    figures(f"schemathesis {schemathesis.__version__}: {len(tally.operations)} operations, "
          f"{tally.sent} requests ({answers}) in {elapsed:.1f} s, failures: {len(tally.failures)}")
    slowest = sorted(tally.times.items(), key=lambda item: -item[1])[:3]
    figures("  slowest: " + ", ".join(f"{label} {seconds:.1f} s" for label, seconds in slowest))
    report = "\n\n".join(f"{label} — {title}\n{text}" for (label, title), text in tally.failures.items())
    assert not tally.failures, report
    assert len(tally.operations) >= 20 and tally.sent >= 10 * len(tally.operations)


def test_the_api_links_followed_as_a_client_would_answer_as_documented(app, api_token, demo_clinic, figures):
    """Schemathesis' state machine over the OpenAPI links: a created patient, session, lot, product or
    cocktail is then read, changed, checked, administered or moved by the id its answer gave, each
    answer validated by the same checks (4 × FORMULARY_FUZZ_EXAMPLES scenarios of at most 8 steps)."""
    _admin, token = api_token("admin")
    headers = {"Authorization": f"Bearer {token}"}
    client = app.test_client()
    schema = api_schema(app)
    # Valid input only: the scenarios are about what a client does next; invalid input is the other test's.
    schema.config.generation.modes = [GenerationMode.POSITIVE]
    tally = Tally()
    followed = Counter()

    class Workflow(schema.as_state_machine()):
        # Each scenario starts from the same demo clinic (what it created is rolled back after it), so
        # that what the links offer depends on the scenario alone, as Hypothesis requires.
        def setup(self):
            self.savepoint = db.session.bind.begin_nested()

        def teardown(self):
            db.session.remove()
            self.savepoint.rollback()

        def step(self, input):
            if input.transition is not None:
                followed[input.transition.id] += 1
            return super().step(input)

        def get_call_kwargs(self, case):
            return {"session": client, "headers": headers}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            tally.check(case, response, headers, case.operation.label)

    started = time.monotonic()
    Workflow.run(settings=settings(
        max_examples=4 * EXAMPLES, stateful_step_count=8, deadline=None, database=None, derandomize=True,
        suppress_health_check=list(HealthCheck), phases=[Phase.generate],
    ))
    elapsed = time.monotonic() - started
    answers = ", ".join(f"{kind}xx: {count}" for kind, count in sorted(tally.statuses.items()))
    figures(f"schemathesis state machine: {tally.sent} requests ({answers}), {sum(followed.values())} links "
            f"followed ({len(followed)} distinct) in {elapsed:.1f} s, failures: {len(tally.failures)}")
    report = "\n\n".join(f"{label} — {title}\n{text}" for (label, title), text in tally.failures.items())
    assert not tally.failures, report
    assert followed, "no OpenAPI link was followed: the links or the created records are missing"
