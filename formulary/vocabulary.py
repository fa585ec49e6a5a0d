"""The domain's closed sets of words, as stored in the database: one StrEnum for each, nothing else.

The bottom layer: no Flask, no SQLAlchemy, importable by the pure core. Each value is exactly the
string stored today; a CHECK constraint (formulary.db.one_of) and every list of allowed values are
built from these enums, in their order.
"""

from enum import StrEnum


class LotStatus(StrEnum):
    """The status stored on a lot; only an available lot may be drawn from."""

    AVAILABLE = "available"
    QUARANTINED = "quarantined"
    RECALLED = "recalled"


class LotDisplayStatus(StrEnum):
    """The one status a lot shows: its stored status, or expiring/expired, which follow from the date."""

    AVAILABLE = "available"
    EXPIRING = "expiring"
    EXPIRED = "expired"
    QUARANTINED = "quarantined"
    RECALLED = "recalled"


class MovementKind(StrEnum):
    """What a line of the stock ledger records: a change of quantity, or a change of status (quantity 0)."""

    RECEIVE = "receive"
    ADMINISTER = "administer"
    WASTE = "waste"
    ADJUST = "adjust"
    RETURN = "return"
    QUARANTINE = "quarantine"
    RELEASE = "release"
    RECALL = "recall"

    @property
    def changes_quantity(self) -> bool:
        """Whether the movement changes the quantity on hand (the status kinds never do)."""
        return self in QUANTITY_KINDS


QUANTITY_KINDS = frozenset({
    MovementKind.RECEIVE, MovementKind.ADMINISTER, MovementKind.WASTE, MovementKind.ADJUST, MovementKind.RETURN,
})
STATUS_KINDS = frozenset({MovementKind.QUARANTINE, MovementKind.RELEASE, MovementKind.RECALL})


class ImportMode(StrEnum):
    """How a stock workbook is applied: a delivery adds lots and stock, a stocktake sets what was counted."""

    DELIVERY = "delivery"
    STOCKTAKE = "stocktake"


class Origin(StrEnum):
    """Where a catalogue entry comes from: the reference library, or the clinic's own."""

    REFERENCE = "reference"
    CLINIC = "clinic"


class ProductCategory(StrEnum):
    """What kind of product the clinic stocks."""

    HYALURONIC_ACID = "hyaluronic acid"
    VITAMIN = "vitamin"
    ANTIOXIDANT = "antioxidant"
    AMINO_ACID = "amino acid"
    PEPTIDE = "peptide"
    MINERAL = "mineral"
    ANAESTHETIC = "anaesthetic"
    DILUENT = "diluent"
    OTHER = "other"


class ComponentRole(StrEnum):
    """The part a substance plays in a product's composition."""

    ACTIVE = "active"
    EXCIPIENT = "excipient"


class EntryKind(StrEnum):
    """Whether a cross-reaction side names an allergen group or a substance."""

    GROUP = "group"
    SUBSTANCE = "substance"


class Strength(StrEnum):
    """How strongly a cross-reaction is established.

    high: expected, treat like the allergy itself; moderate: documented and clinically
    relevant; low: possible or rarely reported, worth showing but not acting on alone.
    """

    # A contraindication printed on a product's label ("do not use in patients allergic to fish"):
    # the manufacturer's own word, so it blocks like a direct allergy whatever the evidence behind it.
    # Listed first: the strongest, as in the rest of the enum (strongest first).
    LABELLED = "labelled"
    HIGH = "high"
    MODERATE = "moderate"
    LOW = "low"

    @property
    def rank(self) -> int:
        """Order strengths so that the strongest sorts last."""
        return {"low": 1, "moderate": 2, "high": 3, "labelled": 4}[self.value]


class ContraindicationSeverity(StrEnum):
    """What a product's contraindication does to a check: rule the product out, or call for care."""

    BLOCK = "block"
    CAUTION = "caution"


class AllergyHistory(StrEnum):
    """What is known of a patient's allergies: "none-known" is a statement, "unknown" means nobody asked."""

    UNKNOWN = "unknown"
    NONE_KNOWN = "none-known"
    RECORDED = "recorded"


class AllergyKind(StrEnum):
    """How an allergy is recorded: coded to a substance or an allergen group, or free text."""

    SUBSTANCE = "substance"
    GROUP = "group"
    TEXT = "text"


class Criticality(StrEnum):
    """The allergy's criticality (FHIR AllergyIntolerance.criticality)."""

    LOW = "low"
    HIGH = "high"
    UNABLE_TO_ASSESS = "unable-to-assess"


class ClinicalStatus(StrEnum):
    """Whether an allergy is current (FHIR clinicalStatus); only an active one blocks."""

    ACTIVE = "active"
    INACTIVE = "inactive"
    RESOLVED = "resolved"


class SkinType(StrEnum):
    """The Fitzpatrick skin type."""

    I = "I"  # noqa: E741 - the scale's own numeral
    II = "II"
    III = "III"
    IV = "IV"
    V = "V"
    VI = "VI"


class SessionStatus(StrEnum):
    """Where a treatment session stands."""

    PLANNED = "planned"
    CHECKED = "checked"
    ADMINISTERED = "administered"
    CANCELLED = "cancelled"


