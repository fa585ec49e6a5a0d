"""The `formulary` console script: the Flask CLI bound to formulary's app."""

import click
from flask.cli import FlaskGroup
from sqlalchemy.exc import OperationalError

from formulary import create_app


class FormularyGroup(FlaskGroup):
    """Flask's CLI, with an unreachable database reported in one line instead of a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except OperationalError as error:
            reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
            raise click.ClickException(f"Cannot use the database: {reason}") from None


@click.group(cls=FormularyGroup, create_app=create_app)
def cli():
    """formulary: stock, cocktails and pre-session checks for mesotherapy clinics."""


def main() -> None:
    """Entry point of the `formulary` console script."""
    cli(prog_name="formulary")
