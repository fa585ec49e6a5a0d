"""Users, roles, logins, lockouts and API tokens; the admins' pages, the audit trail's among them."""
