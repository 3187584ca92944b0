"""The learner's side of the course library: browse, enrol, read, complete, and the growth map.

Pages read a ``LearnerState`` built in a fixed number of queries (whatever the
number of courses, lessons and enrolments); writes are one commit each and
announce themselves on app.signals after the commit.
"""

import importlib
from collections import defaultdict
from datetime import datetime
from dataclasses import dataclass, field
from typing import Optional

import sqlalchemy as sa
from flask import current_app

from app import signals
from app.content.library import LANGS
from app.extensions import db
from app.models.library import (
    TIER_ORDER, Certification, CertificationAward, Course, Enrolment, Lesson, LessonProgress, ScenarioBest,
)
from app.models.people import TIER_VALUES, Role, User
from app.models.types import utcnow
from app.services.errors import Forbidden, NotFound

STAFF_ROLES = (Role.TRAINER.value, Role.ADMIN.value)
#: Roles that read a lesson of a course they are not enrolled on as a preview: no enrolment, no progress.
PREVIEW_ROLES = (Role.MENTOR.value, Role.TRAINER.value, Role.ADMIN.value)


# --- the quiz area, when it is installed ------------------------------------------


def _quiz_service():
    """Return app.services.quizzes, or None while the quiz area has not landed."""
    try:
        return importlib.import_module("app.services.quizzes")
    except ImportError:
        return None


def find_course_quiz(course_slug: str):
    """Return the quiz of a course (from the quiz area), or None."""
    service = _quiz_service()
    finder = getattr(service, "find_course_quiz", None)
    return finder(course_slug) if finder else None


def course_quiz_results(user_ids: list[int]) -> Optional[dict]:
    """Return {(user_id, course_slug): result with .passed, .best_score}, or None without the quiz area."""
    service = _quiz_service()
    reader = getattr(service, "course_quiz_results", None)
    if reader is None or not user_ids:
        return None if reader is None else {}
    return reader(list(user_ids))


def course_quiz_slugs() -> Optional[set[str]]:
    """Return the slugs of the courses that have a quiz, when the quiz area can tell in one call."""
    service = _quiz_service()
    reader = getattr(service, "course_quiz_slugs", None)
    return set(reader()) if reader else None


# --- reading: the learner's state ------------------------------------------------


@dataclass
class CourseCard:
    """One course as a learner sees it in lists: progress, enrolment, lock."""

    course: Course
    lesson_count: int
    done_count: int
    enrolment: Optional[Enrolment]
    locked: bool
    quiz_passed: Optional[bool] = None

    @property
    def completed(self) -> bool:
        """Return True when the learner completed this course."""
        return bool(self.enrolment and self.enrolment.completed_at)

    @property
    def percent(self) -> int:
        """Return lessons read as a whole percentage (100 once completed)."""
        if self.completed:
            return 100
        return round(100 * self.done_count / self.lesson_count) if self.lesson_count else 0

    @property
    def status(self) -> str:
        """Return locked, completed, in_progress, enrolled or new."""
        if self.completed:
            return "completed"
        if self.locked:
            return "locked"
        if self.lesson_count and self.done_count >= self.lesson_count and self.enrolment:
            return "quiz_pending"
        if self.done_count:
            return "in_progress"
        return "enrolled" if self.enrolment else "new"


@dataclass
class Milestone:
    """One step of a tier in the growth map."""

    kind: str  # course | certification | scenario
    label: str
    reached: bool
    detail: str = ""
    key: str = ""


@dataclass
class TierState:
    """A tier of the growth map: its courses, milestones, and whether it is open."""

    tier: str
    unlocked: bool
    cards: list[CourseCard] = field(default_factory=list)
    milestones: list[Milestone] = field(default_factory=list)

    @property
    def reached(self) -> int:
        """Return how many milestones are reached."""
        return sum(1 for m in self.milestones if m.reached)

    @property
    def complete(self) -> bool:
        """Return True when every milestone is reached."""
        return all(m.reached for m in self.milestones)

    @property
    def percent(self) -> int:
        """Return milestones reached as a whole percentage."""
        return round(100 * self.reached / len(self.milestones)) if self.milestones else 0


