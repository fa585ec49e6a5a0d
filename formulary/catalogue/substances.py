"""Adding a clinic's own substances and allergen groups: plain functions that flush."""

from sqlalchemy import select

from formulary.audit.log import record
from formulary.catalogue.errors import CatalogueError
from formulary.catalogue.lookup import find_group
from formulary.catalogue.models import AllergenGroup, Substance, SubstanceSynonym
from formulary.extensions import db
from formulary.reference.library import SubstanceCategory
from formulary.reference.names import display_name, normalize_name
from formulary.vocabulary import Origin


def key_owner(key: str) -> str | None:
    """Say which substance already uses a matching key, as a phrase, or None if it is free."""
    substance = db.session.scalar(select(Substance).where(Substance.key == key))
    if substance is not None:
        return f"the name of the substance {substance.name}"
    synonym = db.session.scalar(select(SubstanceSynonym).where(SubstanceSynonym.key == key))
    if synonym is not None:
        return f"a synonym ({synonym.name}) of {synonym.substance.name}"
    return None


def _name(text: str, field: str, label: str, errors: list) -> str | None:
    name = display_name(text or "")
    if not name:
        errors.append((field, f"{label} is required."))
    elif len(name) > 200:
        errors.append((field, f"{label} is longer than 200 characters."))
    elif not normalize_name(name):
        errors.append((field, f"{label} {name!r} has no letters or digits to match on."))
    else:
        return name
    return None


def add_substance(name: str, *, category: str, synonyms=(), groups=(), actor) -> Substance:
    """Add a clinic's own substance with its synonyms and groups; refuse any name already in use."""
    errors: list[tuple[str, str]] = []
    name = _name(name, "name", "A substance name", errors) or ""  # "" only with an error, so never saved
    if name and (owner := key_owner(normalize_name(name))):
        errors.append(("name", f"{name!r} is already {owner}."))
    if category not in tuple(SubstanceCategory):
        errors.append(("category", f"Unknown category {category!r}."))

    kept, seen = [], {normalize_name(name)} if name else set()
    for text in synonyms:
        synonym = display_name(text or "")
        key = normalize_name(synonym)
        if not synonym or key in seen:  # blank lines and repeats of the same name are dropped
            continue
        seen.add(key)
        if len(synonym) > 200:
            errors.append(("synonyms", f"The synonym {synonym[:40]!r}… is longer than 200 characters."))
        elif owner := key_owner(key):
            errors.append(("synonyms", f"The synonym {synonym!r} is already {owner}."))
        else:
            kept.append(SubstanceSynonym(name=synonym, key=key, origin=Origin.CLINIC))

    group_rows = _groups(groups, errors)
    if errors:
        raise CatalogueError(errors)
    substance = Substance(name=name, key=normalize_name(name), category=category, origin=Origin.CLINIC)
    substance.synonyms = kept
    substance.groups = group_rows
    db.session.add(substance)
    db.session.flush()
    record("substance.create", actor=actor, target=substance, detail=substance.name)
    return substance


def _groups(ids, errors: list) -> list[AllergenGroup]:
    ids = {int(i) for i in ids}
    rows = list(db.session.scalars(select(AllergenGroup).where(AllergenGroup.id.in_(ids)))) if ids else []
    missing = ids - {group.id for group in rows}
    if missing:
        errors.append(("groups", f"Unknown allergen group id {', '.join(map(str, sorted(missing)))}."))
    return rows


def add_group(name: str, *, description: str = "", members=(), actor) -> AllergenGroup:
    """Add a clinic's own allergen group with the substances it contains."""
    errors: list[tuple[str, str]] = []
    name = _name(name, "name", "A group name", errors) or ""  # "" only with an error, so never saved
    if name and (clash := find_group(name)) is not None:
        if clash.key == normalize_name(name):
            errors.append(("name", f"{name!r} is already the allergen group {clash.name}."))
        else:
            errors.append(("name", f"{name!r} is already a synonym of the allergen group {clash.name}."))
    ids = {int(i) for i in members}
    rows = list(db.session.scalars(select(Substance).where(Substance.id.in_(ids)))) if ids else []
    missing = ids - {substance.id for substance in rows}
    if missing:
        errors.append(("members", f"Unknown substance id {', '.join(map(str, sorted(missing)))}."))
    if errors:
        raise CatalogueError(errors)
    group = AllergenGroup(
        name=name, key=normalize_name(name), description=(description or "").strip(), origin=Origin.CLINIC
    )
    group.members = sorted(rows, key=lambda s: s.name.casefold())
    db.session.add(group)
    db.session.flush()
    record("allergen_group.create", actor=actor, target=group, detail=group.name)
    return group
