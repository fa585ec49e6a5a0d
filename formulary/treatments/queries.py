"""What the session pages read: the filtered list, a session with its history, choices for the forms."""

from dataclasses import dataclass, field
from datetime import date
from functools import cache

from sqlalchemy import Select, Subquery, and_, bindparam, func, select
from sqlalchemy.orm import aliased, joinedload, selectinload

from formulary.auth.models import User
from formulary.catalogue.models import ProductComponent, Substance
from formulary.cocktails.models import Cocktail, CocktailComponent, CocktailVersion
from formulary.extensions import db
from formulary.patients.folding import fold
from formulary.patients.models import Patient
from formulary.quantity import fmt_quantity
from formulary.stock.draws import draw_rule, lot_stocks
from formulary.stock.fefo import usable_lots
from formulary.stock.models import Lot
from formulary.stock.queries import product_by_gtin
from formulary.stock.scan import ScanError, parse_scan
from formulary.treatments.models import SESSION_STATUSES, Override, SafetyCheck, SessionDraw, TreatmentSession
from formulary.vocabulary import OPEN_SESSION_STATUSES, CheckOutcome, SessionStatus

WHEN = {"upcoming": "Upcoming", "past": "Past", "all": "All"}
NOT_CHECKED = "not-checked"  # the filter for sessions with no check yet; the others are CheckOutcome's
CHECK_STATES: dict[str, str] = {
    NOT_CHECKED: "Not checked",
    CheckOutcome.CLEAR: "Clear",
    CheckOutcome.CAUTION: "Caution",
    CheckOutcome.BLOCKED: "Blocked",
}
PATIENT_CHOICES = 200  # the plan form lists at most this many patients; a search narrows them


@dataclass
class SessionFilters:
    """The session list's filters, read from the query string; problems say what was ignored."""

    when: str = "upcoming"
    start: date | None = None
    end: date | None = None
    status: str = ""
    practitioner_id: int | None = None
    check: str = ""
    problems: list[str] = field(default_factory=list)

    def as_args(self) -> dict:
        """The filters as query-string arguments (for links that keep them)."""
        args = {"when": self.when, "from": self.start, "to": self.end, "status": self.status,
                "practitioner": self.practitioner_id, "check": self.check}
        return {key: value for key, value in args.items() if value not in (None, "")}


def _day(text: str | None, label: str, problems: list[str]) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        problems.append(f"{label} {text} is not a date: write YYYY-MM-DD.")
        return None


def parse_filters(args) -> SessionFilters:
    """Read the list's filters; anything unreadable is ignored and named in `problems`."""
    problems: list[str] = []
    when = args.get("when") or "upcoming"
    if when not in WHEN:
        problems.append(f"Unknown period {when!r}: showing upcoming sessions.")
        when = "upcoming"
    status = args.get("status") or ""
    if status and status not in SESSION_STATUSES:
        problems.append(f"Unknown status {status!r}: showing every status.")
        status = ""
    check = args.get("check") or ""
    if check and check not in CHECK_STATES:
        problems.append(f"Unknown check outcome {check!r}: showing every outcome.")
        check = ""
    practitioner = args.get("practitioner") or ""
    practitioner_id = int(practitioner) if practitioner.isdigit() and len(practitioner) < 10 else None
    if practitioner and practitioner_id is None:
        problems.append(f"Unknown practitioner {practitioner!r}: showing everyone's sessions.")
    start = _day(args.get("from"), "From", problems)
    end = _day(args.get("to"), "To", problems)
    return SessionFilters(when, start, end, status, practitioner_id, check, problems)


def latest_check_ids() -> Subquery:
    """Each session's latest check id, as a subquery (session_id, check_id)."""
    return (
        select(SafetyCheck.session_id, func.max(SafetyCheck.id).label("check_id"))
        .where(SafetyCheck.session_id.is_not(None))
        .group_by(SafetyCheck.session_id)
        .subquery()
    )


