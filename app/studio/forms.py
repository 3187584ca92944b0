"""Forms of the scenario studio: new scenario, metadata, node editor, upload and preview.

The node editor turns a draft node (YAML shape) into fields and back; a few
empty choice rows let a trainer add choices without JavaScript.
"""

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    FieldList, Form, FormField, HiddenField, IntegerField, RadioField, SelectChoice, SelectField, SelectMultipleField,
    StringField, SubmitField, TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp
from wtforms.validators import ValidationError as FieldError
from wtforms.widgets import CheckboxInput, ListWidget

from app.content.scenario import BRANCH_OPS, KEY_RE, SLUG_RE, SPIN_LABELS, ConditionError, parse_condition

EMPTY_CHOICE_ROWS = 2
ROUTE_LABELS = SPIN_LABELS + ("default",)
WAY_LABELS = {"choices": _l("Choices"), "free_text": _l("Free text"), "end": _l("Ending")}
_SCORE_ITEM = re.compile(r"^\s*([^\s:=：]+)\s*[:=：]\s*([+-]?\d+(?:\.\d+)?)\s*$")


def parse_score(text: str) -> dict:
    """Return {dimension: points} of "rapport: 1, discovery: -2"; raise ValueError on a bad item."""
    score = {}
    for item in re.split(r"[,，;\n]", text or ""):
        if not item.strip():
            continue
        match = _SCORE_ITEM.match(item)
        if not match:
            raise ValueError(item.strip())
        number = float(match.group(2))
        score[match.group(1)] = int(number) if number.is_integer() else number
    return score


def format_score(score) -> str:
    """Return a score mapping as "rapport: 1, discovery: 2"."""
    if not isinstance(score, dict):
        return ""
    return ", ".join(f"{dim}: {points}" for dim, points in score.items())


def split_keys(text: str) -> list:
    """Return the keys of a comma- or space-separated list."""
    return [k for k in re.split(r"[\s,，]+", text or "") if k]


def valid_score(form, field):
    """Check the "dimension: points" list."""
    try:
        parse_score(field.data)
    except ValueError as exc:
        raise FieldError(_l("Write points as “rapport: 1, discovery: 2” (not “%(item)s”).", item=str(exc)))


class NewScenarioForm(FlaskForm):
    """Start a scenario from nothing."""

    slug = StringField(_l("Id"), validators=[DataRequired(), Length(max=80), Regexp(
        SLUG_RE, message=_l("Use lower-case letters, digits, “-” or “_”."))],
        description=_l("Part of the address; cannot be changed later, e.g. budget-objection-retail."))
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    lang = SelectField(_l("Language"), choices=[SelectChoice("zh", "中文"), SelectChoice("en", "English")])
    kind = SelectField(_l("Kind"))
    submit = SubmitField(_l("Create scenario"))


class MetadataForm(FlaskForm):
    """The draft's title, language, kind, tier, description, persona, rubric, links and start node."""

    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    lang = SelectField(_l("Language"), choices=[SelectChoice("zh", "中文"), SelectChoice("en", "English")])
    kind = SelectField(_l("Kind"))
    tier = SelectField(_l("Tier"))
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=2000)])
    persona_name = StringField(_l("Customer name"), validators=[Optional(), Length(max=100)])
    persona_role = StringField(_l("Role"), validators=[Optional(), Length(max=100)])
    persona_company = StringField(_l("Company"), validators=[Optional(), Length(max=100)])
    persona_mood = StringField(_l("Mood"), validators=[Optional(), Length(max=100)])
    persona_background = TextAreaField(_l("Background"), validators=[Optional(), Length(max=1000)])
    rubric = StringField(_l("Rubric dimensions"), validators=[Optional(), Length(max=300)],
                         description=_l("Comma-separated, e.g. rapport, discovery, closing."))
    behaviours = StringField(_l("Behaviours trained"), validators=[Optional(), Length(max=300)])
    objections = StringField(_l("Objections"), validators=[Optional(), Length(max=300)])
    start = SelectField(_l("Start node"), validate_choice=False)
    submit = SubmitField(_l("Save details"))

    def load(self, draft: dict) -> None:
        """Fill the fields from a draft (GET)."""
        persona = draft.get("persona") if isinstance(draft.get("persona"), dict) else {}
        for key in ("title", "lang", "kind", "tier", "description", "start"):
            getattr(self, key).data = str(draft.get(key) or "")
        for key in ("name", "role", "company", "mood", "background"):
            getattr(self, f"persona_{key}").data = str(persona.get(key) or "")
        for key in ("rubric", "behaviours", "objections"):
            value = draft.get(key)
            getattr(self, key).data = ", ".join(str(v) for v in value) if isinstance(value, list) else ""

    def to_meta(self) -> dict:
        """Return the metadata for ``studio.save_metadata``."""
        return {
            "title": self.title.data, "lang": self.lang.data, "kind": self.kind.data, "tier": self.tier.data,
            "description": self.description.data or "", "start": self.start.data or "",
            "persona": {k: getattr(self, f"persona_{k}").data or "" for k in ("name", "role", "company", "mood",
                                                                              "background")},
            "rubric": split_keys(self.rubric.data), "behaviours": split_keys(self.behaviours.data),
            "objections": split_keys(self.objections.data),
        }


