"""Forms of the scenario studio: new scenario, metadata, node editor, upload and preview.

The node editor turns a draft node (YAML shape) into fields and back; empty
choice and branch rows let a trainer add them without JavaScript, and a
"remove" box (or clearing a row) takes a branch away.
"""

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField, FieldList, Form, FormField, HiddenField, IntegerField, RadioField, SelectChoice, SelectField,
    SelectMultipleField, StringField, SubmitField, TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp
from wtforms.validators import ValidationError as FieldError
from wtforms.widgets import CheckboxInput, ListWidget

from app.content.scenario import BRANCH_OPS, KEY_RE, SLUG_RE, SPIN_LABELS, ConditionError, parse_condition

EMPTY_CHOICE_ROWS = 2
EMPTY_BRANCH_ROWS = 1
ROUTE_LABELS = SPIN_LABELS + ("default",)
WAY_LABELS = {"choices": _l("Choices"), "free_text": _l("Free text"), "end": _l("Ending")}
_SCORE_ITEM = re.compile(r"^\s*([^\s:=：]+)\s*[:=：]\s*([+-]?\d+(?:\.\d+)?)\s*$")
# Looser than parse_condition: splits a condition the validator refuses, so the trainer sees and fixes it.
_LOOSE_CONDITION = re.compile(r"^\s*([^\s<>=!≥≤]*)\s*([<>=!≥≤]*)\s*(.*?)\s*$")


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
    behaviours = SelectMultipleField(_l("Behaviours trained"), validate_choice=False,
                                     option_widget=CheckboxInput(), widget=ListWidget(prefix_label=False))
    objections = SelectMultipleField(_l("Objections"), validate_choice=False,
                                     option_widget=CheckboxInput(), widget=ListWidget(prefix_label=False))
    start = SelectField(_l("Start node"), validate_choice=False)
    submit = SubmitField(_l("Save details"))

    def load(self, draft: dict) -> None:
        """Fill the fields from a draft (GET)."""
        persona = draft.get("persona") if isinstance(draft.get("persona"), dict) else {}
        for key in ("title", "lang", "kind", "tier", "description", "start"):
            getattr(self, key).data = str(draft.get(key) or "")
        for key in ("name", "role", "company", "mood", "background"):
            getattr(self, f"persona_{key}").data = str(persona.get(key) or "")
        rubric = draft.get("rubric")
        self.rubric.data = ", ".join(str(v) for v in rubric) if isinstance(rubric, list) else ""
        for key in ("behaviours", "objections"):
            value = draft.get(key)
            getattr(self, key).data = [str(v) for v in value] if isinstance(value, list) else []

    def set_vocabularies(self, behaviours: dict, objections: dict) -> None:
        """Offer the known behaviours and objections ({key: name}) as boxes; unknown chosen keys stay listed."""
        for field, known in ((self.behaviours, behaviours), (self.objections, objections)):
            chosen = [k for k in (field.data or []) if k]
            # Unknown keys first, where the trainer sees them beside their problem.
            field.choices = [SelectChoice(k, _l("%(key)s (unknown key)", key=k)) for k in chosen if k not in known]
            field.choices += [SelectChoice(k, name) for k, name in known.items()]

    def to_meta(self) -> dict:
        """Return the metadata for ``studio.save_metadata``."""
        return {
            "title": self.title.data, "lang": self.lang.data, "kind": self.kind.data, "tier": self.tier.data,
            "description": self.description.data or "", "start": self.start.data or "",
            "persona": {k: getattr(self, f"persona_{k}").data or "" for k in ("name", "role", "company", "mood",
                                                                              "background")},
            "rubric": split_keys(self.rubric.data), "behaviours": [k for k in self.behaviours.data or [] if k],
            "objections": [k for k in self.objections.data or [] if k],
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


class BranchRow(Form):
    """One score-conditional branch: if <dimension> <op> <value>, go to <next>."""

    dim = SelectField(_l("If dimension"), validate_choice=False)
    op = SelectField(_l("is"), validate_choice=False, choices=[SelectChoice(op, op) for op in BRANCH_OPS])
    value = StringField(_l("Value"), validators=[Optional(), Length(max=20), Regexp(
        r"^[+-]?(\d+(\.\d*)?|\.\d+)$", message=_l("Enter a number."))])
    next = SelectField(_l("then go to"), validate_choice=False)
    remove = BooleanField(_l("Remove"))

    @property
    def is_empty(self) -> bool:
        """Return True when the row names neither a dimension, a value nor a target (a row for a new branch)."""
        return not (self.dim.data or (self.value.data or "").strip() or self.next.data)


class FreeTextBranchRow(BranchRow):
    """A free-text branch, optionally limited to lines of one SPIN label."""

    spin_label = SelectField(_l("for lines labelled"), validate_choice=False,
                        choices=[SelectChoice("", _l("any label"))] + [SelectChoice(k, k) for k in SPIN_LABELS])


class ChoiceRow(Form):
    """One choice of a node, with its score-conditional branches."""

    text = TextAreaField(_l("Learner says"), validators=[Optional(), Length(max=500)])
    technique = StringField(_l("Technique"), validators=[Optional(), Length(max=120)])
    score = StringField(_l("Points"), validators=[Optional(), Length(max=300), valid_score])
    feedback = TextAreaField(_l("Feedback"), validators=[Optional(), Length(max=1000)])
    next = SelectField(_l("Goes to"), validate_choice=False)
    branches = FieldList(FormField(BranchRow), min_entries=0)


def branch_entry(branch) -> dict:
    """Return the fields of a draft branch ({if, next, label}); a condition the validator refuses is split loosely."""
    branch = branch if isinstance(branch, dict) else {}
    condition = str(branch.get("if") or "")
    try:
        dim, op, value = parse_condition(condition)
    except ConditionError:
        dim, op, value = _LOOSE_CONDITION.match(condition).groups()
    return {"dim": dim, "op": op or ">=", "value": str(value), "next": str(branch.get("next") or ""),
            "spin_label": str(branch.get("label") or "")}


def branches_from_rows(rows, with_label: bool = False) -> list:
    """Return the draft branches of the filled rows not marked for removal (half-filled rows are kept, to be flagged)."""
    branches = []
    for row in rows:
        if row.remove.data or row.is_empty:
            continue
        condition = " ".join(p for p in (row.dim.data, row.op.data, (row.value.data or "").strip()) if p)
        item = {"if": condition, "next": row.next.data or ""}
        if with_label and row.spin_label.data:
            item["label"] = row.spin_label.data
        branches.append(item)
    return branches


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
    points_situation = StringField("situation", validators=[Optional(), Length(max=300), valid_score])
    points_problem = StringField("problem", validators=[Optional(), Length(max=300), valid_score])
    points_implication = StringField("implication", validators=[Optional(), Length(max=300), valid_score])
    points_need_payoff = StringField("need_payoff", validators=[Optional(), Length(max=300), valid_score])
    points_other = StringField("other", validators=[Optional(), Length(max=300), valid_score])
    points_default = StringField("default", validators=[Optional(), Length(max=300), valid_score])
    feedback_situation = TextAreaField("situation", validators=[Optional(), Length(max=1000)])
    feedback_problem = TextAreaField("problem", validators=[Optional(), Length(max=1000)])
    feedback_implication = TextAreaField("implication", validators=[Optional(), Length(max=1000)])
    feedback_need_payoff = TextAreaField("need_payoff", validators=[Optional(), Length(max=1000)])
    feedback_other = TextAreaField("other", validators=[Optional(), Length(max=1000)])
    feedback_default = TextAreaField("default", validators=[Optional(), Length(max=1000)])
    # Labels whose points are explicitly none ("scores: {label: {}}", as Twee routes into an unscored passage
    # give): such an entry stops the fall-back to "default", so a blank field must keep it, not drop it.
    no_points = HiddenField()
    hint = StringField(_l("Hint shown in the text box"), validators=[Optional(), Length(max=200)])
    ft_branches = FieldList(FormField(FreeTextBranchRow), min_entries=0)
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
            self.choices.append_entry({
                "text": str(item.get("text") or ""), "technique": str(item.get("technique") or ""),
                "score": format_score(item.get("score")), "feedback": str(item.get("feedback") or ""),
                "next": str(item.get("next") or ""),
                "branches": [branch_entry(b) for b in _as_list(item.get("branches"))],
            })
        ft = node.get("free_text") if isinstance(node.get("free_text"), dict) else {}
        expect = ft.get("expect") or []
        self.expect.data = [expect] if isinstance(expect, str) else list(expect)
        routes = ft.get("routes") if isinstance(ft.get("routes"), dict) else {}
        feedback = ft.get("feedback")
        if isinstance(feedback, str):
            feedback = {label: feedback for label in self.expect.data}
        feedback = feedback if isinstance(feedback, dict) else {}
        scores = ft.get("scores") if isinstance(ft.get("scores"), dict) else {}
        self.no_points.data = " ".join(label for label in ROUTE_LABELS
                                       if isinstance(scores.get(label), dict) and not scores[label])
        for label in ROUTE_LABELS:
            getattr(self, f"route_{label}").data = str(routes.get(label) or "")
            getattr(self, f"feedback_{label}").data = str(feedback.get(label) or "")
            getattr(self, f"points_{label}").data = format_score(scores.get(label))
        self.ft_score.data = format_score(ft.get("score"))
        self.hint.data = str(ft.get("hint") or "")
        for branch in _as_list(ft.get("branches")):
            self.ft_branches.append_entry(branch_entry(branch))
        self.outcome.data = str(node.get("end") or "won") if "end" in node else "won"
        self.summary.data = str(node.get("summary") or "")

    def add_empty_rows(self, count: int = EMPTY_CHOICE_ROWS) -> None:
        """Append empty choice rows for new choices, and an empty branch row to each choice and the free text."""
        for _ in range(count):
            self.choices.append_entry({})
        for row in self.choices:
            for _ in range(EMPTY_BRANCH_ROWS):
                row.branches.append_entry({"op": ">="})
        for _ in range(EMPTY_BRANCH_ROWS):
            self.ft_branches.append_entry({"op": ">="})

    def set_choices(self, node_keys: list, rubric: list) -> None:
        """Fill the selects with the draft's node keys and rubric (values not among them stay visible)."""
        self._node_keys, self._rubric = list(node_keys), list(rubric)
        none = [SelectChoice("", "—")]
        for row in self.choices:
            row.next.choices = none + _with_current(node_keys, row.next.data)
            for branch in row.branches:
                _set_branch_choices(branch, node_keys, rubric)
        for branch in self.ft_branches:
            _set_branch_choices(branch, node_keys, rubric)
        for label in ROUTE_LABELS:
            field = getattr(self, f"route_{label}")
            field.choices = none + _with_current(node_keys, field.data)

    def branch_template(self, rows) -> Form:
        """Return an empty branch row for the list ``rows``, named with the index ``__index__``.

        The page keeps it in a <template> for the "Add branch" button, which
        copies it with the next free index: the names are those the list parses.
        """
        row_class = FreeTextBranchRow if rows is self.ft_branches else BranchRow
        row = row_class(prefix=f"{rows.name}-__index__-", data={"op": ">="})
        _set_branch_choices(row, getattr(self, "_node_keys", []), getattr(self, "_rubric", []))
        return row

    def no_points_labels(self) -> set:
        """Return the labels loaded with an explicitly empty points entry."""
        return set(split_keys(self.no_points.data)) & set(ROUTE_LABELS)

    def label_points(self) -> dict:
        """Return {label: points} of the filled per-label points fields ({} for a blank "no points" one)."""
        empty = self.no_points_labels()
        return {label: parse_score(getattr(self, f"points_{label}").data) for label in ROUTE_LABELS
                if (getattr(self, f"points_{label}").data or "").strip() or label in empty}

    def to_node(self) -> dict:
        """Return the node in the draft shape."""
        customer = (self.customer.data or "").strip()
        if self.way.data == "end":
            node = {"end": (self.outcome.data or "").strip(), "summary": (self.summary.data or "").strip()}
            return {"customer": customer, **node} if customer else node
        if self.way.data == "free_text":
            ft = {"expect": list(self.expect.data or []),
                  "routes": {label: getattr(self, f"route_{label}").data for label in ROUTE_LABELS
                             if getattr(self, f"route_{label}").data}}
            score, per_label = parse_score(self.ft_score.data), self.label_points()
            if per_label:
                # Points per label: the expected labels get "score" unless they have their own.
                ft["scores"] = {**({label: dict(score) for label in ft["expect"]} if score else {}), **per_label}
            elif score:
                ft["score"] = score
            feedback = {label: getattr(self, f"feedback_{label}").data.strip() for label in ROUTE_LABELS
                        if (getattr(self, f"feedback_{label}").data or "").strip()}
            if feedback:
                ft["feedback"] = feedback
            if (self.hint.data or "").strip():
                ft["hint"] = self.hint.data.strip()
            branches = branches_from_rows(self.ft_branches, with_label=True)
            if branches:
                ft["branches"] = branches
            return {"customer": customer, "free_text": ft}
        choices = []
        for row in self.choices:
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
            branches = branches_from_rows(row.branches)
            if branches:
                item["branches"] = branches
            choices.append(item)
        return {"customer": customer, "choices": choices}


def _as_list(value) -> list:
    """Return ``value`` when it is a list, else an empty list (drafts may hold anything)."""
    return value if isinstance(value, list) else []


def _set_branch_choices(row, node_keys: list, rubric: list) -> None:
    """Fill a branch row's selects; a dimension, operator or target not among the options stays visible."""
    none = [SelectChoice("", "—")]
    row.dim.choices = none + _with_current(rubric, row.dim.data)
    row.op.choices = _with_current(list(BRANCH_OPS), row.op.data)
    row.next.choices = none + _with_current(node_keys, row.next.data)


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