def sessions_query(filters: SessionFilters, today: date) -> Select:
    """The sessions the filters select, with patient, cocktail and practitioner loaded in the same query."""
    query = select(TreatmentSession).options(
        joinedload(TreatmentSession.patient),
        joinedload(TreatmentSession.cocktail_version).joinedload(CocktailVersion.cocktail),
        joinedload(TreatmentSession.practitioner),
    )
    if filters.when == "upcoming":
        query = query.where(TreatmentSession.scheduled_for >= today)
    elif filters.when == "past":
        query = query.where(TreatmentSession.scheduled_for < today)
    if filters.start:
        query = query.where(TreatmentSession.scheduled_for >= filters.start)
    if filters.end:
        query = query.where(TreatmentSession.scheduled_for <= filters.end)
    if filters.status:
        query = query.where(TreatmentSession.status == filters.status)
    if filters.practitioner_id:
        query = query.where(TreatmentSession.practitioner_id == filters.practitioner_id)
    if filters.check:
        latest = latest_check_ids()
        check = aliased(SafetyCheck)
        query = query.outerjoin(latest, latest.c.session_id == TreatmentSession.id).outerjoin(
            check, check.id == latest.c.check_id
        )
        if filters.check == NOT_CHECKED:
            query = query.where(latest.c.check_id.is_(None))
        else:
            query = query.where(check.outcome == filters.check)
    if filters.when == "past":
        return query.order_by(TreatmentSession.scheduled_for.desc(), TreatmentSession.id.desc())
    return query.order_by(TreatmentSession.scheduled_for, TreatmentSession.id)


@cache
def _session_statement():
    # Built once, with the session's id bound: its loader options make it costly to build and to key.
    # The recipe and the reactions (a few rows each) ride in the main statement; the checks and the
    # draws come in one more each: three round trips in all.
    return select(TreatmentSession).where(TreatmentSession.id == bindparam("session_id")).options(
        joinedload(TreatmentSession.patient),
        joinedload(TreatmentSession.practitioner),
        joinedload(TreatmentSession.administered_by),
        joinedload(TreatmentSession.consent),
        joinedload(TreatmentSession.cocktail_version).options(
            joinedload(CocktailVersion.cocktail),
            joinedload(CocktailVersion.components).joinedload(CocktailComponent.product),
        ),
        joinedload(TreatmentSession.reactions),
        selectinload(TreatmentSession.checks).options(
            joinedload(SafetyCheck.run_by), joinedload(SafetyCheck.acknowledged_by),
            joinedload(SafetyCheck.override).joinedload(Override.by),
        ),
        selectinload(TreatmentSession.draws).options(joinedload(SessionDraw.lot), joinedload(SessionDraw.product)),
    )


def load_session(session_id: int) -> TreatmentSession | None:
    """A session with everything its page shows: checks, overrides, draws, reactions, recipe, consent."""
    return db.session.execute(_session_statement(), {"session_id": session_id}).unique().scalar_one_or_none()


def patient_choices(text: str = "", include_id: int | None = None) -> list[tuple[int, str]]:
    """Patients for the plan form, by name; a search text narrows them by name or reference."""
    query = select(Patient.id, Patient.name, Patient.reference)
    text = fold(text)
    if text:  # case and accents aside, as the patient list searches ("lucia" finds "Lucía")
        query = query.where(Patient.search_key.contains(text, autoescape=True))
    rows = list(db.session.execute(query.order_by(func.lower(Patient.name), Patient.id).limit(PATIENT_CHOICES)))
    if include_id and include_id not in {row.id for row in rows}:
        rows += db.session.execute(
            select(Patient.id, Patient.name, Patient.reference).where(Patient.id == include_id)
        ).all()
    return [(row.id, f"{row.name} ({row.reference})" if row.reference else row.name) for row in rows]


def cocktail_choices() -> list[tuple[int, str]]:
    """Cocktails in use, each with the version a new session records."""
    latest = select(CocktailVersion.cocktail_id, func.max(CocktailVersion.number).label("number")) \
        .group_by(CocktailVersion.cocktail_id).subquery()
    rows = db.session.execute(
        select(Cocktail.id, Cocktail.name, latest.c.number).join(latest, latest.c.cocktail_id == Cocktail.id)
        .where(Cocktail.retired.is_(False)).order_by(func.lower(Cocktail.name))
    ).all()
    return [(row.id, f"{row.name} (version {row.number})") for row in rows]


