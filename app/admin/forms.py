"""Forms of the admin area; choices that come from the database are set in the views."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField, DateField, EmailField, HiddenField, PasswordField, SelectChoice, SelectField, StringField,
    SubmitField, TextAreaField,
)
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from app.i18n import ROLE_LABELS, TIER_LABELS


def role_choices(blank=None) -> list:
    """Return the role choices, optionally led by a blank "any" choice."""
    lead = [SelectChoice("", blank)] if blank else []
    return lead + [SelectChoice(value, label) for value, label in ROLE_LABELS.items()]


def tier_choices(blank=None) -> list:
    """Return the tier choices, optionally led by a blank "any" choice."""
    lead = [SelectChoice("", blank)] if blank else []
    return lead + [SelectChoice(value, label) for value, label in TIER_LABELS.items()]


LANGUAGE_CHOICES = [
    SelectChoice("", _l("Browser default")), SelectChoice("en", "English"), SelectChoice("zh", "简体中文"),
]


class UserFilterForm(FlaskForm):
    """Search and filters of the user list (GET, no CSRF token)."""

    class Meta:
        csrf = False

    q = StringField(_l("Search"), validators=[Optional(), Length(max=120)])
    role = SelectField(_l("Role"), choices=role_choices(_l("Any role")), validators=[Optional()])
    tier = SelectField(_l("Tier"), choices=tier_choices(_l("Any tier")), validators=[Optional()])
    team = SelectField(_l("Team"), validators=[Optional()])
    status = SelectField(
        _l("Status"),
        choices=[SelectChoice("", _l("Any status")), SelectChoice("active", _l("Active")),
                 SelectChoice("inactive", _l("Deactivated"))],
        validators=[Optional()],
    )


class UserForm(FlaskForm):
    """An account's fields; the password is asked for only when creating one."""

    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    role = SelectField(_l("Role"), choices=role_choices(), default="learner")
    tier = SelectField(_l("Tier"), choices=tier_choices(), default="new_hire")
    team_id = SelectField(_l("Team"), validators=[Optional()])
    locale = SelectField(_l("Language"), choices=LANGUAGE_CHOICES, validators=[Optional()])
    active = BooleanField(_l("Active (may sign in)"), default=True)
    password = PasswordField(
        _l("Password"), validators=[Optional(), Length(min=8, max=128)],
        description=_l("At least 8 characters. Leave empty to generate one."),
    )
    submit = SubmitField(_l("Save"))


class PasswordResetForm(FlaskForm):
    """A new password for someone else's account; empty means "generate one"."""

    password = PasswordField(_l("New password"), validators=[Optional(), Length(min=8, max=128)])
    confirm = PasswordField(
        _l("Repeat new password"), validators=[EqualTo("password", message=_l("Passwords differ."))]
    )
    submit = SubmitField(_l("Reset password"))


class ActiveForm(FlaskForm):
    """The deactivate / reactivate button."""

    active = HiddenField(validators=[DataRequired()])


class TeamForm(FlaskForm):
    """A team's name (create or rename)."""

    name = StringField(_l("Team name"), validators=[DataRequired(), Length(max=120)])
    submit = SubmitField(_l("Save"))


class PairingForm(FlaskForm):
    """A new mentor pairing."""

    mentor_id = SelectField(_l("Mentor"), coerce=int, validators=[DataRequired()])
    mentee_id = SelectField(_l("Mentee"), coerce=int, validators=[DataRequired()])
    buddy_id = SelectField(_l("Buddy (optional)"), coerce=int, validators=[Optional()])
    start_date = DateField(_l("Start date"), validators=[DataRequired()])
    goal = TextAreaField(_l("Goal"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Create pairing"))


class EndPairingForm(FlaskForm):
    """The "end pairing" button."""

    submit = SubmitField(_l("End pairing"))
