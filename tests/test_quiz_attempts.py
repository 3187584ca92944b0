"""Taking quizzes through the services: grading every type, idempotent submission, limits, time, practice, essays."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app import signals
from app.content.gift import parse_gift
from app.extensions import db
from app.models.quiz import Attempt, AttemptItem
from app.models.types import utcnow
from app.services import quiz_attempts as qa
from app.services.errors import Conflict, Forbidden, NotFound
from app.services.quiz_bank import save_question, to_gift
from tests.factories import make_pairing, make_user
from tests.factories_quiz import make_quiz, perfect_responses


def by_type(attempt):
    """Return the attempt's items keyed by question type."""
    return {item.question.type: item for item in attempt.items}


def answer(question, text):
    """Return the answer row of a question with this text."""
    return next(a for a in question.answers if a.text == text)


def test_a_perfect_attempt_passes_and_announces_itself(app):
    """Right answers to every type score 100 %, pass, and send quiz_attempt_finished."""
    quiz, learner = make_quiz(), make_user()
    attempt = qa.start_attempt(quiz, learner)
    received = []
    with signals.quiz_attempt_finished.connected_to(lambda sender, **kw: received.append(kw)):
        done = qa.submit_attempt(attempt.id, learner, attempt.submit_token, perfect_responses(attempt))
    assert (done.state, done.score, done.passed) == ("finished", 1.0, True)
    assert received == [{"user_id": learner.id, "quiz_id": quiz.id, "attempt_id": attempt.id, "score": 1.0,
                         "passed": True}]


def test_each_type_grades_partial_and_wrong_answers(app):
    """Weights, negative weights, partial short answers, tolerance and matching grade as Moodle does."""
    quiz, learner = make_quiz(), make_user()
    attempt = qa.start_attempt(quiz, learner)
    items = by_type(attempt)
    mc, ma, tf = items["multichoice"].question, items["multiple_answer"].question, items["truefalse"].question
    match = items["matching"].question
    responses = {
        items["multichoice"].id: {"choice": answer(mc, "Situation").id},
        items["multiple_answer"].id: {"choices": [answer(ma, "Situation").id, answer(ma, "Discount").id]},
        items["truefalse"].id: {"choice": answer(tf, "False").id},
        items["shortanswer"].id: {"text": "  situational "},
        items["numerical"].id: {"text": "4,0"},
        items["matching"].id: {"pairs": {str(match.answers[0].id): "Situation", str(match.answers[1].id): "Discount"}},
    }
    done = qa.submit_attempt(attempt.id, learner, attempt.submit_token, responses)
    fractions = {i.question.type: i.fraction for i in done.items}
    assert fractions == {"multichoice": 0.0, "multiple_answer": 0.0, "truefalse": 1.0, "shortanswer": 0.5,
                         "numerical": 1.0, "matching": 0.5}
    assert done.score == pytest.approx(3 / 6)
    assert done.passed is False


def test_a_repeated_submit_grades_once(app):
    """A double click or a retried request returns the same graded attempt: one attempt, one grade."""
    quiz, learner = make_quiz(), make_user()
    attempt = qa.start_attempt(quiz, learner)
    token = attempt.submit_token
    first = qa.submit_attempt(attempt.id, learner, token, perfect_responses(attempt))
    finished_at = first.finished_at
    received = []
    with signals.quiz_attempt_finished.connected_to(lambda sender, **kw: received.append(kw)):
        again = qa.submit_attempt(attempt.id, learner, token, {})  # e.g. a retry with an empty body
    assert again.id == first.id and again.score == 1.0 and again.finished_at == finished_at
    assert received == []
    assert db.session.scalar(sa.select(sa.func.count(Attempt.id))) == 1


def test_a_repeated_start_resumes_the_open_attempt(app):
    """Starting twice opens one attempt; the open_key constraint stops a racing second insert."""
    quiz, learner = make_quiz(), make_user()
    first = qa.start_attempt(quiz, learner)
    assert qa.start_attempt(quiz, learner).id == first.id
    db.session.add(Attempt(quiz_id=quiz.id, user_id=learner.id, number=2, open_key=first.open_key, submit_token="x"))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_the_attempt_limit_is_enforced(app):
    """With one attempt allowed, a second start is refused."""
    quiz, learner = make_quiz(attempt_limit=1), make_user()
    attempt = qa.start_attempt(quiz, learner)
    qa.submit_attempt(attempt.id, learner, attempt.submit_token, {})
    with pytest.raises(Conflict):
        qa.start_attempt(quiz, learner)


