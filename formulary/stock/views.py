"""Stock pages: the lot list, receiving, and a lot's page with its actions and history."""

from flask import Blueprint

bp = Blueprint("stock", __name__, url_prefix="/stock")
