"""Patients with the minimum needed: identity, allergies (FHIR AllergyIntolerance fields), conditions."""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from formulary.catalogue.models import AllergenGroup, Condition, Substance
from formulary.db import one_of, utcnow
from formulary.extensions import Model
from formulary.patients.folding import search_key
from formulary.vocabulary import (
    AllergyCategory,
    AllergyHistory,
    AllergyType,
    ClinicalStatus,
    Criticality,
    SkinType,
    VerificationStatus,
)

# The allowed values as lists, for the validators that still import them from here.
ALLERGY_STATUSES: list[str] = list(AllergyHistory)
CRITICALITIES: list[str] = list(Criticality)
CLINICAL_STATUSES: list[str] = list(ClinicalStatus)
SKIN_TYPES: list[str] = list(SkinType)


def _search_key_of_row(context) -> str:
    """The search key of a row inserted without one (bulk inserts that bypass the model's validators)."""
    row = context.get_current_parameters()
    return search_key(row.get("name"), row.get("reference"))


class Patient(Model):
    """A patient of the clinic."""

    __tablename__ = "patient"
    __table_args__ = (
        one_of("allergy_status", AllergyHistory, "allergy_status_known"),
        Index("ix_patient_name", "name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    date_of_birth: Mapped[date | None]
    # The clinic's own patient number, unique when given.
    reference: Mapped[str | None] = mapped_column(String(40), unique=True)
    skin_type: Mapped[str] = mapped_column(String(4), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    # "none-known" is a recorded statement; "unknown" means nobody asked yet.
    allergy_status: Mapped[str] = mapped_column(String(12), default=AllergyHistory.UNKNOWN)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # How the clinic reaches the patient (a recall, a changed appointment), and whether it may.
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    contact_ok: Mapped[bool] = mapped_column(default=False)
    # The name and reference folded for search (patients/folding.py): set with them, here and on bulk inserts.
    search_key: Mapped[str] = mapped_column(String(260), default=_search_key_of_row)

    allergies: Mapped[list["Allergy"]] = relationship(back_populates="patient", order_by="Allergy.id")
    conditions: Mapped[list["PatientCondition"]] = relationship(
        back_populates="patient", cascade="all, delete-orphan"
    )
    condition_texts: Mapped[list["PatientConditionText"]] = relationship(
        back_populates="patient", cascade="all, delete-orphan", order_by="PatientConditionText.id"
    )

    @validates("name", "reference")
    def _keep_search_key(self, key: str, value: str | None) -> str | None:
        """The search key follows the name and reference whenever either changes."""
        name = value if key == "name" else self.name
        reference = value if key == "reference" else self.reference
        self.search_key = search_key(name, reference)
        return value


# The patient list is ordered by lower(name), id.
Index("ix_patient_name_lower", func.lower(Patient.name), Patient.id)
# The patient search looks for parts of the folded name and reference (LIKE '%…%' on search_key): on
# PostgreSQL a trigram index answers it without reading every patient (20,000 patients: 14 ms → about
# 1 ms). SQLite has no such index; its LIKE over the table stays a scan.
Index("ix_patient_search_key_trigram", Patient.search_key, postgresql_using="gin",
      postgresql_ops={"search_key": "gin_trgm_ops"}).ddl_if(dialect="postgresql")


class Allergy(Model):
    """An allergy or intolerance: coded as a substance or group, or free text when nothing fits."""

    __tablename__ = "allergy"
    __table_args__ = (
        CheckConstraint(
            "(CASE WHEN substance_id IS NULL THEN 0 ELSE 1 END + CASE WHEN group_id IS NULL THEN 0 ELSE 1 END"
            " + CASE WHEN text IS NULL THEN 0 ELSE 1 END) = 1",
            name="one_allergen",
        ),
        one_of("criticality", Criticality, "criticality_known"),
        one_of("status", ClinicalStatus, "status_known"),
        one_of("verification_status", VerificationStatus, "verification_status_known"),
        one_of("type", AllergyType, "type_known"),
        one_of("category", AllergyCategory, "category_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    substance_id: Mapped[int | None] = mapped_column(ForeignKey("substance.id"), index=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("allergen_group.id"), index=True)
    text: Mapped[str | None] = mapped_column(String(300))
    criticality: Mapped[str] = mapped_column(String(20), default=Criticality.UNABLE_TO_ASSESS)
    reaction: Mapped[str] = mapped_column(Text, default="")
    # The clinical status (FHIR clinicalStatus); the API also calls it `clinical_status`.
    status: Mapped[str] = mapped_column(String(10), default=ClinicalStatus.ACTIVE)
    # FHIR verificationStatus: refuted and entered-in-error are kept but never block.
    verification_status: Mapped[str] = mapped_column(
        String(16), default=VerificationStatus.CONFIRMED, server_default=VerificationStatus.CONFIRMED.value
    )
    type: Mapped[str | None] = mapped_column(String(12))  # AllergyType; None when not said
    category: Mapped[str | None] = mapped_column(String(12))  # AllergyCategory; None when not said
    onset: Mapped[date | None]
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    patient: Mapped[Patient] = relationship(back_populates="allergies")
    substance: Mapped[Substance | None] = relationship()
    group: Mapped[AllergenGroup | None] = relationship()
    recorded_by = relationship("User")

    @property
    def label(self) -> str:
        """What the patient is allergic to, as the UI names it."""
        if self.substance is not None:
            return self.substance.name
        if self.group is not None:
            return self.group.name
        return self.text or ""


class PatientCondition(Model):
    """A condition the patient has (pregnancy, anticoagulant therapy …)."""

    __tablename__ = "patient_condition"

    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"), primary_key=True)
    condition_id: Mapped[int] = mapped_column(ForeignKey("condition.id"), primary_key=True, index=True)
    noted_at: Mapped[datetime] = mapped_column(default=utcnow)

    patient: Mapped[Patient] = relationship(back_populates="conditions")
    condition: Mapped[Condition] = relationship()


class PatientConditionText(Model):
    """A condition told in words that no listed condition or synonym names ("on isotretinoin since May")."""

    __tablename__ = "patient_condition_text"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(String(300))
    noted_at: Mapped[datetime] = mapped_column(default=utcnow)

    patient: Mapped[Patient] = relationship(back_populates="condition_texts")