@dataclass
class LearnerState:
    """Everything the library, course list and learner home need about one user."""

    user: User
    cards: list[CourseCard]
    tiers: list[TierState]
    awards: list[CertificationAward]
    continue_card: Optional[CourseCard]
    continue_lesson: Optional[Lesson] = None

    def card(self, course_id: int) -> Optional[CourseCard]:
        """Return the card of a course."""
        return next((c for c in self.cards if c.course.id == course_id), None)

    def tier(self, name: str) -> Optional[TierState]:
        """Return the state of a tier."""
        return next((t for t in self.tiers if t.tier == name), None)

    def is_unlocked(self, tier: str) -> bool:
        """Return True when the learner may open this tier's content."""
        state = self.tier(tier)
        return state is None or state.unlocked


def published_courses() -> list[Course]:
    """Return published courses with a current version, by tier then position."""
    rows = db.session.scalars(
        sa.select(Course).where(Course.published.is_(True), Course.current_version_id.is_not(None))
    )
    return sorted(rows, key=lambda c: (TIER_ORDER.get(c.tier, 9), c.position, c.slug))


def published_courses_with_counts() -> tuple[list[Course], dict[int, int]]:
    """Return ``published_courses()`` and ``lesson_counts`` of them in one query."""
    rows = db.session.execute(
        sa.select(Course, sa.func.count(Lesson.id))
        .outerjoin(Lesson, Lesson.version_id == Course.current_version_id)
        .where(Course.published.is_(True), Course.current_version_id.is_not(None))
        .group_by(Course.id)
    ).all()
    courses = sorted((course for course, _ in rows), key=lambda c: (TIER_ORDER.get(c.tier, 9), c.position, c.slug))
    return courses, {course.id: n for course, n in rows if n}


def lesson_counts(course_ids: list[int]) -> dict[int, int]:
    """Return the number of lessons in each course's current version (one query)."""
    if not course_ids:
        return {}
    rows = db.session.execute(
        sa.select(Course.id, sa.func.count(Lesson.id))
        .join(Lesson, Lesson.version_id == Course.current_version_id)
        .where(Course.id.in_(course_ids))
        .group_by(Course.id)
    )
    return dict(rows.all())


def done_counts(user_ids: list[int], course_ids: Optional[list[int]] = None) -> dict[tuple[int, int], int]:
    """Return {(user_id, course_id): lessons of the current version the user has read} (one query).

    A lesson read on an older version counts when the current version still has
    a lesson with the same key; the progress row itself keeps its old lesson.
    """
    if not user_ids:
        return {}
    stmt = (
        sa.select(LessonProgress.user_id, LessonProgress.course_id,
                  sa.func.count(sa.distinct(LessonProgress.lesson_key)))
        .join(Course, Course.id == LessonProgress.course_id)
        .join(Lesson, sa.and_(Lesson.version_id == Course.current_version_id, Lesson.key == LessonProgress.lesson_key))
        .where(LessonProgress.user_id.in_(user_ids), LessonProgress.completed_at.is_not(None))
        .group_by(LessonProgress.user_id, LessonProgress.course_id)
    )
    if course_ids is not None:
        stmt = stmt.where(LessonProgress.course_id.in_(course_ids))
    return {(user_id, course_id): n for user_id, course_id, n in db.session.execute(stmt)}


def enrolments_of(user_id: int) -> dict[int, Enrolment]:
    """Return the user's enrolments by course id."""
    rows = db.session.scalars(
        sa.select(Enrolment).where(Enrolment.user_id == user_id).options(sa.orm.joinedload(Enrolment.last_lesson))
    )
    return {e.course_id: e for e in rows}


def certifications() -> list[Certification]:
    """Return every certification in display order."""
    return list(db.session.scalars(sa.select(Certification).order_by(Certification.position, Certification.key)))