def test_answers_after_the_deadline_do_not_count(app):
    """A late submission is graded on what was saved before the deadline."""
    quiz, learner = make_quiz(time_limit_minutes=10), make_user()
    start = utcnow()
    attempt = qa.start_attempt(quiz, learner, now=start)
    assert attempt.deadline == start + timedelta(minutes=10)
    right = perfect_responses(attempt)
    tf_item = by_type(attempt)["truefalse"]
    assert qa.save_responses(attempt, learner, {tf_item.id: right[tf_item.id]}, now=start + timedelta(minutes=5))
    late = start + timedelta(minutes=11)
    assert not qa.save_responses(attempt, learner, right, now=late)
    done = qa.submit_attempt(attempt.id, learner, attempt.submit_token, right, now=late)
    assert done.score == pytest.approx(1 / 6)  # only the true/false answer saved in time counts


def test_a_save_changes_only_the_attempts_own_items(app):
    """Responses keyed by another attempt's item ids are not stored."""
    quiz, learner, other = make_quiz(), make_user(), make_user()
    mine, theirs = qa.start_attempt(quiz, learner), qa.start_attempt(quiz, other)
    own_item, their_item = mine.items[0], theirs.items[0]
    assert qa.save_responses(mine, learner, {own_item.id: {"text": "mine"}, their_item.id: {"text": "not mine"}})
    db.session.expire_all()
    assert db.session.get(AttemptItem, own_item.id).response == {"text": "mine"}
    assert db.session.get(AttemptItem, their_item.id).response is None


def test_an_overdue_attempt_is_closed_on_the_next_visit(app):
    """An abandoned timed attempt is graded when the learner comes back."""
    quiz, learner = make_quiz(time_limit_minutes=1), make_user()
    start = utcnow() - timedelta(minutes=5)
    attempt = qa.start_attempt(quiz, learner, now=start)
    done = qa.finish_overdue(attempt, learner)
    assert done.state == "finished" and done.score == 0.0


def test_submission_uses_a_constant_number_of_queries(app, count_queries):
    """Grading 6 or 24 questions runs the same number of SQL statements, at most 9.

    Other areas' receivers of quiz_attempt_finished are muted: their queries are theirs to bound.
    """
    from tests.factories_quiz import SAMPLE_GIFT

    counts = []
    for copies in (1, 4):
        text = "\n\n".join(SAMPLE_GIFT.replace("::Q", f"::C{n}Q") for n in range(copies))
        quiz, learner = make_quiz(text, title=f"Quiz {copies}"), make_user()
        attempt = qa.start_attempt(quiz, learner)
        responses = perfect_responses(attempt)
        attempt_id, token = attempt.id, attempt.submit_token
        assert len(attempt.items) == 6 * copies
        with count_queries() as counter, signals.quiz_attempt_finished.muted():
            done = qa.submit_attempt(attempt_id, learner, token, responses)
        assert done.score == 1.0
        counts.append(counter.count)
    assert counts[0] == counts[1] and counts[0] <= 10, counts


def test_attempts_keep_the_question_version_they_were_taken_on(app):
    """Editing a question makes a new version; a finished attempt still shows the old one."""
    quiz, learner = make_quiz(), make_user()
    attempt = qa.start_attempt(quiz, learner)
    qa.submit_attempt(attempt.id, learner, attempt.submit_token, perfect_responses(attempt))
    old = by_type(attempt)["truefalse"].question
    edited = to_gift(old)
    edited = type(edited)(**{**edited.__dict__, "text": "Discounting at once is wise."})
    new = save_question(old.bank, edited, previous=old)
    assert (new.version, new.key, old.is_current) == (2, old.key, False)
    db.session.expire_all()
    kept = db.session.get(AttemptItem, by_type(attempt)["truefalse"].id)
    assert kept.question.version == 1
    second = qa.start_attempt(quiz, learner)
    assert by_type(second)["truefalse"].question.id == new.id


def test_practice_retakes_only_missed_questions_and_does_not_count(app):
    """The practice attempt holds the missed questions; it is not numbered nor counted in results."""
    from app.services.quizzes import quiz_results

    quiz, learner = make_quiz(), make_user()
    attempt = qa.start_attempt(quiz, learner)
    responses = perfect_responses(attempt)
    missed_item = by_type(attempt)["numerical"]
    responses[missed_item.id] = {"text": "9"}
    qa.submit_attempt(attempt.id, learner, attempt.submit_token, responses)
    practice = qa.start_practice(qa.get_attempt(attempt.id, learner), learner)
    assert [i.question_id for i in practice.items] == [missed_item.question_id]
    assert practice.is_practice and practice.number is None
    done = qa.submit_attempt(practice.id, learner, practice.submit_token, perfect_responses(practice))
    assert done.score == 1.0
    result = quiz_results([learner.id], [quiz.id])[(learner.id, quiz.id)]
    assert result.attempts == 1 and result.best_score == pytest.approx(5 / 6)


