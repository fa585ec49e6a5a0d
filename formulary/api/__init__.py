"""The JSON API under /api/v1, documented by flask-smorest from the code."""

from flask import Flask

from formulary.extensions import ErrorSchema, api

__all__ = ["ErrorSchema", "register_api"]


def register_api(app: Flask) -> None:
    """Register every API blueprint with the Api object (so each lands in openapi.json)."""
    from formulary.api import catalogue, cocktails, me, patients, sessions, spreadsheets, stock

    for module in (me, catalogue, stock, cocktails, patients, sessions, spreadsheets):
        api.register_blueprint(module.blp, url_prefix="/api/v1")
