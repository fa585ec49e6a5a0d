"""Locking out a guesser without locking out the owner: per account and address, in the database."""

import pytest
from sqlalchemy import func, select

from formulary.audit.models import AuditEvent, AuditTally
from formulary.auth.models import LoginThrottle
from formulary.extensions import db
from tests.conftest import PASSWORD, log_in, post_form

ATTACKER, OWNER = "203.0.113.66", "198.51.100.7"
WRONG = "not-the-password-at-all"


def _guess(browser, username: str, clock, times: int, password: str = WRONG) -> list[int]:
    """Wrong passwords, waiting out each slowdown as a patient script would."""
    codes = []
    for _ in range(times):
        codes.append(log_in(browser, username, password).status_code)
        clock.advance(seconds=30)
    return codes


def _events(action: str) -> list[AuditEvent]:
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()


def test_wrong_passwords_from_one_address_slow_it_down_then_lock_it_out(app, make_user, clock, browser_at):
    user = make_user("manager")
    attacker = browser_at(ATTACKER)
    assert [log_in(attacker, user.username, WRONG).status_code for _ in range(2)] == [200, 200]  # typos
    clock.advance(seconds=1)
    assert log_in(attacker, user.username, WRONG).status_code == 200
    # The third failure makes the next try wait 2 s; a try before that is refused unread.
    response = log_in(attacker, user.username, PASSWORD)
    assert response.status_code == 429 and "wait 2 seconds" in response.get_data(as_text=True)
    clock.advance(seconds=2)
    assert log_in(attacker, user.username, WRONG).status_code == 200
    clock.advance(seconds=2)
    assert log_in(attacker, user.username, WRONG).status_code == 429  # now 4 s
    clock.advance(seconds=2)
    assert log_in(attacker, user.username, WRONG).status_code == 200  # the fifth: locked
    clock.advance(minutes=5)
    response = log_in(attacker, user.username, PASSWORD)
    assert response.status_code == 429
    assert "Too many failed logins for this account from your address. Try again in 10 minutes" in (
        response.get_data(as_text=True))


def test_the_owner_gets_in_from_another_address_while_the_attacker_is_locked_out(app, make_user, clock,
                                                                                  browser_at):
    user = make_user("admin")  # the only admin: locking them out would lock out the clinic
    attacker = browser_at(ATTACKER)
    assert _guess(attacker, user.username, clock, 5) == [200] * 5
    assert log_in(attacker, user.username, PASSWORD).status_code == 429
    owner = browser_at(OWNER)
    page = log_in(owner, user.username, PASSWORD)
    assert page.status_code == 200 and "Welcome" in page.get_data(as_text=True)
    # The owner's login does not open the door for the attacker.
    assert log_in(attacker, user.username, PASSWORD).status_code == 429


def test_the_lock_is_audited_once_and_shown_on_the_admins_users_page(app, client, make_user, clock,
                                                                     browser_at, login_as):
    user = make_user("practitioner")
    attacker = browser_at(ATTACKER)
    _guess(attacker, user.username, clock, 5)
    assert _guess(attacker, user.username, clock, 20, PASSWORD) == [429] * 20
    locked = _events("login.locked")
    assert len(locked) == 1 and locked[0].record_id == user.id and locked[0].address == ATTACKER
    assert ATTACKER in locked[0].detail
    assert _events("login.throttled") == []  # refused attempts add no rows
    login_as("admin")
    page = client.get("/admin/users").get_data(as_text=True)
    assert "Someone is guessing passwords" in page
    assert f">{user.username}</a>:" in page and ATTACKER in page
    assert "formulary user unlock" in page
    assert ATTACKER in client.get(f"/admin/users/{user.id}").get_data(as_text=True)


def test_guesses_from_many_addresses_tell_the_admins_once_and_lock_nobody_out(app, client, make_user, clock,
                                                                              browser_at, login_as):
    user = make_user("manager")
    threshold = app.config["LOGIN_ATTACK_FAILURES"]
    for number in range(threshold + 5):
        assert _guess(browser_at(f"192.0.2.{number + 1}"), user.username, clock, 1) == [200]
    attack = _events("login.attack")
    assert len(attack) == 1 and attack[0].record_id == user.id
    assert log_in(browser_at(OWNER), user.username, PASSWORD).status_code == 200
    login_as("admin")
    page = client.get("/admin/users").get_data(as_text=True)
    assert f"{threshold + 5} wrong passwords" in page


