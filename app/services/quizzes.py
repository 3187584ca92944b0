"""Quizzes as other areas see them: course quizzes, results per learner, quiz settings."""

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Optional

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models.people import User
from app.models.quiz import Attempt, QuestionBank, Quiz, QuizSlot
from app.services.errors import ValidationError


@dataclass(frozen=True)
class QuizResult:
    """A learner's standing on one quiz: counted, graded attempts only (practice never counts)."""

    passed: bool
    best_score: float  # 0..1
    attempts: int
    last_finished_at: Optional[datetime] = None


def find_course_quiz(course_slug: str) -> Optional[Quiz]:
    """Return the quiz of a course (from its quiz.gift), or None."""
    return db.session.scalar(sa.select(Quiz).where(Quiz.course_slug == course_slug))


def _results(user_ids: Iterable[int], key_column, extra_filter) -> dict:
    """Group finished counted attempts by (user, key) in one query."""
    user_ids = list(set(user_ids))
    if not user_ids:
        return {}
    rows = db.session.execute(
        sa.select(
            Attempt.user_id, key_column,
            sa.func.max(Attempt.score), sa.func.count(Attempt.id),
            sa.func.max(sa.case((Attempt.passed.is_(True), 1), else_=0)), sa.func.max(Attempt.finished_at),
        )
        .join(Quiz, Quiz.id == Attempt.quiz_id)
        .where(Attempt.user_id.in_(user_ids), Attempt.is_practice.is_(False), Attempt.state == "finished",
               extra_filter)
        .group_by(Attempt.user_id, key_column)
    )
    return {
        (user_id, key): QuizResult(passed=bool(passed), best_score=float(best or 0.0), attempts=int(count),
                                   last_finished_at=last)
        for user_id, key, best, count, passed, last in rows
    }


def course_quiz_results(user_ids: Iterable[int]) -> dict[tuple[int, str], QuizResult]:
    """Return {(user_id, course_slug): QuizResult} for every course quiz the users finished; one query."""
    return _results(user_ids, Quiz.course_slug, Quiz.course_slug.is_not(None))


def quiz_results(user_ids: Iterable[int], quiz_ids: Iterable[int]) -> dict[tuple[int, int], QuizResult]:
    """Return {(user_id, quiz_id): QuizResult} for the given users and quizzes; one query."""
    quiz_ids = list(set(quiz_ids))
    if not quiz_ids:
        return {}
    return _results(user_ids, Quiz.id, Quiz.id.in_(quiz_ids))


def list_quizzes(include_unpublished: bool = False) -> list[Quiz]:
    """Return quizzes by title (standalone and course quizzes)."""
    query = sa.select(Quiz).order_by(Quiz.course_slug.is_not(None), Quiz.title)
    if not include_unpublished:
        query = query.where(Quiz.published.is_(True))
    return list(db.session.scalars(query))


def my_results(user: User) -> dict[int, QuizResult]:
    """Return {quiz_id: QuizResult} for one learner."""
    return {quiz_id: result for (_, quiz_id), result in
            _results([user.id], Quiz.id, sa.true()).items()}


def quiz_choices() -> list[tuple[int, str]]:
    """Return (id, title) of published quizzes, for other areas' assignment forms."""
    return [(q.id, q.title) for q in list_quizzes()]


def _check_settings(settings: dict) -> None:
    """Refuse settings that cannot work."""
    if not (settings.get("title") or "").strip():
        raise ValidationError(_l("A quiz needs a title."), field="title")
    if not 0 <= settings.get("pass_mark", 0.7) <= 1:
        raise ValidationError(_l("The pass mark lies between 0 % and 100 %."), field="pass_mark")
    if settings.get("mode") == "random" and not (settings.get("draw_tag") or "").strip():
        raise ValidationError(_l("A random quiz draws by a tag: name the tag."), field="draw_tag")
    if settings.get("mode") == "random" and (settings.get("draw_count") or 0) < 1:
        raise ValidationError(_l("Draw at least one question."), field="draw_count")


def save_quiz(quiz: Optional[Quiz], bank: QuestionBank, settings: dict, question_keys: Optional[list[str]] = None) -> Quiz:
    """Create or update a quiz's settings (and its fixed questions); one commit."""
    _check_settings(settings)
    if quiz is None:
        quiz = Quiz(bank=bank)
        db.session.add(quiz)
    quiz.bank = bank
    for name in ("title", "description", "mode", "draw_tag", "draw_count", "pass_mark", "attempt_limit",
                 "time_limit_minutes", "shuffle_answers", "shuffle_questions", "published"):
        if name in settings:
            value = settings[name]
            setattr(quiz, name, value.strip() if isinstance(value, str) else value)
    if question_keys is not None:
        set_slots(quiz, question_keys)
    db.session.commit()
    return quiz


def set_slots(quiz: Quiz, question_keys: list[str]) -> None:
    """Make the quiz's fixed questions exactly ``question_keys``, in order (no commit)."""
    existing = {slot.question_key: slot for slot in quiz.slots}
    wanted = list(dict.fromkeys(question_keys))
    for key, slot in existing.items():
        if key not in wanted:
            quiz.slots.remove(slot)
    db.session.flush()
    for position, key in enumerate(wanted):
        slot = existing.get(key)
        if slot is None:
            quiz.slots.append(QuizSlot(question_key=key, position=position))
        else:
            slot.position = position
