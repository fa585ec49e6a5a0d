"""What the patient pages and API read: the searchable list, its per-page summaries, allergen suggestions."""

import re
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, and_, extract, func, or_, select
from sqlalchemy.orm import selectinload

from formulary.catalogue.models import AllergenGroup, Condition, GroupSynonym, Substance, SubstanceSynonym
from formulary.extensions import db
from formulary.patients.folding import fold
from formulary.patients.models import Allergy, Patient, PatientCondition
from formulary.reference.names import normalize_name
from formulary.vocabulary import AllergyKind, ClinicalStatus

_ISO_DAY = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_NUMERIC_DAY = re.compile(r"(\d{1,2})[./-](\d{1,2})[./-](\d{4})")
_YEAR = re.compile(r"(19|20)\d{2}")
# How many suggestions the allergen type-ahead offers, and how many rows each kind may bring.
SUGGESTIONS, CANDIDATES = 10, 60


def birth_date_in(text: str, date_order: str = "DMY") -> date | int | None:
    """A date of birth typed in a search (2001-04-03, or 03/04/2001 in the clinic's order), or a year."""
    text = text.strip()
    if _YEAR.fullmatch(text):
        return int(text)
    if match := _ISO_DAY.fullmatch(text):
        year, month, day = (int(part) for part in match.groups())
    elif match := _NUMERIC_DAY.fullmatch(text):
        first, second, year = (int(part) for part in match.groups())
        day, month = (first, second) if date_order == "DMY" else (second, first)
    else:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def patient_query(text: str = "", date_order: str = "DMY") -> Select:
    """Patients whose name or clinic reference holds every word searched, or born on the date searched.

    Case and accents do not count: "lucia" finds "Lucía", "PETROVIC" finds "Petrović" (the folded
    `search_key` is compared, on both databases).
    """
    query = select(Patient)
    text = " ".join((text or "").split())
    if text:
        words = [_contains(Patient.search_key, word) for word in fold(text).split(" ")]
        matches = [and_(*words)]
        born = birth_date_in(text, date_order)
        if isinstance(born, date):
            matches.append(Patient.date_of_birth == born)
        elif isinstance(born, int):
            matches.append(extract("year", Patient.date_of_birth) == born)
        query = query.where(or_(*matches))
    return query.order_by(func.lower(Patient.name), Patient.id)


class ListedPatient(NamedTuple):
    """A row of the patient list (plain values: the page only reads them)."""

    id: int
    name: str
    reference: str | None
    date_of_birth: date | None
    allergy_status: str


class PatientPage(Pagination):
    """A page of the patient list, and how many match, from one query: a search reads every patient's
    name and reference (LIKE '%…%'), so reading them once, not twice (page, then count), halves its cost."""

    def _query_items(self) -> list[ListedPatient]:
        query = self._query_args["query"]
        columns = (Patient.id, Patient.name, Patient.reference, Patient.date_of_birth, Patient.allergy_status)
        if query.whereclause is None:  # the whole list, walked in order along the name index
            page = query.with_only_columns(*columns, func.count().over())
        else:
            # A search: the matches first, counted (PostgreSQL finds them with its trigram indexes), then
            # the page of them in name order. Asked as one ordered query, PostgreSQL would walk the name
            # index through every patient instead (14 ms against 1 ms for 20,000 patients).
            matches = query.order_by(None).with_only_columns(*columns, func.count().over().label("matches"))
            matches = matches.subquery()
            page = select(matches).order_by(func.lower(matches.c.name), matches.c.id)
        rows = db.session.execute(page.limit(self.per_page).offset(self._query_offset)).all()
        self._matches = rows[0][-1] if rows else None
        return [ListedPatient(*row[:-1]) for row in rows]

    def _query_count(self) -> int:
        if self._matches is not None:
            return self._matches
        matches = self._query_args["query"].order_by(None).subquery()
        return db.session.execute(select(func.count()).select_from(matches)).scalar_one()


def _contains(column, word: str):
    """"contains" on a folded column with a folded word: a plain LIKE on both databases (the column is
    already lower case, so no lower() or ILIKE on every row; PostgreSQL's trigram index serves LIKE)."""
    pattern = "%" + word.replace("/", "//").replace("%", "/%").replace("_", "/_") + "%"
    return column.like(pattern, escape="/")


@dataclass(frozen=True)
class Duplicate:
    """An existing patient with the same name (case and accents aside) and date of birth."""

    id: int
    name: str
    date_of_birth: date
    reference: str | None

    def as_json(self) -> dict:
        return {"id": self.id, "name": self.name, "date_of_birth": self.date_of_birth, "reference": self.reference}


