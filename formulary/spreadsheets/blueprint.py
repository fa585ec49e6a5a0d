"""The spreadsheets blueprint (Import/Export pages); its route modules add the routes."""

from flask import Blueprint

bp = Blueprint("spreadsheets", __name__, url_prefix="/stock/spreadsheets")
