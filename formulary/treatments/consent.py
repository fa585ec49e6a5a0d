"""Consent for a session: generated from the cocktail version, the procedure kit, the clinic's wording,
the aftercare advice and the check's cautions; signed on screen or on paper, then kept as it was.

Plain functions that flush, never commit. A signed consent is never edited (consent_models guards
it); the wording is versioned: editing it adds a version, and each consent keeps the one it was
signed under, with the whole document as the patient read it.
"""

import json
from dataclasses import asdict, dataclass, field

from sqlalchemy import func, select

from formulary.audit.log import record
from formulary.clinic_time import local_time_text
from formulary.cocktails.kit import session_kit
from formulary.extensions import db
from formulary.quantity import fmt_quantity
from formulary.treatments.aftercare import advice_text
from formulary.treatments.checks import stored_findings
from formulary.treatments.consent_models import Consent, ConsentWording
from formulary.treatments.models import TreatmentSession
from formulary.treatments.sessions import SessionError, check_session
from formulary.vocabulary import OPEN_SESSION_STATUSES, ConsentMethod, FindingKind, FindingSeverity

MAX_SIGNATURE_BYTES = 512 * 1024
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

DEFAULT_WORDING = """\
I have discussed my goals with the practitioner, who explained this treatment, what will be injected \
and applied (listed above), how many sessions may be needed, and other options, including no treatment.

Usual side effects
- Bruising at some injection points, fading within 3–7 days.
- Redness at the treated skin, usually settling within 24–48 hours.
- Swelling and small bumps at the injection points, flattening within hours to a day or two.
- Itching or tenderness, lasting a day or two.

Rarely, an infection or an allergic reaction can occur: the aftercare advice says what to watch for \
and when to call the clinic.

I have told the practitioner about my allergies, medicines, pregnancy or breastfeeding, and health \
conditions. I have had the chance to ask questions, and I agree to this session of treatment.
"""


class ConsentRefused(SessionError):
    """A consent the rules refuse (the session is closed, already signed, the signature unusable)."""


@dataclass(frozen=True)
class KitItem:
    """An item of the procedure kit applied at the session (anaesthetic cream, antiseptic, …)."""

    product: str
    use: str


def kit_items(session: TreatmentSession) -> list[KitItem]:
    """The procedure kit of the session's cocktail (the clinic's default kit and the cocktail's own items)."""
    return [KitItem(product=item.product_name, use=item.use_words) for item in session_kit(session.cocktail_version_id)]


@dataclass(frozen=True)
class ConsentDocument:
    """Everything the patient reads and signs, as plain values: stored as JSON with the consent."""

    patient: str
    born: str | None
    session_id: int
    day: str
    cocktail: str
    version: int
    injected: list[dict]  # {product, amount, unit, substances: [name, …]}
    applied: list[dict]  # {product, use}
    cautions: list[str]
    wording_version: int
    wording: str
    aftercare: str
    time: str | None = None

    def to_json(self) -> str:
        """The document as stored with the consent."""
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> "ConsentDocument":
        """A stored document, as it was signed."""
        return cls(**json.loads(text))


@dataclass(frozen=True)
class Wording:
    """The wording in force: its version number and text (version 1 is the default until the clinic edits it)."""

    version: int
    body: str
    row: ConsentWording | None = field(default=None, compare=False)


def wording_in_force() -> Wording:
    """The latest version of the clinic's wording, or the default as version 1."""
    row = db.session.scalar(select(ConsentWording).order_by(ConsentWording.version.desc()).limit(1))
    return Wording(row.version, row.body, row) if row is not None else Wording(1, DEFAULT_WORDING)


def _normalized(body: str) -> str:
    return "\n".join(line.rstrip() for line in (body or "").replace("\r\n", "\n").split("\n")).strip() + "\n"


def _stored_wording() -> ConsentWording:
    """The wording in force as a row (the default is stored as version 1 when first signed under)."""
    current = wording_in_force()
    if current.row is not None:
        return current.row
    row = ConsentWording(version=1, body=DEFAULT_WORDING)
    db.session.add(row)
    db.session.flush()
    return row


