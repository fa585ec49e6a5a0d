"""The reports blueprint alone; its route modules import it and add their routes."""

from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/reports")
