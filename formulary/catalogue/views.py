"""Catalogue pages: substances and allergen groups (the product form is in product_views; the product
list and a product's page, which show its lots, in stock/product_views)."""

from flask import current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select

from formulary.auth.access import permission_required
from formulary.auth.permissions import Permission
from formulary.auth.session import current_actor
from formulary.catalogue import queries
from formulary.catalogue.blueprint import bp
from formulary.catalogue.errors import CatalogueError
from formulary.catalogue.forms import GroupForm, SubstanceForm
from formulary.catalogue.models import AllergenGroup, Substance
from formulary.catalogue.substances import add_group, add_substance
from formulary.extensions import db


@bp.before_request
@permission_required(Permission.VIEW_STOCK)
def only_catalogue_readers():
    """Every page here shows the catalogue; adding and editing need more (see each view)."""


def show_errors(form, error: CatalogueError) -> list[str]:
    """Put each refused value's message on its form field; return them all for the summary."""
    for field_name, message in error.errors:
        if field_name in form:
            form[field_name].errors = [*form[field_name].errors, message]
    return [message for _field, message in error.errors]


def adding(form, add, template: str):
    """Validate the form and call `add` (the service, returning its message and the new row's page), then
    commit and go there; a refusal puts each message on its field, and the page shows them all."""
    problems = []
    if form.validate_on_submit():
        try:
            message, page = add()
        except CatalogueError as error:
            problems = show_errors(form, error)
        else:
            db.session.commit()
            flash(message, "success")
            return redirect(page)
    return render_template(template, form=form, problems=problems)


@bp.route("/")
def index():
    """The catalogue starts at its products."""
    return redirect(url_for("catalogue.products"))


@bp.route("/substances")
def substances():
    """Browse and search substances by name or synonym; filter by category."""
    text = (request.args.get("q") or "").strip()
    category = request.args.get("category") or ""
    page = db.paginate(queries.substance_query(text, category),
                       per_page=current_app.config["PER_PAGE"], error_out=False)
    matched = {s.id: queries.matched_synonym(s, text) for s in page.items}
    return render_template(
        "catalogue/substances.html", page=page, q=text, category=category, matched=matched,
        categories=queries.substance_categories(),
        any_substance=bool(text or category) or bool(page.total),
    )


@bp.route("/substances/new", methods=["GET", "POST"])
@permission_required(Permission.EDIT_CATALOGUE)
def new_substance():
    """Add a clinic's own substance with its synonyms and groups."""
    form = SubstanceForm()
    form.groups.set_choices((g.id, g.name) for g in queries.all_groups())

    def add():
        substance = add_substance(form.name.data, category=form.category.data,
                                  synonyms=(form.synonyms.data or "").splitlines(), groups=form.groups.data,
                                  actor=current_actor())
        return f"Substance {substance.name} added.", url_for("catalogue.substance", substance_id=substance.id)

    return adding(form, add, "catalogue/substance_new.html")


@bp.route("/substances/<int:substance_id>")
def substance(substance_id: int):
    """One substance: its synonyms, groups, cross-reactions and the products that contain it."""
    substance = db.get_or_404(Substance, substance_id)
    reactions = queries.cross_reactions([substance.id], [g.id for g in substance.groups])
    return render_template(
        "catalogue/substance.html", substance=substance, reactions=reactions,
        components=queries.products_containing(substance),
    )


@bp.route("/groups")
def groups():
    """Every allergen group with its members and cross-reactions."""
    rows = queries.all_groups()
    reactions = queries.cross_reactions(group_ids=[g.id for g in rows])
    by_group: dict[int, list] = {g.id: [] for g in rows}
    for reaction in reactions:
        for group_id in {reaction.source_group_id, reaction.target_group_id}:
            if group_id is not None:
                by_group.setdefault(group_id, []).append(reaction)
    return render_template("catalogue/groups.html", groups=rows, reactions=by_group)


@bp.route("/groups/new", methods=["GET", "POST"])
@permission_required(Permission.EDIT_CATALOGUE)
def new_group():
    """Add a clinic's own allergen group, its members picked from the substances."""
    form = GroupForm()
    names = select(Substance.id, Substance.name).order_by(func.lower(Substance.name))
    form.members.set_choices((row.id, row.name) for row in db.session.execute(names))

    def add():
        group = add_group(form.name.data, description=form.description.data, members=form.members.data,
                          actor=current_actor())
        return f"Allergen group {group.name} added.", url_for("catalogue.group", group_id=group.id)

    return adding(form, add, "catalogue/group_new.html")


@bp.route("/groups/<int:group_id>")
def group(group_id: int):
    """One allergen group: its members and cross-reactions."""
    group = db.get_or_404(AllergenGroup, group_id)
    return render_template(
        "catalogue/group.html", group=group, reactions=queries.cross_reactions(group_ids=[group.id])
    )
