"""Taking quizzes: start, save, submit (idempotently), grade essays, practise missed questions."""

import random
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import groupby
from typing import Optional

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask import current_app
from sqlalchemy.orm import selectinload

from app import signals
from app.authz import can_mentor
from app.extensions import db
from app.models.people import MentorPairing, Role, User
from app.models.quiz import Attempt, AttemptItem, Question, QuestionAnswer, QuestionTag, Quiz
from app.models.types import utcnow
from app.services.errors import Conflict, Forbidden, NotFound, ValidationError
from app.services.quiz_grading import grade

SHUFFLED_TYPES = ("multichoice", "multiple_answer", "matching")


def get_quiz(quiz_id: int) -> Quiz:
    """Return a quiz or raise NotFound."""
    quiz = db.session.get(Quiz, quiz_id)
    if quiz is None:
        raise NotFound("quiz")
    return quiz


# Built once: building a query with its loader options costs more than running it.
_ATTEMPT = sa.select(Attempt).where(Attempt.id == sa.bindparam("attempt_id"))
_ATTEMPT_WITH_ITEMS = _ATTEMPT.options(
    selectinload(Attempt.items).selectinload(AttemptItem.question).selectinload(Question.answers),
)


def get_attempt(attempt_id: int, viewer: User, *, load_items: bool = True) -> Attempt:
    """Return an attempt the viewer may see (their own, or as mentor/trainer), else NotFound."""
    attempt = db.session.scalar(_ATTEMPT_WITH_ITEMS if load_items else _ATTEMPT, {"attempt_id": attempt_id})
    if attempt is None:
        raise NotFound("attempt")
    if attempt.user_id != viewer.id:
        from app.authz import can_view_learner

        if not can_view_learner(viewer, attempt.user_id):
            raise NotFound("attempt")
    return attempt


@dataclass(frozen=True)
class SheetAnswer:
    """What reading a posted answer needs of a question's answer: its id and text (matching pairs need text)."""

    id: int
    text: str


@dataclass(frozen=True)
class SheetQuestion:
    """What reading a posted answer needs of a question: its type and answers."""

    type: str
    answers: tuple


@dataclass(frozen=True)
class SheetItem:
    """An attempt item as ``responses_from_form`` reads it, without the ORM objects behind it."""

    id: int
    question: SheetQuestion


# Built once: constructing the query costs more than running it.
_ANSWER_SHEET = (
    sa.select(AttemptItem.id, Question.type, QuestionAnswer.id, QuestionAnswer.text)
    .join(Question, Question.id == AttemptItem.question_id)
    .outerjoin(QuestionAnswer, QuestionAnswer.question_id == Question.id)
    .where(AttemptItem.attempt_id == sa.bindparam("attempt_id"))
    .order_by(AttemptItem.position, QuestionAnswer.position, QuestionAnswer.id)
)


def answer_sheet(attempt_id: int) -> list[SheetItem]:
    """Return an attempt's items with their questions' types and answer ids, in page order, in one narrow query.

    Saving answers needs no more than this; loading the attempt's items,
    questions and answers as objects costs several times the whole save.
    """
    rows = db.session.execute(_ANSWER_SHEET, {"attempt_id": attempt_id}).all()
    items: list[SheetItem] = []
    for item_id, group in groupby(rows, key=lambda row: row[0]):
        group = list(group)
        answers = tuple(SheetAnswer(answer_id, text) for _, _, answer_id, text in group if answer_id is not None)
        items.append(SheetItem(item_id, SheetQuestion(group[0][1], answers)))
    return items


def counted_attempts(quiz: Quiz, user: User) -> list[Attempt]:
    """Return the user's counted (non-practice) attempts at a quiz, oldest first."""
    return list(db.session.scalars(
        sa.select(Attempt).where(Attempt.quiz_id == quiz.id, Attempt.user_id == user.id, Attempt.is_practice.is_(False))
        .order_by(Attempt.number)
    ))


def attempts_left(quiz: Quiz, attempts: list[Attempt]) -> Optional[int]:
    """Return how many attempts remain (None: unlimited)."""
    if not quiz.attempt_limit:
        return None
    return max(0, quiz.attempt_limit - len(attempts))


def _open_attempt(quiz_id: int, user_id: int, practice: bool) -> Optional[Attempt]:
    """Return the user's in-progress attempt at a quiz, if any."""
    return db.session.scalar(sa.select(Attempt).where(
        Attempt.quiz_id == quiz_id, Attempt.user_id == user_id, Attempt.state == "in_progress",
        Attempt.is_practice.is_(practice),
    ))


