"""The stock blueprint alone; its route modules import it and add their routes."""

from flask import Blueprint

bp = Blueprint("stock", __name__, url_prefix="/stock")
