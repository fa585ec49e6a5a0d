"""GET /api/v1/me: who the bearer token belongs to."""

import marshmallow as ma
from flask.views import MethodView

from formulary.api.answers import api_user
from formulary.api.blueprint import ApiBlueprint
from formulary.auth.permissions import PERMISSIONS

blp = ApiBlueprint("api_me", __name__, description="The token's owner")


class MeSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    username = ma.fields.String(required=True)
    full_name = ma.fields.String(required=True)
    role = ma.fields.String(required=True)
    permissions = ma.fields.List(ma.fields.String(), required=True)


@blp.route("/me")
class Me(MethodView):
    @blp.response(200, MeSchema)
    def get(self):
        """The user the token belongs to, with their role and permissions."""
        user = api_user()
        return {
            "id": user.id,
            "username": user.username,
            "full_name": user.full_name,
            "role": user.role,
            "permissions": [p.name.lower() for p, roles in PERMISSIONS.items() if user.role in roles],
        }
