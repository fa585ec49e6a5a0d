"""The dashboard page: what needs attention today."""

from flask import current_app, render_template

from formulary.auth.permissions import Permission
from formulary.auth.session import current_actor
from formulary.clinic_time import clinic_today
from formulary.dashboard.blueprint import bp
from formulary.dashboard.chart import expiry_chart
from formulary.dashboard.snapshot_cache import figures_for
from formulary.stock.dashboard import StockDashboard, stock_dashboard
from formulary.stock.opened_dashboard import opened_panels
from formulary.treatments.dashboard import LISTED, session_dashboard


@bp.route("/")
def index():
    """Stock alerts (expired, expiring, under reorder level, held), stock value and the expiry chart.

    The figures are the same for every user: they are kept per process while nothing is committed
    (snapshot_cache); what the user may see is decided here, on every request.
    """
    stock = chart = opened = sessions = None
    actor = current_actor()
    if actor is None:
        return render_template("dashboard/index.html", stock=stock, chart=chart, sessions=sessions, opened=opened)
    today = clinic_today()
    config = current_app.config
    warning_days, count_days = config["EXPIRY_WARNING_DAYS"], config["COUNT_INTERVAL_DAYS"]
    kept = figures_for(today, warning_days, count_days)
    if actor.can(Permission.VIEW_STOCK):
        stock = kept.get("stock", lambda: stock_dashboard(today, warning_days, count_days), _holds_until)
        chart = kept.get("chart", lambda: expiry_chart(stock.months))
        opened = kept.get("opened", lambda: opened_panels(today))
    if actor.can(Permission.VIEW_PATIENTS):
        sessions = kept.get("sessions", lambda: session_dashboard(today, LISTED))
    return render_template("dashboard/index.html", stock=stock, chart=chart, sessions=sessions, opened=opened)


def _holds_until(stock: StockDashboard):
    return stock.holds_until
