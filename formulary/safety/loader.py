"""Building the check's plain facts from the database, in a fixed handful of queries."""

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from formulary.catalogue.models import AllergenGroup, CrossReaction, Product, ProductComponent, Substance
from formulary.cocktails.models import CocktailComponent, CocktailVersion
from formulary.cocktails.stock import lot_stocks
from formulary.extensions import db
from formulary.patients.models import Allergy, Patient, PatientCondition
from formulary.safety.check import run_check
from formulary.safety.facts import (
    AllergyFact,
    CheckResult,
    ComponentFact,
    ConditionFact,
    ContraindicationFact,
    CrossReactionFact,
    IngredientFact,
    PatientFacts,
    SubstanceFact,
    ToleranceFact,
)
from formulary.stock.fefo import plan_draw
from formulary.treatments.models import Reaction, SessionDraw, TreatmentSession


def patient_facts(patient_id: int) -> PatientFacts:
    """The patient's allergy history, allergies, conditions and what they tolerated before."""
    patient = db.session.scalar(
        select(Patient).where(Patient.id == patient_id).options(
            selectinload(Patient.allergies).selectinload(Allergy.substance).selectinload(Substance.groups),
            selectinload(Patient.allergies).selectinload(Allergy.group).selectinload(AllergenGroup.members),
            selectinload(Patient.conditions).selectinload(PatientCondition.condition),
        )
    )
    allergies = tuple(
        AllergyFact(
            id=a.id, kind="substance" if a.substance else "group" if a.group else "text",
            ref_id=a.substance_id or a.group_id, name=a.label, criticality=a.criticality,
            status=a.status, recorded_on=a.recorded_at.date(), reaction=a.reaction,
            group_ids=frozenset(g.id for g in a.substance.groups) if a.substance else frozenset(),
            member_ids=frozenset(m.id for m in a.group.members) if a.group else frozenset(),
        )
        for a in patient.allergies
    )
    with_reaction = select(Reaction.session_id)
    tolerated = db.session.execute(
        select(SessionDraw.product_id, TreatmentSession.scheduled_for)
        .join(TreatmentSession, SessionDraw.session_id == TreatmentSession.id)
        .where(TreatmentSession.patient_id == patient_id, TreatmentSession.status == "administered",
               TreatmentSession.id.not_in(with_reaction))
        .distinct()
    )
    return PatientFacts(
        allergy_status=patient.allergy_status,
        allergies=allergies,
        conditions=tuple(ConditionFact(pc.condition.id, pc.condition.name) for pc in patient.conditions),
        tolerated=tuple(ToleranceFact(product_id, on) for product_id, on in tolerated),
    )


def component_facts(version_id: int, on: date) -> list[ComponentFact]:
    """The version's components with compositions, contraindications and the FEFO plan for the day."""
    version = db.session.scalar(
        select(CocktailVersion).where(CocktailVersion.id == version_id).options(
            selectinload(CocktailVersion.components).selectinload(CocktailComponent.product)
            .selectinload(Product.composition).selectinload(ProductComponent.substance)
            .selectinload(Substance.groups),
            selectinload(CocktailVersion.components).selectinload(CocktailComponent.product)
            .selectinload(Product.contraindications),
        )
    )
    lots = lot_stocks(c.product_id for c in version.components)
    facts = []
    for component in version.components:
        product = component.product
        facts.append(ComponentFact(
            position=component.position + 1, product_id=product.id, product_name=product.name, unit=product.unit,
            composition=tuple(
                IngredientFact(SubstanceFact(pc.substance.id, pc.substance.name,
                                             frozenset(g.id for g in pc.substance.groups)), pc.role, pc.strength)
                for pc in product.composition
            ),
            contraindications=tuple(
                ContraindicationFact(ci.condition_id, ci.condition.name, ci.severity)
                for ci in product.contraindications
            ),
            plan=plan_draw(lots.get(product.id, ()), component.amount, on, margin_days=product.expiry_margin_days,
                           single_use=product.single_use, unit_size=product.unit_size if product.single_use else None),
        ))
    return facts


def cross_reaction_facts() -> list[CrossReactionFact]:
    """Every cross-reaction row, clinic and reference alike."""
    rows = db.session.scalars(select(CrossReaction).options(
        selectinload(CrossReaction.source_group), selectinload(CrossReaction.source_substance),
        selectinload(CrossReaction.target_group), selectinload(CrossReaction.target_substance),
    ))
    facts = []
    for row in rows:
        source = ("group", row.source_group) if row.source_group else ("substance", row.source_substance)
        target = ("group", row.target_group) if row.target_group else ("substance", row.target_substance)
        facts.append(CrossReactionFact(source[0], source[1].id, source[1].name,
                                       target[0], target[1].id, target[1].name, row.strength))
    return facts


def check_patient(patient_id: int, version_id: int, on: date) -> CheckResult:
    """Run the pre-session check for a patient, a cocktail version and a day, from the database."""
    return run_check(patient_facts(patient_id), component_facts(version_id, on), cross_reaction_facts(), on=on)
