"""The dashboard page: what needs attention today."""

from datetime import date

from flask import current_app, render_template

from formulary.auth.permissions import Permission
from formulary.auth.session import current_actor
from formulary.dashboard.blueprint import bp
from formulary.dashboard.chart import expiry_chart
from formulary.stock.dashboard import stock_dashboard
from formulary.stock.opened_dashboard import opened_panels
from formulary.treatments.dashboard import LISTED, session_dashboard


@bp.route("/")
def index():
    """Stock alerts (expired, expiring, under reorder level, held), stock value and the expiry chart."""
    stock = chart = opened = None
    actor = current_actor()
    if actor is not None and actor.can(Permission.VIEW_STOCK):
        stock = stock_dashboard(date.today(), current_app.config["EXPIRY_WARNING_DAYS"],
                                current_app.config["COUNT_INTERVAL_DAYS"])
        chart = expiry_chart(stock.months)
        opened = opened_panels(date.today())
    sessions = (session_dashboard(date.today(), LISTED) if actor is not None and actor.can(Permission.VIEW_PATIENTS)
                else None)
    return render_template("dashboard/index.html", stock=stock, chart=chart, sessions=sessions, opened=opened)