def _save_open_attempt(attempt: Attempt, quiz_id: int, user_id: int, practice: bool) -> Attempt:
    """Add a new open attempt and commit; return the one a concurrent start saved first, if any."""
    db.session.add(attempt)
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        # A second "start" raced us (double click): the first one's attempt is the attempt.
        db.session.rollback()
        existing = _open_attempt(quiz_id, user_id, practice)
        if existing is None:
            raise
        return existing
    return attempt


def _draw_questions(quiz: Quiz, rng: random.Random) -> list[Question]:
    """Return the current question versions an attempt will show."""
    if quiz.mode == "random":
        candidates = list(db.session.scalars(
            sa.select(Question).where(
                Question.bank_id == quiz.bank_id, Question.is_current.is_(True), Question.type != "description",
                Question.id.in_(sa.select(QuestionTag.question_id).where(QuestionTag.tag == quiz.draw_tag)),
            ).order_by(Question.id)
        ))
        count = min(quiz.draw_count or len(candidates), len(candidates))
        return rng.sample(candidates, count)
    keys = [slot.question_key for slot in quiz.slots]
    current = {q.key: q for q in db.session.scalars(
        sa.select(Question).where(Question.key.in_(keys), Question.is_current.is_(True))
        .options(selectinload(Question.answers))
    )}
    questions = [current[k] for k in keys if k in current]
    if quiz.shuffle_questions:
        rng.shuffle(questions)
    return questions


def _items(questions: list[Question], shuffle: bool, rng: random.Random) -> list[AttemptItem]:
    """Build attempt items, shuffling the answers of choice and matching questions."""
    items = []
    for position, question in enumerate(questions):
        order = [a.id for a in question.answers]
        if shuffle and question.type in SHUFFLED_TYPES:
            rng.shuffle(order)
        items.append(AttemptItem(position=position, question_id=question.id, answer_order=order))
    return items


@dataclass
class PreviewItem:
    """A question shown as in an attempt, for a trainer's preview; never saved."""

    question: Question
    answer_order: list
    id: int = 0
    response: Optional[dict] = None


def preview_item(question: Question) -> PreviewItem:
    """Return a question laid out as an attempt would show it (answers shuffled like an attempt)."""
    return PreviewItem(question=question, answer_order=_items([question], True, random.Random())[0].answer_order)


def start_attempt(quiz: Quiz, user: User, now: Optional[datetime] = None) -> Attempt:
    """Open a new attempt (or return the open one); refuse when no attempts are left."""
    now = now or utcnow()
    existing = _open_attempt(quiz.id, user.id, practice=False)
    if existing is not None:
        return existing
    if not quiz.published and not user.has_role(Role.TRAINER, Role.ADMIN):
        raise NotFound("quiz")
    attempts = counted_attempts(quiz, user)
    if attempts_left(quiz, attempts) == 0:
        raise Conflict(_l("You have used all your attempts at this quiz."))
    rng = random.Random(secrets.randbits(64))
    questions = _draw_questions(quiz, rng)
    if not questions:
        raise ValidationError(_l("This quiz has no questions yet."))
    attempt = Attempt(
        quiz=quiz, user_id=user.id, number=(attempts[-1].number + 1) if attempts else 1, is_practice=False,
        open_key=f"{quiz.id}:{user.id}", submit_token=secrets.token_urlsafe(24), started_at=now,
        deadline=now + timedelta(minutes=quiz.time_limit_minutes) if quiz.time_limit_minutes else None,
        items=_items(questions, quiz.shuffle_answers, rng),
    )
    return _save_open_attempt(attempt, quiz.id, user.id, practice=False)


def practice_items(attempt: Attempt) -> list[AttemptItem]:
    """Return the auto-graded questions the learner missed (essays need a person, so they are left out)."""
    return [item for item in attempt.items
            if item.question.is_graded and item.question.type != "essay" and (item.fraction or 0) < 1]


def start_practice(attempt: Attempt, user: User, now: Optional[datetime] = None) -> Attempt:
    """Open an uncounted practice attempt with the questions the learner missed in ``attempt``."""
    if attempt.user_id != user.id:
        raise NotFound("attempt")
    if attempt.state != "finished":
        raise Conflict(_l("Practice opens once the attempt is graded."))
    existing = _open_attempt(attempt.quiz_id, user.id, practice=True)
    if existing is not None:
        return existing
    missed = practice_items(attempt)
    if not missed:
        raise Conflict(_l("You answered every question right: there is nothing to practise."))
    rng = random.Random(secrets.randbits(64))
    questions = [item.question for item in missed]
    practice = Attempt(
        quiz_id=attempt.quiz_id, user_id=user.id, number=None, is_practice=True, practice_of_id=attempt.id,
        open_key=f"{attempt.quiz_id}:{user.id}:practice", submit_token=secrets.token_urlsafe(24),
        started_at=now or utcnow(), items=_items(questions, attempt.quiz.shuffle_answers, rng),
    )
    return _save_open_attempt(practice, attempt.quiz_id, user.id, practice=True)


