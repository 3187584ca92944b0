"""Forms of the script A/B tests."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app.models.experiments import SPLIT_RANDOM, SPLIT_TEAM

SPLIT_LABELS = {SPLIT_RANDOM: _l("At random (each learner gets A or B at first contact)"),
                SPLIT_TEAM: _l("By team (pick the teams of A and of B)")}


class ExperimentForm(FlaskForm):
    """A new A/B test: two scenarios and how learners are split between them."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    variant_a = SelectField(_l("Variant A"), coerce=int, validators=[DataRequired()])
    variant_b = SelectField(_l("Variant B"), coerce=int, validators=[DataRequired()])
    split = RadioField(_l("Split learners"), choices=[SelectChoice(k, v) for k, v in SPLIT_LABELS.items()],
                       default=SPLIT_RANDOM, validators=[DataRequired()])
    teams_a = SelectMultipleField(_l("Teams that see variant A"), coerce=int, validators=[Optional()],
                                  render_kw={"size": 5})
    teams_b = SelectMultipleField(_l("Teams that see variant B"), coerce=int, validators=[Optional()],
                                  render_kw={"size": 5})
    submit = SubmitField(_l("Start the test"))

    def validate_variant_b(self, field) -> None:
        """Refuse the same scenario on both sides."""
        if field.data == self.variant_a.data:
            raise ValidationError(_l("Pick another scenario than variant A."))


class VariantForm(FlaskForm):
    """Copy a scenario's current version into a new unpublished draft, to edit into variant B."""

    scenario = SelectField(_l("Scenario to copy"), validators=[DataRequired()])
    submit = SubmitField(_l("Make a variant"))


class StopForm(FlaskForm):
    """Stop a running test."""

    submit = SubmitField(_l("Stop the test"))


class VersionFilterForm(FlaskForm):
    """Pick the scenario version the analytics page reads (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    version = SelectField(_l("Version"), validators=[Optional()])
