"""Request and response schemas of the API (pydantic); the OpenAPI document is built from them."""

from datetime import date, datetime
from typing import Annotated, Generic, Literal, Optional, TypeVar

from annotated_types import Ge, Le
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

MAX_ID = 2**31 - 1  # the largest id the databases' INTEGER columns hold


def _integral(value):
    """Return 3 for 3.0: JSON Schema counts a number without a fraction as an integer."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# An integer in a strict JSON body: 3 and 3.0 pass; "3", true and 3.5 do not.
JsonInt = Annotated[int, BeforeValidator(_integral)]
RecordId = Annotated[int, Ge(1), Le(MAX_ID), BeforeValidator(_integral)]
T = TypeVar("T")

ROLES = Literal["learner", "mentor", "trainer", "admin"]
TIERS = Literal["new_hire", "core", "manager"]


class Query(BaseModel):
    """Query parameters: strings from the URL, converted; unknown parameters are refused."""

    model_config = ConfigDict(extra="forbid")


class Body(BaseModel):
    """A JSON request body: types are strict and unknown fields are refused."""

    model_config = ConfigDict(extra="forbid", strict=True)


class Out(BaseModel):
    """A response object, read from model attributes."""

    model_config = ConfigDict(from_attributes=True)


# --- errors and pages ----------------------------------------------------------


class ErrorDetail(BaseModel):
    """One problem: a field of the query or body, or a line or row of imported data."""

    message: str
    location: Optional[Literal["query", "body", "form", "path"]] = None
    field: Optional[str] = None
    file: Optional[str] = None
    line: Optional[int] = None
    row: Optional[int] = None


class ErrorBody(BaseModel):
    """The error: the HTTP status code, a message, and details when there are some."""

    code: int
    message: str
    details: Optional[list[ErrorDetail]] = None


class ErrorResponse(BaseModel):
    """Every error the API answers has this shape."""

    error: ErrorBody


class PageQuery(Query):
    """Which page of a list to return."""

    page: int = Field(1, ge=1, le=1_000_000, description="Page number, from 1.")
    per_page: int = Field(25, ge=1, le=100, description="Items per page (at most 100).")


class Page(BaseModel, Generic[T]):
    """One page of a list; ``next`` is the URL of the next page, null on the last."""

    items: list[T]
    page: int
    per_page: int
    total: int
    next: Optional[str]


# --- people ------------------------------------------------------------------------


class TeamRef(Out):
    """A team, as named in a user."""

    id: int
    name: str


class TeamOut(Out):
    """A team."""

    id: int
    name: str
    created_at: datetime


class UserOut(Out):
    """A user; never includes password material."""

    id: int
    email: str
    name: str
    role: ROLES
    tier: TIERS
    team: Optional[TeamRef]
    locale: Optional[str]
    active: bool
    created_at: datetime
    last_seen_at: Optional[datetime]


class UserQuery(PageQuery):
    """Filters of the user list."""

    q: Optional[str] = Field(None, max_length=200, description="Part of the name or email.")
    role: Optional[ROLES] = None
    tier: Optional[TIERS] = None
    team_id: Optional[int] = Field(None, ge=1, le=MAX_ID)
    active: Optional[bool] = None


class TeamQuery(PageQuery):
    """Filters of the team list."""

    q: Optional[str] = Field(None, max_length=200, description="Part of the team name.")


# --- learning ------------------------------------------------------------------------


class CourseRef(Out):
    """The course of an enrolment."""

    id: int
    slug: str
    title: str
    tier: TIERS
    lang: str


class EnrolmentOut(BaseModel):
    """A learner on a course, with lesson progress."""

    id: int
    user_id: int
    course: CourseRef
    source: str
    enrolled_at: datetime
    started_at: Optional[datetime]
    completed_at: Optional[datetime]
    last_activity_at: Optional[datetime]
    lessons_done: int
    lessons_total: int


class EnrolmentQuery(PageQuery):
    """Filters of a learner's enrolments."""

    status: Optional[Literal["in_progress", "completed"]] = None


class AwardOut(BaseModel):
    """A certification awarded to the learner."""

    key: str
    title: str
    serial: str
    awarded_at: datetime


class ProgressOut(BaseModel):
    """A learner's path progress: courses, lessons, certifications and assignments."""

    user_id: int
    courses_enrolled: int
    courses_completed: int
    lessons_done: int
    lessons_total: int
    certifications: list[AwardOut]
    assignments: dict[str, int] = Field(description="Assignments by status: not_started, in_progress, overdue, done.")


ASSIGNMENT_STATUSES = Literal["not_started", "in_progress", "overdue", "done"]


class AssignmentOut(Out):
    """A course, quiz or scenario a mentor asked a learner to do; ``status`` includes ``overdue``."""

    id: int
    kind: Literal["course", "quiz", "scenario"]
    target_key: str
    target_title: str
    assignee_id: int
    assigned_by_id: int
    due_on: date
    message: str
    status: ASSIGNMENT_STATUSES
    started_at: Optional[datetime]
    completed_at: Optional[datetime]
    score: Optional[float]
    created_at: datetime


