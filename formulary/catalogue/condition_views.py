"""Catalogue pages: the conditions a check reads (the reference library's and the clinic's own), and adding one."""

from flask import render_template, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from formulary.auth.access import permission_required
from formulary.auth.permissions import Permission
from formulary.auth.session import current_actor
from formulary.catalogue.blueprint import bp
from formulary.catalogue.conditions import add_condition
from formulary.catalogue.forms import ConditionForm
from formulary.catalogue.models import Condition
from formulary.catalogue.views import adding
from formulary.extensions import db


@bp.route("/conditions")
def conditions():
    """Every condition with its synonyms and the caution it gives at every session, if any."""
    rows = db.session.scalars(
        select(Condition).options(selectinload(Condition.synonyms)).order_by(func.lower(Condition.name))
    ).all()
    return render_template("catalogue/conditions.html", conditions=rows)


@bp.route("/conditions/new", methods=["GET", "POST"])
@permission_required(Permission.EDIT_CATALOGUE)
def new_condition():
    """Add a clinic's own condition: its other names, and what every session of a patient with it must heed."""
    form = ConditionForm()

    def add():
        condition = add_condition(form.name.data, description=form.description.data,
                                  session_caution=form.session_caution.data, synonyms=form.synonym_list(),
                                  actor=current_actor())
        page = url_for("catalogue.conditions", _anchor=f"condition-{condition.id}")
        return f"Condition {condition.name} added.", page

    return adding(form, add, "catalogue/condition_new.html")
