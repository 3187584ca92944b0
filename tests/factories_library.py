"""Factory functions for the course library tests."""

from itertools import count
from pathlib import Path

from app.extensions import db
from app.models.library import Certification, Course
from app.services.library_sync import add_version

LIBRARY_DATA = Path(__file__).parent / "data" / "library"
GOOD_LIBRARY = LIBRARY_DATA / "good"
SCENARIOS = LIBRARY_DATA / "scenarios"

_seq = count(1)


class LessonData:
    """A lesson to put in a course version."""

    def __init__(self, key, title, body, minutes=5, position=1):
        self.key, self.title, self.body, self.minutes, self.position = key, title, body, minutes, position


def make_course(slug=None, tier="new_hire", lessons=2, published=True, lang="zh", tags=None, bodies=None, **fields):
    """Create a course with one version of ``lessons`` lessons."""
    n = next(_seq)
    course = Course(
        slug=slug or f"course-{n}", title=fields.pop("title", f"Course {n}"), tier=tier, lang=lang,
        summary=fields.pop("summary", "A course."), minutes=fields.pop("minutes", 10), position=n,
        prerequisites=[], tags=tags or [], behaviours=[], published=published, **fields,
    )
    db.session.add(course)
    db.session.flush()
    bodies = bodies or [f"Lesson **{i}** text." for i in range(1, lessons + 1)]
    add_version(course, [LessonData(f"{i:02d}-part", f"Part {i}", body, 5, i) for i, body in enumerate(bodies, 1)])
    db.session.commit()
    return course


def make_certification(key="cert", tier="new_hire", quizzes=(), scenarios=()):
    """Create a certification with quiz requirements [(slug, pass)] and scenario ones [(slug, min)]."""
    cert = Certification(
        key=key, title_zh=f"{key} 认证", title_en=f"{key} certified", tier=tier,
        quizzes=[{"course": s, "pass": p} for s, p in quizzes],
        scenarios=[{"scenario": s, "min_score": m} for s, m in scenarios],
    )
    db.session.add(cert)
    db.session.commit()
    return cert
