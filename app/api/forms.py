"""Forms of the token page."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

NEVER = "never"


class TokenForm(FlaskForm):
    """Create a token: a name that says where it is used, and a lifetime."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])
    expires = SelectField(
        _l("Expires"),
        choices=[SelectChoice("30", _l("In 30 days")), SelectChoice("90", _l("In 90 days")),
                 SelectChoice("365", _l("In a year")), SelectChoice(NEVER, _l("Never"))],
        default="90",
    )
    submit = SubmitField(_l("Create token"))

    def expires_in_days(self):
        """Return the chosen lifetime in days, or None for a token that never expires."""
        return None if self.expires.data == NEVER else int(self.expires.data)


class RevokeForm(FlaskForm):
    """Revoke a token (the form carries only the CSRF token)."""
