"""API: cocktails, their versions and how many sessions the stock can serve."""


import marshmallow as ma
from flask.views import MethodView
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from formulary.api.answers import api_user, get_or_404, paginate, refuse, refuse_fields
from formulary.api.blueprint import ApiBlueprint, ErrorSchema, allowed, links
from formulary.api.kit import ProcedureItemIn, ProcedureItemSchema, item_json, procedure_lines
from formulary.api.schemas import Day, Id, PageArgs, Quantity, Text, list_schema
from formulary.auth.permissions import Permission
from formulary.catalogue.lookup import find_goal, find_substance
from formulary.clinic_time import clinic_today
from formulary.cocktails.availability import plan_series, sessions_possible
from formulary.cocktails.models import Cocktail, CocktailComponent, CocktailVersion
from formulary.cocktails.procedure_models import CocktailProcedureItem
from formulary.cocktails.queries import cocktail_query, current_versions
from formulary.cocktails.recipes import (
    CocktailError,
    ComponentLine,
    RecipeData,
    create_cocktail,
    revise_cocktail,
)
from formulary.cocktails.stock import component_stocks
from formulary.extensions import db

blp = ApiBlueprint("api_cocktails", __name__, description="Cocktails: versioned recipes and their stock")


class ComponentIn(ma.Schema):
    product_id = Id(strict=True, required=True)
    amount = Quantity(required=True, maximum=999, positive=True,
                      metadata={"description": "Per session, in the product's unit"})


class CocktailIn(ma.Schema):
    name = Text(required=True, max_length=120)
    goals = ma.fields.List(Text(max_length=120, blank=False), required=True,
                           metadata={"description": "Treatment goal names, e.g. [\"hydration\"]", "minItems": 1})
    components = ma.fields.List(ma.fields.Nested(ComponentIn), required=True,
                                metadata={"description": "In the order they are drawn up", "minItems": 1})
    series_sessions = ma.fields.Integer(strict=True, load_default=None, allow_none=True,
                                        validate=ma.validate.Range(min=1, max=365))
    series_interval_days = ma.fields.Integer(strict=True, load_default=None, allow_none=True,
                                             validate=ma.validate.Range(min=1, max=365))
    notes = Text(load_default="", max_length=5000, metadata={"description": "Technique and depth"})
    procedure = ma.fields.List(ma.fields.Nested(ProcedureItemIn), load_default=list,
                               metadata={"description": "Procedure items added to the clinic's kit for this cocktail"})


class ComponentSchema(ma.Schema):
    product_id = ma.fields.Integer(required=True)
    product = ma.fields.String(required=True, metadata={"description": "The product's name"})
    amount = Quantity(required=True)
    unit = ma.fields.String(required=True, metadata={"description": "The product's stock unit"})


class CocktailSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    version = ma.fields.Integer(required=True, metadata={"description": "The current version's number"})
    version_id = ma.fields.Integer(required=True, metadata={"description": "The current version's id"})
    total_volume = Quantity(required=True,
                            metadata={"description": "mL per session (components counted in mL)"})
    goals = ma.fields.List(ma.fields.String(), required=True)
    components = ma.fields.List(ma.fields.Nested(ComponentSchema), required=True)
    series_sessions = ma.fields.Integer(allow_none=True)
    series_interval_days = ma.fields.Integer(allow_none=True)
    notes = ma.fields.String(required=True)
    retired = ma.fields.Boolean(required=True)
    procedure = ma.fields.List(ma.fields.Nested(ProcedureItemSchema), required=True,
                               metadata={"description": "This version's own procedure items (the kit's are at "
                                                        "/procedure-kit)"})


class CocktailQuery(PageArgs):
    goal = Text(max_length=120, metadata={"description": "A treatment goal's name"})
    substance = Text(metadata={"description": "A substance name or synonym: cocktails whose current version "
                                              "contains it, as active or excipient"})
    q = Text(metadata={"description": "Part of the name"})
    retired = ma.fields.Boolean(metadata={"description": "Only retired (true) or only in use (false)"})