class AddNodeForm(FlaskForm):
    """Add a node to the draft."""

    key = StringField(_l("Node name"), validators=[DataRequired(), Length(max=80), Regexp(
        KEY_RE, message=_l("Start with a letter; use letters, digits, “_”, “.” or “-”."))])
    way = SelectField(_l("Type"), choices=[SelectChoice(k, v) for k, v in WAY_LABELS.items()])
    submit = SubmitField(_l("Add node"))


class RenameNodeForm(FlaskForm):
    """Rename a node (links to it follow)."""

    key = StringField(_l("New name"), validators=[DataRequired(), Length(max=80), Regexp(
        KEY_RE, message=_l("Start with a letter; use letters, digits, “_”, “.” or “-”."))])
    submit = SubmitField(_l("Rename"))


class ActionForm(FlaskForm):
    """A button that changes something (publish, discard, delete, restore): CSRF only."""


class ChoiceRow(Form):
    """One choice of a node, with an optional score-conditional branch."""

    text = TextAreaField(_l("Learner says"), validators=[Optional(), Length(max=500)])
    technique = StringField(_l("Technique"), validators=[Optional(), Length(max=120)])
    score = StringField(_l("Points"), validators=[Optional(), Length(max=300), valid_score])
    feedback = TextAreaField(_l("Feedback"), validators=[Optional(), Length(max=1000)])
    next = SelectField(_l("Goes to"), validate_choice=False)
    branch_dim = SelectField(_l("If dimension"), validate_choice=False)
    branch_op = SelectField(_l("is"), choices=[SelectChoice(op, op) for op in BRANCH_OPS])
    branch_value = StringField(_l("Value"), validators=[Optional(), Regexp(r"^[+-]?\d+(\.\d+)?$",
                                                                       message=_l("Enter a number."))])
    branch_next = SelectField(_l("then go to"), validate_choice=False)


