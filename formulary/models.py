"""Every model, imported in one place so Alembic and create_all see all tables."""

from formulary.audit.models import AuditEvent, AuditTally
from formulary.auth.models import ApiToken, LoginThrottle, User
from formulary.catalogue.models import (
    AllergenGroup,
    Condition,
    CrossReaction,
    GroupSynonym,
    Product,
    ProductComponent,
    ProductContraindication,
    Substance,
    SubstanceSynonym,
    TreatmentGoal,
)
from formulary.cocktails.models import Cocktail, CocktailComponent, CocktailVersion
from formulary.patients.models import Allergy, Patient, PatientCondition
from formulary.spreadsheets.models import PendingUpload
from formulary.stock.models import Lot, StockImport, StockMovement
from formulary.stock.opened_models import OpenedUnit
from formulary.treatments.models import (
    ClinicText,
    Override,
    Reaction,
    SafetyCheck,
    SessionDraw,
    TreatmentSession,
)
from formulary.treatments.preparation_models import Preparation, PreparationDraw

__all__ = [
    "AllergenGroup",
    "Allergy",
    "ApiToken",
    "AuditEvent",
    "AuditTally",
    "ClinicText",
    "Cocktail",
    "CocktailComponent",
    "CocktailVersion",
    "Condition",
    "CrossReaction",
    "GroupSynonym",
    "LoginThrottle",
    "Lot",
    "OpenedUnit",
    "Override",
    "Patient",
    "PatientCondition",
    "PendingUpload",
    "Preparation",
    "PreparationDraw",
    "Product",
    "ProductComponent",
    "ProductContraindication",
    "Reaction",
    "SafetyCheck",
    "SessionDraw",
    "StockImport",
    "StockMovement",
    "Substance",
    "SubstanceSynonym",
    "TreatmentGoal",
    "TreatmentSession",
    "User",
]
