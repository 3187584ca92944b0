"""What the mentor workspace reads from the other areas (library, quizzes, role-play, deals).

Every reader is bulk (one call for many users) and degrades to "no data" when
the area it reads from is not installed, so the mentor pages never break
because another area is missing or empty.
"""

import importlib
import sys
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from typing import Optional

import sqlalchemy as sa
from flask import url_for
from werkzeug.routing import BuildError

from app.extensions import db


@dataclass(frozen=True)
class Target:
    """Something a mentor can assign: a course, quiz or scenario."""

    kind: str
    key: str
    title: str
    tier: Optional[str] = None
    # Translations of one course share a group (its family slug); a path milestone is a group.
    group: str = ""


@dataclass(frozen=True)
class DealFact:
    """One closed deal of a seller: whether it was won, and when it closed."""

    owner_id: int
    won: bool
    closed_on: date
    amount: float = 0.0


def _module(name: str):
    """Return the module ``name`` or None when that area has not landed.

    A models module counts only once ``app/models/__init__.py`` registers it
    (it is then already imported); before that its tables may not exist.
    """
    if name.startswith("app.models."):
        return sys.modules.get(name)
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def _first_attr(obj, *names, default=None):
    """Return the first attribute of ``obj`` among ``names`` that exists."""
    for name in names:
        if obj is not None and hasattr(obj, name):
            return getattr(obj, name)
    return default


def _rows(stmt) -> list:
    """Run a select and return its rows."""
    return list(db.session.execute(stmt))


# --- catalogues ---------------------------------------------------------------


def courses() -> list[Target]:
    """Return the published courses in path order (one row per language version)."""
    library = _module("app.models.library")
    course = _first_attr(library, "Course")
    if course is None:
        return []
    stmt = sa.select(course.slug, course.title, course.tier, _first_attr(course, "lang", default=sa.literal("")))
    if hasattr(course, "published"):
        stmt = stmt.where(course.published.is_(True))
    order = [course.position] if hasattr(course, "position") else []
    stmt = stmt.order_by(*order, course.slug)
    return [Target("course", slug, title, tier, _family(slug, lang)) for slug, title, tier, lang in _rows(stmt)]


def _family(slug: str, lang: str) -> str:
    """Return the slug shared by a course and its translations (``spin-basics-en`` → ``spin-basics``)."""
    suffix = f"-{lang}" if lang else ""
    return slug[: -len(suffix)] if suffix and slug.endswith(suffix) else slug


def quizzes() -> list[Target]:
    """Return the quizzes learners can take, by title."""
    quiz = _first_attr(_module("app.models.quiz"), "Quiz")
    if quiz is None:
        return []
    stmt = sa.select(quiz.id, quiz.title)
    if hasattr(quiz, "published"):
        stmt = stmt.where(quiz.published.is_(True))
    return sorted((Target("quiz", str(i), title) for i, title in _rows(stmt)), key=lambda t: t.title.lower())


def scenarios() -> list[Target]:
    """Return the role-play scenarios learners can play, by title."""
    scenario = _first_attr(_module("app.models.roleplay"), "Scenario")
    if scenario is None:
        return []
    stmt = sa.select(scenario.slug, scenario.title, _first_attr(scenario, "tier", default=sa.literal(None)))
    if hasattr(scenario, "published"):
        stmt = stmt.where(scenario.published.is_(True))
    return sorted((Target("scenario", slug, title, tier) for slug, title, tier in _rows(stmt)),
                  key=lambda t: t.title.lower())


CATALOGUES = {"course": courses, "quiz": quizzes, "scenario": scenarios}


def catalogue(kind: str) -> list[Target]:
    """Return what a mentor can assign of ``kind`` (empty when that area is not installed)."""
    reader = CATALOGUES.get(kind)
    return reader() if reader else []


def find_target(kind: str, key: str) -> Optional[Target]:
    """Return the catalogue entry ``kind``/``key``, or None."""
    return next((t for t in catalogue(kind) if t.key == key), None)


def enrol_for_assignment(user, slug: str) -> None:
    """Enrol a learner on an assigned course through the library (no-op without it)."""
    library = _module("app.services.library")
    enrol = _first_attr(library, "enrol")
    if enrol is None:
        return
    try:
        enrol(user, slug, source="assignment")
    except Exception:  # the assignment stands even if the library refuses; the learner can enrol themself
        db.session.rollback()


# --- the tier path ------------------------------------------------------------


def tier_milestones(course_list: Optional[list[Target]] = None) -> dict[str, list[Target]]:
    """Return each tier's path milestones (one per course family, in order); empty without the library."""
    path: dict[str, list[Target]] = {}
    seen: set[str] = set()
    for target in courses() if course_list is None else course_list:
        if target.tier and target.group not in seen:
            seen.add(target.group)
            path.setdefault(target.tier, []).append(target)
    return path


def course_progress(user_ids: list[int]) -> Optional[dict[int, dict[str, str]]]:
    """Return, per learner, course slug → "done" or "started" from the library's enrolments; None without it."""
    library = _module("app.models.library")
    enrolment, course = _first_attr(library, "Enrolment"), _first_attr(library, "Course")
    if enrolment is None or course is None or not user_ids:
        return None if enrolment is None else {}
    stmt = (
        sa.select(enrolment.user_id, course.slug, enrolment.started_at, enrolment.completed_at)
        .join(course, course.id == enrolment.course_id)
        .where(enrolment.user_id.in_(user_ids))
    )
    result: dict[int, dict[str, str]] = {}
    for user_id, slug, started, completed in _rows(stmt):
        if completed is not None:
            result.setdefault(user_id, {})[slug] = "done"
        elif started is not None:
            result.setdefault(user_id, {})[slug] = "started"
    return result


