"""Treatment goal pages: the reference library's goals and the clinic's own, and adding one."""

from flask import flash, redirect, render_template, url_for

from formulary.auth.access import permission_required
from formulary.auth.permissions import Permission
from formulary.auth.session import current_actor
from formulary.cocktails import queries
from formulary.cocktails.blueprint import bp
from formulary.cocktails.forms import GoalForm
from formulary.cocktails.goals import add_goal
from formulary.cocktails.recipes import CocktailError
from formulary.extensions import db


@bp.route("/goals")
def goals():
    """Every treatment goal with its description and how many cocktails aim at it."""
    return render_template("cocktails/goals.html", goals=queries.goal_counts(), form=GoalForm())


@bp.route("/goals", methods=["POST"])
@permission_required(Permission.EDIT_COCKTAILS)
def new_goal():
    """Add a clinic's own treatment goal."""
    form = GoalForm()
    if form.validate():
        try:
            goal = add_goal(form.name.data, form.description.data, actor=current_actor())
        except CocktailError as error:
            form.name.errors = [*form.name.errors, *(message for _field, message in error.errors)]
        else:
            db.session.commit()
            flash(f"Treatment goal {goal.name} added.", "success")
            return redirect(url_for("cocktails.goals"))
    return render_template("cocktails/goals.html", goals=queries.goal_counts(), form=form)
