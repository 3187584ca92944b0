"""Quizzes: question banks, versioned questions, quizzes and graded attempts.

A question is never edited in place once it exists: an edit (or a changed
quiz.gift) adds a new ``Question`` row with the same ``key`` and the next
``version``; attempts keep pointing at the row they were taken on.
"""

from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.people import User
from app.models.types import UTCDateTime, utcnow

QUESTION_TYPES = (
    "multichoice", "multiple_answer", "truefalse", "shortanswer", "numerical", "matching", "essay", "description",
)
TEXT_FORMATS = ("moodle", "html", "plain", "markdown")
QUIZ_MODES = ("fixed", "random")
ATTEMPT_STATES = ("in_progress", "needs_grading", "finished")


class QuestionBank(db.Model):
    """A named collection of questions; a course's quiz has its own bank."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    course_slug: Mapped[Optional[str]] = mapped_column(sa.String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    categories: Mapped[list["QuestionCategory"]] = relationship(
        back_populates="bank", order_by="QuestionCategory.name", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<QuestionBank {self.name}>"


class QuestionCategory(db.Model):
    """A category of a bank, named by its path ("Objections/Budget")."""

    __table_args__ = (sa.UniqueConstraint("bank_id", "name", name="uq_question_category_bank_id_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(sa.ForeignKey("question_bank.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(255))

    bank: Mapped[QuestionBank] = relationship(back_populates="categories")


class Question(db.Model):
    """One version of a question; ``key`` is shared by all versions, ``is_current`` marks the newest."""

    __table_args__ = (sa.UniqueConstraint("key", "version", name="uq_question_key_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(200), index=True)
    version: Mapped[int] = mapped_column(default=1)
    is_current: Mapped[bool] = mapped_column(default=True, index=True)
    bank_id: Mapped[int] = mapped_column(sa.ForeignKey("question_bank.id"), index=True)
    category_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("question_category.id"), index=True)
    type: Mapped[str] = mapped_column(
        sa.Enum(*QUESTION_TYPES, name="question_type", native_enum=False, create_constraint=True)
    )
    name: Mapped[str] = mapped_column(sa.String(255))
    text: Mapped[str] = mapped_column(sa.Text, default="")
    text_format: Mapped[str] = mapped_column(sa.String(10), default="markdown")
    general_feedback: Mapped[str] = mapped_column(sa.Text, default="")
    general_feedback_format: Mapped[str] = mapped_column(sa.String(10), default="markdown")
    idnumber: Mapped[str] = mapped_column(sa.String(100), default="")
    tags: Mapped[list] = mapped_column(sa.JSON, default=list)
    content_hash: Mapped[str] = mapped_column(sa.String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    bank: Mapped[QuestionBank] = relationship()
    category: Mapped[Optional[QuestionCategory]] = relationship()
    answers: Mapped[list["QuestionAnswer"]] = relationship(
        back_populates="question", order_by="QuestionAnswer.position", cascade="all, delete-orphan"
    )
    tag_rows: Mapped[list["QuestionTag"]] = relationship(cascade="all, delete-orphan")

    @property
    def is_graded(self) -> bool:
        """Descriptions carry no mark."""
        return self.type != "description"

    def __repr__(self) -> str:
        return f"<Question {self.key} v{self.version} {self.type}>"


class QuestionAnswer(db.Model):
    """An answer of a question version: a choice, accepted text or number, or a matching pair."""

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("question.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    text: Mapped[str] = mapped_column(sa.Text, default="")
    text_format: Mapped[str] = mapped_column(sa.String(10), default="markdown")
    fraction: Mapped[float] = mapped_column(sa.Float, default=0.0)
    feedback: Mapped[str] = mapped_column(sa.Text, default="")
    feedback_format: Mapped[str] = mapped_column(sa.String(10), default="markdown")
    tolerance: Mapped[Optional[float]] = mapped_column(sa.Float)
    match_text: Mapped[Optional[str]] = mapped_column(sa.Text)

    question: Mapped[Question] = relationship(back_populates="answers")


class QuestionTag(db.Model):
    """A tag of a question version, as a row so random draws can query it."""

    __table_args__ = (sa.UniqueConstraint("question_id", "tag", name="uq_question_tag_question_id_tag"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("question.id"), index=True)
    tag: Mapped[str] = mapped_column(sa.String(100), index=True)


class Quiz(db.Model):
    """A quiz: fixed questions or a random draw by tag, with pass mark and limits."""

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    bank_id: Mapped[int] = mapped_column(sa.ForeignKey("question_bank.id"), index=True)
    course_slug: Mapped[Optional[str]] = mapped_column(sa.String(120), unique=True)
    mode: Mapped[str] = mapped_column(
        sa.Enum(*QUIZ_MODES, name="quiz_mode", native_enum=False, create_constraint=True), default="fixed"
    )
    draw_tag: Mapped[Optional[str]] = mapped_column(sa.String(100))
    draw_count: Mapped[int] = mapped_column(default=0)
    pass_mark: Mapped[float] = mapped_column(sa.Float, default=0.7)
    attempt_limit: Mapped[Optional[int]] = mapped_column()  # None: unlimited
    time_limit_minutes: Mapped[Optional[int]] = mapped_column()  # None: untimed
    shuffle_answers: Mapped[bool] = mapped_column(default=True)
    shuffle_questions: Mapped[bool] = mapped_column(default=False)
    published: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    bank: Mapped[QuestionBank] = relationship()
    slots: Mapped[list["QuizSlot"]] = relationship(
        back_populates="quiz", order_by="QuizSlot.position", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Quiz {self.id} {self.title}>"


class QuizSlot(db.Model):
    """A fixed question of a quiz, by question key: attempts take its current version."""

    __table_args__ = (sa.UniqueConstraint("quiz_id", "question_key", name="uq_quiz_slot_quiz_id_question_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(sa.ForeignKey("quiz.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    question_key: Mapped[str] = mapped_column(sa.String(200), index=True)

    quiz: Mapped[Quiz] = relationship(back_populates="slots")


class Attempt(db.Model):
    """A learner's attempt at a quiz; practice attempts (missed questions again) do not count.

    ``open_key`` is set while the attempt is in progress and is unique, so two
    simultaneous "start" requests cannot open two attempts; ``submit_token``
    is checked on submission so a repeated submit never grades twice.
    """

    __table_args__ = (
        sa.UniqueConstraint("quiz_id", "user_id", "number", name="uq_attempt_quiz_id_user_id_number"),
        sa.Index("ix_attempt_user_id_quiz_id", "user_id", "quiz_id"),
        # The home page's latest attempts: one learner's, newest first, without sorting all of them.
        sa.Index("ix_attempt_user_id_started_at", "user_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(sa.ForeignKey("quiz.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    number: Mapped[Optional[int]] = mapped_column()  # 1, 2, …; None for practice
    is_practice: Mapped[bool] = mapped_column(default=False)
    practice_of_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("attempt.id"))
    state: Mapped[str] = mapped_column(
        sa.Enum(*ATTEMPT_STATES, name="attempt_state", native_enum=False, create_constraint=True),
        default="in_progress", index=True,
    )
    open_key: Mapped[Optional[str]] = mapped_column(sa.String(80), unique=True)
    submit_token: Mapped[str] = mapped_column(sa.String(64))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deadline: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    submitted_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    finished_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    score: Mapped[Optional[float]] = mapped_column(sa.Float)  # 0..1, once graded
    passed: Mapped[Optional[bool]] = mapped_column()

    quiz: Mapped[Quiz] = relationship()
    user: Mapped[User] = relationship()
    items: Mapped[list["AttemptItem"]] = relationship(
        back_populates="attempt", order_by="AttemptItem.position", cascade="all, delete-orphan"
    )

    @property
    def is_open(self) -> bool:
        """An attempt takes answers until it is submitted."""
        return self.state == "in_progress"

    def __repr__(self) -> str:
        return f"<Attempt {self.id} quiz={self.quiz_id} user={self.user_id} {self.state}>"


class AttemptItem(db.Model):
    """One question of an attempt: the version shown, answer order, response and grade."""

    __table_args__ = (sa.UniqueConstraint("attempt_id", "position", name="uq_attempt_item_attempt_id_position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(sa.ForeignKey("attempt.id"), index=True)
    position: Mapped[int] = mapped_column()
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("question.id"), index=True)
    answer_order: Mapped[list] = mapped_column(sa.JSON, default=list)  # answer ids as shown
    response: Mapped[Optional[dict]] = mapped_column(sa.JSON)
    saved_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    fraction: Mapped[Optional[float]] = mapped_column(sa.Float)  # 0..1; None until graded
    needs_grading: Mapped[bool] = mapped_column(default=False)
    grader_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id"))
    grader_comment: Mapped[str] = mapped_column(sa.Text, default="")
    graded_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    attempt: Mapped[Attempt] = relationship(back_populates="items")
    question: Mapped[Question] = relationship()
    grader: Mapped[Optional[User]] = relationship()