def awards_of(user_id: int) -> list[CertificationAward]:
    """Return a user's certification awards, newest first."""
    return list(
        db.session.scalars(
            sa.select(CertificationAward).where(CertificationAward.user_id == user_id)
            .options(sa.orm.joinedload(CertificationAward.certification))
            .order_by(CertificationAward.awarded_at.desc())
        )
    )


def _module(name: str):
    """Return another area's module, or None while that area has not landed."""
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def scenario_bests(user_id: int) -> dict[str, float]:
    """Return the user's best role-play score per scenario slug.

    The role-play area's finished plays are the source of truth; the scores kept
    from play_finished cover plays that area cannot report.
    """
    rows = db.session.execute(
        sa.select(ScenarioBest.scenario_slug, ScenarioBest.best_score).where(ScenarioBest.user_id == user_id)
    )
    bests = dict(rows.all())
    reader = getattr(_module("app.services.plays"), "best_scores", None)
    if reader is not None:
        for (uid, slug), score in reader([user_id]).items():
            if uid == user_id:
                bests[slug] = max(score, bests.get(slug, 0.0))
    return bests


def scenario_titles() -> dict[str, str]:
    """Return {scenario slug: title} from the role-play area (empty without it)."""
    scenario = getattr(_module("app.models.roleplay"), "Scenario", None)
    if scenario is None:
        return {}
    return dict(db.session.execute(sa.select(scenario.slug, scenario.title)).all())


def is_staff(user: User) -> bool:
    """Return True for trainers and admins, who see every tier unlocked."""
    return user.role in STAFF_ROLES


def translations(slug: str) -> set[str]:
    """Return a course slug with the slugs of its translations (``spin-basics`` ↔ ``spin-basics-en``)."""
    base = next((slug[: -len(f"-{lang}")] for lang in LANGS if slug.endswith(f"-{lang}")), slug)
    return {base} | {f"{base}-{lang}" for lang in LANGS}


def _quiz_met(results: Optional[dict], user_id: int, slug: str, mark: float, completed_slugs: set[str]) -> bool:
    """Return True when the user passed the quiz of a course (or of a translation) with at least ``mark``.

    Without the quiz area, a completed course stands in for its passed quiz.
    """
    slugs = translations(slug)
    if results is None:
        return bool(slugs & completed_slugs)
    return any(
        result is not None and result.passed and (result.best_score or 0) + 1e-9 >= mark
        for result in (results.get((user_id, s)) for s in slugs)
    )


def certification_met(cert: Certification, user_id: int, results, bests: dict[str, float], completed: set[str]) -> bool:
    """Return True when every requirement of a certification is met."""
    quizzes = all(_quiz_met(results, user_id, q["course"], q["pass"], completed) for q in cert.quizzes)
    scenarios = all(bests.get(s["scenario"], -1) + 1e-9 >= s["min_score"] for s in cert.scenarios)
    return quizzes and scenarios


def load_state(user: User, locale: str = "zh") -> LearnerState:
    """Build the learner's view of the library in a fixed number of queries."""
    courses, counts = published_courses_with_counts()
    done = done_counts([user.id])
    enrolments = enrolments_of(user.id)
    certs = certifications()
    awards = awards_of(user.id)
    bests = scenario_bests(user.id)
    results = course_quiz_results([user.id])
    titles = scenario_titles() if any(c.scenarios for c in certs) else {}
    awarded = {a.certification_id for a in awards}
    completed_slugs = {c.slug for c in courses if enrolments.get(c.id) and enrolments[c.id].completed_at}

    cards = [
        CourseCard(
            course=c, lesson_count=counts.get(c.id, 0), done_count=done.get((user.id, c.id), 0),
            enrolment=enrolments.get(c.id), locked=False,
            quiz_passed=getattr((results or {}).get((user.id, c.slug)), "passed", None),
        )
        for c in courses
    ]
    tiers, open_so_far = [], True
    for tier in TIER_VALUES:
        own_or_below = TIER_ORDER[tier] <= TIER_ORDER[user.tier]
        state = TierState(tier=tier, unlocked=is_staff(user) or own_or_below or open_so_far)
        state.cards = [card for card in cards if card.course.tier == tier]
        for card in state.cards:
            card.locked = not state.unlocked
        state.milestones = _milestones(state.cards, [c for c in certs if c.tier == tier], awarded, bests, titles,
                                       locale)
        tiers.append(state)
        open_so_far = state.unlocked and state.complete
    candidates = [card for card in cards if card.enrolment and not card.completed and not card.locked]
    continue_card = max(candidates, key=lambda card: card.enrolment.last_activity_at or card.enrolment.enrolled_at,
                        default=None)
    return LearnerState(user=user, cards=cards, tiers=tiers, awards=awards, continue_card=continue_card,
                        continue_lesson=continue_card.enrolment.last_lesson if continue_card else None)


