"""What changed between two versions of a cocktail, in words a clinician reads."""

from formulary.cocktails.kit import procedure_changes
from formulary.cocktails.models import CocktailVersion
from formulary.quantity import fmt_quantity


def describe_changes(old: CocktailVersion, new: CocktailVersion) -> list[str]:
    """One sentence per change from `old` to `new`."""
    changes = []
    before = {c.product_id: c for c in old.components}
    after = {c.product_id: c for c in new.components}
    for product_id, component in after.items():
        unit = component.product.unit
        if product_id not in before:
            changes.append(f"Added {component.product.name}: {fmt_quantity(component.amount)} {unit}.")
        elif before[product_id].amount != component.amount:
            changes.append(
                f"{component.product.name}: {fmt_quantity(before[product_id].amount)} → "
                f"{fmt_quantity(component.amount)} {unit}."
            )
    for product_id, component in before.items():
        if product_id not in after:
            changes.append(f"Removed {component.product.name}.")
    kept_order = [pid for pid in before if pid in after]
    if kept_order != [pid for pid in after if pid in before]:
        changes.append("Changed the order in which components are drawn up.")
    old_goals, new_goals = {g.name for g in old.goals}, {g.name for g in new.goals}
    for goal in sorted(new_goals - old_goals):
        changes.append(f"Goal added: {goal}.")
    for goal in sorted(old_goals - new_goals):
        changes.append(f"Goal removed: {goal}.")
    if (old.series_sessions, old.series_interval_days) != (new.series_sessions, new.series_interval_days):
        changes.append(f"Series: {_series(old)} → {_series(new)}.")
    if old.notes != new.notes:
        changes.append("Notes on technique changed.")
    return changes + procedure_changes(old, new)


def _series(version: CocktailVersion) -> str:
    if not version.series_sessions:
        return "none"
    every = f" every {version.series_interval_days} days" if version.series_interval_days else ""
    return f"{version.series_sessions} sessions{every}"
