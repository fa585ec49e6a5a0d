"""Who may do what: the one permission table of formulary."""

from enum import StrEnum


class Role(StrEnum):
    """A user's role; each grants the permissions the table below lists."""

    ADMIN = "admin"
    MANAGER = "manager"
    PRACTITIONER = "practitioner"


class Permission(StrEnum):
    """Something a role may be allowed to do."""

    VIEW_STOCK = "view stock and the catalogue"
    EDIT_CATALOGUE = "edit the catalogue"
    EDIT_STOCK = "change stock"
    VIEW_COCKTAILS = "view cocktails"
    EDIT_COCKTAILS = "edit cocktails"
    VIEW_PATIENTS = "view patients"
    EDIT_PATIENTS = "edit patients and their allergies"
    RUN_CHECKS = "plan sessions and run pre-session checks"
    ADMINISTER = "administer sessions"
    OVERRIDE_BLOCK = "override a blocked check"
    MANAGE_USERS = "manage users"
    VIEW_AUDIT = "read the audit trail"
    VIEW_REPORTS = "read reports on consumption, waste and costs"


ADMIN, MANAGER, PRACTITIONER = Role.ADMIN, Role.MANAGER, Role.PRACTITIONER

PERMISSIONS: dict[Permission, frozenset[Role]] = {
    Permission.VIEW_STOCK: frozenset({ADMIN, MANAGER, PRACTITIONER}),
    Permission.EDIT_CATALOGUE: frozenset({ADMIN, MANAGER}),
    Permission.EDIT_STOCK: frozenset({ADMIN, MANAGER}),
    Permission.VIEW_COCKTAILS: frozenset({ADMIN, MANAGER, PRACTITIONER}),
    Permission.EDIT_COCKTAILS: frozenset({ADMIN, MANAGER}),
    Permission.VIEW_PATIENTS: frozenset({ADMIN, MANAGER, PRACTITIONER}),
    Permission.EDIT_PATIENTS: frozenset({ADMIN, MANAGER, PRACTITIONER}),
    Permission.RUN_CHECKS: frozenset({ADMIN, MANAGER, PRACTITIONER}),
    Permission.ADMINISTER: frozenset({ADMIN, MANAGER, PRACTITIONER}),
    # A blocked check is a second opinion's job, never the practitioner's own.
    Permission.OVERRIDE_BLOCK: frozenset({ADMIN, MANAGER}),
    # Creating users can create admins, so it stays with admins.
    Permission.MANAGE_USERS: frozenset({ADMIN}),
    Permission.VIEW_AUDIT: frozenset({ADMIN}),
    # Costs and practitioners' figures: the manager's view of the clinic.
    Permission.VIEW_REPORTS: frozenset({ADMIN, MANAGER}),
}


def role_may(role: str, permission: Permission) -> bool:
    """Whether the role (by its value) has the permission."""
    return role in PERMISSIONS[permission]


def roles_with(permission: Permission) -> list[str]:
    """The roles that hold a permission, for messages and the admin page."""
    return sorted(role.value for role in PERMISSIONS[permission])