class AssignmentQuery(PageQuery):
    """Filters of the assignment list."""

    assignee_id: Optional[int] = Field(None, ge=1, le=MAX_ID)
    status: Optional[ASSIGNMENT_STATUSES] = None


class AssignmentIn(Body):
    """Assign a course (slug), quiz (id) or scenario (slug) to one or more of your mentees."""

    mentee_ids: list[RecordId] = Field(min_length=1, max_length=100)
    kind: Literal["course", "quiz", "scenario"]
    target_key: str = Field(min_length=1, max_length=200)
    due_on: date
    message: str = Field("", max_length=2000)


class AssignmentBatch(BaseModel):
    """The assignments created, one per mentee."""

    items: list[AssignmentOut]


# --- quizzes and role-plays --------------------------------------------------------


class AttemptOut(BaseModel):
    """A quiz attempt and its result."""

    id: int
    quiz_id: int
    quiz_title: str
    user_id: int
    number: Optional[int]
    is_practice: bool
    state: Literal["in_progress", "needs_grading", "finished"]
    started_at: datetime
    submitted_at: Optional[datetime]
    finished_at: Optional[datetime]
    score: Optional[float] = Field(description="0 to 1, once graded.")
    passed: Optional[bool]


class AttemptItemOut(BaseModel):
    """One question of an attempt and its grade."""

    position: int
    question_name: str
    question_type: str
    fraction: Optional[float]
    needs_grading: bool


class AttemptDetailOut(AttemptOut):
    """A quiz attempt with its per-question grades."""

    items: list[AttemptItemOut]


class AttemptQuery(PageQuery):
    """Filters of a learner's attempts."""

    quiz_id: Optional[int] = Field(None, ge=1, le=MAX_ID)
    state: Optional[Literal["in_progress", "needs_grading", "finished"]] = None


class ScenarioRef(BaseModel):
    """The scenario of a play."""

    slug: str
    title: str


class PlayOut(BaseModel):
    """A role-play and its result."""

    id: int
    user_id: int
    scenario: ScenarioRef
    status: Literal["active", "finished", "abandoned"]
    outcome: Optional[str]
    score: Optional[float] = Field(description="0 to 1, once the play ends.")
    scores: Optional[dict[str, float]] = Field(description="Score per rubric dimension, 0 to 1.")
    step_count: int
    started_at: datetime
    finished_at: Optional[datetime]


class PlayStepOut(BaseModel):
    """One answer in a play."""

    index: int
    node: str
    kind: str
    text: str
    label: Optional[str]
    technique: str
    score: dict[str, float]
    feedback: str


class PlayDetailOut(PlayOut):
    """A role-play with its steps."""

    steps: list[PlayStepOut]


class PlayQuery(PageQuery):
    """Filters of a learner's plays."""

    scenario: Optional[str] = Field(None, max_length=80, description="Scenario slug.")
    status: Optional[Literal["active", "finished", "abandoned"]] = None


# --- deals and the behaviour model -------------------------------------------------

Cell = Optional[str | float | int | bool]


class ActivityIn(Body):
    """One activity of a deal (activities.csv)."""

    deal_id: str = Field(max_length=64)
    activity: str = Field(max_length=64)
    occurred_at: str = Field(max_length=40, description="ISO 8601 date or date-time.")


class DealImportIn(Body):
    """Deal rows as deals.csv columns (deal_id, outcome, owner_email, amount, …, behaviour counts)."""

    rows: list[dict[str, Cell]] = Field(min_length=1, max_length=50_000)
    activities: Optional[list[ActivityIn]] = Field(None, max_length=500_000)
    dry_run: bool = False


class DealImportForm(Query):
    """The form fields of a CSV upload (the files are ``deals`` and optionally ``activities``)."""

    dry_run: bool = False


class ImportSummaryOut(BaseModel):
    """What an import did, or for a dry run would do."""

    source: str
    dry_run: bool
    total: int
    created: int
    updated: int
    won: int
    lost: int
    open: int
    activities: int
    owners_matched: int
    behaviours: list[str]
    unmatched_emails: list[str]
    notes: list[str]


class ModelRunOut(Out):
    """A fit of the behaviour model: what it saw and how good it was."""

    id: int
    created_at: datetime
    created_by_id: Optional[int]
    source: str
    data_hash: str
    n_deals: int
    n_won: int
    cv_auc: Optional[float]
    metrics: dict[str, Optional[float]]


class ModelRunDetailOut(ModelRunOut):
    """A model run with its ranking: the JSON of DESIGN.md §6."""

    result: dict = Field(description="n_deals, n_won, metrics, behaviours (ranked), warnings, leakage.")


class ModelRunQuery(PageQuery):
    """Filters of the model-run list."""


class ModelRunIn(Body):
    """Fit the model on the imported deals."""

    folds: JsonInt = Field(5, ge=2, le=20)
    repeats: JsonInt = Field(2, ge=1, le=20)
