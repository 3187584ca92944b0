"""Forms of the deal-insights area."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, HiddenField, SelectField, SubmitField
from wtforms.validators import DataRequired

CSV_EXTENSIONS = ["csv", "tsv", "txt"]


class ImportForm(FlaskForm):
    """Upload deals.csv (and optionally activities.csv)."""

    deals = FileField(_l("Deals file (deals.csv)"), validators=[
        FileRequired(_l("Choose a deals file.")), FileAllowed(CSV_EXTENSIONS, _l("Upload a .csv, .tsv or .txt file."))])
    activities = FileField(_l("Activities file (activities.csv, optional)"), validators=[
        FileAllowed(CSV_EXTENSIONS, _l("Upload a .csv, .tsv or .txt file."))])
    dry_run = BooleanField(_l("Only check the files (dry run)"))
    submit = SubmitField(_l("Import"))


class FitForm(FlaskForm):
    """Fit the model on the imported deals."""

    submit = SubmitField(_l("Fit the model on imported deals"))


class CompareForm(FlaskForm):
    """Pick two runs to compare (a GET form; choices are set in the view)."""

    class Meta:
        csrf = False

    a = SelectField(_l("Run"), coerce=int, validators=[DataRequired()])
    b = SelectField(_l("Compared with"), coerce=int, validators=[DataRequired()])
    submit = SubmitField(_l("Compare"))


class RecommendationForm(FlaskForm):
    """Accept or dismiss one recommended assignment."""

    mentee_id = HiddenField(validators=[DataRequired()])
    behaviour = HiddenField(validators=[DataRequired()])
    kind = HiddenField(validators=[DataRequired()])
    key = HiddenField(validators=[DataRequired()])
    accept = SubmitField(_l("Assign"))
    dismiss = SubmitField(_l("Dismiss"))
