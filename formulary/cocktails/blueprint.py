"""The cocktails blueprint alone; its route modules import it and add their routes."""

from flask import Blueprint

bp = Blueprint("cocktails", __name__, url_prefix="/cocktails")
