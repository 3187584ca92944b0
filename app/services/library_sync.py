"""Put content/ into the database: courses, versions, lessons and certifications (one commit)."""

from typing import Callable, Optional

import sqlalchemy as sa
from flask import current_app

from app.content.library import CourseFile, check_library, content_hash, course_folders, load_library
from app.extensions import db
from app.models.library import Certification, Course, CourseVersion, Lesson


def _scenarios_dir() -> Optional[str]:
    """Return the configured scenarios folder, used to check certification requirements."""
    return current_app.config.get("SCENARIOS_DIR")


def check_library_files(directory) -> list[str]:
    """Return every "FILE:LINE: message" problem of the course library in ``directory``."""
    return check_library(directory, _scenarios_dir())


def lessons_hash(lessons) -> str:
    """Return the hash of a course version's lessons (dataclasses or rows alike)."""
    return content_hash(
        part for lesson in lessons for part in (lesson.key, lesson.title, str(lesson.minutes), lesson.body)
    )


def add_version(course: Course, lessons, source: str = "sync", author_id: Optional[int] = None) -> CourseVersion:
    """Add a new version of ``course`` holding copies of ``lessons`` and make it current (no commit)."""
    number = max((v.number for v in course.versions), default=0) + 1
    version = CourseVersion(course=course, number=number, content_hash=lessons_hash(lessons), source=source,
                            author_id=author_id)
    for position, lesson in enumerate(sorted(lessons, key=lambda item: item.position), start=1):
        version.lessons.append(
            Lesson(course_id=course.id, key=lesson.key, position=position, title=lesson.title,
                   minutes=lesson.minutes, body=lesson.body)
        )
    db.session.add(version)
    course.current_version = version
    return version


def _apply_metadata(course: Course, data: CourseFile, position: int) -> None:
    """Copy the course.yaml fields onto the row."""
    course.title, course.tier, course.lang = data.title, data.tier, data.lang
    course.summary, course.minutes, course.position = data.summary, data.minutes, position
    course.prerequisites = list(data.prerequisites)
    course.tags = list(data.tags)
    course.behaviours = list(data.behaviours)


def _sync_course(existing: Optional[Course], data: CourseFile, position: int) -> str:
    """Create or update one course; return "created", "updated" or "unchanged"."""
    file_hash = data.content_hash
    if existing is not None and existing.source_hash == file_hash and existing.position == position:
        # Unchanged files never overwrite what trainers edited in the browser since.
        return "unchanged"
    if existing is None:
        course = Course(slug=data.slug, published=True)
        _apply_metadata(course, data, position)
        db.session.add(course)
        db.session.flush()
        add_version(course, data.lessons)
        course.source_hash = file_hash
        return "created"
    changed = existing.source_hash != file_hash
    _apply_metadata(existing, data, position)
    current = existing.current_version
    if current is None or current.content_hash != lessons_hash(data.lessons):
        add_version(existing, data.lessons)
    existing.source_hash = file_hash
    return "updated" if changed else "unchanged"


def _sync_certifications(certifications) -> dict[str, int]:
    """Create or update certifications by key; return counts."""
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    rows = {c.key: c for c in db.session.scalars(sa.select(Certification))}
    for position, data in enumerate(certifications):
        row = rows.get(data.key)
        if row is not None and row.content_hash == data.content_hash and row.position == position:
            counts["unchanged"] += 1
            continue
        if row is None:
            row = Certification(key=data.key)
            db.session.add(row)
            counts["created"] += 1
        else:
            counts["updated"] += 1
        row.title_zh, row.title_en, row.tier, row.position = data.title_zh, data.title_en, data.tier, position
        row.quizzes = [{"course": slug, "pass": mark} for slug, mark in data.quizzes]
        row.scenarios = [{"scenario": slug, "min_score": mark} for slug, mark in data.scenarios]
        row.content_hash = data.content_hash
    return counts


def missing_courses(existing: dict[str, Course], on_disk: set[str]) -> list[str]:
    """Return the slugs of synced courses whose folder is gone (" (unpublished)" added when already hidden).

    Only courses that came from files count (they have a source hash). They are
    reported, never unpublished or deleted here: a sync run on an incomplete
    checkout or the wrong folder must not hide courses learners are taking, and
    the database, not the files, is the source of truth at run time. A trainer
    unpublishes a course in the browser (reversible, progress kept).
    """
    return [
        slug + ("" if course.published else " (unpublished)")
        for slug, course in sorted(existing.items())
        if course.source_hash is not None and slug not in on_disk
    ]


def sync_library(directory, progress: Optional[Callable[[int], None]] = None) -> dict:
    """Load ``directory`` into the database, idempotently; raise ImportProblems (nothing written) on bad files.

    A course whose files changed gets a new version; enrolments and progress
    keep pointing at the version (and lessons) they were made on. Courses whose
    folder was deleted are listed under "missing from files" and left as they are.
    """
    library = load_library(directory, _scenarios_dir())
    existing = {c.slug: c for c in db.session.scalars(sa.select(Course))}
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    for position, data in enumerate(library.courses):
        counts[_sync_course(existing.get(data.slug), data, position)] += 1
        if progress:
            progress(1)
    certifications = _sync_certifications(library.certifications)
    db.session.commit()
    summary = dict(counts)
    summary["certifications"] = certifications["created"] + certifications["updated"] + certifications["unchanged"]
    summary["certifications changed"] = certifications["created"] + certifications["updated"]
    summary["missing from files"] = missing_courses(existing, {data.slug for data in library.courses})
    return summary


sync_library.count = lambda directory: len(course_folders(directory))

