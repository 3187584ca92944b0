"""Forms of the quiz area, and reading an attempt page's answers."""

from typing import Optional

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField, DecimalField, FieldList, Form, FormField, IntegerField, SelectField, SelectMultipleField,
    SelectChoice, StringField, SubmitField, TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional as Opt

from app.content.gift import GiftAnswer, GiftQuestion

TYPE_LABELS = {
    "multichoice": _l("Single choice"),
    "multiple_answer": _l("Multiple answer"),
    "truefalse": _l("True / false"),
    "shortanswer": _l("Short answer"),
    "numerical": _l("Numerical"),
    "matching": _l("Matching"),
    "essay": _l("Essay"),
    "description": _l("Description"),
}
FORMAT_LABELS = {"markdown": _l("Markdown"), "html": _l("HTML"), "plain": _l("Plain text"), "moodle": _l("Moodle auto-format")}
ANSWER_ROWS = 8


class GiftUploadForm(FlaskForm):
    """Upload a GIFT file into a bank."""

    file = FileField(_l("GIFT file"), validators=[FileRequired(_l("Choose a .gift or .txt file."))])
    bank = StringField(_l("Bank"), validators=[Length(max=200)],
                       description=_l("An existing bank's name adds to it; a new name creates a bank."))
    dry_run = BooleanField(_l("Only check the file (import nothing)"))
    submit = SubmitField(_l("Upload"))


class CategoryForm(FlaskForm):
    """Rename a question category (and its sub-categories)."""

    name = StringField(_l("New name"), validators=[InputRequired(message=_l("Give the category a name.")), Length(max=255)],
                       description=_l("Use / between levels, e.g. Objections/Budget."))
    submit = SubmitField(_l("Rename"))


class AnswerForm(Form):
    """One answer row of the question editor."""

    text = StringField(_l("Answer"))
    fraction = DecimalField(_l("Credit %"), places=None, validators=[Opt(), NumberRange(-100, 100)])
    feedback = StringField(_l("Feedback"))
    tolerance = DecimalField(_l("Tolerance"), places=None, validators=[Opt(), NumberRange(min=0)])
    match = StringField(_l("Matches"))


class QuestionForm(FlaskForm):
    """Create or edit a question of any type."""

    type = SelectField(_l("Type"), default="multichoice", choices=[SelectChoice(k, v) for k, v in TYPE_LABELS.items()])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=255)])
    category = StringField(_l("Category"), validators=[Length(max=255)], description=_l("A path, e.g. Objections/Budget"))
    tags = StringField(_l("Tags"), validators=[Length(max=500)], description=_l("Separated by commas"))
    text_format = SelectField(_l("Text format"), default="markdown", choices=[SelectChoice(k, v) for k, v in FORMAT_LABELS.items()])
    text = TextAreaField(_l("Question text"), validators=[Length(max=20000)], render_kw={"rows": 5})
    general_feedback = TextAreaField(_l("General feedback"), validators=[Length(max=20000)], render_kw={"rows": 3})
    tf_correct = SelectField(_l("The right answer"), default="true",
                             choices=[SelectChoice("true", _l("True")), SelectChoice("false", _l("False"))])
    tf_feedback_true = StringField(_l("Feedback for a learner who chooses True"))
    tf_feedback_false = StringField(_l("Feedback for a learner who chooses False"))
    answers = FieldList(FormField(AnswerForm), min_entries=ANSWER_ROWS, max_entries=30)
    submit = SubmitField(_l("Save question"))

    def fill_from(self, question: GiftQuestion) -> None:
        """Fill the form from a stored question (GET of the edit page)."""
        self.type.data, self.name.data, self.text.data = question.type, question.name, question.text
        self.text_format.data, self.general_feedback.data = question.format, question.general_feedback
        self.category.data, self.tags.data = question.category or "", ", ".join(question.tags)
        if question.type == "truefalse":
            self.tf_correct.data = "true" if question.correct_answer else "false"
            by_text = {a.text: a for a in question.answers}
            self.tf_feedback_true.data = by_text["True"].feedback if "True" in by_text else ""
            self.tf_feedback_false.data = by_text["False"].feedback if "False" in by_text else ""
            return
        while len(self.answers) < max(ANSWER_ROWS, len(question.answers) + 2):
            self.answers.append_entry()
        for row, answer in zip(self.answers, question.answers):
            row.form.text.data, row.form.feedback.data = answer.text, answer.feedback
            row.form.fraction.data = round(answer.fraction * 100, 5)
            row.form.tolerance.data = answer.tolerance
            row.form.match.data = answer.match or ""

    def to_gift(self) -> GiftQuestion:
        """Return the question the form describes (the service validates it per type)."""
        qtype, fmt = self.type.data, self.text_format.data
        answers = []
        if qtype == "truefalse":
            right = self.tf_correct.data == "true"
            answers = [
                GiftAnswer("True", 1.0 if right else 0.0, (self.tf_feedback_true.data or "").strip(), "plain", fmt),
                GiftAnswer("False", 0.0 if right else 1.0, (self.tf_feedback_false.data or "").strip(), "plain", fmt),
            ]
        elif qtype not in ("essay", "description"):
            for row in self.answers:
                text = (row.form.text.data or "").strip()
                match = (row.form.match.data or "").strip()
                if not text and not (qtype == "matching" and match):
                    continue
                fraction = float(row.form.fraction.data) / 100 if row.form.fraction.data is not None else None
                if qtype == "matching":
                    fraction = 1.0 if text else 0.0
                elif fraction is None:
                    fraction = 0.0 if qtype in ("multichoice", "multiple_answer") else 1.0
                tolerance = None
                if qtype == "numerical" and text != "*":
                    tolerance = float(row.form.tolerance.data or 0)
                answers.append(GiftAnswer(
                    text=text, fraction=fraction, feedback=(row.form.feedback.data or "").strip(),
                    format="plain" if qtype in ("shortanswer", "numerical") else fmt, feedback_format=fmt,
                    tolerance=tolerance, match=match if qtype == "matching" else None,
                ))
        tags = tuple(dict.fromkeys(t.strip() for t in (self.tags.data or "").split(",") if t.strip()))
        return GiftQuestion(
            type=qtype, name=self.name.data.strip(), text=(self.text.data or "").strip(), format=fmt,
            answers=tuple(answers), general_feedback=(self.general_feedback.data or "").strip(),
            general_feedback_format=fmt, category=(self.category.data or "").strip() or None, tags=tags,
        )


