"""The composer: a new cocktail or a new version, with its summary shown as you compose."""


from flask import flash, jsonify, redirect, render_template, request, url_for

from formulary.auth.access import permission_required
from formulary.auth.permissions import Permission
from formulary.auth.session import current_actor
from formulary.clinic_time import clinic_today
from formulary.cocktails import queries
from formulary.cocktails.blueprint import bp
from formulary.cocktails.forms import MORE_ROWS, CocktailForm, new_form_data, version_form_data
from formulary.cocktails.kit import default_kit
from formulary.cocktails.models import Cocktail
from formulary.cocktails.recipes import CocktailError, create_cocktail, revise_cocktail
from formulary.cocktails.summary import RecipeSummary, load_products, summarize
from formulary.extensions import db


def form_summary(form: CocktailForm) -> RecipeSummary:
    """The summary of what the form holds now; rows without a usable amount are named in the warnings."""
    rows = form.preview_rows()
    products = load_products(product_id for _row, product_id, _amount, _typed in rows)
    pairs, skipped = [], []
    for row, product_id, amount, typed in rows:
        product = products.get(product_id)
        if product is None:
            skipped.append(f"Row {row + 1}: there is no product with id {product_id}.")
        elif amount is None:
            what = f"{typed!r} is not a positive amount" if typed else "no amount yet"
            skipped.append(f"Row {row + 1}: {product.name} has {what}, so it is left out of the totals.")
        else:
            pairs.append((product, amount))
    summary = summarize(pairs, clinic_today())
    summary.warnings = skipped + summary.warnings
    return summary


def _show_errors(form: CocktailForm, error: CocktailError) -> None:
    """Put the service's (field, message) pairs on the form: components.N.x goes to row N."""
    for field_name, message in error.errors:
        parts = field_name.split(".")
        if parts[0] == "components" and len(parts) == 3 and int(parts[1]) < len(form.components.entries):
            target = form.components.entries[int(parts[1])].form[parts[2]]
        elif parts[0] == "components":
            form.components.errors = [*form.components.errors, message]
            continue
        elif parts[0] == "procedure":  # numbered among the filled procedure rows: said above the form
            form.form_errors.append(f"Procedure items: {message}")
            continue
        elif field_name in form:
            target = form[field_name]
        else:
            form.form_errors.append(message)
            continue
        target.errors = [*target.errors, message]


def problems(form: CocktailForm) -> list[str]:
    """Every message on the form, fields and rows, for the summary at the top."""
    found = list(form.form_errors)
    for field in form:
        if field.type == "FieldList":
            found += [m for m in field.errors if isinstance(m, str)]
            for number, entry in enumerate(field, start=1):
                found += [f"Component {number}: {m}" if not m.startswith("Component") else m
                          for sub in entry.form for m in sub.errors]
        elif field.type != "CSRFTokenField":
            found += list(field.errors)
    return found


def _saved(cocktail: Cocktail | None, form: CocktailForm):
    """Create or revise through the service; commit and redirect, or None when it refused."""
    data = form.recipe_data()
    try:
        if cocktail is None:
            cocktail = create_cocktail(data, actor=current_actor())
            flash(f"Cocktail {cocktail.name} saved as version 1.", "success")
        else:
            old_name = cocktail.name
            new = revise_cocktail(cocktail, data, actor=current_actor())
            if new is not None:
                flash(f"{cocktail.name} saved as version {new.number}.", "success")
            elif cocktail.name != old_name:
                flash(f"Renamed to {cocktail.name}; the recipe did not change, so it stays version "
                      f"{cocktail.current.number}.", "info")
            else:
                flash(f"Nothing changed: {cocktail.name} stays version {cocktail.current.number}.", "info")
    except CocktailError as error:
        db.session.rollback()
        _show_errors(form, error)
        return None
    db.session.commit()
    return redirect(url_for("cocktails.detail", cocktail_id=cocktail.id))


def _composer(form: CocktailForm, cocktail: Cocktail | None):
    """Add rows, preview, or save; the summary always shows what the form holds."""
    if form.add_rows.data:
        for _ in range(MORE_ROWS):
            form.components.append_entry()
    included = [entry.form.product.data for entry in form.components]
    form.set_choices(queries.product_choices(included), [g.name for g in queries.all_goals()])
    if form.is_submitted() and form.submit.data and form.validate():
        response = _saved(cocktail, form)
        if response is not None:
            return response
    return render_template(
        "cocktails/composer.html", form=form, cocktail=cocktail, problems=problems(form),
        summary=form_summary(form), kit=default_kit(),
    )


@bp.route("/new", methods=["GET", "POST"])
@permission_required(Permission.EDIT_COCKTAILS)
def new():
    """Compose a new cocktail: it is saved as version 1."""
    form = CocktailForm(data=None if request.method == "POST" else new_form_data())
    if request.method == "GET" and request.args.get("goal"):
        form.goals.data = [request.args["goal"]]
    return _composer(form, None)


@bp.route("/<int:cocktail_id>/edit", methods=["GET", "POST"])
@permission_required(Permission.EDIT_COCKTAILS)
def edit(cocktail_id: int):
    """Change a cocktail's recipe: saving makes a new version, the old ones stay as they were."""
    cocktail = db.get_or_404(Cocktail, cocktail_id)
    if cocktail.retired:
        flash(f"{cocktail.name} is retired; bring it back before changing it.", "warning")
        return redirect(url_for("cocktails.detail", cocktail_id=cocktail.id))
    form = CocktailForm(data=None if request.method == "POST" else version_form_data(cocktail.current))
    return _composer(form, cocktail)


@bp.route("/preview", methods=["POST"])
@permission_required(Permission.EDIT_COCKTAILS)
def preview():
    """The composer's summary as JSON, with its panel's HTML, for the script that refreshes it."""
    form = CocktailForm()
    summary = form_summary(form)
    html = render_template("cocktails/_summary.html", summary=summary, composing=True)
    return jsonify({**summary.as_json(), "html": html})