def possible_duplicates(name: str, born: date | None, *, other_than: int | None = None) -> list[Duplicate]:
    """Patients who may be this one entered again: the same folded name and the same date of birth."""
    folded = fold(name)
    if not folded or born is None:
        return []
    escaped = folded.replace("/", "//").replace("%", "/%").replace("_", "/_")
    query = (
        select(Patient.id, Patient.name, Patient.date_of_birth, Patient.reference)
        .where(Patient.date_of_birth == born,
               or_(Patient.search_key == folded, Patient.search_key.like(escaped + " | %", escape="/")))
        .order_by(Patient.id).limit(10)
    )
    if other_than is not None:
        query = query.where(Patient.id != other_than)
    return [Duplicate(row.id, row.name, born, row.reference) for row in db.session.execute(query)]


def active_allergy_counts(patient_ids) -> dict[int, int]:
    """How many active allergies each patient has: one query for a whole page."""
    patient_ids = list(patient_ids)
    if not patient_ids:
        return {}
    query = (
        select(Allergy.patient_id, func.count(Allergy.id))
        .where(Allergy.patient_id.in_(patient_ids), Allergy.status == ClinicalStatus.ACTIVE)
        .group_by(Allergy.patient_id)
    )
    return dict(db.session.execute(query).all())


def load_patient(patient_id: int) -> Patient | None:
    """A patient with allergies (and what they are coded to, and who recorded them) and conditions."""
    query = (
        select(Patient)
        .where(Patient.id == patient_id)
        .options(
            selectinload(Patient.allergies).selectinload(Allergy.substance),
            selectinload(Patient.allergies).selectinload(Allergy.group),
            selectinload(Patient.allergies).selectinload(Allergy.recorded_by),
            selectinload(Patient.conditions).selectinload(PatientCondition.condition),
        )
    )
    return db.session.scalar(query)


def all_conditions() -> list[Condition]:
    """The reference list of conditions, by name, for the patient form."""
    return list(db.session.scalars(select(Condition).order_by(func.lower(Condition.name))))


@dataclass(frozen=True)
class Suggestion:
    """One allergen the type-ahead offers: the name matched and the substance or group it codes to."""

    name: str
    kind: str  # AllergyKind.SUBSTANCE or AllergyKind.GROUP
    target_id: int
    resolves_to: str
    synonym: bool

    @property
    def label(self) -> str:
        if self.synonym:
            return f"{self.name} → {self.resolves_to} ({self.kind})"
        return f"{self.name} ({self.kind})"

    def as_json(self) -> dict:
        return {
            "name": self.name, "kind": self.kind, "id": self.target_id, "resolves_to": self.resolves_to,
            "value": self.resolves_to, "label": self.label,
        }


def _rank(key: str, name: str, name_key: str) -> int:
    """0 for an exact match, 1 when the name starts with it, 2 when a word does, 3 anywhere inside."""
    if name_key == key:
        return 0
    if name_key.startswith(key):
        return 1
    if any(normalize_name(word).startswith(key) for word in re.split(r"[\s\-(),/]+", name)):
        return 2
    return 3


def allergen_suggestions(text: str, limit: int = SUGGESTIONS) -> list[Suggestion]:
    """Substances and allergen groups whose name or a synonym contains the text, best matches first.

    Matching ignores case, spaces, hyphens and accents, as the allergy is resolved when saved;
    each substance or group appears once, under the name that matched it best.
    """
    key = normalize_name(text or "")
    if not key:
        return []
    sources = [
        (select(Substance.name, Substance.key, Substance.id, Substance.name.label("target")),
         AllergyKind.SUBSTANCE, False),
        (select(SubstanceSynonym.name, SubstanceSynonym.key, Substance.id, Substance.name)
         .join(Substance, Substance.id == SubstanceSynonym.substance_id), AllergyKind.SUBSTANCE, True),
        (select(AllergenGroup.name, AllergenGroup.key, AllergenGroup.id, AllergenGroup.name.label("target")),
         AllergyKind.GROUP, False),
        (select(GroupSynonym.name, GroupSynonym.key, AllergenGroup.id, AllergenGroup.name)
         .join(AllergenGroup, AllergenGroup.id == GroupSynonym.group_id), AllergyKind.GROUP, True),
    ]
    best: dict[tuple[str, int], tuple[tuple, Suggestion]] = {}
    for query, kind, synonym in sources:
        name_column, key_column = query.selected_columns[0], query.selected_columns[1]
        # Shorter keys first: they are the likelier exact and prefix matches when there are many.
        query = query.where(key_column.contains(key)).order_by(func.length(key_column), name_column)
        for name, name_key, target_id, target in db.session.execute(query.limit(CANDIDATES)):
            score = (_rank(key, name, name_key), synonym, len(name), name.casefold())
            suggestion = Suggestion(name, kind, target_id, target, synonym)
            held = best.get((kind, target_id))
            if held is None or score < held[0]:
                best[(kind, target_id)] = (score, suggestion)
    ranked = sorted(best.values(), key=lambda pair: pair[0])
    return [suggestion for _score, suggestion in ranked[:limit]]
