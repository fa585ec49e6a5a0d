"""Treatment goals a clinic adds beside the reference library's nine."""

from formulary.audit.log import record
from formulary.catalogue.lookup import find_goal
from formulary.catalogue.models import CLINIC, TreatmentGoal
from formulary.cocktails.recipes import CocktailError
from formulary.extensions import db
from formulary.reference.names import display_name, normalize_name


def add_goal(name: str, description: str = "", *, actor) -> TreatmentGoal:
    """Add a clinic's own treatment goal; its name must differ from every other goal's."""
    name = display_name(name or "")
    errors = []
    if not name:
        errors.append(("name", "Give the goal a name."))
    elif len(name) > 120:
        errors.append(("name", "The name is longer than 120 characters."))
    elif not normalize_name(name):
        errors.append(("name", f"{name!r} has no letters or digits to tell it apart."))
    elif (existing := find_goal(name)) is not None:
        errors.append(("name", f"The goal {existing.name!r} already exists."))
    if errors:
        raise CocktailError(errors)
    goal = TreatmentGoal(name=name, key=normalize_name(name), description=(description or "").strip(),
                         origin=CLINIC)
    db.session.add(goal)
    db.session.flush()
    record("goal.create", actor=actor, target=goal, detail=goal.name)
    return goal