class QuizSettingsForm(FlaskForm):
    """A quiz's settings; bank and question choices are set in the view."""

    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description (Markdown)"), validators=[Length(max=5000)], render_kw={"rows": 3})
    bank_id = SelectField(_l("Question bank"), coerce=int)
    mode = SelectField(_l("Questions"), default="fixed", choices=[SelectChoice("fixed", _l("Fixed questions")),
                                                  SelectChoice("random", _l("Random draw by tag"))])
    question_keys = SelectMultipleField(_l("Fixed questions"), render_kw={"size": 10})
    draw_tag = StringField(_l("Draw questions tagged"), validators=[Length(max=100)])
    draw_count = IntegerField(_l("Number of questions to draw"), default=5, validators=[Opt(), NumberRange(1, 200)])
    pass_mark = IntegerField(_l("Pass mark %"), default=70, validators=[DataRequired(), NumberRange(0, 100)])
    attempt_limit = IntegerField(_l("Attempts allowed (empty: unlimited)"), validators=[Opt(), NumberRange(1, 100)])
    time_limit_minutes = IntegerField(_l("Time limit in minutes (empty: none)"), validators=[Opt(), NumberRange(1, 600)])
    shuffle_answers = BooleanField(_l("Shuffle answers"), default=True)
    shuffle_questions = BooleanField(_l("Shuffle questions"))
    published = BooleanField(_l("Published (learners can take it)"), default=True)
    submit = SubmitField(_l("Save quiz"))

    def settings(self) -> dict:
        """Return the settings as plain values for the service."""
        return {
            "title": self.title.data or "", "description": self.description.data or "", "mode": self.mode.data,
            "draw_tag": (self.draw_tag.data or "").strip() or None, "draw_count": self.draw_count.data or 0,
            "pass_mark": (self.pass_mark.data or 0) / 100, "attempt_limit": self.attempt_limit.data or None,
            "time_limit_minutes": self.time_limit_minutes.data or None,
            "shuffle_answers": bool(self.shuffle_answers.data), "shuffle_questions": bool(self.shuffle_questions.data),
            "published": bool(self.published.data),
        }


class GradeForm(FlaskForm):
    """A person's grade for an essay answer."""

    grade = IntegerField(_l("Grade %"), validators=[InputRequired(message=_l("Give a grade from 0 to 100.")), NumberRange(0, 100)])
    comment = TextAreaField(_l("Comment for the learner"), validators=[Length(max=5000)], render_kw={"rows": 3})
    submit = SubmitField(_l("Save grade"))


class EmptyForm(FlaskForm):
    """A form with only the CSRF token (start, practice, submit buttons)."""


def responses_from_form(items, form) -> dict[int, dict]:
    """Read the answers of an attempt page (``form`` is a MultiDict) into response dicts per item id."""
    responses: dict[int, dict] = {}
    for item in items:
        q = item.question
        name = f"q{item.id}"
        valid_ids = {a.id for a in q.answers}
        if q.type in ("multichoice", "truefalse"):
            choice = _int(form.get(name))
            responses[item.id] = {"choice": choice if choice in valid_ids else None}
        elif q.type == "multiple_answer":
            chosen = [i for i in (_int(v) for v in form.getlist(name)) if i in valid_ids]
            responses[item.id] = {"choices": sorted(set(chosen))}
        elif q.type in ("shortanswer", "numerical", "essay"):
            responses[item.id] = {"text": (form.get(name) or "")[:20000]}
        elif q.type == "matching":
            responses[item.id] = {"pairs": {str(a.id): (form.get(f"{name}_{a.id}") or "")[:1000]
                                            for a in q.answers if a.text}}
    return responses


def _int(value) -> Optional[int]:
    """Return an int from form text, or None."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
