"""Bare extension objects, bound to the app in create_app so nothing imports in a circle."""

from flask_bootstrap import Bootstrap5
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from formulary.db import Base


class FormularyApi(Api):
    """flask-smorest's Api, minus its app-wide JSON error handler (errors.py renders both)."""

    def _register_error_handlers(self) -> None:
        pass


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
bootstrap = Bootstrap5()
api = FormularyApi()
