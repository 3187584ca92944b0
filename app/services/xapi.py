"""Build xAPI 1.0.3 statements for lessons, courses, quiz attempts and role-plays.

The builders read other areas' rows through the table metadata only (no model
classes), so this module depends on the schema, not on another area's code.
Statement ids are UUIDv5 of the organisation's base IRI and the event, so the
same event always yields the same id (idempotent outbox, safe backfills) and
two organisations never collide in a shared LRS.
"""

import functools
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Optional

import sqlalchemy as sa
from flask import current_app

from app.extensions import db

PLATFORM = "Rehearse"
ADL_VERB = "http://adlnet.gov/expapi/verbs/"
ADL_ACTIVITY = "http://adlnet.gov/expapi/activities/"
VERBS = {name: ADL_VERB + name for name in ("attempted", "completed", "passed", "failed", "answered")}

# Moodle question types → xAPI interaction types (xAPI 1.0.3 §2.4.4.1.1).
INTERACTION_TYPES = {
    "multichoice": "choice", "multiple_answer": "choice", "truefalse": "true-false",
    "shortanswer": "fill-in", "numerical": "numeric", "matching": "matching",
    "essay": "long-fill-in",
}
MAX_TEXT = 1000


@dataclass(frozen=True)
class Activity:
    """An xAPI Activity: its IRI, ADL activity type and a name per language."""

    iri: str
    kind: str
    name: dict = field(default_factory=dict)
    interaction_type: Optional[str] = None

    def as_json(self) -> dict:
        """Return the Activity object of a statement."""
        definition: dict = {"type": ADL_ACTIVITY + self.kind}
        names = {lang: text for lang, text in self.name.items() if text}
        if names:
            definition["name"] = names
        if self.interaction_type:
            definition["interactionType"] = self.interaction_type
        return {"objectType": "Activity", "id": self.iri, "definition": definition}


def base_iri() -> str:
    """Return the configured base IRI of this organisation's activities, without a trailing slash."""
    return current_app.config["XAPI_BASE_IRI"].rstrip("/")


def statement_uuid(base: str, event_key: str) -> str:
    """Return the stable statement id of one event of one organisation."""
    return str(uuid.uuid5(_namespace(base), event_key))


@functools.lru_cache(maxsize=16)
def _namespace(base: str) -> uuid.UUID:
    """Return the UUID namespace of an organisation's base IRI."""
    return uuid.uuid5(uuid.NAMESPACE_URL, base)


