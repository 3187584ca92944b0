"""The course library: versioned courses and lessons, enrolments, progress, certifications."""

from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.people import TIER_VALUES, User
from app.models.types import UTCDateTime, utcnow

TIER_ORDER = {tier: index for index, tier in enumerate(TIER_VALUES)}
ENROLMENT_SOURCES = ("self", "path", "assignment", "demo")


class Course(db.Model):
    """A course; its text lives in versions, the newest of which is ``current_version``."""

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(120), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    tier: Mapped[str] = mapped_column(
        sa.Enum(*TIER_VALUES, name="course_tier", native_enum=False, create_constraint=True), index=True
    )
    lang: Mapped[str] = mapped_column(sa.String(8), default="zh")
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    minutes: Mapped[int] = mapped_column(default=0)
    position: Mapped[int] = mapped_column(default=0)
    prerequisites: Mapped[list] = mapped_column(sa.JSON, default=list)
    tags: Mapped[list] = mapped_column(sa.JSON, default=list)
    behaviours: Mapped[list] = mapped_column(sa.JSON, default=list)
    published: Mapped[bool] = mapped_column(default=True)
    # Hash of the files at the last sync: unchanged files never overwrite browser edits.
    source_hash: Mapped[Optional[str]] = mapped_column(sa.String(64))
    current_version_id: Mapped[Optional[int]] = mapped_column(
        sa.ForeignKey("course_version.id", use_alter=True, name="fk_course_current_version_id_course_version")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    current_version: Mapped[Optional["CourseVersion"]] = relationship(
        foreign_keys=[current_version_id], post_update=True
    )
    versions: Mapped[list["CourseVersion"]] = relationship(
        back_populates="course", foreign_keys="CourseVersion.course_id", order_by="CourseVersion.number"
    )

    @property
    def family(self) -> str:
        """Return the slug shared by a course and its translations (``spin-basics-en`` → ``spin-basics``)."""
        suffix = f"-{self.lang}"
        return self.slug[: -len(suffix)] if self.slug.endswith(suffix) else self.slug

    def __repr__(self) -> str:
        return f"<Course {self.slug}>"


class CourseVersion(db.Model):
    """One immutable state of a course's lessons; a changed file or an edit makes a new one."""

    __table_args__ = (sa.UniqueConstraint("course_id", "number", name="uq_course_version_course_id_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id"), index=True)
    number: Mapped[int] = mapped_column()
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    source: Mapped[str] = mapped_column(sa.String(20), default="sync")  # sync | editor
    author_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    course: Mapped[Course] = relationship(back_populates="versions", foreign_keys=[course_id])
    lessons: Mapped[list["Lesson"]] = relationship(back_populates="version", order_by="Lesson.position")


class Lesson(db.Model):
    """A lesson of one course version; ``key`` (the file stem) is stable across versions."""

    __table_args__ = (sa.UniqueConstraint("version_id", "key", name="uq_lesson_version_id_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("course_version.id"), index=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id"), index=True)
    key: Mapped[str] = mapped_column(sa.String(120))
    position: Mapped[int] = mapped_column()
    title: Mapped[str] = mapped_column(sa.String(200))
    minutes: Mapped[int] = mapped_column(default=0)
    body: Mapped[str] = mapped_column(sa.Text, default="")

    version: Mapped[CourseVersion] = relationship(back_populates="lessons")


class Enrolment(db.Model):
    """A learner on a course: when they enrolled, started, finished, and where they left off."""

    __table_args__ = (sa.UniqueConstraint("user_id", "course_id", name="uq_enrolment_user_id_course_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id"), index=True)
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("course_version.id"))
    source: Mapped[str] = mapped_column(sa.String(20), default="self")
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    completed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    completed_version_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("course_version.id"))
    last_lesson_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("lesson.id"))
    last_activity_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    course: Mapped[Course] = relationship()
    last_lesson: Mapped[Optional[Lesson]] = relationship()


class LessonProgress(db.Model):
    """A learner's reading of one lesson of one version (kept when newer versions appear)."""

    __table_args__ = (sa.UniqueConstraint("user_id", "lesson_id", name="uq_lesson_progress_user_id_lesson_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    lesson_id: Mapped[int] = mapped_column(sa.ForeignKey("lesson.id"), index=True)
    # Denormalised so "which lessons of this course are done" needs no join through versions.
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id"), index=True)
    lesson_key: Mapped[str] = mapped_column(sa.String(120))
    first_opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    lesson: Mapped[Lesson] = relationship()


class Certification(db.Model):
    """A named certification: passed course quizzes plus role-play scores (content/certifications.yaml)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(120), unique=True)
    title_zh: Mapped[str] = mapped_column(sa.String(200))
    title_en: Mapped[str] = mapped_column(sa.String(200))
    tier: Mapped[str] = mapped_column(
        sa.Enum(*TIER_VALUES, name="certification_tier", native_enum=False, create_constraint=True)
    )
    position: Mapped[int] = mapped_column(default=0)
    # [{"course": slug, "pass": 0..1}], [{"scenario": slug, "min_score": 0..1}]
    quizzes: Mapped[list] = mapped_column(sa.JSON, default=list)
    scenarios: Mapped[list] = mapped_column(sa.JSON, default=list)
    content_hash: Mapped[str] = mapped_column(sa.String(64), default="")

    def title(self, locale: str) -> str:
        """Return the title in the given interface language."""
        return self.title_zh if locale.startswith("zh") else self.title_en


class CertificationAward(db.Model):
    """A certification awarded to a learner; ``serial`` is printed on the certificate."""

    __table_args__ = (
        sa.UniqueConstraint("user_id", "certification_id", name="uq_certification_award_user_id_certification_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    certification_id: Mapped[int] = mapped_column(sa.ForeignKey("certification.id"), index=True)
    serial: Mapped[str] = mapped_column(sa.String(40), unique=True)
    awarded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    certification: Mapped[Certification] = relationship()
    user: Mapped[User] = relationship()


class ScenarioBest(db.Model):
    """A learner's best role-play score per scenario, kept from play_finished for milestones."""

    __table_args__ = (sa.UniqueConstraint("user_id", "scenario_slug", name="uq_scenario_best_user_id_scenario_slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    scenario_slug: Mapped[str] = mapped_column(sa.String(120))
    best_score: Mapped[float] = mapped_column(sa.Float, default=0.0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
