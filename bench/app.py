"""The real application plus one bare route, `/bench/hello`: the ceiling the page bench compares against.

Served only by the bench (`gunicorn 'bench.app:create_app()'`); production never has this route.
The route goes through the same guard, hooks and response headers as every page, but reads no
database and renders no template.
"""

from flask import Flask

from formulary import create_app as create_formulary_app
from formulary.auth.session import public


def create_app(config_class=None) -> Flask:
    """formulary as configured by the environment (or the class given), with the bare route added."""
    app = create_formulary_app(config_class)

    @public
    def hello():
        return "Hello, World!"

    app.add_url_rule("/bench/hello", "bench_hello", hello)
    return app
