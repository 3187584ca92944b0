"""Forms of the role-play player and the objection library."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, SelectChoice, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.content.objections import CATEGORIES
from app.services.plays import MAX_TEXT

KIND_LABELS = {"spin": _l("SPIN discovery"), "objection": _l("Objection handling"), "mixed": _l("Mixed")}
CATEGORY_LABELS = {
    "budget": _l("Budget"), "competitor_price": _l("Price vs competitor"), "timing": _l("Timing"),
    "authority": _l("Authority"), "trust": _l("Trust"), "status_quo": _l("Status quo"), "need": _l("Need"),
    "other": _l("Other"),
}


class FilterForm(FlaskForm):
    """Filters of the scenario list (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    kind = SelectField(_l("Kind"), validators=[Optional()])
    tier = SelectField(_l("Tier"), validators=[Optional()])
    lang = SelectField(_l("Language"), validators=[Optional()])


class StartForm(FlaskForm):
    """Start (or restart) a play."""

    restart = HiddenField(default="")
    submit = SubmitField(_l("Start"))


class StepForm(FlaskForm):
    """One answer: a picked choice or a typed line, for step number ``step``.

    ``step`` and ``choice`` have labels of their own (never shown): a field
    without one has WTForms translate its name, which loads WTForms' message
    catalogue from disk once per request. The CSRF token is checked once, by
    CSRFProtect before the view, like every POST; the page renders it with
    ``csrf_token()``, so the form does not check it a second time on every step.
    """

    class Meta:
        csrf = False

    step = IntegerField("Step", validators=[InputRequired(), NumberRange(min=0)])
    choice = IntegerField("Choice", validators=[Optional(), NumberRange(min=0)])
    text = TextAreaField(_l("Your answer"), validators=[Optional(), Length(max=MAX_TEXT)])


class ObjectionForm(FlaskForm):
    """An objection-library entry in Chinese and English; causes and answers one per line."""

    key = StringField(_l("Key"), validators=[Optional(), Length(max=80)])
    category = SelectField(_l("Category"), validators=[DataRequired()])
    zh_objection = TextAreaField(_l("Objection (Chinese)"), validators=[Optional(), Length(max=500)])
    zh_causes = TextAreaField(_l("Causes (Chinese), one per line"), validators=[Optional(), Length(max=4000)])
    zh_answers = TextAreaField(_l("Answers (Chinese), one per line"), validators=[Optional(), Length(max=4000)])
    en_objection = TextAreaField(_l("Objection (English)"), validators=[Optional(), Length(max=500)])
    en_causes = TextAreaField(_l("Causes (English), one per line"), validators=[Optional(), Length(max=4000)])
    en_answers = TextAreaField(_l("Answers (English), one per line"), validators=[Optional(), Length(max=4000)])
    submit = SubmitField(_l("Save"))

    def set_choices(self) -> None:
        """Fill the category choices (translated labels)."""
        self.category.choices = [SelectChoice(c, str(CATEGORY_LABELS[c])) for c in CATEGORIES]
