"""API: substances, allergen groups and products."""

from flask_smorest import Blueprint

blp = Blueprint("api_catalogue", __name__, description="Substances, allergen groups and products")