def save_wording(body: str, *, actor) -> ConsentWording:
    """Store the clinic's edited wording as the next version (the same text adds nothing)."""
    body = _normalized(body)
    if len(body.strip()) < 20:
        raise ConsentRefused("The consent wording cannot be (almost) empty.", "body")
    current = _stored_wording()
    if current.body == body:
        return current
    latest = db.session.scalar(select(func.max(ConsentWording.version))) or 0
    row = ConsentWording(version=latest + 1, body=body, created_by_id=actor.id if actor is not None else None)
    db.session.add(row)
    db.session.flush()
    record("consent.wording", actor=actor, target=row, detail=f"version {row.version}")
    return row


def _cautions(session: TreatmentSession) -> list[str]:
    """What the latest check asks the patient to know: its cautions and blocks, not stock matters."""
    if not session.checks:
        return []
    return [f["message"] for f in stored_findings(session.checks[-1])
            if f["severity"] in (FindingSeverity.CAUTION, FindingSeverity.BLOCK) and f["kind"] != FindingKind.STOCK]


def build_document(session: TreatmentSession, wording: Wording) -> ConsentDocument:
    """The consent for the session under the wording: what is injected and applied, cautions, aftercare."""
    version = session.cocktail_version
    injected = [{
        "product": c.product.name, "amount": fmt_quantity(c.amount), "unit": c.product.unit,
        "substances": [p.substance.name for p in c.product.composition],
    } for c in version.components]
    return ConsentDocument(
        patient=session.patient.name,
        born=session.patient.date_of_birth.isoformat() if session.patient.date_of_birth else None,
        session_id=session.id, day=session.scheduled_for.isoformat(),
        time=local_time_text(session.starts_at) if session.starts_at else None,
        cocktail=version.cocktail.name, version=version.number, injected=injected,
        applied=[asdict(item) for item in kit_items(session)], cautions=_cautions(session),
        wording_version=wording.version, wording=wording.body, aftercare=advice_text(),
    )


def signature_problem(png: bytes | None) -> str | None:
    """Why a drawn signature cannot be kept (not a PNG, too big, empty), or None."""
    if not png:
        return "Sign in the box first: the signature is empty."
    if not png.startswith(PNG_MAGIC):
        return "The signature is not a PNG image."
    if len(png) > MAX_SIGNATURE_BYTES:
        return f"The signature image is too large ({len(png) // 1024} KB; at most {MAX_SIGNATURE_BYTES // 1024} KB)."
    return None


def record_consent(session: TreatmentSession, method: str, *, actor, signature_png: bytes | None = None) -> Consent:
    """Keep the patient's consent for the session: the document as generated now, and how it was signed.

    The check is run first when the session has none, so that the cautions the patient reads are its own.
    """
    if session.status not in OPEN_SESSION_STATUSES:
        raise ConsentRefused(f"This session is {session.status}: consent is recorded before administering.")
    if session.consent is not None:
        raise ConsentRefused("The consent for this session is already recorded; it is kept as it was signed.")
    if method not in tuple(ConsentMethod):
        raise ConsentRefused(f"The method is on-screen or paper (got {method!r}).", "method")
    if method == ConsentMethod.ON_SCREEN:
        if (problem := signature_problem(signature_png)) is not None:
            raise ConsentRefused(problem, "signature_png")
    else:
        signature_png = None  # the paper sheet is the signature; the clinic files it
    if not session.checks:
        check_session(session, actor=actor)
    wording = _stored_wording()
    document = build_document(session, Wording(wording.version, wording.body))
    consent = Consent(session=session, wording=wording, method=method, document=document.to_json(),
                      signature_png=signature_png, recorded_by_id=actor.id if actor is not None else None)
    db.session.add(consent)
    db.session.flush()
    record("consent.sign", actor=actor, target=session, detail=f"{method}, wording version {wording.version}")
    return consent