class NodeForm(FlaskForm):
    """A node: the customer line and the learner's way on (choices, free text or an ending)."""

    customer = TextAreaField(_l("Customer says"), validators=[Optional(), Length(max=2000)])
    way = RadioField(_l("The learner answers with"), choices=[SelectChoice(k, v) for k, v in WAY_LABELS.items()],
                     validators=[InputRequired()])
    choices = FieldList(FormField(ChoiceRow), min_entries=0)
    expect = SelectMultipleField(_l("Expected SPIN labels"),
                                 choices=[SelectChoice(label, label) for label in SPIN_LABELS],
                                 option_widget=CheckboxInput(), widget=ListWidget(prefix_label=False))
    route_situation = SelectField("situation", validate_choice=False)
    route_problem = SelectField("problem", validate_choice=False)
    route_implication = SelectField("implication", validate_choice=False)
    route_need_payoff = SelectField("need_payoff", validate_choice=False)
    route_other = SelectField("other", validate_choice=False)
    route_default = SelectField("default", validate_choice=False)
    ft_score = StringField(_l("Points for an expected label"), validators=[Optional(), Length(max=300), valid_score])
    feedback_situation = TextAreaField("situation", validators=[Optional(), Length(max=1000)])
    feedback_problem = TextAreaField("problem", validators=[Optional(), Length(max=1000)])
    feedback_implication = TextAreaField("implication", validators=[Optional(), Length(max=1000)])
    feedback_need_payoff = TextAreaField("need_payoff", validators=[Optional(), Length(max=1000)])
    feedback_other = TextAreaField("other", validators=[Optional(), Length(max=1000)])
    feedback_default = TextAreaField("default", validators=[Optional(), Length(max=1000)])
    hint = StringField(_l("Hint shown in the text box"), validators=[Optional(), Length(max=200)])
    outcome = StringField(_l("Outcome"), validators=[Optional(), Length(max=80)],
                          description=_l("won, lost, or a name such as next_meeting"))
    summary = TextAreaField(_l("Summary"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Save node"))

    def load(self, node) -> None:
        """Fill the fields from a draft node (GET)."""
        node = node if isinstance(node, dict) else {}
        self.customer.data = str(node.get("customer") or "")
        self.way.data = "end" if "end" in node else ("free_text" if "free_text" in node else "choices")
        for item in node.get("choices") or []:
            item = item if isinstance(item, dict) else {}
            branch = (item.get("branches") or [{}])[0]
            branch = branch if isinstance(branch, dict) else {}
            try:
                dim, op, value = parse_condition(str(branch.get("if") or ""))
            except ConditionError:
                dim, op, value = "", ">=", ""
            self.choices.append_entry({
                "text": str(item.get("text") or ""), "technique": str(item.get("technique") or ""),
                "score": format_score(item.get("score")), "feedback": str(item.get("feedback") or ""),
                "next": str(item.get("next") or ""), "branch_dim": dim, "branch_op": op,
                "branch_value": str(value), "branch_next": str(branch.get("next") or ""),
            })
        ft = node.get("free_text") if isinstance(node.get("free_text"), dict) else {}
        expect = ft.get("expect") or []
        self.expect.data = [expect] if isinstance(expect, str) else list(expect)
        routes = ft.get("routes") if isinstance(ft.get("routes"), dict) else {}
        feedback = ft.get("feedback")
        if isinstance(feedback, str):
            feedback = {label: feedback for label in self.expect.data}
        feedback = feedback if isinstance(feedback, dict) else {}
        for label in ROUTE_LABELS:
            getattr(self, f"route_{label}").data = str(routes.get(label) or "")
            getattr(self, f"feedback_{label}").data = str(feedback.get(label) or "")
        self.ft_score.data = format_score(ft.get("score"))
        self.hint.data = str(ft.get("hint") or "")
        self.outcome.data = str(node.get("end") or "won") if "end" in node else "won"
        self.summary.data = str(node.get("summary") or "")

    def add_empty_rows(self, count: int = EMPTY_CHOICE_ROWS) -> None:
        """Append empty choice rows for new choices."""
        for _ in range(count):
            self.choices.append_entry({"branch_op": ">="})

    def set_choices(self, node_keys: list, rubric: list) -> None:
        """Fill the selects with the draft's node keys and rubric (values not among them stay visible)."""
        none = [SelectChoice("", "—")]
        for row in self.choices:
            row.next.choices = none + _with_current(node_keys, row.next.data)
            row.branch_next.choices = none + _with_current(node_keys, row.branch_next.data)
            row.branch_dim.choices = none + _with_current(rubric, row.branch_dim.data)
        for label in ROUTE_LABELS:
            field = getattr(self, f"route_{label}")
            field.choices = none + _with_current(node_keys, field.data)

    def to_node(self, old) -> dict:
        """Return the node in the draft shape; free-text branches and extra choice branches are kept."""
        old = old if isinstance(old, dict) else {}
        customer = (self.customer.data or "").strip()
        if self.way.data == "end":
            node = {"end": (self.outcome.data or "").strip(), "summary": (self.summary.data or "").strip()}
            return {"customer": customer, **node} if customer else node
        if self.way.data == "free_text":
            old_ft = old.get("free_text") if isinstance(old.get("free_text"), dict) else {}
            ft = {"expect": list(self.expect.data or []),
                  "routes": {label: getattr(self, f"route_{label}").data for label in ROUTE_LABELS
                             if getattr(self, f"route_{label}").data}}
            score = parse_score(self.ft_score.data)
            if score:
                ft["score"] = score
            feedback = {label: getattr(self, f"feedback_{label}").data.strip() for label in ROUTE_LABELS
                        if (getattr(self, f"feedback_{label}").data or "").strip()}
            if feedback:
                ft["feedback"] = feedback
            if (self.hint.data or "").strip():
                ft["hint"] = self.hint.data.strip()
            if old_ft.get("branches"):
                ft["branches"] = old_ft["branches"]
            return {"customer": customer, "free_text": ft}
        old_choices = old.get("choices") if isinstance(old.get("choices"), list) else []
        choices = []
        for i, row in enumerate(self.choices):
            if not (row.text.data or "").strip() and not row.next.data:
                continue
            item = {"text": (row.text.data or "").strip(), "next": row.next.data or ""}
            for key in ("technique", "feedback"):
                value = (getattr(row, key).data or "").strip()
                if value:
                    item[key] = value
            score = parse_score(row.score.data)
            if score:
                item["score"] = score
            old_item = old_choices[i] if i < len(old_choices) and isinstance(old_choices[i], dict) else {}
            extra = list(old_item.get("branches") or [])[1:]
            branches = []
            if row.branch_dim.data and (row.branch_value.data or "").strip() and row.branch_next.data:
                branches.append({"if": f"{row.branch_dim.data} {row.branch_op.data} {row.branch_value.data.strip()}",
                                 "next": row.branch_next.data})
            if branches or extra:
                item["branches"] = branches + extra
            choices.append(item)
        return {"customer": customer, "choices": choices}


def _with_current(options: list, current: str) -> list:
    """Return select choices for ``options``, plus ``current`` when it is not among them."""
    items = [SelectChoice(k, k) for k in options]
    if current and current not in options:
        items.append(SelectChoice(current, f"{current} ⚠"))
    return items


class UploadForm(FlaskForm):
    """Upload a YAML or Twee scenario file."""

    file = FileField(_l("Scenario file (.yaml, .yml, .twee, .tw)"), validators=[FileRequired()])
    submit = SubmitField(_l("Upload"))


class PreviewForm(FlaskForm):
    """One preview answer; ``state`` carries the signed answers so far."""

    state = HiddenField()
    choice = IntegerField(validators=[Optional(), NumberRange(min=0)])
    text = TextAreaField(_l("Type what you would say"), validators=[Optional(), Length(max=500)])
    label = SelectField(_l("Treat the line as"), validate_choice=False,
                        choices=[SelectChoice("", _l("what the classifier says"))]
                        + [SelectChoice(k, k) for k in SPIN_LABELS])
