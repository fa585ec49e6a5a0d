"""API: lots, movements, status and recipients."""

from flask_smorest import Blueprint

blp = Blueprint("api_stock", __name__, description="Lots, the ledger and recalls")
