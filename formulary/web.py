"""What every page shares: the navigation, template helpers and response headers."""

from flask import Flask, request, url_for
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from formulary.auth.permissions import Permission
from formulary.clinic_time import appointment_shown, local_text, local_time_text
from formulary.money import currency_of, fmt_money
from formulary.quantity import fmt_quantity, package_name, stock_of
from formulary.stock.queries import DISPLAY_STATUSES
from formulary.vocabulary import LotDisplayStatus

# (label, endpoint, permission): an entry shows once its endpoint exists and the user may use it.
NAVIGATION = [
    ("Dashboard", "dashboard.index", None),
    ("Stock", "stock.lots", Permission.VIEW_STOCK),
    ("Catalogue", "catalogue.products", Permission.VIEW_STOCK),
    ("Cocktails", "cocktails.index", Permission.VIEW_COCKTAILS),
    ("Patients", "patients.index", Permission.VIEW_PATIENTS),
    ("Sessions", "treatments.index", Permission.VIEW_PATIENTS),
    ("Import/Export", "spreadsheets.index", Permission.VIEW_STOCK),
    ("Orders", "purchasing.index", Permission.EDIT_STOCK),
    ("Reports", "reports.index", Permission.VIEW_REPORTS),
    ("Admin", "admin.users", Permission.MANAGE_USERS),
]


def format_date(value) -> str:
    """Dates as the clinic reads them everywhere: 2027-03-31."""
    return value.strftime("%Y-%m-%d") if value else ""


def format_datetime(value) -> str:
    """Timestamps on the clinic's wall clock (FORMULARY_TIMEZONE), to the minute."""
    return local_text(value) if value else ""


def lot_badge_class(status: str) -> str:
    """The Bootstrap badge colour of a lot's display status."""
    badges: dict[str, str] = {
        LotDisplayStatus.AVAILABLE: "text-bg-success",
        LotDisplayStatus.EXPIRING: "text-bg-warning",
        LotDisplayStatus.EXPIRED: "text-bg-danger",
        LotDisplayStatus.QUARANTINED: "text-bg-secondary",
        LotDisplayStatus.RECALLED: "text-bg-dark",
    }
    return badges.get(status, "text-bg-light")


def lot_status_label(status: str) -> str:
    """A display status in the clinic's words."""
    return DISPLAY_STATUSES.get(status, status)


def page_url(number: int) -> str:
    """This page's URL with its filters kept and another page number."""
    endpoint = request.endpoint
    assert endpoint is not None  # only a routed page has pages
    args = {**(request.view_args or {}), **request.args.to_dict(), "page": number}
    return url_for(endpoint, **args)


def _is_static() -> bool:
    """Whether this request is for a static file (ours or Bootstrap's), which browsers may cache."""
    endpoint = request.endpoint or ""
    return endpoint == "static" or endpoint.endswith(".static")


def init_app(app: Flask) -> None:
    """Register the template context and the headers every response carries."""
    if proxies := app.config.get("TRUSTED_PROXIES"):
        # Flask's documented way to wrap its WSGI app, which its types declare as a method.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    app.add_template_filter(format_date, "date")
    app.add_template_filter(format_datetime, "datetime")
    app.add_template_filter(local_time_text, "local_time")
    app.add_template_filter(appointment_shown, "appointment")
    app.add_template_filter(fmt_quantity, "quantity")
    for helper in (page_url, fmt_quantity, lot_badge_class, lot_status_label):
        app.add_template_global(helper)
    # Units people count and the clinic's money (helper "count"): {{ lot.on_hand | in_units(product) }},
    # {{ cost | money }}; the currency is FORMULARY_CURRENCY.
    app.add_template_filter(stock_of, "in_units")
    app.add_template_filter(package_name, "plural_package")
    app.add_template_filter(lambda amount: fmt_money(amount, app.config.get("CURRENCY")), "money")
    app.add_template_global(lambda: currency_of(app.config.get("CURRENCY"))[0], "currency_code")

    @app.context_processor
    def inject_navigation():
        items = []
        if current_user.is_authenticated:
            for label, endpoint, permission in NAVIGATION:
                if endpoint not in app.view_functions:
                    continue
                if permission is not None and not current_user.can(permission):
                    continue
                blueprint = endpoint.split(".")[0]
                items.append((label, url_for(endpoint), request.blueprint == blueprint))
        return {"navigation": items, "Permission": Permission}

    @app.after_request
    def security_headers(response):
        headers = response.headers
        headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
        )
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        if not _is_static():
            # Pages and API answers name patients, allergies and stock: no browser or proxy keeps them.
            headers["Cache-Control"] = "no-store"
        if app.config.get("SESSION_COOKIE_SECURE"):
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response
