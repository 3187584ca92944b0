"""The trainer's side of the course library: edit, publish, export, and per-course analytics."""

import io
import os
import re
import statistics
import zipfile
from dataclasses import dataclass
from typing import Optional

import sqlalchemy as sa
import yaml
from flask import current_app
from flask_babel import gettext as _

from app.content.library import LESSON_FILE, load_behaviour_keys
from app.extensions import db
from app.models.library import TIER_ORDER, Course, CourseVersion, Enrolment, Lesson, LessonProgress
from app.models.people import User
from app.services.errors import ValidationError
from app.services.library import current_lessons, get_course
from app.services.library_sync import add_version


@dataclass
class ManagedCourse:
    """A row of the trainer's course list."""

    course: Course
    version_number: int
    lesson_count: int
    enrolled: int
    completed: int


def managed_courses() -> list[ManagedCourse]:
    """Return every course (published or not) with its version and enrolment figures, in fixed queries."""
    courses = sorted(
        db.session.scalars(sa.select(Course)), key=lambda c: (TIER_ORDER.get(c.tier, 9), c.position, c.slug)
    )
    versions = dict(db.session.execute(sa.select(CourseVersion.id, CourseVersion.number)).all())
    lessons = dict(
        db.session.execute(sa.select(Lesson.version_id, sa.func.count(Lesson.id)).group_by(Lesson.version_id)).all()
    )
    figures = {
        course_id: (enrolled, completed)
        for course_id, enrolled, completed in db.session.execute(
            sa.select(Enrolment.course_id, sa.func.count(Enrolment.id), sa.func.count(Enrolment.completed_at))
            .group_by(Enrolment.course_id)
        )
    }
    return [
        ManagedCourse(
            course=c, version_number=versions.get(c.current_version_id, 0),
            lesson_count=lessons.get(c.current_version_id, 0), enrolled=figures.get(c.id, (0, 0))[0],
            completed=figures.get(c.id, (0, 0))[1],
        )
        for c in courses
    ]


def _behaviour_keys() -> Optional[set[str]]:
    """Return the behaviour vocabulary of the configured content folder (None when it is missing)."""
    path = os.path.join(current_app.config["CONTENT_DIR"], "behaviours.yaml")
    return load_behaviour_keys(path) if os.path.isfile(path) else None


def split_list(text: str) -> list[str]:
    """Split "a, b，c" (ASCII or Chinese commas) into trimmed, non-empty items without duplicates."""
    items = [item.strip() for item in re.split(r"[,，、\n]", text or "")]
    return list(dict.fromkeys(item for item in items if item))


def update_course(course: Course, *, title: str, summary: str, minutes: int, tags: list[str],
                  behaviours: list[str]) -> None:
    """Change a course's descriptive fields (the lessons keep their version)."""
    known = _behaviour_keys()
    unknown = [b for b in behaviours if known is not None and b not in known]
    if unknown:
        raise ValidationError(_("unknown behaviours: %(keys)s", keys=", ".join(unknown)), field="behaviours")
    if not title.strip():
        raise ValidationError(_("a course needs a title"), field="title")
    course.title, course.summary, course.minutes = title.strip(), summary.strip(), minutes
    course.tags, course.behaviours = tags, behaviours
    db.session.commit()


def set_published(course: Course, published: bool) -> None:
    """Publish or unpublish a course; unpublished courses vanish from learners' pages."""
    course.published = published
    db.session.commit()


def _new_version_with(course: Course, author: User, change) -> CourseVersion:
    """Copy the current lessons, apply ``change(list_of_drafts)``, and save them as a new version (no commit)."""
    drafts = [
        Draft(key=l.key, position=l.position, title=l.title, minutes=l.minutes, body=l.body)
        for l in current_lessons(course)
    ]
    change(drafts)
    return add_version(course, drafts, source="editor", author_id=author.id)


@dataclass
class Draft:
    """A lesson being copied into a new version."""

    key: str
    position: int
    title: str
    minutes: int
    body: str


def _check_lesson(title: str, minutes: int, body: str) -> None:
    """Raise ValidationError for an empty title or body or an impossible duration."""
    if not title.strip():
        raise ValidationError(_("a lesson needs a title"), field="title")
    if not 1 <= minutes <= 600:
        raise ValidationError(_("minutes must be from 1 to 600"), field="minutes")
    if not body.strip():
        raise ValidationError(_("a lesson needs some text"), field="body")


def update_lesson(course: Course, key: str, author: User, *, title: str, minutes: int, body: str) -> Lesson:
    """Save an edited lesson as a new course version; earlier progress keeps its version."""
    _check_lesson(title, minutes, body)
    lessons = current_lessons(course)
    if key not in {l.key for l in lessons}:
        raise ValidationError(_("no such lesson"), field="key")
    body = body.replace("\r\n", "\n")
    current = next(l for l in lessons if l.key == key)
    if (current.title, current.minutes, current.body) == (title.strip(), minutes, body):
        return current  # nothing changed: no new version

    def change(drafts):
        draft = next(d for d in drafts if d.key == key)
        draft.title, draft.minutes, draft.body = title.strip(), minutes, body

    version = _new_version_with(course, author, change)
    db.session.commit()
    return next(l for l in version.lessons if l.key == key)


def add_lesson(course: Course, author: User, *, title: str, minutes: int, body: str) -> Lesson:
    """Append a lesson to a course as a new version; its key follows the NN-name.md file naming."""
    _check_lesson(title, minutes, body)
    lessons = current_lessons(course)
    number = max((int(l.key.split("-", 1)[0]) for l in lessons if l.key[:2].isdigit()), default=0) + 1
    name = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60] or "lesson"
    key = f"{number:02d}-{name}"

    def change(drafts):
        drafts.append(Draft(key=key, position=len(drafts) + 1, title=title.strip(), minutes=minutes,
                            body=body.replace("\r\n", "\n")))

    version = _new_version_with(course, author, change)
    db.session.commit()
    return next(l for l in version.lessons if l.key == key)


