"""Browser tests: the app served on a free local port, driven by Playwright in Debian's Chromium."""

import os
import shutil
import threading
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from werkzeug.serving import make_server

from config import TestingConfig
from formulary import create_app
from formulary.extensions import db
from tests.conftest import PASSWORD

CHROMIUM = os.environ.get("FORMULARY_CHROMIUM", "/usr/bin/chromium")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
SCREENSHOTS = os.environ.get("FORMULARY_SCREENSHOTS")

pytestmark = pytest.mark.browser


def _missing_browser() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[test]')"
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    return None


def pytest_collection_modifyitems(config, items):
    reason = _missing_browser()
    for item in items:
        if "tests/browser" not in str(item.fspath):
            continue
        item.add_marker(pytest.mark.browser)
        if reason and not IN_CI:
            item.add_marker(pytest.mark.skip(reason=f"browser test skipped: {reason}"))


def _browser_database_url(tmp_path) -> str:
    base = os.environ.get("FORMULARY_TEST_DATABASE_URL")
    if not base or base.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'browser.db'}"
    # A database of its own, named after the base one, so the browser run never touches the
    # unit tests' tables (nor another checkout's browser run).
    name = base.rsplit("/", 1)[1].split("?")[0] + "_browser"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.rsplit("/", 1)[0] + "/" + name


@pytest.fixture
def live_server(tmp_path):
    """Serve a freshly migrated app in a thread; yield (base_url, app)."""
    from flask_migrate import upgrade

    reason = _missing_browser()
    if reason:
        pytest.fail(f"CI must run the browser tests, but {reason}")

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = _browser_database_url(tmp_path)

    app = create_app(Config)
    with app.app_context():
        upgrade()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", app
    finally:
        server.shutdown()
        thread.join(timeout=10)
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    base_url, _app = live_server
    context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    # The same patience for assertions as for actions: on a loaded 2-core CI machine a suggestion
    # fetched while typing has been seen to take longer than Playwright's default 5 s.
    from playwright.sync_api import expect

    expect.set_options(timeout=10_000)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    yield page
    context.close()
    assert not errors, f"the page reported errors: {errors}"


@pytest.fixture
def seed(live_server):
    """seed(fn) runs fn inside the served app's context and commits."""
    _base_url, app = live_server

    def run(fn, *args, **kwargs):
        with app.app_context():
            result = fn(*args, **kwargs)
            db.session.commit()
            return result

    return run


@pytest.fixture
def browser_user(seed):
    """browser_user(role) → username of a new user with the test password."""
    from formulary.auth.users import create_user

    def make(role: str, username: str | None = None) -> str:
        username = username or f"{role}-browser"
        seed(create_user, username, PASSWORD, role)
        return username

    return make


def log_in(page, username: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def screenshot(page, name: str) -> None:
    """Keep a picture of the page when FORMULARY_SCREENSHOTS names a folder."""
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)