def _milestones(cards, certs, awarded, bests, titles, locale) -> list[Milestone]:
    """Return a tier's milestones: one per course family, one per certification and scenario score."""
    families: dict[str, list[CourseCard]] = defaultdict(list)
    for card in cards:
        families[card.course.family].append(card)
    milestones = []
    for group in families.values():
        shown = next((c for c in group if c.course.lang == locale[:2]), group[0])
        reached = any(c.completed for c in group)
        milestones.append(Milestone("course", shown.course.title, reached, key=shown.course.slug))
    for cert in certs:
        for requirement in cert.scenarios:
            best = bests.get(requirement["scenario"])
            milestones.append(
                Milestone("scenario", titles.get(requirement["scenario"], requirement["scenario"]),
                          best is not None and best + 1e-9 >= requirement["min_score"],
                          detail=f"{round(100 * (best or 0))} / {round(100 * requirement['min_score'])}",
                          key=requirement["scenario"])
            )
        milestones.append(Milestone("certification", cert.title(locale), cert.id in awarded, key=cert.key))
    return milestones


def path_cards(state: LearnerState, locale: str) -> dict[str, list[CourseCard]]:
    """Return each tier's courses with one card per course family, in the learner's language when there is one."""
    path: dict[str, list[CourseCard]] = {}
    for tier in state.tiers:
        families: dict[str, list[CourseCard]] = defaultdict(list)
        for card in tier.cards:
            families[card.course.family].append(card)
        chosen = []
        for group in families.values():
            started = [c for c in group if c.enrolment]
            in_locale = [c for c in group if c.course.lang == locale[:2]]
            chosen.append((started or in_locale or group)[0])
        path[tier.tier] = chosen
    return path


def filter_cards(cards: list[CourseCard], query: str = "", tag: str = "", lang: str = "") -> list[CourseCard]:
    """Return the cards whose title, summary or tags contain ``query``, that carry ``tag`` and are in ``lang``."""
    needle = (query or "").strip().casefold()
    result = []
    for card in cards:
        course = card.course
        if tag and tag not in course.tags:
            continue
        if lang and course.lang != lang:
            continue
        haystack = " ".join([course.title, course.summary, course.slug, *course.tags]).casefold()
        if needle and needle not in haystack:
            continue
        result.append(card)
    return result


def all_tags(cards: list[CourseCard]) -> list[str]:
    """Return every tag used by the given courses, sorted."""
    return sorted({tag for card in cards for tag in card.course.tags})


# --- reading: one course ----------------------------------------------------------


@dataclass
class CoursePage:
    """A course as its page shows it."""

    course: Course
    lessons: list[Lesson]
    done_keys: set[str]
    enrolment: Optional[Enrolment]
    locked: bool
    prerequisites: list[Course]
    quiz: object = None
    quiz_result: object = None

    @property
    def percent(self) -> int:
        """Return lessons read as a percentage."""
        if self.enrolment and self.enrolment.completed_at:
            return 100
        done = sum(1 for lesson in self.lessons if lesson.key in self.done_keys)
        return round(100 * done / len(self.lessons)) if self.lessons else 0

    @property
    def all_read(self) -> bool:
        """Return True when every lesson of the current version is read."""
        return all(lesson.key in self.done_keys for lesson in self.lessons)

    @property
    def next_lesson(self) -> Optional[Lesson]:
        """Return the first unread lesson (or the first lesson)."""
        return next((l for l in self.lessons if l.key not in self.done_keys), self.lessons[0] if self.lessons else None)


