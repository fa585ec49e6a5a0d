"""API: substances, allergen groups and products."""

import marshmallow as ma
from flask.views import MethodView
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from formulary.api.answers import api_user, load_or_404, paginate, refuse_fields
from formulary.api.blueprint import ApiBlueprint, ErrorSchema, allowed, links
from formulary.api.schemas import Id, PageArgs, Quantity, Text, list_schema, one_of
from formulary.auth.permissions import Permission
from formulary.catalogue.errors import CatalogueError
from formulary.catalogue.models import (
    COMPONENT_ROLES,
    CROSS_REACTION_STRENGTHS,
    PRODUCT_CATEGORIES,
    AllergenGroup,
    Product,
    ProductComponent,
    ProductContraindication,
)
from formulary.catalogue.products import ComponentData, ProductData, create_product
from formulary.catalogue.queries import cross_reactions, product_query, substance_query
from formulary.extensions import db
from formulary.stock.product_stock import on_hand_totals
from formulary.vocabulary import ComponentRole, ContraindicationSeverity, EntryKind

blp = ApiBlueprint("api_catalogue", __name__, description="Substances, allergen groups and products")

SEVERITIES = list(ContraindicationSeverity)


# --- substances and allergen groups ---------------------------------------------------------

class SubstanceQuery(PageArgs):
    q = Text(metadata={"description": "Name or synonym, any case, accents or hyphens; a part will do"})


class SubstanceSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    category = ma.fields.String()
    synonyms = ma.fields.List(ma.fields.String(), required=True)
    groups = ma.fields.List(ma.fields.String(), required=True, metadata={"description": "Allergen groups"})


class CrossReactionSchema(ma.Schema):
    name = ma.fields.String(required=True, metadata={"description": "The group or substance it reacts with"})
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf(list(EntryKind)))
    strength = ma.fields.String(required=True, validate=ma.validate.OneOf(CROSS_REACTION_STRENGTHS))
    note = ma.fields.String()


class AllergenGroupSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    description = ma.fields.String()
    members = ma.fields.List(ma.fields.String(), required=True, metadata={"description": "Substance names"})
    cross_reacts_with = ma.fields.List(ma.fields.Nested(CrossReactionSchema), required=True)


@blp.route("/substances")
class Substances(MethodView):
    @allowed(blp, Permission.VIEW_STOCK)
    @blp.arguments(SubstanceQuery, location="query")
    @blp.response(200, list_schema("SubstanceList", SubstanceSchema))
    def get(self, args):
        """Substances whose name or a synonym matches q; exact matches come first."""
        substances, total = paginate(substance_query(args.get("q", "")), args)
        items = [
            {
                "id": s.id, "name": s.name, "category": s.category,
                "synonyms": [synonym.name for synonym in s.synonyms], "groups": [g.name for g in s.groups],
            }
            for s in substances
        ]
        return {"items": items, "total": total}


def _other_side(reaction, group_id: int) -> dict:
    """The far side of a cross-reaction seen from one group, whichever direction the row runs."""
    if reaction.source_group_id == group_id:
        group, substance = reaction.target_group, reaction.target_substance
    else:
        group, substance = reaction.source_group, reaction.source_substance
    return {
        "name": (group or substance).name, "kind": EntryKind.GROUP if group else EntryKind.SUBSTANCE,
        "strength": reaction.strength, "note": reaction.note,
    }


@blp.route("/allergen-groups")
class AllergenGroups(MethodView):
    @allowed(blp, Permission.VIEW_STOCK)
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, list_schema("AllergenGroupList", AllergenGroupSchema))
    def get(self, args):
        """Allergen groups with their members and what they cross-react with (both directions)."""
        query = select(AllergenGroup).options(selectinload(AllergenGroup.members))
        groups, total = paginate(query.order_by(func.lower(AllergenGroup.name), AllergenGroup.id), args)
        reactions = cross_reactions(group_ids=[group.id for group in groups])
        items = []
        for group in groups:
            mine = [r for r in reactions if group.id in (r.source_group_id, r.target_group_id)]
            items.append({
                "id": group.id, "name": group.name, "description": group.description,
                "members": [member.name for member in group.members],
                "cross_reacts_with": [_other_side(r, group.id) for r in mine],
            })
        return {"items": items, "total": total}


