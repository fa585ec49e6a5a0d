"""Bare extension objects, bound to the app in create_app so nothing imports in a circle."""

from typing import TYPE_CHECKING

import marshmallow as ma
from flask_bootstrap import Bootstrap5
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from formulary.db import Base


class ErrorSchema(ma.Schema):
    """Every API error answer: a sentence, and what was wrong where the input was invalid."""

    class Meta:
        name = "Error"

    message = ma.fields.String(required=True, metadata={"description": "A sentence for a person"})
    errors = ma.fields.List(
        ma.fields.Dict(),
        metadata={"description": "Each invalid field (or sheet row) and what is wrong with it"},
    )


class FormularyApi(Api):
    """flask-smorest's Api, minus its app-wide JSON error handler (errors.py renders both)."""

    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self) -> None:
        pass


db = SQLAlchemy(model_class=Base)
# The base of every model. A type checker cannot take an object's attribute (db.Model) as a base
# class, so to it the models derive from the declarative Base that db.Model is built from.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
bootstrap = Bootstrap5()
api = FormularyApi()
