"""Cocktail pages: browse by goal and substance, a cocktail with its availability and history, versions.

The composer (new, edit, preview) is in composer.py, the goal pages in goal_views.py, on the same blueprint.
"""

from datetime import date

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import false, func, select

from formulary.auth.access import permission_required
from formulary.auth.permissions import Permission
from formulary.auth.session import current_actor
from formulary.catalogue.lookup import find_goal, find_substance
from formulary.clinic_time import clinic_today
from formulary.cocktails import queries
from formulary.cocktails.availability import SESSION_CAP, plan_series, sessions_possible
from formulary.cocktails.blueprint import bp
from formulary.cocktails.diff import describe_changes
from formulary.cocktails.models import Cocktail
from formulary.cocktails.recipes import set_retired
from formulary.cocktails.stock import component_stocks
from formulary.cocktails.summary import load_products, summarize
from formulary.extensions import db
from formulary.money import fmt_money

# The longest series the availability form plans.
MAX_SERIES = 52


@bp.before_request
@permission_required(Permission.VIEW_COCKTAILS)
def only_cocktail_readers():
    """Every page here shows cocktails; composing and retiring need more (see each view)."""


@bp.context_processor
def helpers():
    """Money in the clinic's currency (formulary.money), and whether the product and FEFO pages exist to link to."""
    return {
        "money": lambda value: fmt_money(value, current_app.config["CURRENCY"]),
        "product_pages": "catalogue.product" in current_app.view_functions,
        "fefo_pages": "stock.fefo" in current_app.view_functions,
    }


@bp.route("/")
def index():
    """Cocktails by goal, searchable by name and by a substance (name or synonym) they contain."""
    goal_name = (request.args.get("goal") or "").strip()
    text = (request.args.get("q") or "").strip()
    substance_text = (request.args.get("substance") or "").strip()
    goal = find_goal(goal_name) if goal_name else None
    substance = find_substance(substance_text) if substance_text else None
    problems = []
    if goal_name and goal is None:
        problems.append(f"There is no treatment goal called {goal_name!r}.")
    if substance_text and substance is None:
        problems.append(f"No substance or synonym called {substance_text!r} is in the catalogue.")
    query = queries.cocktail_query(goal=goal, substance=substance, text=text)
    if problems:
        query = query.where(false())
    page = db.paginate(query, per_page=current_app.config["PER_PAGE"], error_out=False)
    versions = queries.current_versions(c.id for c in page.items)
    sources = {}
    if substance is not None:
        for cocktail_id, version in versions.items():
            sources[cocktail_id] = [
                c.product.name for c in version.components
                if any(part.substance_id == substance.id for part in c.product.composition)
            ]
    goals = queries.goal_counts()
    return render_template(
        "cocktails/index.html", page=page, versions=versions, goals=goals, goal=goal, q=text,
        substance_text=substance_text, substance=substance, sources=sources, problems=problems,
        filtered=bool(goal_name or text or substance_text),
        total=db.session.scalar(select(func.count()).select_from(Cocktail)),
    )


def _day(text: str | None, problems: list[str]) -> date:
    if text:
        try:
            return date.fromisoformat(text)
        except ValueError:
            problems.append(f"{text!r} is not a date: write it YYYY-MM-DD.")
    return clinic_today()


def _count(name: str, label: str, default: int | None, top: int, problems: list[str]) -> int | None:
    text = (request.args.get(name) or "").strip()
    if name not in request.args:
        return default
    if not text:
        return None
    if not text.isdigit() or not 1 <= int(text) <= top:
        problems.append(f"{label} must be a whole number from 1 to {top} (got {text!r}).")
        return default
    return int(text)


@bp.route("/<int:cocktail_id>")
def detail(cocktail_id: int):
    """A cocktail: its current recipe, substances, cost, availability on a day, and its history."""
    cocktail = db.get_or_404(Cocktail, cocktail_id)
    versions = queries.versions_of(cocktail)
    current = versions[-1]
    problems: list[str] = []
    on = _day(request.args.get("on"), problems)
    sessions = _count("sessions", "Sessions", current.series_sessions, MAX_SERIES, problems)
    every = _count("every", "Days between sessions", current.series_interval_days, 365, problems)
    load_products(c.product_id for c in current.components)
    summary = summarize([(c.product, c.amount) for c in current.components], clinic_today())
    stocks = component_stocks(current)
    availability = sessions_possible(stocks, on)
    series = plan_series(stocks, on, sessions, every) if sessions and every else None
    history = [(v, describe_changes(versions[i - 1], v) if i else []) for i, v in enumerate(versions)]
    return render_template(
        "cocktails/detail.html", cocktail=cocktail, version=current, summary=summary,
        availability=availability, series=series, sessions=sessions, every=every, on=on,
        problems=problems, history=list(reversed(history)), cap=SESSION_CAP, today=clinic_today(),
    )


def _version(versions, number: int):
    found = next((v for v in versions if v.number == number), None)
    if found is None:
        abort(404)
    return found


@bp.route("/<int:cocktail_id>/versions/<int:number>")
def version(cocktail_id: int, number: int):
    """One version as it was saved, read-only: what past sessions with it contained."""
    cocktail = db.get_or_404(Cocktail, cocktail_id)
    versions = queries.versions_of(cocktail)
    shown = _version(versions, number)
    previous = next((v for v in versions if v.number == number - 1), None)
    load_products(c.product_id for c in shown.components)
    summary = summarize([(c.product, c.amount) for c in shown.components], clinic_today())
    return render_template(
        "cocktails/version.html", cocktail=cocktail, version=shown, versions=versions, summary=summary,
        changes=describe_changes(previous, shown) if previous else [], previous=previous,
    )


@bp.route("/<int:cocktail_id>/compare")
def compare(cocktail_id: int):
    """Two versions side by side, with what changed from the first to the second."""
    cocktail = db.get_or_404(Cocktail, cocktail_id)
    versions = queries.versions_of(cocktail)
    last = versions[-1].number
    first = _version(versions, request.args.get("a", type=int) or max(last - 1, 1))
    second = _version(versions, request.args.get("b", type=int) or last)
    before = {c.product_id: c for c in first.components}
    after = {c.product_id: c for c in second.components}
    order = [c.product_id for c in second.components] + [pid for pid in before if pid not in after]
    rows = [(before.get(pid), after.get(pid)) for pid in order]
    return render_template(
        "cocktails/compare.html", cocktail=cocktail, versions=versions, first=first, second=second,
        rows=rows, changes=describe_changes(first, second),
    )


@bp.route("/<int:cocktail_id>/retire", methods=["POST"])
@permission_required(Permission.EDIT_COCKTAILS)
def retire(cocktail_id: int):
    """Retire a cocktail (no new sessions, no new versions) or bring it back; it is never deleted."""
    cocktail = db.get_or_404(Cocktail, cocktail_id)
    retired = request.form.get("retired") == "1"
    set_retired(cocktail, retired, actor=current_actor())
    db.session.commit()
    done = "is retired: no new sessions use it. Its versions stay readable." if retired else "is back in use."
    flash(f"{cocktail.name} {done}", "success")
    return redirect(url_for("cocktails.detail", cocktail_id=cocktail.id))

