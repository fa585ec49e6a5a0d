"""The treatments blueprint alone; its route modules import it and add their routes."""

from flask import Blueprint

bp = Blueprint("treatments", __name__, url_prefix="/sessions")