OPEN_SESSION_STATUSES = (SessionStatus.PLANNED, SessionStatus.CHECKED)


class CheckOutcome(StrEnum):
    """The outcome of a pre-session check, from its worst finding."""

    CLEAR = "clear"
    CAUTION = "caution"
    BLOCKED = "blocked"


class FindingSeverity(StrEnum):
    """How much a finding weighs, worst first: block, caution, info."""

    BLOCK = "block"
    CAUTION = "caution"
    INFO = "info"

    @property
    def outcome(self) -> CheckOutcome:
        """The outcome of a check whose worst finding has this severity."""
        return {"block": CheckOutcome.BLOCKED, "caution": CheckOutcome.CAUTION, "info": CheckOutcome.CLEAR}[self]


class FindingKind(StrEnum):
    """What a finding of the pre-session check is about."""

    ALLERGY = "allergy"
    CROSS_REACTION = "cross-reaction"
    UNMATCHED_ALLERGY = "unmatched-allergy"
    ALLERGY_HISTORY_UNKNOWN = "allergy-history-unknown"
    CONTRAINDICATION = "contraindication"
    STOCK = "stock"
    DOSE = "dose"
    TEXT_MATCH = "text-match"  # a free-text allergy names a substance of what is checked: block
    CONDITION = "condition"  # a general caution (pregnancy, breastfeeding) whatever the products say

    OPENED_LAPSED = "opened-lapsed"  # only a lapsed opened unit could serve: blocks like stock


class ReactionSeverity(StrEnum):
    """How severe a reaction noticed after a session was."""

    MILD = "mild"
    MODERATE = "moderate"
    SEVERE = "severe"


class ThrottleScope(StrEnum):
    """What one counter of failed logins counts."""

    ACCOUNT_FROM_ADDRESS = "account from address"  # locks that address out of that account
    ADDRESS = "address"  # locks an address that tries many accounts out of all of them
    ACCOUNT = "account"  # never locks: tells the admins the account is under attack


# --- Allergy certainty (FHIR AllergyIntolerance), helper "check" ---------------------------------


class VerificationStatus(StrEnum):
    """How certain an allergy is (FHIR verificationStatus); refuted and entered-in-error never block."""

    UNCONFIRMED = "unconfirmed"
    CONFIRMED = "confirmed"
    REFUTED = "refuted"
    ENTERED_IN_ERROR = "entered-in-error"


class AllergyType(StrEnum):
    """An immune allergy or a non-immune intolerance (FHIR AllergyIntolerance.type)."""

    ALLERGY = "allergy"
    INTOLERANCE = "intolerance"


class AllergyCategory(StrEnum):
    """What the allergen is (FHIR AllergyIntolerance.category)."""

    MEDICATION = "medication"
    FOOD = "food"
    ENVIRONMENT = "environment"
    BIOLOGIC = "biologic"


class FindingPlace(StrEnum):
    """Where an exposure the check reads is: in the cocktail, or among the procedure items (kit)."""

    COCKTAIL = "cocktail"
    PROCEDURE = "procedure"

# --- procedure items, the kit and dose (helper kit) ---------------------------------------------

class ProcedureUse(StrEnum):
    """What a procedure item is for: it touches the patient without being injected."""

    TOPICAL_ANAESTHETIC = "topical anaesthetic"
    ANTISEPTIC = "antiseptic"
    GLOVES = "gloves"
    DRESSING = "dressing"
    OTHER = "other"

    @property
    def words(self) -> str:
        """How a practitioner names the item in a sentence: "in the numbing cream: …"."""
        return {"topical anaesthetic": "numbing cream", "other": "procedure items"}.get(self.value, self.value)

# Counting and units people count (helper "count") ---------------------------------------


class PackageKind(StrEnum):
    """What one unit of a product is, as people count it on the shelf: 12 vials, 3 boxes."""

    VIAL = "vial"
    AMPOULE = "ampoule"
    SYRINGE = "syringe"
    CARTRIDGE = "cartridge"
    BOTTLE = "bottle"
    TUBE = "tube"
    SACHET = "sachet"
    BOX = "box"
    PIECE = "piece"

# --- purchasing (helper "orders") ---------------------------------------------------------------

class OrderStatus(StrEnum):
    """Where a purchase order stands: edited as a draft, then sent (never edited again), then received."""

    DRAFT = "draft"
    SENT = "sent"
    PARTLY_RECEIVED = "partly-received"
    RECEIVED = "received"

# --- courses and consent (helper "course") ---


class ConsentMethod(StrEnum):
    """How the patient signed the consent for a session."""

    ON_SCREEN = "on-screen"  # drawn on the tablet's signature pad; the PNG is kept
    PAPER = "paper"  # signed on the printed sheet, which the clinic files

# --- opened units and preparations (helper "opened") ---------------------------------------

class PreparationStatus(StrEnum):
    """Where a prepared syringe stands: prepared and waiting, administered, or wasted with a reason."""

    PREPARED = "prepared"
    ADMINISTERED = "administered"
    WASTED = "wasted"

