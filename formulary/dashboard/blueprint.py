"""The dashboard blueprint alone; its route modules import it and add their routes."""

from flask import Blueprint

bp = Blueprint("dashboard", __name__)
