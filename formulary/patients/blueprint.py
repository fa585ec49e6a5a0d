"""The patients blueprint alone; its route modules import it and add their routes."""

from flask import Blueprint

bp = Blueprint("patients", __name__, url_prefix="/patients")
