"""The formulary command: users, tokens, setup, and a clear line when the database is away."""

import os
import secrets
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from config import ProductionConfig
from formulary.auth.models import ApiToken
from formulary.auth.users import find_user
from formulary.extensions import db


def test_user_create_reads_the_password_from_the_environment(runner):
    result = runner.invoke(
        args=["user", "create", "Claire", "--role", "practitioner"],
        env={"FORMULARY_PASSWORD": "her-long-secret-phrase"},
    )
    assert result.exit_code == 0, result.output
    assert "Created claire (practitioner)." in result.output
    assert find_user("claire").role == "practitioner"


def test_user_create_refuses_a_weak_password(runner):
    result = runner.invoke(
        args=["user", "create", "weak", "--role", "manager"], env={"FORMULARY_PASSWORD": "short"}
    )
    assert result.exit_code != 0 and "at least 12 characters" in result.output
    assert find_user("weak") is None


def test_token_create_prints_a_working_token_once(runner, client, make_user):
    user = make_user("manager")
    result = runner.invoke(args=["token", "create", user.username])
    token = result.output.strip()
    assert result.exit_code == 0 and token.startswith("fmy_")
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert me["username"] == user.username
    assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 1


def _formulary(*args, **env):
    return subprocess.run(
        [sys.executable, "-c", "from formulary.cli import main; main()", *args],
        capture_output=True, text=True, timeout=60, env={**os.environ, **env},
    )


def test_unreachable_database_is_one_line_without_traceback():
    result = _formulary(
        "setup", FORMULARY_DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:1/none"
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    error_lines = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(error_lines) == 1 and "Cannot use the database" in error_lines[0]


def test_production_refuses_the_default_secret_key():
    result = _formulary("routes", FORMULARY_ENV="production", FORMULARY_SECRET_KEY="")
    assert result.returncode != 0
    assert "FORMULARY_SECRET_KEY" in result.stderr


def test_settings_come_from_the_environment():
    code = (
        "from config import config_from_env; c = config_from_env(); "
        "print(c.SQLALCHEMY_DATABASE_URI, c.MAX_CONTENT_LENGTH, c.DATE_ORDER, c.EXPIRY_WARNING_DAYS)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30,
        env={**os.environ, "FORMULARY_DATABASE_URL": "sqlite:////tmp/x.db",
             "FORMULARY_UPLOAD_LIMIT_MB": "2", "FORMULARY_DATE_ORDER": "mdy",
             "FORMULARY_EXPIRY_WARNING_DAYS": "45"},
    )
    assert result.stdout.split() == ["sqlite:////tmp/x.db", str(2 * 1024 * 1024), "MDY", "45"]


def _row_counts(url: str) -> dict[str, int]:
    from sqlalchemy import create_engine, inspect, text

    engine = create_engine(url)
    with engine.connect() as connection:
        tables = [t for t in inspect(connection).get_table_names() if t != "alembic_version"]
        counts = {t: connection.execute(text(f'SELECT count(*) FROM "{t}"')).scalar() for t in tables}
    engine.dispose()
    return counts


def test_setup_on_a_new_database_then_again_changes_nothing(tmp_path):
    url = f"sqlite:///{tmp_path / 'setup.db'}"
    env = {"FORMULARY_DATABASE_URL": url, "FORMULARY_ADMIN_PASSWORD": "first-boss-passphrase"}
    first = _formulary("setup", "--demo", **env)
    assert first.returncode == 0, first.stderr
    assert "Created the first admin" in first.stdout
    counts = _row_counts(url)
    assert counts["user"] == 3
    second = _formulary("setup", "--demo", **env)
    assert second.returncode == 0, second.stderr
    assert "An admin already exists" in second.stdout
    assert _row_counts(url) == counts


def test_production_refuses_a_short_secret_key_and_says_how_to_make_one():
    result = _formulary("routes", FORMULARY_ENV="production", FORMULARY_SECRET_KEY="a")
    assert result.returncode != 0
    assert "FORMULARY_SECRET_KEY is too weak (1 bytes)" in result.stderr
    assert 'python -c "import secrets; print(secrets.token_urlsafe(48))"' in result.stderr


@pytest.mark.parametrize(("key", "accepted"), [
    ("x" * 40, False),  # long, but one character over and over
    ("k3y-" * 7 + "abc", False),  # 31 bytes
    (secrets.token_urlsafe(48), True),
    (secrets.token_hex(16), True),  # 32 bytes
])
def test_production_secret_key_needs_32_varied_bytes(key, accepted):
    class Production(ProductionConfig):
        SECRET_KEY = key

    if accepted:
        Production.check()
    else:
        with pytest.raises(RuntimeError, match="token_urlsafe"):
            Production.check()
