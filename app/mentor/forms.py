"""Forms of the mentor workspace; dynamic choices are set in the views."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from app.models.mentoring import PLAN_RESULT_VALUES

PLAN_ACTION_ROWS = 5


class AssignForm(FlaskForm):
    """Assign a course, quiz or scenario to one or several mentees."""

    mentee_ids = SelectMultipleField(_l("Mentees"), coerce=int, validators=[DataRequired(_l("Choose at least one mentee."))])
    target = SelectField(_l("What to do"), validators=[DataRequired(_l("Choose what to assign."))])
    due_on = DateField(_l("Due date"), validators=[InputRequired(_l("Give a due date."))])
    message = TextAreaField(_l("Message to the mentee"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Assign"))


class NoteForm(FlaskForm):
    """A coaching note, private unless shared with the mentee."""

    body = TextAreaField(_l("Note"), validators=[DataRequired(), Length(max=10000)])
    noted_on = DateField(_l("Date"), validators=[Optional()])
    shared = BooleanField(_l("Share with the mentee"))
    submit = SubmitField(_l("Save note"))


class PlanForm(FlaskForm):
    """Open a 30-day improvement plan with its first actions."""

    starts_on = DateField(_l("Starts on"), validators=[Optional()])
    reason = TextAreaField(_l("Why (the 1:1 diagnosis)"), validators=[Optional(), Length(max=2000)])
    goals = TextAreaField(_l("Goals for the 30 days"), validators=[DataRequired(), Length(max=10000)])
    submit = SubmitField(_l("Open the plan"))


class ActionForm(FlaskForm):
    """One dated action of a plan."""

    text = StringField(_l("Action"), validators=[DataRequired(), Length(max=500)])
    due_on = DateField(_l("By"), validators=[InputRequired(_l("Give a date."))])
    submit = SubmitField(_l("Add action"))


class CheckInForm(FlaskForm):
    """A check-in on a plan."""

    held_on = DateField(_l("Date"), validators=[Optional()])
    body = TextAreaField(_l("How it is going"), validators=[DataRequired(), Length(max=10000)])
    submit = SubmitField(_l("Add check-in"))


RESULT_LABELS = {"met": _l("Goals met"), "partly_met": _l("Partly met"), "not_met": _l("Not met")}


class ClosePlanForm(FlaskForm):
    """Record a plan's outcome."""

    result = SelectField(
        _l("Result"), choices=[SelectChoice(v, RESULT_LABELS[v]) for v in PLAN_RESULT_VALUES], validators=[DataRequired()]
    )
    outcome = TextAreaField(_l("Outcome"), validators=[DataRequired(), Length(max=10000)])
    submit = SubmitField(_l("Close the plan"))


class MessageForm(FlaskForm):
    """A message to a mentee's inbox."""

    body = TextAreaField(_l("Message"), validators=[DataRequired(), Length(max=2000)])
    submit = SubmitField(_l("Send"))


class DueDateForm(FlaskForm):
    """Move an assignment's due date."""

    due_on = DateField(_l("New due date"), validators=[InputRequired(_l("Give a due date."))])
    submit = SubmitField(_l("Move"))


class ToggleForm(FlaskForm):
    """Tick or untick a plan action, or mark inbox messages read."""

    done = HiddenField()
    message_id = HiddenField()
    next = HiddenField()
