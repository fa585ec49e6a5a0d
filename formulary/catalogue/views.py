"""Catalogue pages: substances, allergen groups and products."""

from flask import Blueprint

bp = Blueprint("catalogue", __name__, url_prefix="/catalogue")
