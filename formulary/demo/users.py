"""The demo clinic's users."""

from formulary.auth.permissions import Role
from formulary.auth.users import create_user, find_user

DEMO_PASSWORD = "formulary-demo"
DEMO_USERS = [
    ("manager", "Maria Manager", Role.MANAGER),
    ("practitioner", "Dr Paula Practitioner", Role.PRACTITIONER),
]


def load() -> list[str]:
    """Add the demo users that are missing."""
    lines = []
    for username, full_name, role in DEMO_USERS:
        if find_user(username) is None:
            create_user(username, DEMO_PASSWORD, role, full_name=full_name)
            lines.append(f"Demo user {username} ({role}), password {DEMO_PASSWORD}")
    return lines or ["Demo users already there."]
