"""API: a clinic's own substances, allergen groups and conditions, added beside the reference library's."""

import marshmallow as ma
from flask.views import MethodView
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from formulary.api.answers import api_user, refuse_fields
from formulary.api.blueprint import ApiBlueprint, ErrorSchema, allowed
from formulary.api.catalogue import AllergenGroupSchema, SubstanceSchema
from formulary.api.schemas import Text, one_of
from formulary.auth.permissions import Permission
from formulary.catalogue.conditions import add_condition
from formulary.catalogue.errors import CatalogueError
from formulary.catalogue.lookup import find_group, find_substance, resolve_names
from formulary.catalogue.models import Condition
from formulary.catalogue.substances import add_group, add_substance
from formulary.extensions import db
from formulary.reference.library import SubstanceCategory

blp = ApiBlueprint("api_library", __name__,
                   description="A clinic's own substances, allergen groups and conditions")

# A name or synonym already in use is a rule refusing the change (409), not bad input.
TAKEN = ("is already", "already names")


class SubstanceIn(ma.Schema):
    name = Text(required=True, max_length=200)
    synonyms = ma.fields.List(Text(max_length=200), load_default=list,
                              metadata={"description": "Other names: salts, trade names, translations"})
    groups = ma.fields.List(Text(max_length=200), load_default=list,
                            metadata={"description": "Allergen group names or synonyms it belongs to"})
    category = ma.fields.String(load_default=SubstanceCategory.OTHER,
                                validate=one_of(list(SubstanceCategory), "category"))


class AllergenGroupIn(ma.Schema):
    name = Text(required=True, max_length=200)
    description = Text(load_default="", max_length=2000)
    members = ma.fields.List(Text(max_length=200), load_default=list,
                             metadata={"description": "Substance names or synonyms"})


def _refused(error: CatalogueError, what: str):
    taken = all(any(word in message for word in TAKEN) for _field, message in error.errors)
    refuse_fields(409 if taken else 422, f"The {what} was not added.", error.errors)


@blp.route("/substances")
class NewSubstance(MethodView):
    @allowed(blp, Permission.EDIT_CATALOGUE)
    @blp.arguments(SubstanceIn)
    @blp.response(201, SubstanceSchema)
    @blp.alt_response(409, schema=ErrorSchema, description="The name or a synonym is already taken")
    def post(self, body):
        """Add a clinic's own substance, with synonyms and the allergen groups it belongs to."""
        errors: list[tuple[str, str]] = []
        groups = resolve_names(body["groups"], find_group, "groups", "allergen group", errors)
        if errors:
            refuse_fields(422, "The substance was not added.", errors)
        try:
            substance = add_substance(body["name"], category=body["category"], synonyms=body["synonyms"],
                                      groups=[group.id for group in groups], actor=api_user())
        except CatalogueError as error:
            _refused(error, "substance")
        db.session.commit()
        return {"id": substance.id, "name": substance.name, "category": substance.category,
                "synonyms": [s.name for s in substance.synonyms], "groups": [g.name for g in substance.groups]}


@blp.route("/allergen-groups")
class NewAllergenGroup(MethodView):
    @allowed(blp, Permission.EDIT_CATALOGUE)
    @blp.arguments(AllergenGroupIn)
    @blp.response(201, AllergenGroupSchema)
    @blp.alt_response(409, schema=ErrorSchema, description="The name is already an allergen group's")
    def post(self, body):
        """Add a clinic's own allergen group with its member substances."""
        errors: list[tuple[str, str]] = []
        members = resolve_names(body["members"], find_substance, "members", "substance", errors)
        if errors:
            refuse_fields(422, "The allergen group was not added.", errors)
        try:
            group = add_group(body["name"], description=body["description"],
                              members=[member.id for member in members], actor=api_user())
        except CatalogueError as error:
            _refused(error, "allergen group")
        db.session.commit()
        return {"id": group.id, "name": group.name, "description": group.description,
                "members": [member.name for member in group.members], "cross_reacts_with": []}


class ConditionIn(ma.Schema):
    name = Text(required=True, max_length=120)
    synonyms = ma.fields.List(Text(max_length=120), load_default=list,
                              metadata={"description": "Other names it goes by (\"pregnant\" for pregnancy)"})
    description = Text(load_default="", max_length=2000)
    session_caution = Text(load_default="", max_length=2000, metadata={
        "description": "Shown as a caution at every session of a patient who has it, whatever the products say; "
                       "empty when it matters only where a product names it"})


class ConditionSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    synonyms = ma.fields.List(ma.fields.String(), required=True)
    description = ma.fields.String(required=True)
    session_caution = ma.fields.String(required=True)
    origin = ma.fields.String(required=True, metadata={"description": "reference (the library's) or clinic"})


class ConditionList(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(ConditionSchema), required=True)


def _condition_json(condition: Condition) -> dict:
    return {"id": condition.id, "name": condition.name, "synonyms": [s.name for s in condition.synonyms],
            "description": condition.description, "session_caution": condition.session_caution,
            "origin": condition.origin}


@blp.route("/conditions")
class Conditions(MethodView):
    @allowed(blp, Permission.VIEW_STOCK)
    @blp.response(200, ConditionList)
    def get(self):
        """Every condition a patient's record may name: the reference library's and the clinic's own."""
        rows = db.session.scalars(
            select(Condition).options(selectinload(Condition.synonyms)).order_by(func.lower(Condition.name))
        ).all()
        return {"items": [_condition_json(condition) for condition in rows]}

    @allowed(blp, Permission.EDIT_CATALOGUE)
    @blp.arguments(ConditionIn)
    @blp.response(201, ConditionSchema)
    @blp.alt_response(409, schema=ErrorSchema, description="The name or a synonym already names a condition")
    def post(self, body):
        """Add a clinic's own condition, with its synonyms and, if it has one, the caution it gives at every session."""
        try:
            condition = add_condition(body["name"], description=body["description"],
                                      session_caution=body["session_caution"], synonyms=body["synonyms"],
                                      actor=api_user())
        except CatalogueError as error:
            _refused(error, "condition")
        db.session.commit()
        return _condition_json(condition)