def practitioner_choices() -> list[tuple[int, str]]:
    """Active users, by name: whoever treats the patient."""
    users = db.session.scalars(select(User).where(User.active.is_(True)).order_by(func.lower(User.username)))
    return [(user.id, f"{user.display_name} ({user.role})") for user in users]


def lot_choices(session: TreatmentSession, on: date) -> list[tuple[int, str]]:
    """The usable lots of the session's products on the day, FEFO order, for picking lots by hand."""
    components = session.cocktail_version.components
    stocks = lot_stocks(c.product_id for c in components)
    choices = []
    for component in components:
        product = component.product
        for lot in usable_lots(stocks.get(product.id, ()), draw_rule(product, on)):
            choices.append((lot.lot_id, f"{product.name} — lot {lot.lot_number}, expires {lot.expiry:%Y-%m-%d}, "
                                        f"{fmt_quantity(lot.on_hand)} {product.unit} on hand"))
    return choices


def allergen_suggestions(session: TreatmentSession) -> list[str]:
    """The substances (and their allergen groups) of the session's cocktail: the likely culprits of a reaction."""
    product_ids = [c.product_id for c in session.cocktail_version.components]
    substances = db.session.scalars(
        select(Substance).join(ProductComponent, ProductComponent.substance_id == Substance.id)
        .where(ProductComponent.product_id.in_(product_ids)).options(selectinload(Substance.groups))
    ).unique().all() if product_ids else []
    names = {s.name for s in substances} | {g.name for s in substances for g in s.groups}
    return sorted(names, key=str.lower)


def lot_for_scan(product_id: int, lot_number: str) -> Lot | None:
    """The product's lot with this number, if received."""
    return db.session.scalar(select(Lot).where(Lot.product_id == product_id, Lot.lot_number == lot_number))


def lots_from_scans(text: str) -> tuple[list[int], list[str]]:
    """The lots a scanner typed, one GS1 string a line (product by GTIN, then lot number); and each problem."""
    lot_ids, problems = [], []
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    for number, line in enumerate(lines, start=1):
        where = f"Line {number}" if len(lines) > 1 else "The scan"
        try:
            scanned = parse_scan(line)
        except ScanError as error:  # its sentence already starts "Scan '…'"
            problems.append(f"{error}." if len(lines) == 1 else f"Line {number}: {error}.")
            continue
        product = product_by_gtin(scanned.gtin)
        if product is None:
            problems.append(f"{where}: no product in the catalogue has GTIN {scanned.gtin}.")
            continue
        if not scanned.lot_number:
            problems.append(f"{where} ({product.name}) carries no lot number: pick the lot below instead.")
            continue
        lot = lot_for_scan(product.id, scanned.lot_number)
        if lot is None:
            problems.append(f"{where}: {product.name} has no lot {scanned.lot_number} in stock; "
                            "receive it first, or check the vial.")
            continue
        if scanned.expiry and scanned.expiry != lot.expiry:
            problems.append(f"{where}: lot {lot.lot_number} of {product.name} was received as expiring "
                            f"{lot.expiry:%Y-%m-%d}, but the vial says {scanned.expiry:%Y-%m-%d}: check the vial.")
            continue
        if lot.id not in lot_ids:
            lot_ids.append(lot.id)
    return lot_ids, problems


@dataclass(frozen=True)
class SessionDates:
    """A patient's last administered session and next planned one."""

    last: date | None
    next: date | None


def session_dates(patient_ids, today: date) -> dict[int, SessionDates]:
    """Last administered and next planned session per patient: one query for a whole page."""
    patient_ids = list(patient_ids)
    if not patient_ids:
        return {}
    upcoming = and_(TreatmentSession.status.in_(OPEN_SESSION_STATUSES),
                    TreatmentSession.scheduled_for >= today)
    query = (
        select(
            TreatmentSession.patient_id,
            func.max(TreatmentSession.scheduled_for).filter(TreatmentSession.status == SessionStatus.ADMINISTERED),
            func.min(TreatmentSession.scheduled_for).filter(upcoming),
        )
        .where(TreatmentSession.patient_id.in_(patient_ids))
        .group_by(TreatmentSession.patient_id)
    )
    return {patient_id: SessionDates(last, next_) for patient_id, last, next_ in db.session.execute(query)}
