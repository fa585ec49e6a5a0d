"""API: a clinic's own substances and allergen groups, added beside the reference library's."""

import marshmallow as ma
from flask.views import MethodView

from formulary.api.answers import api_user, refuse_fields
from formulary.api.blueprint import ApiBlueprint, ErrorSchema, allowed
from formulary.api.catalogue import AllergenGroupSchema, SubstanceSchema
from formulary.api.schemas import Text, one_of
from formulary.auth.permissions import Permission
from formulary.catalogue.errors import CatalogueError
from formulary.catalogue.lookup import find_group, find_substance, resolve_names
from formulary.catalogue.substances import add_group, add_substance
from formulary.extensions import db
from formulary.reference.library import SubstanceCategory

blp = ApiBlueprint("api_library", __name__, description="A clinic's own substances and allergen groups")

# A name or synonym already in use is a rule refusing the change (409), not bad input.
TAKEN = ("is already",)


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
