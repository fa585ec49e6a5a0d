"""formulary: stock, cocktails and pre-session allergy checks for mesotherapy clinics."""

import gc
from importlib import import_module
from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(config_class=None) -> Flask:
    """Build the application for one configuration class (from FORMULARY_ENV by default)."""
    from config import config_from_env

    config_class = config_class or config_from_env()
    if hasattr(config_class, "check"):
        config_class.check()
    # templates/ and migrations/ live at the repository root, not inside the package.
    app = Flask(__name__, template_folder=str(ROOT / "templates"))
    app.config.from_object(config_class)

    register_extensions(app)
    register_blueprints(app)

    from formulary import clinic_time, errors, web
    from formulary.commands import register_commands

    clinic_time.init_app(app)
    errors.init_app(app)
    web.init_app(app)
    register_commands(app)
    if not app.testing:
        # What is set up here lives as long as the process. Out of the cyclic collector's sight, it
        # no longer makes every full collection walk ~160,000 objects on some unlucky request (the
        # stock list's mean CPU per request fell by a tenth). Tests build many apps: they skip it.
        gc.freeze()
    return app


def register_extensions(app: Flask) -> None:
    """Bind the bare extension objects to this app."""
    from formulary import models  # noqa: F401  (every table, for Alembic and create_all)
    from formulary.auth.session import init_login
    from formulary.extensions import api, bootstrap, csrf, db, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    bootstrap.init_app(app)
    init_login(app)
    api.init_app(app)


# Importing a route module adds its routes to its package's blueprint (pkg/blueprint.py).
ROUTE_MODULES = (
    "formulary.dashboard.views",
    "formulary.catalogue.views", "formulary.catalogue.product_views", "formulary.catalogue.dose_views",
    "formulary.catalogue.condition_views",
    "formulary.stock.views", "formulary.stock.lot_views", "formulary.stock.product_views",
    "formulary.stock.count_views",
    "formulary.stock.opened_views",
    "formulary.cocktails.views", "formulary.cocktails.composer", "formulary.cocktails.goal_views",
    "formulary.cocktails.kit_views",
    "formulary.patients.views",
    "formulary.treatments.views", "formulary.treatments.actions", "formulary.treatments.print_views",
    "formulary.treatments.patient_views", "formulary.treatments.lot_recipients",
    "formulary.treatments.course_views", "formulary.treatments.consent_views",
    "formulary.treatments.preparation_views",
    "formulary.spreadsheets.views", "formulary.spreadsheets.history_views",
    "formulary.purchasing.supplier_views", "formulary.purchasing.order_views",
    "formulary.reports.views",
)


def register_blueprints(app: Flask) -> None:
    """Mount the browser pages: import every route module, then register each blueprint once."""
    # auth, admin and audit each define their blueprint in their one views module.
    from formulary.auth.admin import bp as admin_bp
    from formulary.auth.audit_views import bp as audit_bp
    from formulary.auth.views import bp as auth_bp
    from formulary.catalogue.blueprint import bp as catalogue_bp
    from formulary.cocktails.blueprint import bp as cocktails_bp
    from formulary.dashboard.blueprint import bp as dashboard_bp
    from formulary.patients.blueprint import bp as patients_bp
    from formulary.purchasing.blueprint import bp as purchasing_bp
    from formulary.reports.blueprint import bp as reports_bp
    from formulary.spreadsheets.blueprint import bp as spreadsheets_bp
    from formulary.stock.blueprint import bp as stock_bp
    from formulary.treatments.blueprint import bp as treatments_bp

    for name in ROUTE_MODULES:
        import_module(name)
    for blueprint in (auth_bp, admin_bp, audit_bp, dashboard_bp, catalogue_bp, stock_bp, cocktails_bp,
                      patients_bp, treatments_bp, spreadsheets_bp, purchasing_bp, reports_bp):
        app.register_blueprint(blueprint)
    register_api(app)


def register_api(app: Flask) -> None:
    """Mount the JSON API: each resource module's blueprint, registered with the Api object (so each
    lands in openapi.json) under /api/v1."""
    from formulary.api import (
        catalogue,
        cocktails,
        consent,
        courses,
        fhir,
        kit,
        library,
        me,
        opened_units,
        patients,
        preparations,
        purchasing,
        reactions,
        reports,
        sessions,
        spreadsheets,
        stock,
    )
    from formulary.api.blueprint import URL_PREFIX
    from formulary.extensions import api

    for module in (me, catalogue, stock, cocktails, patients, sessions, spreadsheets, kit, library, reactions, fhir,
                   purchasing, reports, courses, consent,
                   opened_units, preparations):
        api.register_blueprint(module.blp, url_prefix=URL_PREFIX)
