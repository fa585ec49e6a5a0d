"""formulary's own CLI commands (users, tokens, setup), registered on app.cli."""

import os
import sys

import click
from flask import Flask
from flask.cli import with_appcontext


def _password_from_env_or_prompt(variable: str) -> str:
    password = os.environ.get(variable)
    if password:
        return password
    if not sys.stdin.isatty():
        raise click.ClickException(f"No password given: set {variable} or run in a terminal.")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@click.group()
def user():
    """Manage users."""


@user.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(["admin", "manager", "practitioner"]))
@click.option("--full-name", default="", help="The name shown in the app.")
@with_appcontext
def user_create(username: str, role: str, full_name: str):
    """Create a user; the password comes from FORMULARY_PASSWORD or a prompt."""
    from formulary.auth.passwords import WeakPassword
    from formulary.auth.users import UserError, create_user
    from formulary.extensions import db

    password = _password_from_env_or_prompt("FORMULARY_PASSWORD")
    try:
        created = create_user(username, password, role, full_name=full_name)
    except (UserError, WeakPassword) as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"Created {created.username} ({created.role}).")


@user.command("unlock")
@click.argument("username", required=False)
@click.option("--address", help="Lift the lock on an address that tried many accounts instead.")
@with_appcontext
def user_unlock(username: str | None, address: str | None):
    """Lift the login locks on USERNAME from every address (or, with --address, on that address)."""
    from formulary.auth.lockout import lift_address_lock, lift_locks
    from formulary.auth.users import find_user
    from formulary.extensions import db

    if bool(username) == bool(address):
        raise click.UsageError("Give a USERNAME or --address ADDRESS (one of the two).")
    if address:
        lifted = lift_address_lock(address, actor=None)
        what = f"the address {address}"
    else:
        account = find_user(username or "")
        if account is None:
            raise click.ClickException(f"No user named {username!r}.")
        lifted = lift_locks(account, actor=None)
        what = account.username
    db.session.commit()
    click.echo(f"Login locks on {what} lifted." if lifted else f"No login lock on {what}.")


@click.group()
def token():
    """Manage API tokens."""


@token.command("create")
@click.argument("username")
@click.option("--name", default="command line", help="What the token is for.")
@with_appcontext
def token_create(username: str, name: str):
    """Create an API token for a user and print it once."""
    from formulary.auth.tokens import create_token
    from formulary.auth.users import find_user
    from formulary.extensions import db

    owner = find_user(username)
    if owner is None or not owner.active:
        raise click.ClickException(f"No active user named {username!r}.")
    _row, text = create_token(owner, name, actor=None)
    db.session.commit()
    click.echo(text)


@click.command()
@click.option("--demo", is_flag=True, help="Also load a realistic demo clinic.")
@with_appcontext
def setup(demo: bool):
    """Create or upgrade the database, load the reference library, make the first admin."""
    from formulary.auth.passwords import WeakPassword
    from formulary.provision import set_up

    try:
        lines = set_up(demo=demo)
    except WeakPassword as error:
        raise click.ClickException(f"FORMULARY_ADMIN_PASSWORD is refused: {error}") from None
    for line in lines:
        click.echo(line)


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False))
@with_appcontext
def backup_command(file: str):
    """Back up the whole database into FILE, safely while the app runs (PostgreSQL: says how with pg_dump)."""
    from formulary.backup import BackupError, back_up
    from formulary.extensions import db

    try:
        click.echo(back_up(db.engine.url, file))
    except BackupError as error:
        raise click.ClickException(str(error)) from None


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--yes", is_flag=True, help="Replace the database without asking first.")
@with_appcontext
def restore_command(file: str, yes: bool):
    """Replace the whole database with the backup FILE (PostgreSQL: says how with pg_restore)."""
    from flask import current_app

    from formulary.backup import BackupError, check_restore, restore
    from formulary.extensions import db

    try:
        plan = check_restore(db.engine.url, file, current_app.extensions["migrate"].directory)
        if not yes:
            click.confirm(plan.question, abort=True)
        db.session.remove()
        db.engine.dispose()  # no pooled connection keeps the old database's pages
        lines = restore(plan)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    for line in lines:
        click.echo(line)


@click.command("notify")
@click.option("--to", "to", multiple=True, help="A recipient (repeatable); default: FORMULARY_DIGEST_TO.")
@click.option("--force", is_flag=True, help="Send even though today's digest was sent already.")
@click.option("--print", "show", is_flag=True, help="Print the digest instead of sending it.")
@with_appcontext
def notify(to: tuple[str, ...], force: bool, show: bool):
    """Send the managers' daily digest by e-mail (SMTP from FORMULARY_SMTP_*), once a day unless --force."""

    from flask import current_app

    from formulary.clinic_time import clinic_today, local_time_text
    from formulary.extensions import db
    from formulary.reports.digest import build_digest
    from formulary.reports.mailing import DigestNotSent, SmtpSettings, already_sent, send_digest

    config = current_app.config
    today = clinic_today()
    digest = build_digest(today, config["EXPIRY_WARNING_DAYS"], config["CLINIC_NAME"])
    if show:
        click.echo(digest.text())
        return
    earlier = already_sent(today)
    if earlier is not None and not force:
        click.echo(f"Today's digest was sent already at {local_time_text(earlier.sent_at)} to {earlier.recipients}; "
                   "--force sends it again.")
        return
    recipients = list(to) or [a.strip() for a in config.get("DIGEST_TO", "").split(",") if a.strip()]
    try:
        sent = send_digest(digest, SmtpSettings.from_config(config), recipients, force=force)
    except DigestNotSent as error:
        db.session.rollback()
        raise click.ClickException(f"The digest was not sent: {error}") from None
    db.session.commit()
    click.echo(f"Sent the digest for {today} to {sent.recipients}: {digest.attention} to look at.")


def register_commands(app: Flask) -> None:
    """Add formulary's commands to `flask` and `formulary`."""
    from formulary.spreadsheets.commands import stock as stock_workbooks

    for command in (user, token, setup, backup_command, restore_command, stock_workbooks, notify):
        app.cli.add_command(command)