def get_course(slug: str, include_unpublished: bool = False) -> Course:
    """Return a course by slug or raise NotFound (unpublished ones only for staff)."""
    course = db.session.scalar(sa.select(Course).where(Course.slug == slug))
    if course is None or course.current_version_id is None or (not course.published and not include_unpublished):
        raise NotFound("course")
    return course


def current_lessons(course: Course) -> list[Lesson]:
    """Return the lessons of the course's current version, in order."""
    return list(
        db.session.scalars(
            sa.select(Lesson).where(Lesson.version_id == course.current_version_id).order_by(Lesson.position)
        )
    )


def done_keys(user_id: int, course_id: int) -> set[str]:
    """Return the keys of the lessons of a course the user has read (any version)."""
    return set(
        db.session.scalars(
            sa.select(LessonProgress.lesson_key).where(
                LessonProgress.user_id == user_id, LessonProgress.course_id == course_id,
                LessonProgress.completed_at.is_not(None),
            )
        )
    )


def _find_progress(user_id: int, lesson_id: int) -> Optional[LessonProgress]:
    """Return the user's progress row for one lesson (of one version), or None."""
    return db.session.scalar(
        sa.select(LessonProgress).where(LessonProgress.user_id == user_id, LessonProgress.lesson_id == lesson_id)
    )


def find_enrolment(user_id: int, course_id: int) -> Optional[Enrolment]:
    """Return the user's enrolment on a course, or None."""
    return db.session.scalar(sa.select(Enrolment).where(Enrolment.user_id == user_id, Enrolment.course_id == course_id))


def tier_is_unlocked(user: User, tier: str) -> bool:
    """Return True when the user may open content of ``tier``."""
    if is_staff(user) or TIER_ORDER[tier] <= TIER_ORDER[user.tier]:
        return True
    return load_state(user).is_unlocked(tier)


def course_page(user: User, slug: str) -> CoursePage:
    """Return what the course page shows to ``user``."""
    course = get_course(slug, include_unpublished=is_staff(user))
    prerequisites = []
    if course.prerequisites:
        prerequisites = list(db.session.scalars(sa.select(Course).where(Course.slug.in_(course.prerequisites))))
    quiz = find_course_quiz(course.slug)
    results = course_quiz_results([user.id]) if quiz is not None else None
    return CoursePage(
        course=course, lessons=current_lessons(course), done_keys=done_keys(user.id, course.id),
        enrolment=find_enrolment(user.id, course.id), locked=not tier_is_unlocked(user, course.tier),
        prerequisites=prerequisites, quiz=quiz, quiz_result=(results or {}).get((user.id, course.slug)),
    )


@dataclass
class LessonPage:
    """A lesson with its neighbours and whether the learner has read it."""

    course: Course
    lesson: Lesson
    lessons: list[Lesson]
    done: bool
    done_keys: set[str]
    preview: bool = False  # read by staff not enrolled on the course: nothing was recorded

    @property
    def previous(self) -> Optional[Lesson]:
        """Return the lesson before this one."""
        index = self.lessons.index(self.lesson)
        return self.lessons[index - 1] if index > 0 else None

    @property
    def next(self) -> Optional[Lesson]:
        """Return the lesson after this one."""
        index = self.lessons.index(self.lesson)
        return self.lessons[index + 1] if index + 1 < len(self.lessons) else None


