"""The API's flask-smorest pieces alone: the blueprint class each resource module makes its own from,
the permission guard that documents 401 and 403, and the error schema. It imports no resource module."""

import json

from flask_smorest import Blueprint
from webargs.flaskparser import FlaskParser

from formulary.auth.access import permission_required
from formulary.extensions import ErrorSchema

__all__ = ["ApiBlueprint", "ErrorSchema", "JsonParser", "allowed", "links"]

# Where every API blueprint is mounted.
URL_PREFIX = "/api/v1"


class JsonParser(FlaskParser):
    """webargs' parser, refusing JSON Python cannot read (nested too deep, numbers of thousands of digits)."""

    def _raw_load_json(self, req):
        try:
            return super()._raw_load_json(req)
        except json.JSONDecodeError:
            raise
        except (RecursionError, ValueError) as error:
            # As a JSONDecodeError it gets the same 400 answer as any other unreadable body.
            raise json.JSONDecodeError(f"Unreadable JSON: {error}", doc=" ", pos=0) from error


class ApiBlueprint(Blueprint):
    """A flask-smorest Blueprint whose arguments are read by JsonParser."""

    ARGUMENTS_PARSER = JsonParser()


def allowed(blp, permission):
    """Guard a view with a permission (checked before its input) and document 401 and 403."""

    def decorator(view):
        view = blp.alt_response(
            401, schema=ErrorSchema, description="No valid API token (send 'Authorization: Bearer <token>')"
        )(view)
        view = blp.alt_response(
            403, schema=ErrorSchema, description=f"The token's role may not {permission.value}"
        )(view)
        return permission_required(permission)(view)

    return decorator


def links(blp, status: int, parameter: str, **targets: tuple[str, str]):
    """Document the OpenAPI links of an answer: each target (name=(method, path under /api/v1)) takes
    the answer's `id` as its path `parameter` (what a client, or a stateful test, does next)."""

    def ref(method: str, path: str) -> str:
        pointer = (URL_PREFIX + path).replace("~", "~0").replace("/", "~1")
        return f"#/paths/{pointer}/{method}"

    return blp.doc(responses={status: {"links": {
        name: {"operationRef": ref(method, path), "parameters": {parameter: "$response.body#/id"}}
        for name, (method, path) in targets.items()
    }}})
