"""Deal import (JSON rows or CSV upload; all or nothing) and behaviour-model runs (admins)."""

import csv
import io

import sqlalchemy as sa
from flask import url_for
from flask_login import current_user

from app.api import v1
from app.api.errors import ApiError, import_details
from app.api.pagination import paginate
from app.api.schemas import (
    DealImportForm, DealImportIn, ImportSummaryOut, ModelRunDetailOut, ModelRunIn, ModelRunOut, ModelRunQuery, Page,
)
from app.api.spec import ID, operation
from app.authz import allow
from app.content.deals_csv import parse_activities, parse_deals
from app.models.deals import ModelRun
from app.models.people import Role
from app.services import deals, insights
from app.services.errors import ImportProblems

ROWS = "rows"  # the source name of JSON imports; problems then name rows, counted from 1


def _cell(value) -> str:
    """Return a JSON value as the CSV cell the importer reads."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def rows_as_csv(rows: list[dict], columns: list[str] | None = None) -> str:
    """Return JSON rows as CSV text, columns in order of first appearance, so they pass the CSV validation."""
    columns = columns or list(dict.fromkeys(key for row in rows for key in row))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
    return out.getvalue()


def summary_out(summary: deals.ImportSummary) -> ImportSummaryOut:
    """Return an import summary as a response object."""
    return ImportSummaryOut(
        source=summary.source, dry_run=summary.dry_run, total=summary.total, created=summary.created,
        updated=summary.updated, won=summary.won, lost=summary.lost, open=summary.open,
        activities=summary.activities, owners_matched=summary.owners_matched,
        behaviours=list(summary.behaviours), unmatched_emails=list(summary.unmatched_emails), notes=list(summary.notes),
    )


def import_json(body: DealImportIn) -> deals.ImportSummary:
    """Validate JSON rows exactly as deals.csv would be, then import them; problems name rows."""
    try:
        parsed = parse_deals(rows_as_csv(body.rows), name=ROWS)
        if body.activities:
            activities = [a.model_dump() for a in body.activities]
            parsed = parse_activities(rows_as_csv(activities, ["deal_id", "activity", "occurred_at"]), parsed,
                                      name="activities")
    except ImportProblems as error:
        raise ApiError(422, "the rows have problems; nothing was imported", import_details(error.problems, rows=True))
    return deals.import_deals(parsed, dry_run=body.dry_run)


@v1.post("/deals/import")
@allow(Role.ADMIN)
@operation(
    summary="Import deals", tag="deals", response=ImportSummaryOut, body=DealImportIn, form=DealImportForm,
    files=(("deals", True, "deals.csv"), ("activities", False, "activities.csv (optional)")), errors=(422,),
    description=(
        "Send JSON `rows` (deals.csv columns) or upload deals.csv as multipart form data. Every row is checked "
        "as by `flask deals import`; any problem imports nothing and is listed in `details` with its row (JSON) "
        "or file and line (CSV). Deals are matched on deal_id: existing ones are updated."
    ),
)
def import_deals(body: DealImportIn = None, form: DealImportForm = None, files: dict = None):
    """Import deals from JSON rows or uploaded CSV files; all or nothing."""
    if body is not None:
        return summary_out(import_json(body))
    deals_file, activities_file = files["deals"], files["activities"]
    summary = insights.import_upload(
        deals_file.read(), deals_file.filename or "deals.csv",
        activities_file.read() if activities_file else None,
        (activities_file.filename or "activities.csv") if activities_file else "activities.csv",
        dry_run=form.dry_run,
    )
    return summary_out(summary)


def run_summaries(runs) -> list[ModelRunOut]:
    """Return runs as summaries."""
    return [ModelRunOut.model_validate(r) for r in runs]


@v1.get("/model-runs")
@allow(Role.ADMIN)
@operation(summary="List behaviour-model runs", tag="model", response=Page[ModelRunOut], query=ModelRunQuery)
def list_model_runs(query: ModelRunQuery):
    """Return a page of model runs, newest first."""
    return paginate(sa.select(ModelRun).order_by(ModelRun.id.desc()), query, run_summaries)


@v1.get(f"/model-runs/<{ID}:run_id>")
@allow(Role.ADMIN)
@operation(summary="A model run and its behaviour ranking", tag="model", response=ModelRunDetailOut)
def get_model_run(run_id: int):
    """Return one run with its full result."""
    return ModelRunDetailOut.model_validate(deals.get_run(run_id))


@v1.post("/model-runs")
@allow(Role.ADMIN)
@operation(summary="Fit the model on the imported deals", tag="model", response=ModelRunDetailOut,
           body=ModelRunIn, status=201,
           description="Fits synchronously and saves the run; too little or one-class data gives warnings.")
def start_model_run(body: ModelRunIn):
    """Fit the behaviour model on the stored deals and return the new run."""
    run = deals.fit_run(user=current_user, n_splits=body.folds, n_repeats=body.repeats)
    location = url_for("api.v1.get_model_run", run_id=run.id, _external=True)
    return ModelRunDetailOut.model_validate(run), {"Location": location}
