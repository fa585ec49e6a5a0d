"""Forms for logging in, managing users, passwords and API tokens."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length

from formulary.auth.passwords import MAX_LENGTH, MIN_LENGTH
from formulary.auth.permissions import Role

ROLE_CHOICES = [SelectChoice(role.value, role.value.capitalize()) for role in Role]
PASSWORD_HINT = f"{MIN_LENGTH}–{MAX_LENGTH} characters; common passwords are refused."


class LoginForm(FlaskForm):
    """Username and password."""

    username = StringField("Username", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=MAX_LENGTH)])
    submit = SubmitField("Log in")


class NewPasswordMixin:
    password = PasswordField("New password", validators=[DataRequired()], description=PASSWORD_HINT)
    confirm = PasswordField(
        "Repeat the password",
        validators=[DataRequired(), EqualTo("password", message="The two passwords differ.")],
    )


class UserCreateForm(NewPasswordMixin, FlaskForm):
    """An admin creates a user."""

    username = StringField("Username", validators=[DataRequired(), Length(max=64)])
    full_name = StringField("Full name", validators=[Length(max=120)])
    role = SelectField("Role", choices=ROLE_CHOICES)
    password = PasswordField("Password", validators=[DataRequired()], description=PASSWORD_HINT)
    submit = SubmitField("Create user")


class RoleForm(FlaskForm):
    """An admin changes a user's role."""

    role = SelectField("Role", choices=ROLE_CHOICES)
    submit = SubmitField("Change role")


class PasswordResetForm(NewPasswordMixin, FlaskForm):
    """An admin sets a new password for a user."""

    submit = SubmitField("Set password")


class OwnPasswordForm(NewPasswordMixin, FlaskForm):
    """A user changes their own password."""

    current = PasswordField("Current password", validators=[DataRequired()])
    # A changed password often means a leaked one: the tokens made with the old one go too, by default.
    revoke_tokens = BooleanField("Also revoke my API tokens", default=True)
    submit = SubmitField("Change my password")


class TokenForm(FlaskForm):
    """A user creates an API token."""

    name = StringField(
        "Token name",
        validators=[DataRequired(), Length(max=80)],
        description="What will use it, e.g. “booking system”.",
    )
    submit = SubmitField("Create token")


class ConfirmForm(FlaskForm):
    """An empty form: a button that carries the CSRF token."""

    submit = SubmitField("Confirm")
