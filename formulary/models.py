"""Every model, imported in one place so Alembic and create_all see all tables."""

from formulary.audit.models import AuditEvent, AuditTally
from formulary.auth.models import ApiToken, LoginThrottle, User
from formulary.catalogue.models import (
    AllergenGroup,
    Condition,
    ConditionSynonym,
    CrossReaction,
    GroupSynonym,
    Product,
    ProductComponent,
    ProductContraindication,
    Substance,
    SubstanceSynonym,
    Supplier,
    TreatmentGoal,
)
from formulary.cocktails.models import Cocktail, CocktailComponent, CocktailVersion
from formulary.cocktails.procedure_models import CocktailProcedureItem, ProcedureKitItem
from formulary.patients.models import Allergy, Patient, PatientCondition, PatientConditionText
from formulary.purchasing.models import OrderLine, OrderReceipt, PurchaseOrder
from formulary.reports.models import DigestSend
from formulary.spreadsheets.models import PendingUpload
from formulary.stock.models import Lot, StockImport, StockMovement
from formulary.stock.opened_models import OpenedUnit
from formulary.stock.outflow_models import DailyOutflow, ProductOutflow, SessionDayCost
from formulary.treatments.consent_models import Consent, ConsentWording
from formulary.treatments.course_models import Course
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
    "CocktailProcedureItem",
    "CocktailVersion",
    "Condition",
    "ConditionSynonym",
    "Consent",
    "ConsentWording",
    "Course",
    "CrossReaction",
    "DailyOutflow",
    "DigestSend",
    "GroupSynonym",
    "LoginThrottle",
    "Lot",
    "OpenedUnit",
    "Override",
    "Patient",
    "PatientCondition",
    "PatientConditionText",
    "PendingUpload",
    "ProcedureKitItem",
    "Preparation",
    "PreparationDraw",
    "Product",
    "ProductOutflow",
    "ProductComponent",
    "ProductContraindication",
    "Reaction",
    "SafetyCheck",
    "SessionDayCost",
    "SessionDraw",
    "StockImport",
    "StockMovement",
    "Substance",
    "SubstanceSynonym",
    "Supplier",
    "OrderLine",
    "OrderReceipt",
    "PurchaseOrder",
    "TreatmentGoal",
    "TreatmentSession",
    "User",
]