class AvailabilityQuery(ma.Schema):
    date = Day(metadata={"description": "Default: today"})
    sessions = ma.fields.Integer(validate=ma.validate.Range(min=1, max=52),
                                 metadata={"description": "Plan a series of this many sessions"})
    interval_days = ma.fields.Integer(validate=ma.validate.Range(min=1, max=365))


class SeriesSessionSchema(ma.Schema):
    number = ma.fields.Integer(required=True)
    date = ma.fields.Date(required=True)
    covered = ma.fields.Boolean(required=True, metadata={"description": "Its stock is there and in date"})
    problem = ma.fields.String(allow_none=True)


class AvailabilitySchema(ma.Schema):
    date = ma.fields.Date(required=True)
    version = ma.fields.Integer(required=True)
    sessions_possible = ma.fields.Integer(required=True)
    capped = ma.fields.Boolean(required=True,
                               metadata={"description": "Counting stopped at the cap: at least this many"})
    limiting_product_id = ma.fields.Integer(allow_none=True,
                                            metadata={"description": "The product that runs out first"})
    limiting_product = ma.fields.String(allow_none=True)
    series = ma.fields.List(ma.fields.Nested(SeriesSessionSchema),
                            metadata={"description": "Only when sessions and interval_days are given"})


def cocktail_json(cocktail: Cocktail, version: CocktailVersion) -> dict:
    """A cocktail as the API answers it: its current version's recipe."""
    return {
        "id": cocktail.id, "name": cocktail.name, "version": version.number, "version_id": version.id,
        "total_volume": version.total_volume, "goals": [goal.name for goal in version.goals],
        "components": [
            {"product_id": c.product_id, "product": c.product.name, "amount": c.amount,
             "unit": c.product.unit}
            for c in version.components
        ],
        "series_sessions": version.series_sessions, "series_interval_days": version.series_interval_days,
        "notes": version.notes, "retired": cocktail.retired,
        "procedure": [item_json(item) for item in version.procedure_items],
    }


def _loaded(cocktail: Cocktail) -> dict:
    version = db.session.scalars(
        select(CocktailVersion).where(CocktailVersion.cocktail_id == cocktail.id)
        .order_by(CocktailVersion.number.desc()).limit(1)
        .options(selectinload(CocktailVersion.goals),
                 selectinload(CocktailVersion.components).selectinload(CocktailComponent.product),
                 selectinload(CocktailVersion.procedure_items).selectinload(CocktailProcedureItem.product))
    ).one()  # a cocktail is created with its first version
    return cocktail_json(cocktail, version)


def _recipe(body: dict) -> RecipeData:
    return RecipeData(
        name=body["name"], goals=body["goals"],
        components=[ComponentLine(c["product_id"], c["amount"]) for c in body["components"]],
        notes=body["notes"], series_sessions=body["series_sessions"],
        series_interval_days=body["series_interval_days"], procedure=procedure_lines(body["procedure"]),
    )


def _refused(error: CocktailError, what: str, body: dict, cocktail: Cocktail | None = None):
    """A name another cocktail has is a rule refusing the change (409); anything else is bad input (422)."""
    name = " ".join(body["name"].split())
    other = db.session.scalar(select(Cocktail.id).where(Cocktail.name == name))
    clash = other is not None and (cocktail is None or other != cocktail.id)
    status = 409 if clash and all(field == "name" for field, _message in error.errors) else 422
    refuse_fields(status, f"The cocktail was not {what}.", error.errors)


