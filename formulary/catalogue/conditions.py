"""Adding a clinic's own condition with its synonyms and its caution for every session: a function that flushes."""

from formulary.audit.log import record
from formulary.catalogue.errors import CatalogueError
from formulary.catalogue.lookup import find_condition
from formulary.catalogue.models import Condition, ConditionSynonym
from formulary.extensions import db
from formulary.reference.names import display_name, normalize_name
from formulary.vocabulary import Origin


def add_condition(name: str, *, description: str = "", session_caution: str = "", synonyms=(), actor) -> Condition:
    """Add a clinic's own condition; refuse a name or synonym another condition already goes by.

    `session_caution`, when given, is shown as a caution at every session of a patient who has it
    (as for pregnancy), whatever the products say.
    """
    errors: list[tuple[str, str]] = []
    name = display_name(name or "")
    if not normalize_name(name):
        errors.append(("name", "A condition's name is required."))
    elif len(name) > 120:
        errors.append(("name", "The condition's name is longer than 120 characters."))
    elif (owner := find_condition(name)) is not None:
        errors.append(("name", f"{name!r} already names the condition {owner.name}."))
    kept, seen = [], {normalize_name(name)}
    for text in synonyms:
        synonym = display_name(text or "")
        key = normalize_name(synonym)
        if not key or key in seen:
            continue
        seen.add(key)
        if len(synonym) > 120:
            errors.append(("synonyms", f"The synonym {synonym[:40]!r}… is longer than 120 characters."))
        elif (owner := find_condition(synonym)) is not None:
            errors.append(("synonyms", f"The synonym {synonym!r} already names the condition {owner.name}."))
        else:
            kept.append(ConditionSynonym(name=synonym, key=key, origin=Origin.CLINIC))
    if errors:
        raise CatalogueError(errors)
    condition = Condition(name=name, key=normalize_name(name), description=(description or "").strip(),
                          session_caution=(session_caution or "").strip(), origin=Origin.CLINIC)
    condition.synonyms = kept
    db.session.add(condition)
    db.session.flush()
    record("condition.create", actor=actor, target=condition, detail=condition.name)
    return condition
