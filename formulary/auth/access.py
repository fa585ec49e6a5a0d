"""The decorator that guards a view with one permission from the table."""

from functools import wraps

from flask import abort

from formulary.auth.permissions import Permission, roles_with
from formulary.auth.session import current_actor


def forbid(permission: Permission):
    """Abort with a 403 that says which roles may do this."""
    actor = current_actor()
    role = actor.role if actor is not None else "anonymous"
    abort(
        403,
        description=(
            f"Your role ({role}) may not {permission.value}. "
            f"Ask a user with the role {' or '.join(roles_with(permission))}."
        ),
    )


def require(permission: Permission) -> None:
    """Abort with a 403 unless the current user (page or API) holds the permission."""
    actor = current_actor()
    if actor is None or not actor.can(permission):
        forbid(permission)


def permission_required(permission: Permission):
    """Decorate a view so that only roles holding the permission reach it."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            require(permission)
            return view(*args, **kwargs)

        # Read by the access-matrix test; a function's own attribute, which mypy cannot type.
        vars(wrapped)["permission"] = permission
        return wrapped

    return decorator