def test_the_unlock_command_lifts_every_lock_on_the_account(app, runner, make_user, clock, browser_at):
    user = make_user("manager")
    attacker = browser_at(ATTACKER)
    _guess(attacker, user.username, clock, 5)
    assert log_in(attacker, user.username, PASSWORD).status_code == 429
    result = runner.invoke(args=["user", "unlock", user.username.upper()])
    assert result.exit_code == 0, result.output
    assert f"Login locks on {user.username} lifted." in result.output
    assert log_in(attacker, user.username, PASSWORD).status_code == 200
    unlock = _events("login.unlock")
    assert len(unlock) == 1 and unlock[0].record_id == user.id and unlock[0].address == "cli"
    again = runner.invoke(args=["user", "unlock", user.username])
    assert again.exit_code == 0 and "No login lock" in again.output
    assert runner.invoke(args=["user", "unlock", "nobody-here"]).exit_code != 0


def test_the_unlock_command_lifts_an_address_lock(app, runner, make_user, browser_at):
    attacker = browser_at(ATTACKER)
    for number in range(app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"]):
        log_in(attacker, f"guess{number}", WRONG)
    user = make_user("manager")
    assert log_in(attacker, user.username, PASSWORD).status_code == 429
    assert len(_events("login.address_locked")) == 1
    result = runner.invoke(args=["user", "unlock", "--address", ATTACKER])
    assert result.exit_code == 0 and "lifted" in result.output
    assert log_in(attacker, user.username, PASSWORD).status_code == 200


def test_an_admins_password_reset_unlocks_the_account(app, client, make_user, clock, browser_at, login_as):
    user = make_user("practitioner")
    attacker = browser_at(ATTACKER)
    _guess(attacker, user.username, clock, 5)
    login_as("admin")
    page = post_form(client, f"/admin/users/{user.id}", {
        "pw-password": "brand-new-password-1", "pw-confirm": "brand-new-password-1", "pw-submit": "Set password",
    }).get_data(as_text=True)
    assert "any login lock lifted" in page
    assert "Welcome" in log_in(attacker, user.username, "brand-new-password-1").get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(LoginThrottle).where(
        LoginThrottle.user_id == user.id)) == 0


def test_a_flood_of_unknown_usernames_gives_one_audit_row_per_address_and_hour(app, clock, browser_at):
    addresses = ["192.0.2.10", "192.0.2.11", "192.0.2.12"]
    for address in addresses:
        browser = browser_at(address)
        for number in range(30):  # past the address lock: the refused ones add nothing either
            log_in(browser, f"nobody-{address}-{number}", WRONG)
    failed = _events("login.failed")
    assert sorted(e.address for e in failed) == addresses
    assert all(e.username == "" and e.detail.startswith("unknown user") for e in failed)
    counts = db.session.scalars(select(AuditTally.count).order_by(AuditTally.address)).all()
    assert counts == [app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"]] * 3
    clock.advance(hours=1)
    for number in range(5):
        log_in(browser_at(addresses[0]), f"later-{number}", WRONG)
    assert len(_events("login.failed")) == 4


@pytest.mark.parametrize("typed", ["Correct-Horse-Battery-9", "my password is hunter2hunter2"])
def test_a_password_typed_in_the_username_box_is_kept_nowhere(app, make_user, typed, browser_at):
    browser = browser_at(ATTACKER)
    log_in(browser, typed, "whatever-was-in-the-other-box")
    log_in(browser, typed, "whatever-was-in-the-other-box")
    needle = typed.strip().lower()
    for model in (AuditEvent, AuditTally, LoginThrottle):
        for row in db.session.scalars(select(model)):
            values = " ".join(str(value) for value in vars(row).values()).lower()
            assert needle not in values and "whatever" not in values


def test_a_good_login_forgets_that_addresss_failures(app, make_user, clock, browser_at):
    user = make_user("manager")
    browser = browser_at(OWNER)
    _guess(browser, user.username, clock, 4)
    assert log_in(browser, user.username, PASSWORD).status_code == 200
    other = browser_at(OWNER)
    assert _guess(other, user.username, clock, 4) == [200] * 4  # counting starts afresh
