"""API: the clinic's default procedure kit (numbing cream, antiseptic, gloves, dressings)."""

import marshmallow as ma
from flask.views import MethodView

from formulary.api.answers import api_user, refuse_fields
from formulary.api.blueprint import ApiBlueprint, allowed
from formulary.api.schemas import Id, one_of
from formulary.auth.permissions import Permission
from formulary.cocktails.kit import KitError, ProcedureLine, default_kit, set_default_kit
from formulary.extensions import db
from formulary.vocabulary import ProcedureUse

blp = ApiBlueprint("api_kit", __name__, description="The procedure kit: what touches the patient without being "
                                                    "injected, checked like the cocktail's components")

USES = list(ProcedureUse)


class ProcedureItemIn(ma.Schema):
    product_id = Id(strict=True, required=True)
    use = ma.fields.String(required=True, validate=one_of(USES, "use"),
                           metadata={"description": "topical anaesthetic, antiseptic, gloves, dressing or other"})


class ProcedureItemSchema(ma.Schema):
    product_id = ma.fields.Integer(required=True)
    product = ma.fields.String(required=True, metadata={"description": "The product's name"})
    use = ma.fields.String(required=True, validate=ma.validate.OneOf(USES))


class KitIn(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(ProcedureItemIn), required=True,
                           metadata={"description": "The whole kit, in order; [] empties it"})


class KitSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(ProcedureItemSchema), required=True)


def procedure_lines(items: list[dict]) -> list[ProcedureLine]:
    """The API's [{product_id, use}] as the kit service's lines."""
    return [ProcedureLine(item["product_id"], item["use"]) for item in items]


def item_json(item) -> dict:
    """A kit or cocktail procedure item as the API answers it."""
    return {"product_id": item.product_id, "product": item.product.name, "use": item.use}


@blp.route("/procedure-kit")
class ProcedureKit(MethodView):
    @allowed(blp, Permission.VIEW_COCKTAILS)
    @blp.response(200, KitSchema)
    def get(self):
        """The clinic's default kit: used in every session, on top of any cocktail's own items."""
        return {"items": [item_json(item) for item in default_kit()]}

    @allowed(blp, Permission.EDIT_COCKTAILS)
    @blp.arguments(KitIn)
    @blp.response(200, KitSchema)
    def put(self, body):
        """Replace the default kit; an unknown or retired product, or one listed twice: 422, nothing changed."""
        try:
            items = set_default_kit(procedure_lines(body["items"]), actor=api_user())
        except KitError as error:
            refuse_fields(422, "The kit was not changed.", error.errors)
        db.session.commit()
        return {"items": [item_json(item) for item in items]}
