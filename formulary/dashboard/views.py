"""The dashboard page."""

from flask import Blueprint, render_template

bp = Blueprint("dashboard", __name__)


@bp.route("/")
def index():
    """What needs attention today."""
    return render_template("dashboard/index.html")