# --- export -------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    """YAML dumper that keeps lists of words on one line, as the bundled files do."""


def _flow_list(dumper, data):
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True)


_Dumper.add_representer(list, _flow_list)


def course_yaml(course: Course) -> str:
    """Return the course.yaml text of a course."""
    data = {
        "slug": course.slug, "title": course.title, "tier": course.tier, "lang": course.lang,
        "summary": course.summary, "minutes": course.minutes, "prerequisites": list(course.prerequisites or []),
        "tags": list(course.tags or []), "behaviours": list(course.behaviours or []),
    }
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1000)


def lesson_markdown(lesson: Lesson) -> str:
    """Return a lesson as a NN-name.md file: front matter and Markdown body."""
    front = yaml.dump({"title": lesson.title, "minutes": lesson.minutes}, Dumper=_Dumper, allow_unicode=True,
                      sort_keys=False, width=1000)
    body = lesson.body if lesson.body.endswith("\n") else lesson.body + "\n"
    return f"---\n{front}---\n\n{body}"


def export_course_zip(course: Course) -> tuple[str, bytes]:
    """Return (file name, zip bytes) of a course in the content/ format, quiz.gift included when on disk."""
    buffer = io.BytesIO()
    folder = f"{course.tier}/{course.slug}"
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{folder}/course.yaml", course_yaml(course))
        for lesson in current_lessons(course):
            name = lesson.key if LESSON_FILE.match(f"{lesson.key}.md") else f"{lesson.position:02d}-lesson"
            archive.writestr(f"{folder}/{name}.md", lesson_markdown(lesson))
        quiz = os.path.join(current_app.config["CONTENT_DIR"], course.tier, course.slug, "quiz.gift")
        if os.path.isfile(quiz):
            archive.write(quiz, f"{folder}/quiz.gift")
    return f"{course.slug}.zip", buffer.getvalue()


# --- analytics ----------------------------------------------------------------------


@dataclass
class LessonFigure:
    """How far learners got with one lesson."""

    lesson: Lesson
    read: int
    stopped_here: int


@dataclass
class LearnerRow:
    """One learner on a course, for the trainer's per-learner table."""

    user: User
    enrolment: Enrolment
    lessons_read: int


@dataclass
class CourseAnalytics:
    """A course's funnel, time to complete, where learners stop, and each learner's progress."""

    course: Course
    enrolled: int
    started: int
    completed: int
    median_hours: Optional[float]
    lessons: list[LessonFigure]
    learners: list[LearnerRow]

    @property
    def funnel(self) -> list[int]:
        """Return [enrolled, started, completed]."""
        return [self.enrolled, self.started, self.completed]

    @property
    def worst_lesson(self) -> Optional[LessonFigure]:
        """Return the lesson where most learners stopped, if anyone stopped."""
        figure = max(self.lessons, key=lambda f: f.stopped_here, default=None)
        return figure if figure is not None and figure.stopped_here else None


def course_analytics(course: Course) -> CourseAnalytics:
    """Return a course's analytics over every learner and version, in a fixed number of queries."""
    rows = db.session.execute(
        sa.select(Enrolment, User).join(User, User.id == Enrolment.user_id).where(Enrolment.course_id == course.id)
        .order_by(User.name)
    ).all()
    enrolments = [(e.user_id, e.enrolled_at, e.started_at, e.completed_at) for e, _user in rows]
    durations = [
        (completed - (started or enrolled)).total_seconds() / 3600
        for _, enrolled, started, completed in enrolments if completed is not None
    ]
    lessons = current_lessons(course)
    read = dict(
        db.session.execute(
            sa.select(LessonProgress.lesson_key, sa.func.count(sa.distinct(LessonProgress.user_id)))
            .where(LessonProgress.course_id == course.id, LessonProgress.completed_at.is_not(None))
            .group_by(LessonProgress.lesson_key)
        ).all()
    )
    # Where a learner stopped: the first lesson (in current order) they have not read,
    # among learners who started and did not complete.
    stalled = {uid for uid, _, started, completed in enrolments if started is not None and completed is None}
    current_keys = {l.key for l in lessons}
    keys_by_user: dict[int, set[str]] = {uid: set() for uid, *_ in enrolments}
    for uid, key in db.session.execute(
        sa.select(LessonProgress.user_id, LessonProgress.lesson_key).where(
            LessonProgress.course_id == course.id, LessonProgress.completed_at.is_not(None)
        )
    ):
        keys_by_user.setdefault(uid, set()).add(key)
    stops = {l.key: 0 for l in lessons}
    for uid in stalled:
        stop = next((l.key for l in lessons if l.key not in keys_by_user[uid]), None)
        if stop is not None:
            stops[stop] += 1
    return CourseAnalytics(
        course=course, enrolled=len(enrolments), started=sum(1 for e in enrolments if e[2] is not None),
        completed=len(durations), median_hours=round(statistics.median(durations), 1) if durations else None,
        lessons=[LessonFigure(lesson=l, read=read.get(l.key, 0), stopped_here=stops[l.key]) for l in lessons],
        learners=[LearnerRow(user=user, enrolment=e, lessons_read=len(keys_by_user.get(user.id, set()) & current_keys))
                  for e, user in rows],
    )


def get_managed_course(slug: str) -> Course:
    """Return any course (published or not) by slug, or raise NotFound."""
    return get_course(slug, include_unpublished=True)