# --- products -------------------------------------------------------------------------------

class ProductComponentIn(ma.Schema):
    substance = Text(required=True, metadata={"description": "A substance name or synonym"})
    role = ma.fields.String(load_default=ComponentRole.ACTIVE, validate=one_of(COMPONENT_ROLES, "role"))
    strength = Text(load_default="", max_length=60, metadata={"example": "20 mg/mL"})


class ProductContraindicationIn(ma.Schema):
    condition = Text(required=True, metadata={"description": "A condition's name"})
    severity = ma.fields.String(load_default=ContraindicationSeverity.BLOCK, validate=one_of(SEVERITIES, "severity"))


class ProductIn(ma.Schema):
    name = Text(required=True)
    category = ma.fields.String(required=True, validate=one_of(PRODUCT_CATEGORIES, "category"))
    manufacturer = Text(load_default="")
    gtin = Text(load_default=None, allow_none=True, max_length=20,
                metadata={"description": "GTIN-8, -12, -13 or -14; its check digit is verified"})
    unit = Text(required=True, max_length=20, metadata={"description": "The stock unit", "example": "mL"})
    unit_size = Quantity(required=True, maximum=10**6, positive=True,
                         metadata={"description": "Content of one vial/ampoule in the unit"})
    single_use = ma.fields.Boolean(required=True)
    opened_shelf_life_days = ma.fields.Integer(
        strict=True, load_default=None, allow_none=True, validate=ma.validate.Range(min=1, max=3650),
        metadata={"description": "How long an opened multi-dose unit keeps"},
    )
    storage = Text(load_default="")
    reorder_level = Quantity(load_default=None, allow_none=True, maximum=10**6, minimum=0)
    expiry_margin_days = ma.fields.Integer(
        strict=True, load_default=0, validate=ma.validate.Range(min=0, max=3650),
        metadata={"description": "Stop using a lot this many days before its expiry"},
    )
    notes = Text(load_default="", max_length=5000)
    supplier_id = Id(strict=True, load_default=None, allow_none=True,
                     metadata={"description": "The supplier (GET /suppliers)"})
    pack_size = Quantity(load_default=None, allow_none=True, maximum=10**6, positive=True,
                         metadata={"description": "How much of the stock unit one pack holds; none: one unit"})
    minimum_order_packs = ma.fields.Integer(strict=True, load_default=None, allow_none=True,
                                            validate=ma.validate.Range(min=1, max=100_000),
                                            metadata={"description": "The fewest packs an order takes"})
    composition = ma.fields.List(ma.fields.Nested(ProductComponentIn), required=True, metadata={"minItems": 1})
    contraindications = ma.fields.List(ma.fields.Nested(ProductContraindicationIn), load_default=list)


class ProductComponentSchema(ma.Schema):
    substance = ma.fields.String(required=True)
    substance_id = ma.fields.Integer(required=True)
    role = ma.fields.String(required=True, validate=ma.validate.OneOf(COMPONENT_ROLES))
    strength = ma.fields.String(required=True)


class ProductContraindicationSchema(ma.Schema):
    condition = ma.fields.String(required=True)
    severity = ma.fields.String(required=True, validate=ma.validate.OneOf(SEVERITIES))


class ProductSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    category = ma.fields.String(required=True)
    manufacturer = ma.fields.String(required=True)
    gtin = ma.fields.String(allow_none=True, metadata={"description": "Stored as 14 digits"})
    unit = ma.fields.String(required=True)
    unit_size = Quantity(required=True)
    single_use = ma.fields.Boolean(required=True)
    opened_shelf_life_days = ma.fields.Integer(allow_none=True)
    storage = ma.fields.String()
    reorder_level = Quantity(allow_none=True)
    expiry_margin_days = ma.fields.Integer(required=True)
    notes = ma.fields.String()
    retired = ma.fields.Boolean(required=True)
    supplier_id = ma.fields.Integer(allow_none=True, required=True)
    pack_size = Quantity(allow_none=True, required=True, metadata={"description": "None: one unit a pack"})
    minimum_order_packs = ma.fields.Integer(allow_none=True)
    composition = ma.fields.List(ma.fields.Nested(ProductComponentSchema), required=True)
    contraindications = ma.fields.List(ma.fields.Nested(ProductContraindicationSchema), required=True)
    on_hand = Quantity(required=True, maximum=None, metadata={"description": "Sum over all its lots, in its unit"})


class ProductQuery(PageArgs):
    q = Text(metadata={"description": "Part of the name or manufacturer, or GTIN digits"})
    category = ma.fields.String(validate=one_of(PRODUCT_CATEGORIES, "category"))
    retired = ma.fields.Boolean(load_default=False, metadata={"description": "Include retired products"})


PRODUCT_COLUMNS = (
    "id", "name", "category", "manufacturer", "gtin", "unit", "unit_size", "single_use",
    "opened_shelf_life_days", "storage", "reorder_level", "expiry_margin_days", "notes", "retired",
    "supplier_id", "pack_size", "minimum_order_packs",
)


def product_json(product: Product, on_hand) -> dict:
    """A product as the API answers it, with its composition and on-hand total."""
    return {
        **{column: getattr(product, column) for column in PRODUCT_COLUMNS},
        "composition": [
            {"substance": c.substance.name, "substance_id": c.substance_id, "role": c.role,
             "strength": c.strength}
            for c in product.composition
        ],
        "contraindications": [
            {"condition": c.condition.name, "severity": c.severity} for c in product.contraindications
        ],
        "on_hand": on_hand,
    }


def _loaded_product(product_id: int) -> Product:
    return load_or_404(lambda key: db.session.scalar(
        select(Product).where(Product.id == key).options(
            selectinload(Product.composition).selectinload(ProductComponent.substance),
            selectinload(Product.contraindications).selectinload(ProductContraindication.condition),
        )
    ), product_id, "product")


@blp.route("/products")
class Products(MethodView):
    @allowed(blp, Permission.VIEW_STOCK)
    @blp.arguments(ProductQuery, location="query")
    @blp.response(200, list_schema("ProductList", ProductSchema))
    def get(self, args):
        """Products by name, with their composition and on hand; retired ones only when asked."""
        query = product_query(args.get("q", ""), args.get("category", ""), retired=args["retired"])
        query = query.options(
            selectinload(Product.contraindications).selectinload(ProductContraindication.condition)
        )
        products, total = paginate(query, args)
        totals = on_hand_totals(product.id for product in products)
        items = [product_json(p, totals.get(p.id, (0, 0))[0]) for p in products]
        return {"items": items, "total": total}

    @allowed(blp, Permission.EDIT_CATALOGUE)
    @blp.arguments(ProductIn)
    @blp.response(201, ProductSchema)
    @links(blp, 201, "product_id", GetProduct=("get", "/products/{product_id}"))
    def post(self, body):
        """Add a product with its full composition; substances are named by name or synonym."""
        data = ProductData(
            **{key: value for key, value in body.items() if key not in ("composition", "contraindications")},
            composition=[ComponentData(**component) for component in body["composition"]],
            contraindications=[(c["condition"], c["severity"]) for c in body["contraindications"]],
        )
        try:
            product = create_product(data, actor=api_user())
        except CatalogueError as error:
            refuse_fields(422, "The product was not added.", error.errors)
        db.session.commit()
        return product_json(_loaded_product(product.id), 0)


@blp.route("/products/<int:product_id>")
class ProductById(MethodView):
    @allowed(blp, Permission.VIEW_STOCK)
    @blp.response(200, ProductSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No product with this id")
    def get(self, product_id):
        """One product with its composition, contraindications and on hand."""
        product = _loaded_product(product_id)
        return product_json(product, on_hand_totals([product.id]).get(product.id, (0, 0))[0])
