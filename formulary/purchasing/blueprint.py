"""The purchasing blueprint alone; its route modules import it and add their routes."""

from flask import Blueprint

bp = Blueprint("purchasing", __name__, url_prefix="/orders")
