"""Password hashing and the password policy."""

from functools import cache
from importlib import resources

from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

MIN_LENGTH = 12
MAX_LENGTH = 128


class WeakPassword(ValueError):
    """A password the policy refuses; str() is the sentence to show."""


@cache
def _common_passwords() -> frozenset[str]:
    text = resources.files("formulary.auth").joinpath("common_passwords.txt").read_text()
    return frozenset(
        line.strip().casefold() for line in text.splitlines() if line and not line.startswith("#")
    )


def check_policy(password: str, username: str = "") -> None:
    """Raise WeakPassword unless the password is 12–128 characters and not a common one."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"The password must be at least {MIN_LENGTH} characters long.")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"The password must be at most {MAX_LENGTH} characters long.")
    folded = password.casefold()
    if folded in _common_passwords() or len(set(folded)) <= 2:
        raise WeakPassword("This password is too common; choose one that is harder to guess.")
    if username and username.casefold() in folded:
        raise WeakPassword("The password must not contain the username.")


def hash_password(password: str) -> str:
    """Hash with the configured werkzeug method (scrypt by default)."""
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def verify_password(password_hash: str, password: str) -> bool:
    """Whether the password matches the stored hash."""
    return check_password_hash(password_hash, password)


@cache
def dummy_hash(method: str) -> str:
    """A hash to check against for unknown users, so both failures take the same time."""
    return generate_password_hash("not-a-real-password", method=method)