def _visit_lesson(user: User, slug: str, key: str) -> tuple[Course, Lesson, Enrolment, datetime]:
    """Find a lesson of the course's current version, enrol the user and remember it as their last lesson.

    Raises Forbidden for a locked tier and NotFound for an unknown lesson; does not commit.
    """
    course = get_course(slug, include_unpublished=is_staff(user))
    if not tier_is_unlocked(user, course.tier):
        raise Forbidden("this course is locked until you reach the previous tier's milestones")
    lesson = db.session.scalar(
        sa.select(Lesson).where(Lesson.version_id == course.current_version_id, Lesson.key == key)
    )
    if lesson is None:
        raise NotFound("lesson")
    now = utcnow()
    enrolment = _enrol(user, course, "self", now)
    enrolment.started_at = enrolment.started_at or now
    enrolment.last_lesson_id, enrolment.last_activity_at = lesson.id, now
    return course, lesson, enrolment, now


def _preview_lesson(user: User, slug: str, key: str) -> Optional[LessonPage]:
    """Return the lesson as a preview when ``user`` is staff and not enrolled on the course, else None.

    Mentors open lessons from their mentees' timelines, trainers and admins
    from anywhere: reading must not enrol them or record progress. The tier
    lock is a learner's path, so it does not hide a preview. Writes nothing.
    """
    if user.role not in PREVIEW_ROLES:
        return None
    course = get_course(slug, include_unpublished=is_staff(user))
    if find_enrolment(user.id, course.id) is not None:
        return None
    lessons = current_lessons(course)
    lesson = next((l for l in lessons if l.key == key), None)
    if lesson is None:
        raise NotFound("lesson")
    keys = done_keys(user.id, course.id)
    return LessonPage(course=course, lesson=lesson, lessons=lessons, done=key in keys, done_keys=keys, preview=True)


def open_lesson(user: User, slug: str, key: str) -> LessonPage:
    """Open a lesson of a course's current version: enrol if needed and remember it as the last lesson.

    Staff not enrolled on the course get a preview instead (see ``_preview_lesson``).
    """
    preview = _preview_lesson(user, slug, key)
    if preview is not None:
        return preview
    course, lesson, enrolment, now = _visit_lesson(user, slug, key)
    if _find_progress(user.id, lesson.id) is None:
        _insert_once(
            LessonProgress(user_id=user.id, lesson_id=lesson.id, course_id=course.id, lesson_key=lesson.key,
                           first_opened_at=now),
            lambda: _find_progress(user.id, lesson.id),
        )
    db.session.commit()
    # Read after the commit, which expired everything loaded before it.
    lessons = current_lessons(course)
    lesson = next(l for l in lessons if l.key == key)
    keys = done_keys(user.id, course.id)
    return LessonPage(course=course, lesson=lesson, lessons=lessons, done=lesson.key in keys, done_keys=keys)


# --- writing: enrol, read, complete ------------------------------------------------


def _enrol(user: User, course: Course, source: str, now=None) -> Enrolment:
    """Return the user's enrolment on ``course``, adding one on the current version if needed (no commit)."""
    enrolment = find_enrolment(user.id, course.id)
    if enrolment is None:
        enrolment = _insert_once(
            Enrolment(user_id=user.id, course_id=course.id, version_id=course.current_version_id, source=source,
                      enrolled_at=now or utcnow()),
            lambda: find_enrolment(user.id, course.id),
        )
    return enrolment


def _insert_once(row, find_existing):
    """Insert ``row`` in a savepoint; if a concurrent request inserted its twin first, return that one.

    Double clicks and two tabs race on the unique (user, course) and (user,
    lesson) constraints; the loser reuses the winner's row instead of failing.
    """
    try:
        with db.session.begin_nested():
            db.session.add(row)
        return row
    except sa.exc.IntegrityError:
        existing = find_existing()
        if existing is None:
            raise
        return existing


def enrol(user: User, slug: str, source: str = "self") -> Enrolment:
    """Enrol a user on a course (idempotent); locked tiers refuse self-enrolment."""
    course = get_course(slug, include_unpublished=is_staff(user))
    if source == "self" and not tier_is_unlocked(user, course.tier):
        raise Forbidden("this course is locked until you reach the previous tier's milestones")
    enrolment = _enrol(user, course, source)
    db.session.commit()
    return enrolment