@blp.route("/cocktails")
class Cocktails(MethodView):
    @allowed(blp, Permission.VIEW_COCKTAILS)
    @blp.arguments(CocktailQuery, location="query")
    @blp.response(200, list_schema("CocktailList", CocktailSchema))
    def get(self, args):
        """Cocktails by name with their current version; filter by goal, substance, part of the name."""
        goal = substance = None
        if args.get("goal"):
            goal = find_goal(args["goal"])
            if goal is None:
                refuse(422, f"There is no treatment goal called {args['goal']!r}.",
                       [("goal", f"Unknown treatment goal {args['goal']!r}.")])
        if args.get("substance"):
            substance = find_substance(args["substance"])
            if substance is None:
                refuse(422, f"No substance or synonym called {args['substance']!r} is in the catalogue.",
                       [("substance", f"Unknown substance {args['substance']!r}.")])
        query = cocktail_query(goal=goal, substance=substance, text=args.get("q", ""),
                               retired=args.get("retired"))
        cocktails, total = paginate(query, args)
        versions = current_versions(c.id for c in cocktails)
        return {"items": [cocktail_json(c, versions[c.id]) for c in cocktails], "total": total}

    @allowed(blp, Permission.EDIT_COCKTAILS)
    @blp.arguments(CocktailIn)
    @blp.response(201, CocktailSchema)
    @links(blp, 201, "cocktail_id", GetCocktail=("get", "/cocktails/{cocktail_id}"),
           ChangeCocktail=("put", "/cocktails/{cocktail_id}"),
           CocktailAvailability=("get", "/cocktails/{cocktail_id}/availability"))
    @blp.alt_response(409, schema=ErrorSchema, description="A cocktail with this name already exists")
    def post(self, body):
        """Compose a cocktail: saved as version 1."""
        try:
            cocktail = create_cocktail(_recipe(body), actor=api_user())
        except CocktailError as error:
            _refused(error, "saved", body)
        db.session.commit()
        return _loaded(cocktail)


@blp.route("/cocktails/<int:cocktail_id>")
class CocktailById(MethodView):
    @allowed(blp, Permission.VIEW_COCKTAILS)
    @blp.response(200, CocktailSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No cocktail with this id")
    def get(self, cocktail_id):
        """One cocktail with its current version's recipe."""
        return _loaded(get_or_404(Cocktail, cocktail_id, "cocktail"))

    @allowed(blp, Permission.EDIT_COCKTAILS)
    @blp.arguments(CocktailIn)
    @blp.response(200, CocktailSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No cocktail with this id")
    @blp.alt_response(409, schema=ErrorSchema, description="The cocktail is retired, or the name is taken")
    def put(self, body, cocktail_id):
        """Change the recipe: a new version, or the same version when nothing in the recipe changed."""
        cocktail = get_or_404(Cocktail, cocktail_id, "cocktail")
        if cocktail.retired:
            refuse(409, f"{cocktail.name} is retired; bring it back before changing it.",
                   [("name", f"{cocktail.name} is retired.")])
        try:
            revise_cocktail(cocktail, _recipe(body), actor=api_user())
        except CocktailError as error:
            _refused(error, "changed", body, cocktail)
        db.session.commit()
        return _loaded(cocktail)


@blp.route("/cocktails/<int:cocktail_id>/availability")
class Availability(MethodView):
    @allowed(blp, Permission.VIEW_COCKTAILS)
    @blp.arguments(AvailabilityQuery, location="query")
    @blp.response(200, AvailabilitySchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No cocktail with this id")
    def get(self, args, cocktail_id):
        """Sessions the stock can serve on a date (FEFO), the product that runs out first, and a series."""
        cocktail = get_or_404(Cocktail, cocktail_id, "cocktail")
        if ("sessions" in args) != ("interval_days" in args):
            refuse(422, "Give both sessions and interval_days to plan a series.",
                   [("sessions" if "sessions" not in args else "interval_days", "Needed with the other.")])
        on = args.get("date") or clinic_today()
        version = cocktail.current
        stocks = component_stocks(version)
        result = sessions_possible(stocks, on)
        answer = {
            "date": on, "version": version.number, "sessions_possible": result.sessions_possible,
            "capped": result.capped, "limiting_product_id": result.limiting_product_id,
            "limiting_product": result.limiting_product_name,
        }
        if "sessions" in args:
            answer["series"] = [
                {"number": s.number, "date": s.on, "covered": s.covered, "problem": s.problem}
                for s in plan_series(stocks, on, args["sessions"], args["interval_days"])
            ]
        return answer