def _in_time(attempt: Attempt, now: datetime) -> bool:
    """Return True while answers still count (no deadline, or not past it)."""
    return attempt.deadline is None or now <= attempt.deadline


# One executemany for all answers, built once. Only items of the attempt are written: an id of another
# attempt's item changes nothing. Loaded items are not updated in memory (the commit expires them).
_ITEMS = AttemptItem.__table__
_SAVE_RESPONSE = (
    sa.update(_ITEMS).where(_ITEMS.c.id == sa.bindparam("item_id"), _ITEMS.c.attempt_id == sa.bindparam("of_attempt"))
    .values(response=sa.bindparam("new_response"), saved_at=sa.bindparam("new_saved_at"))
    .execution_options(view_stamps=())
)


_ATTEMPTS = Attempt.__table__
_STILL_OPEN = (
    sa.update(_ATTEMPTS).where(_ATTEMPTS.c.id == sa.bindparam("attempt"), _ATTEMPTS.c.state == "in_progress")
    .values(state="in_progress").execution_options(view_stamps=())
)


def save_responses(attempt: Attempt, user: User, responses: dict[int, dict], now: Optional[datetime] = None) -> bool:
    """Store responses of an open attempt; after the deadline nothing is stored. Return True when saved."""
    now = now or utcnow()
    if attempt.user_id != user.id:
        raise NotFound("attempt")
    if not attempt.is_open or not _in_time(attempt, now):
        return False
    # ``attempt`` may be stale: a submit in another request can grade it after it was read. This
    # conditional no-op UPDATE locks the attempt's row (the database on SQLite) until the commit
    # and checks it is still open, so a save never rewrites the answers of a graded attempt.
    still_open = db.session.execute(_STILL_OPEN, {"attempt": attempt.id}).rowcount
    if not still_open:
        db.session.rollback()
        return False
    rows = [{"item_id": item_id, "of_attempt": attempt.id, "new_response": response, "new_saved_at": now}
            for item_id, response in responses.items()]
    if rows:
        db.session.execute(_SAVE_RESPONSE, rows)
    db.session.commit()
    return True


def _finish(attempt: Attempt, fractions: list[Optional[float]], graded: list[bool], now: datetime) -> None:
    """Set score, pass/fail and state of an attempt whose items are all graded (no commit)."""
    marks = [f or 0.0 for f, counts in zip(fractions, graded) if counts]
    attempt.score = (sum(marks) / len(marks)) if marks else 1.0
    attempt.passed = attempt.score + 1e-9 >= attempt.quiz.pass_mark
    attempt.state = "finished"
    attempt.finished_at = now


def _finished_event(attempt: Attempt) -> Optional[dict]:
    """Return the quiz_attempt_finished fields of a graded counted attempt (read before the commit expires it)."""
    if attempt.state != "finished" or attempt.is_practice:
        return None
    return {"user_id": attempt.user_id, "quiz_id": attempt.quiz_id, "attempt_id": attempt.id,
            "score": attempt.score, "passed": bool(attempt.passed)}


def _announce(event: Optional[dict]) -> None:
    """Tell other areas an attempt was graded (after the commit)."""
    if event is not None:
        signals.quiz_attempt_finished.send(current_app._get_current_object(), **event)


