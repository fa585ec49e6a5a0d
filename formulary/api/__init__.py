"""The JSON API under /api/v1, documented by flask-smorest from the code."""

import marshmallow as ma
from flask import Flask

from formulary.extensions import api


class ErrorSchema(ma.Schema):
    """Every error answer: a sentence, and what was wrong with the input where it was invalid."""

    message = ma.fields.String(required=True, metadata={"description": "A sentence for a person"})
    errors = ma.fields.List(
        ma.fields.Dict(),
        metadata={"description": "Each invalid field (or sheet row) and what is wrong with it"},
    )


def register_api(app: Flask) -> None:
    """Register every API blueprint with the Api object (so each lands in openapi.json)."""
    from formulary.api import catalogue, me, stock

    api.ERROR_SCHEMA = ErrorSchema
    for module in (me, catalogue, stock):
        api.register_blueprint(module.blp, url_prefix="/api/v1")
