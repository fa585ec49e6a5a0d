"""Recording an allergy told in words: what to propose, and the allergy as the user accepted it.

Nothing is coded silently: words that are exactly a name or synonym code at once; anything else is
read, and the entries it names are proposed for the user to choose, or the words kept as free text.
"""

from dataclasses import replace

from formulary.catalogue.lookup import find_group, find_substance
from formulary.catalogue.models import AllergenGroup, Substance
from formulary.extensions import db
from formulary.patients.reading import is_ambiguous, read_allergy
from formulary.patients.records import AllergyData, PatientError
from formulary.reference.matcher import Mentions
from formulary.vocabulary import AllergyKind


def proposal(text: str) -> Mentions | None:
    """What to propose before recording typed words: None when they code at once (exactly a name or
    synonym) or name nothing; else what the words name, and the ambiguous words, for the user to choose."""
    text = " ".join((text or "").split())
    if not is_ambiguous(text) and (find_substance(text) or find_group(text)):
        return None
    mentions = read_allergy(text)
    return mentions if (mentions.found or mentions.ambiguous) else None


def accepted(data: AllergyData, choice: str) -> AllergyData:
    """The allergy as the user accepted it: coded to the substance or group chosen ("substance:12",
    "group:3"), the words as typed kept in the reaction note; or kept as free text ("text")."""
    kind, _, ident = choice.partition(":")
    if kind == AllergyKind.TEXT:
        return replace(data, kind=AllergyKind.TEXT)
    model = {AllergyKind.SUBSTANCE: Substance, AllergyKind.GROUP: AllergenGroup}.get(kind)  # type: ignore[call-overload]
    row = db.session.get(model, int(ident)) if model is not None and ident.isdigit() else None
    if row is None:
        raise PatientError([("allergen", "Choose one of the entries proposed, or keep the words as free text.")])
    told = f"Told as “{' '.join(data.allergen.split())}”"
    reaction = f"{data.reaction.strip()} — {told}" if data.reaction.strip() else told
    return replace(data, allergen=row.name, kind=kind, reaction=reaction)
