"""Forms for signing in and editing one's profile."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, Optional


class LoginForm(FlaskForm):
    """Email and password, with "remember me"."""

    # No format check: any stored address (including demo `.test` ones) must be able to sign in.
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    remember = BooleanField(_l("Remember me"))
    submit = SubmitField(_l("Sign in"))


class ProfileForm(FlaskForm):
    """Name and interface language."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    locale = SelectField(
        _l("Language"),
        choices=[SelectChoice("", _l("Browser default")), SelectChoice("en", "English"), SelectChoice("zh", "简体中文")],
        validators=[Optional()],
    )
    submit = SubmitField(_l("Save"))


class PasswordForm(FlaskForm):
    """Change one's own password."""

    current = PasswordField(_l("Current password"), validators=[DataRequired()])
    new = PasswordField(_l("New password"), validators=[DataRequired(), Length(min=8, max=128)])
    confirm = PasswordField(
        _l("Repeat new password"), validators=[DataRequired(), EqualTo("new", message=_l("Passwords differ."))]
    )
    submit = SubmitField(_l("Change password"))