def iso_timestamp(moment: datetime) -> str:
    """Return an ISO 8601 UTC timestamp with milliseconds, as LRSs store them."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def iso_duration(start: Optional[datetime], end: Optional[datetime]) -> Optional[str]:
    """Return the ISO 8601 duration between two moments (0.01 s precision, as xAPI asks), or None."""
    if start is None or end is None:
        return None
    seconds = max(0.0, (end - start).total_seconds())
    hours, rest = divmod(round(seconds, 2), 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{secs:.2f}".rstrip("0").rstrip(".")
    return "PT" + (f"{int(hours)}H" if hours else "") + (f"{int(minutes)}M" if minutes else "") + f"{text}S"


def build_statement(
    base: str, event_key: str, *, email: str, name: str, verb: str, activity: Activity, timestamp: datetime,
    result: Optional[dict] = None, parents: tuple = (), grouping: tuple = (), language: Optional[str] = None,
    registration: Optional[str] = None, extensions: Optional[dict] = None,
) -> dict:
    """Return one xAPI statement (without ``version``/``stored``/``authority``, which the LRS sets)."""
    context: dict = {"platform": PLATFORM}
    if language:
        context["language"] = language
    if registration:
        context["registration"] = registration
    activities = {}
    if parents:
        activities["parent"] = [p.as_json() for p in parents]
    if grouping:
        activities["grouping"] = [g.as_json() for g in grouping]
    if activities:
        context["contextActivities"] = activities
    if extensions:
        context["extensions"] = extensions
    statement = {
        "id": statement_uuid(base, event_key),
        "actor": {"objectType": "Agent", "name": name, "mbox": f"mailto:{email}"},
        "verb": {"id": VERBS[verb], "display": {"en-US": verb}},
        "object": activity.as_json(),
        "context": context,
        "timestamp": iso_timestamp(timestamp),
    }
    if result:
        statement["result"] = {key: value for key, value in result.items() if value is not None}
    return statement


def scaled(score) -> Optional[float]:
    """Return a 0..1 score clamped and rounded for ``result.score.scaled``."""
    if score is None:
        return None
    return round(min(1.0, max(0.0, float(score))), 4)


# --- reading other areas' rows through the table metadata ---------------------------------------

def _table(name: str) -> sa.Table:
    """Return a table of the shared metadata."""
    return db.metadata.tables[name]


def _row(table: str, **where):
    """Return the first row of ``table`` matching the equalities, or None."""
    t = _table(table)
    query = sa.select(t).where(*(t.c[key] == value for key, value in where.items())).limit(1)
    return db.session.execute(query).mappings().first()


def _actor(user_id: int):
    """Return (email, name) of a user, or None when the user is gone."""
    user = _row("user", id=user_id)
    return (user["email"], user["name"]) if user else None


def _course_activity(base: str, course) -> Activity:
    """Return the Activity of a course row."""
    return Activity(f"{base}/courses/{course['slug']}", "course", {course["lang"] or "en": course["title"]})


def _quiz_activity(base: str, quiz, lang: str) -> Activity:
    """Return the Activity of a quiz row."""
    return Activity(f"{base}/quizzes/{quiz['id']}", "assessment", {lang: quiz["title"]})


def _scenario_activity(base: str, scenario) -> Activity:
    """Return the Activity of a role-play scenario row."""
    return Activity(f"{base}/scenarios/{scenario['slug']}", "simulation", {scenario["lang"] or "en": scenario["title"]})


def lesson_statements(user_id: int, lesson_id: int) -> list[dict]:
    """Return the 'completed' statement of a lesson the learner finished."""
    base, actor = base_iri(), _actor(user_id)
    lesson = _row("lesson", id=lesson_id)
    progress = _row("lesson_progress", user_id=user_id, lesson_id=lesson_id)
    if actor is None or lesson is None or progress is None or progress["completed_at"] is None:
        return []
    course = _row("course", id=lesson["course_id"])
    lang = course["lang"] or "en"
    course_activity = _course_activity(base, course)
    activity = Activity(f"{course_activity.iri}/lessons/{lesson['key']}", "lesson", {lang: lesson["title"]})
    return [build_statement(
        base, f"lesson-completed:{user_id}:{lesson_id}", email=actor[0], name=actor[1], verb="completed",
        activity=activity, timestamp=progress["completed_at"], result={"completion": True},
        parents=(course_activity,), language=lang,
    )]


def course_statements(user_id: int, course_slug: str) -> list[dict]:
    """Return the 'completed' statement of a course the learner completed."""
    base, actor = base_iri(), _actor(user_id)
    course = _row("course", slug=course_slug)
    enrolment = course and _row("enrolment", user_id=user_id, course_id=course["id"])
    if actor is None or not enrolment or enrolment["completed_at"] is None:
        return []
    return [build_statement(
        base, f"course-completed:{user_id}:{course['id']}", email=actor[0], name=actor[1], verb="completed",
        activity=_course_activity(base, course), timestamp=enrolment["completed_at"],
        result={"completion": True, "duration": iso_duration(enrolment["started_at"], enrolment["completed_at"])},
        language=course["lang"],
    )]


def quiz_statements(attempt_id: int) -> list[dict]:
    """Return 'attempted', one 'answered' per graded question and 'passed'/'failed' for a graded attempt."""
    base = base_iri()
    attempt = _row("attempt", id=attempt_id)
    if attempt is None or attempt["state"] != "finished" or attempt["is_practice"]:
        return []
    actor = _actor(attempt["user_id"])
    quiz = _row("quiz", id=attempt["quiz_id"])
    if actor is None or quiz is None:
        return []
    course = _row("course", slug=quiz["course_slug"]) if quiz["course_slug"] else None
    lang = (course["lang"] if course else None) or "en"
    quiz_activity = _quiz_activity(base, quiz, lang)
    parents = (_course_activity(base, course),) if course else ()
    common = {"email": actor[0], "name": actor[1], "language": lang,
              "registration": statement_uuid(base, f"quiz-attempt:{attempt_id}"),
              "extensions": {f"{base}/extensions/attempt-number": attempt["number"]}}
    out = [build_statement(base, f"quiz-attempted:{attempt_id}", verb="attempted", activity=quiz_activity,
                           timestamp=attempt["started_at"], parents=parents, **common)]
    item, question = _table("attempt_item"), _table("question")
    rows = db.session.execute(
        sa.select(item.c.id, item.c.fraction, item.c.response, item.c.saved_at, question.c.key, question.c.name,
                  question.c.type)
        .join(question, question.c.id == item.c.question_id)
        .where(item.c.attempt_id == attempt_id).order_by(item.c.position)
    ).mappings().all()
    for row in rows:
        if row["type"] not in INTERACTION_TYPES or row["fraction"] is None:
            continue
        activity = Activity(f"{base}/questions/{row['key']}", "cmi.interaction", {lang: row["name"]},
                            INTERACTION_TYPES[row["type"]])
        response = (row["response"] or {}).get("text") if isinstance(row["response"], dict) else None
        fraction = float(row["fraction"])
        out.append(build_statement(
            base, f"quiz-answered:{row['id']}:{fraction:.4f}", verb="answered", activity=activity,
            timestamp=row["saved_at"] or attempt["finished_at"], parents=(quiz_activity,), grouping=parents,
            result={"score": {"scaled": scaled(fraction)}, "success": fraction >= 1 - 1e-9,
                    "response": str(response)[:MAX_TEXT] if response else None},
            **common,
        ))
    score, passed = attempt["score"], bool(attempt["passed"])
    out.append(build_statement(
        base, f"quiz-graded:{attempt_id}:{float(score or 0):.4f}:{passed}", verb="passed" if passed else "failed",
        activity=quiz_activity, timestamp=attempt["finished_at"] or attempt["submitted_at"] or attempt["started_at"],
        parents=parents,
        result={"score": {"scaled": scaled(score)}, "success": passed, "completion": True,
                "duration": iso_duration(attempt["started_at"], attempt["finished_at"] or attempt["submitted_at"])},
        **common,
    ))
    return out


@functools.cache
def _play_head_query() -> sa.Select:
    """Return the query of a play's head row (see ``_play_head``), built once."""
    play, scenario, user = _table("play"), _table("scenario"), _table("user")
    return (
        sa.select(play.c.id, play.c.started_at, play.c.finished_at, play.c.outcome, play.c.score, play.c.scores,
                  play.c.step_count, scenario.c.slug, scenario.c.lang, scenario.c.title, user.c.email, user.c.name)
        .join(scenario, scenario.c.id == play.c.scenario_id).join(user, user.c.id == play.c.user_id)
        .where(play.c.id == sa.bindparam("play_id"))
    )