ESSAY_GIFT = "::Pitch::Write your 30-second pitch.{####Name the customer's problem first.}\n\n::TF::SPIN has four types.{T}"


def test_essays_wait_for_the_mentor_and_the_grade_completes_the_attempt(app):
    """An essay sends the attempt to the mentor's queue; their grade finishes it (and announces it)."""
    quiz, learner, mentor = make_quiz(ESSAY_GIFT, title="Pitch"), make_user(), make_user("mentor")
    other_mentor = make_user("mentor")
    make_pairing(mentor, learner)
    attempt = qa.start_attempt(quiz, learner)
    done = qa.submit_attempt(attempt.id, learner, attempt.submit_token, perfect_responses(attempt))
    assert done.state == "needs_grading" and done.score is None
    queue = qa.grading_queue(mentor)
    assert [i.question.type for i in queue] == ["essay"]
    assert qa.grading_queue(other_mentor) == []
    with pytest.raises(NotFound):
        qa.get_grading_item(queue[0].id, other_mentor)
    with pytest.raises(Forbidden):
        qa.grade_essay(queue[0], other_mentor, 1.0)
    received = []
    with signals.quiz_attempt_finished.connected_to(lambda sender, **kw: received.append(kw)):
        finished = qa.grade_essay(queue[0], mentor, 0.5, "Good start")
    assert (finished.state, finished.score, finished.passed) == ("finished", 0.75, True)
    assert received and received[0]["score"] == 0.75
    assert qa.grading_queue(mentor) == []


def test_a_learner_cannot_open_anothers_attempt(app):
    """Another learner's attempt is NotFound; the mentor may see their mentee's."""
    quiz, owner, stranger, mentor = make_quiz(), make_user(), make_user(), make_user("mentor")
    make_pairing(mentor, owner)
    attempt = qa.start_attempt(quiz, owner)
    with pytest.raises(NotFound):
        qa.get_attempt(attempt.id, stranger)
    assert qa.get_attempt(attempt.id, mentor).id == attempt.id
    with pytest.raises(NotFound):
        qa.submit_attempt(attempt.id, stranger, attempt.submit_token, {})


def test_random_quizzes_draw_by_tag(app):
    """A random quiz draws the asked number of current questions carrying its tag."""
    from app.services.quizzes import save_quiz
    from tests.factories_quiz import make_bank_with

    text = "\n\n".join(f"// [tag:{'spin' if n % 2 else 'fab'}]\n::N{n}::Question {n}?{{T}}" for n in range(10))
    bank, questions = make_bank_with(text, "Random bank")
    quiz = save_quiz(None, bank, {"title": "Random", "mode": "random", "draw_tag": "spin", "draw_count": 3,
                                  "pass_mark": 0.5})
    attempt = qa.start_attempt(quiz, make_user())
    assert len(attempt.items) == 3
    assert all("spin" in i.question.tags for i in attempt.items)


def test_gift_parse_of_sample_keeps_types():
    """The sample bank covers the six auto-graded types."""
    from tests.factories_quiz import SAMPLE_GIFT

    assert [q.type for q in parse_gift(SAMPLE_GIFT)] == [
        "multichoice", "multiple_answer", "truefalse", "shortanswer", "numerical", "matching"]


def test_two_simultaneous_submits_grade_once(app):
    """Two requests submitting the same attempt at once: one grades, the other sees it graded."""
    import threading

    quiz, learner = make_quiz(), make_user()
    attempt = qa.start_attempt(quiz, learner)
    attempt_id, token, user_id = attempt.id, attempt.submit_token, learner.id
    responses = perfect_responses(attempt)
    db.session.commit()
    finished, errors = [], []
    barrier = threading.Barrier(2)

    def submit():
        with app.app_context():
            try:
                user = db.session.get(type(learner), user_id)
                barrier.wait(timeout=10)
                done = qa.submit_attempt(attempt_id, user, token, responses)
                finished.append((done.id, done.score))
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)
            finally:
                db.session.remove()

    received = []
    with signals.quiz_attempt_finished.connected_to(lambda sender, **kw: received.append(kw)):
        threads = [threading.Thread(target=submit) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
    assert errors == []
    assert finished == [(attempt_id, 1.0), (attempt_id, 1.0)]
    assert len(received) == 1
    assert db.session.scalar(sa.select(sa.func.count(Attempt.id))) == 1
