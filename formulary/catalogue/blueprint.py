"""The catalogue blueprint alone; its route modules import it and add their routes."""

from flask import Blueprint

bp = Blueprint("catalogue", __name__, url_prefix="/catalogue")