def submit_attempt(attempt_id: int, user: User, token: str, responses: Optional[dict[int, dict]] = None,
                   now: Optional[datetime] = None) -> Attempt:
    """Grade an attempt once; a repeated or concurrent submit returns the graded attempt unchanged.

    The state change is a conditional UPDATE (``state = 'in_progress'`` and the
    attempt's token), so of two racing requests exactly one grades. Responses
    posted after the deadline are ignored: the attempt is graded on what was
    saved in time. The number of SQL statements does not grow with the
    number of questions.
    """
    now = now or utcnow()
    claimed = db.session.execute(
        sa.update(Attempt)
        .where(Attempt.id == attempt_id, Attempt.user_id == user.id, Attempt.state == "in_progress",
               Attempt.submit_token == token)
        .values(state="needs_grading", submitted_at=now, open_key=None)
        .execution_options(synchronize_session=False, view_stamps=(user.id,))
    ).rowcount
    if claimed != 1:
        db.session.rollback()
        attempt = db.session.scalar(sa.select(Attempt).where(Attempt.id == attempt_id, Attempt.user_id == user.id))
        if attempt is None:
            raise NotFound("attempt")
        if attempt.state == "in_progress":
            raise Conflict(_l("This form is out of date; reload the quiz page."))
        return attempt  # already submitted: idempotent
    attempt = db.session.scalar(
        sa.select(Attempt).where(Attempt.id == attempt_id)
        .options(selectinload(Attempt.quiz),
                 selectinload(Attempt.items).selectinload(AttemptItem.question).selectinload(Question.answers))
        .execution_options(populate_existing=True)
    )
    in_time = attempt.deadline is None or now <= attempt.deadline
    rows = []
    for item in attempt.items:
        response = item.response
        if in_time and responses and item.id in responses:
            response = responses[item.id]
        result = grade(item.question, response)
        rows.append({"id": item.id, "response": response, "fraction": result.fraction,
                     "needs_grading": item.question.type == "essay"})
    # One executemany for all items, so the statement count does not grow with the quiz.
    db.session.execute(sa.update(AttemptItem).execution_options(view_stamps=()), rows)
    if not any(r["needs_grading"] for r in rows):
        _finish(attempt, [r["fraction"] for r in rows], [i.question.is_graded for i in attempt.items], now)
    event = _finished_event(attempt)
    db.session.commit()
    _announce(event)
    return attempt


def finish_overdue(attempt: Attempt, user: User, now: Optional[datetime] = None) -> Attempt:
    """Submit an open attempt whose deadline has passed, with what was saved in time."""
    now = now or utcnow()
    if attempt.is_open and not _in_time(attempt, now):
        return submit_attempt(attempt.id, user, attempt.submit_token, None, now)
    return attempt


def may_grade(grader: User, learner_id: int) -> bool:
    """Trainers and admins grade anyone's essays; mentors their own mentees'."""
    if grader.id == learner_id:
        return False
    return grader.has_role(Role.TRAINER, Role.ADMIN) or can_mentor(grader, learner_id)


def grading_queue(grader: User) -> list[AttemptItem]:
    """Return the essay answers waiting for this grader, oldest first."""
    query = (
        sa.select(AttemptItem).join(Attempt, Attempt.id == AttemptItem.attempt_id)
        .where(AttemptItem.needs_grading.is_(True), Attempt.state == "needs_grading")
        .options(selectinload(AttemptItem.attempt).selectinload(Attempt.user),
                 selectinload(AttemptItem.attempt).selectinload(Attempt.quiz),
                 selectinload(AttemptItem.question))
        .order_by(Attempt.submitted_at, AttemptItem.position)
    )
    if not grader.has_role(Role.TRAINER, Role.ADMIN):
        # Mentors grade their own mentees (buddies see the work but do not grade it), as can_mentor decides.
        mentees = sa.select(MentorPairing.mentee_id).where(
            MentorPairing.mentor_id == grader.id, MentorPairing.ended_on.is_(None))
        query = query.where(Attempt.user_id.in_(mentees))
    return list(db.session.scalars(query))


def get_grading_item(item_id: int, grader: User) -> AttemptItem:
    """Return an essay answer the grader may grade, else NotFound."""
    item = db.session.get(AttemptItem, item_id)
    if item is None or item.question.type != "essay" or not may_grade(grader, item.attempt.user_id):
        raise NotFound("answer")
    return item


def grade_essay(item: AttemptItem, grader: User, fraction: float, comment: str = "",
                now: Optional[datetime] = None) -> Attempt:
    """Record a person's grade for an essay; the last one completes the attempt."""
    now = now or utcnow()
    if not may_grade(grader, item.attempt.user_id):
        raise Forbidden(_l("You may not grade this answer."))
    if not 0 <= fraction <= 1:
        raise ValidationError(_l("A grade lies between 0 % and 100 %."), field="grade")
    attempt = item.attempt
    if attempt.state == "in_progress":
        raise Conflict(_l("The attempt is not submitted yet."))
    item.fraction, item.needs_grading = fraction, False
    item.grader_id, item.grader_comment, item.graded_at = grader.id, comment.strip(), now
    fractions = [i.fraction for i in attempt.items]
    graded = [i.question.is_graded for i in attempt.items]
    if attempt.state == "needs_grading" and not any(i.needs_grading for i in attempt.items):
        _finish(attempt, fractions, graded, now)
    elif attempt.state == "finished":
        _finish(attempt, fractions, graded, attempt.finished_at or now)  # a regrade changes the score
    event = _finished_event(attempt)
    db.session.commit()
    _announce(event)
    return attempt
