"""In a real browser: log in, see the dashboard, log out; a wrong password shows the error."""

from playwright.sync_api import expect

from tests.browser.conftest import log_in, screenshot


def test_log_in_see_dashboard_and_log_out(page, browser_user):
    username = browser_user("manager")
    page.goto("/")
    assert "/login" in page.url
    screenshot(page, "login")
    log_in(page, username)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("Welcome")
    screenshot(page, "dashboard")
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("alert")).to_contain_text("You are logged out.")
    page.goto("/")
    assert "/login" in page.url


def test_wrong_password_shows_the_error(page, browser_user):
    username = browser_user("practitioner")
    log_in(page, username, "certainly-not-the-password")
    expect(page.get_by_role("alert")).to_contain_text("Unknown username or wrong password.")
    assert "/login" in page.url


def test_admin_creates_and_deactivates_a_user(page, browser_user):
    admin = browser_user("admin")
    log_in(page, admin)
    page.get_by_role("link", name="Admin", exact=True).click()
    page.get_by_role("link", name="New user").click()
    page.get_by_label("Username").fill("nora")
    page.get_by_label("Full name").fill("Nora Nurse")
    page.get_by_label("Role").select_option("practitioner")
    page.get_by_label("Password", exact=True).fill("nurse-on-duty-2026")
    page.get_by_label("Repeat the password").fill("nurse-on-duty-2026")
    page.get_by_role("button", name="Create user").click()
    expect(page.get_by_role("alert")).to_contain_text("User nora created as practitioner.")
    screenshot(page, "users")
    page.get_by_role("link", name="nora").click()
    page.get_by_role("button", name="Deactivate nora").click()
    expect(page.get_by_role("alert")).to_contain_text("nora is deactivated.")
