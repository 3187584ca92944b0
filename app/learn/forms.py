"""Forms of the course library: the button forms learners post, and the trainer's editors."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional


class ActionForm(FlaskForm):
    """A button that posts (enrol, mark done, publish): only the CSRF token."""


class CourseForm(FlaskForm):
    """A course's descriptive fields."""

    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    summary = TextAreaField(_l("Summary"), validators=[Length(max=2000)], render_kw={"rows": 3})
    minutes = IntegerField(_l("Minutes"), validators=[DataRequired(), NumberRange(min=1, max=10000)])
    tags = StringField(_l("Tags"), validators=[Optional(), Length(max=500)])
    behaviours = StringField(_l("Behaviours"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Save course"))


class LessonForm(FlaskForm):
    """A lesson's title, length and Markdown text."""

    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    minutes = IntegerField(_l("Minutes"), validators=[DataRequired(), NumberRange(min=1, max=600)])
    body = TextAreaField(_l("Text (Markdown)"), validators=[DataRequired(), Length(max=100_000)],
                         render_kw={"rows": 22, "class": "font-monospace"})
    submit = SubmitField(_l("Save as new version"))