def enrol_tier_path(user: User, locale: Optional[str] = None) -> list[Enrolment]:
    """Enrol a user on every published course of their tier, one per family, in their language when possible."""
    locale = locale or user.locale or "zh"
    courses = [c for c in published_courses() if c.tier == user.tier]
    families: dict[str, list[Course]] = defaultdict(list)
    for course in courses:
        families[course.family].append(course)
    enrolments = [
        _enrol(user, next((c for c in group if c.lang == locale[:2]), group[0]), "path") for group in families.values()
    ]
    db.session.commit()
    return enrolments


def complete_lesson(user: User, slug: str, key: str) -> tuple[Lesson, bool]:
    """Mark a lesson of the current version read; return (lesson, course completed now).

    Sends lesson_completed (and course_completed when this finished the course)
    after the commit.
    """
    course, lesson, enrolment, now = _visit_lesson(user, slug, key)
    progress = _find_progress(user.id, lesson.id)
    if progress is None:
        progress = _insert_once(
            LessonProgress(user_id=user.id, lesson_id=lesson.id, course_id=course.id, lesson_key=lesson.key,
                           first_opened_at=now),
            lambda: _find_progress(user.id, lesson.id),
        )
    newly_done = progress.completed_at is None
    progress.completed_at = progress.completed_at or now
    db.session.flush()
    completed = _complete_if_done(user.id, course, enrolment, now)
    db.session.commit()
    app = current_app._get_current_object()
    if newly_done:
        signals.lesson_completed.send(app, user_id=user.id, course_slug=course.slug, lesson_id=lesson.id)
    if completed:
        signals.course_completed.send(app, user_id=user.id, course_slug=course.slug)
    return lesson, completed


def _complete_if_done(user_id: int, course: Course, enrolment: Enrolment, now, results=None) -> bool:
    """Mark the enrolment completed when every lesson is read and the quiz (if any) passed; no commit."""
    if enrolment.completed_at is not None:
        return False
    keys = {l.key for l in current_lessons(course)}
    if not keys or not keys <= done_keys(user_id, course.id):
        return False
    if find_course_quiz(course.slug) is not None:
        results = results if results is not None else course_quiz_results([user_id])
        result = (results or {}).get((user_id, course.slug))
        if not (result and result.passed):
            return False
    enrolment.completed_at = now
    enrolment.completed_version_id = course.current_version_id
    return True


def complete_courses_after_quiz(user_id: int) -> list[str]:
    """Complete the user's courses whose lessons are read and whose quiz is now passed; return their slugs."""
    results = course_quiz_results([user_id]) or {}
    passed = {slug for (uid, slug), result in results.items() if uid == user_id and result.passed}
    if not passed:
        return []
    rows = db.session.execute(
        sa.select(Enrolment, Course).join(Course, Course.id == Enrolment.course_id)
        .where(Enrolment.user_id == user_id, Enrolment.completed_at.is_(None), Course.slug.in_(passed))
    ).all()
    now, completed = utcnow(), []
    for enrolment, course in rows:
        if _complete_if_done(user_id, course, enrolment, now, results):
            completed.append(course.slug)
    db.session.commit()
    app = current_app._get_current_object()
    for slug in completed:
        signals.course_completed.send(app, user_id=user_id, course_slug=slug)
    return completed


def continue_target(user: User) -> Optional[tuple[Course, Lesson]]:
    """Return where the learner left off: the last lesson opened, or the next unread one if it is read."""
    state = load_state(user)
    card = state.continue_card
    if card is None:
        card = next((c for c in state.cards if c.enrolment and not c.completed and not c.locked), None)
    if card is None:
        return None
    lessons = current_lessons(card.course)
    if not lessons:
        return None
    keys = done_keys(user.id, card.course.id)
    last = card.enrolment.last_lesson
    # The last lesson may belong to an older version: find it again by key.
    current = next((l for l in lessons if last is not None and l.key == last.key), None)
    if current is not None and current.key not in keys:
        return card.course, current
    after = lessons[lessons.index(current) + 1:] if current is not None else lessons
    target = next((l for l in after if l.key not in keys), None) or next(
        (l for l in lessons if l.key not in keys), current or lessons[0]
    )
    return card.course, target