def _play_head(play_id: int):
    """Return a play with its scenario and learner in one row, or None when any of them is gone."""
    return db.session.execute(_play_head_query(), {"play_id": play_id}).mappings().first()


class _PlayStatements:
    """Builds the statements of one play from its head row (see ``_play_head``)."""

    def __init__(self, base: str, head):
        self.base, self.head = base, head
        self.lang = head["lang"] or "en"
        self.scenario = _scenario_activity(base, head)
        self.common = {"email": head["email"], "name": head["name"], "language": self.lang,
                       "registration": statement_uuid(base, f"play:{head['id']}")}

    def started(self) -> dict:
        """Return the 'attempted' statement of the play."""
        return build_statement(self.base, f"play-started:{self.head['id']}", verb="attempted",
                               activity=self.scenario, timestamp=self.head["started_at"], **self.common)

    def step(self, row) -> dict:
        """Return the 'answered' statement of one saved step (a play_step row)."""
        base = self.base
        activity = Activity(
            f"{self.scenario.iri}/nodes/{row['node']}", "cmi.interaction", {self.lang: (row["customer"] or "")[:200]},
            "long-fill-in" if row["kind"] == "free_text" else "choice",
        )
        extensions = {f"{base}/extensions/step": row["index"]}
        if row["technique"]:
            extensions[f"{base}/extensions/technique"] = row["technique"]
        if row["label"]:
            extensions[f"{base}/extensions/spin-label"] = row["label"]
        if row["score"]:
            extensions[f"{base}/extensions/rubric-points"] = row["score"]
        return build_statement(
            base, _step_event(row["id"]), verb="answered", activity=activity, timestamp=row["created_at"],
            parents=(self.scenario,), result={"response": (row["text"] or "")[:MAX_TEXT], "extensions": extensions},
            **self.common,
        )

    def finished(self) -> list[dict]:
        """Return the 'completed' statement once the play has ended, else nothing."""
        head, base = self.head, self.base
        if head["finished_at"] is None:
            return []
        extensions = {f"{base}/extensions/outcome": head["outcome"]}
        if head["scores"]:
            extensions[f"{base}/extensions/rubric-scores"] = head["scores"]
        return [build_statement(
            base, f"play-finished:{head['id']}", verb="completed", activity=self.scenario,
            timestamp=head["finished_at"],
            result={"score": {"scaled": scaled(head["score"])} if head["score"] is not None else None,
                    "success": head["outcome"] == "won", "completion": True,
                    "duration": iso_duration(head["started_at"], head["finished_at"]), "extensions": extensions},
            **self.common,
        )]


def play_statements(play_id: int) -> list[dict]:
    """Return 'attempted' for a play, one 'answered' per saved step and 'completed' once it ended."""
    head = _play_head(play_id)
    if head is None:
        return []
    builder = _PlayStatements(base_iri(), head)
    step = _table("play_step")
    rows = db.session.execute(sa.select(step).where(step.c.play_id == play_id).order_by(step.c.index)).mappings()
    return [builder.started(), *(builder.step(row) for row in rows), *builder.finished()]


def new_step_statement(play, email: str, name: str, step) -> dict:
    """Return the 'answered' statement of a step not saved yet.

    Built from what the caller holds: ``play`` is the Play with its scenario
    loaded, ``step`` the play_step row's columns without its id; nothing is read.
    Its ``id`` is None until :func:`set_step_id` gives it the saved row's. The
    play's 'attempted' was stored when it started; if either was not stored, the
    ending stores the whole play.
    """
    scenario = play.scenario
    head = {"id": play.id, "started_at": play.started_at, "finished_at": None, "slug": scenario.slug,
            "lang": scenario.lang, "title": scenario.title, "email": email, "name": name}
    return _PlayStatements(base_iri(), head).step({**step, "id": None})


def set_step_id(statement: dict, step_id: int) -> None:
    """Give an 'answered' statement of :func:`new_step_statement` the id its saved step calls for."""
    statement["id"] = statement_uuid(base_iri(), _step_event(step_id))


def _step_event(step_id) -> str:
    """Return the event key of a saved step's 'answered' statement."""
    return f"play-step:{step_id}"