# --- deals --------------------------------------------------------------------


def closed_deals(owner_ids: list[int], since: Optional[date] = None) -> Optional[dict[int, list[DealFact]]]:
    """Return closed deals per owner, or None when no deal data exists at all."""
    deals = _module("app.models.deals")
    deal = _first_attr(deals, "Deal")
    if deal is None or not owner_ids:
        return None
    owner_col = _first_attr(deal, "owner_id")
    closed_col = _first_attr(deal, "closed_at", "closed_on")
    won_col = _first_attr(deal, "won")
    outcome_col = _first_attr(deal, "outcome")
    amount_col = _first_attr(deal, "amount")
    if owner_col is None or closed_col is None or (won_col is None and outcome_col is None):
        return None
    if db.session.scalar(sa.select(deal.id).limit(1)) is None:
        return None
    cols = [owner_col, closed_col, won_col if won_col is not None else outcome_col]
    cols.append(amount_col if amount_col is not None else sa.literal(0.0))
    stmt = sa.select(*cols).where(owner_col.in_(owner_ids), closed_col.is_not(None))
    if since is not None:
        if _is_datetime_column(closed_col):
            since = datetime.combine(since, time.min, tzinfo=timezone.utc)
        stmt = stmt.where(closed_col >= since)
    result: dict[int, list[DealFact]] = {}
    for owner_id, closed, won, amount in _rows(stmt):
        flag = _is_won(won)
        if flag is None:
            continue  # open deals do not count towards a close rate
        closed_on = closed.date() if isinstance(closed, datetime) else closed
        result.setdefault(owner_id, []).append(DealFact(owner_id, flag, closed_on, float(amount or 0)))
    return result


def _is_datetime_column(column) -> bool:
    """Return True when a column holds datetimes rather than dates (type decorators included)."""
    column_type = getattr(column.type, "impl", column.type)
    return isinstance(column_type, sa.DateTime)


def _is_won(value) -> Optional[bool]:
    """Interpret a deal outcome column: True won, False lost, None open."""
    if isinstance(value, bool) or value is None:
        return value
    text = str(getattr(value, "value", value)).strip().lower()
    if text in ("won", "win", "closed_won", "closedwon", "closed won", "1", "yes"):
        return True
    if text in ("lost", "loss", "closed_lost", "closedlost", "closed lost", "0", "no"):
        return False
    return None


# --- role-play details and review links ----------------------------------------


def play_dimensions(play_id: int) -> Optional[dict[str, float]]:
    """Return a finished play's score per rubric dimension (0..1), or None when unknown."""
    plays = _module("app.services.plays")
    reader = _first_attr(plays, "play_dimension_scores", "dimension_scores")
    if reader is None:
        return None
    try:
        scores = reader(play_id)
    except Exception:  # another area's bug must not lose the learner's activity record
        return None
    return {str(k): float(v) for k, v in (scores or {}).items()} or None


REVIEW_ENDPOINTS = {
    "play": (("roleplay.result", "play_id"),),
    "quiz": (("quiz.review", "attempt_id"),),
    "course": (("learn.course", "slug"),),
    "lesson": (("learn.course", "slug"),),
}


def review_url(kind: str, ref_key: str, ref_id: int) -> Optional[str]:
    """Return the link to a piece of work's review page, or None when that page does not exist."""
    if kind in ("play", "quiz") and not ref_id or (ref_id or 0) < 0:
        return None  # demo or imported records with no attempt or play behind them
    for endpoint, arg in REVIEW_ENDPOINTS.get(kind, ()):
        value = ref_key if arg == "slug" else ref_id
        try:
            return url_for(endpoint, **{arg: value})
        except BuildError:
            continue
    return None


TARGET_ENDPOINTS = {
    "course": (("learn.course", "slug"),),
    "quiz": (("quiz.overview", "quiz_id"),),
    "scenario": (("roleplay.scenario", "slug"),),
}


def target_url(kind: str, key: str) -> Optional[str]:
    """Return the page where the learner does an assignment, or None when it does not exist."""
    for endpoint, arg in TARGET_ENDPOINTS.get(kind, ()):
        value = key
        if arg == "quiz_id":
            if not key.isdigit():
                continue
            value = int(key)
        try:
            return url_for(endpoint, **{arg: value})
        except BuildError:
            continue
    return None


# --- the mentee timeline -------------------------------------------------------


@dataclass(frozen=True)
class TimelineLesson:
    """The lesson a timeline entry is about: its title, its course's title and the page that shows it."""

    title: str
    course_title: str
    url: Optional[str]


def timeline_lessons(events) -> dict[int, TimelineLesson]:
    """Return the lessons of a timeline's lesson entries by lesson id, in one query however many there are."""
    library = _module("app.models.library")
    lesson, course = _first_attr(library, "Lesson"), _first_attr(library, "Course")
    # Demo and imported records carry no lesson (id 0 or negative).
    ids = {e.ref_id for e in events if e.kind == "lesson" and (e.ref_id or 0) > 0}
    if lesson is None or course is None or not ids:
        return {}
    stmt = (sa.select(lesson.id, lesson.key, lesson.title, course.slug, course.title)
            .join(course, course.id == lesson.course_id).where(lesson.id.in_(ids)))
    return {lesson_id: TimelineLesson(title, course_title, _lesson_url(slug, key))
            for lesson_id, key, title, slug, course_title in _rows(stmt)}


def _lesson_url(slug: str, key: str) -> Optional[str]:
    """Return the page of a course's lesson, or None when the library has no such page."""
    try:
        return url_for("learn.lesson", slug=slug, key=key)
    except BuildError:
        return None