# --- certifications ---------------------------------------------------------------


def evaluate_certifications(user_id: int) -> list[CertificationAward]:
    """Award every certification whose requirements the user now meets; return the new awards."""
    certs = certifications()
    if not certs:
        return []
    awarded = set(
        db.session.scalars(sa.select(CertificationAward.certification_id).where(CertificationAward.user_id == user_id))
    )
    pending = [c for c in certs if c.id not in awarded]
    if not pending:
        return []
    results = course_quiz_results([user_id])
    bests = scenario_bests(user_id)
    completed = set(
        db.session.scalars(
            sa.select(Course.slug).join(Enrolment, Enrolment.course_id == Course.id)
            .where(Enrolment.user_id == user_id, Enrolment.completed_at.is_not(None))
        )
    )
    new = []
    for cert in pending:
        if certification_met(cert, user_id, results, bests, completed):
            award = CertificationAward(user_id=user_id, certification_id=cert.id, serial=new_serial())
            db.session.add(award)
            new.append(award)
    if new:
        db.session.commit()
    return new


def new_serial() -> str:
    """Return a fresh certificate number such as RH-2026-7F3A9C21."""
    import secrets

    return f"RH-{utcnow().year}-{secrets.token_hex(4).upper()}"


def record_scenario_score(user_id: int, scenario_slug: str, score: float) -> None:
    """Keep the learner's best score in a scenario (role-play milestones)."""
    best = db.session.scalar(
        sa.select(ScenarioBest).where(ScenarioBest.user_id == user_id, ScenarioBest.scenario_slug == scenario_slug)
    )
    if best is None:
        db.session.add(ScenarioBest(user_id=user_id, scenario_slug=scenario_slug, best_score=float(score)))
    elif score > best.best_score:
        best.best_score = float(score)
    db.session.commit()


def get_award(serial: str) -> CertificationAward:
    """Return an award by its certificate number or raise NotFound."""
    award = db.session.scalar(
        sa.select(CertificationAward).where(CertificationAward.serial == serial)
        .options(sa.orm.joinedload(CertificationAward.certification), sa.orm.joinedload(CertificationAward.user))
    )
    if award is None:
        raise NotFound("certificate")
    return award


# --- for other areas (mentor pages, API) --------------------------------------------


def path_progress(user_ids: list[int]) -> dict[int, dict]:
    """Return {user_id: {"enrolled", "completed", "lessons_done", "lessons_total"}} in a fixed number of queries."""
    if not user_ids:
        return {}
    rows = db.session.execute(
        sa.select(Enrolment.user_id, Enrolment.course_id, Enrolment.completed_at).where(Enrolment.user_id.in_(user_ids))
    ).all()
    counts = lesson_counts(sorted({course_id for _, course_id, _ in rows}))
    done = done_counts(list(user_ids))
    progress = {uid: {"enrolled": 0, "completed": 0, "lessons_done": 0, "lessons_total": 0} for uid in user_ids}
    for user_id, course_id, completed_at in rows:
        entry = progress[user_id]
        entry["enrolled"] += 1
        entry["completed"] += 1 if completed_at else 0
        entry["lessons_total"] += counts.get(course_id, 0)
        entry["lessons_done"] += counts.get(course_id, 0) if completed_at else done.get((user_id, course_id), 0)
    return progress


def completed_course_slugs(user_ids: list[int]) -> dict[int, set[str]]:
    """Return {user_id: slugs of the courses they completed} (one query)."""
    result: dict[int, set[str]] = {uid: set() for uid in user_ids}
    if not user_ids:
        return result
    for user_id, slug in db.session.execute(
        sa.select(Enrolment.user_id, Course.slug).join(Course, Course.id == Enrolment.course_id)
        .where(Enrolment.user_id.in_(user_ids), Enrolment.completed_at.is_not(None))
    ):
        result[user_id].add(slug)
    return result

