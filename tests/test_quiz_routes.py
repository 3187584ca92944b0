"""Quiz pages over HTTP: taking and reviewing attempts, access, grading, banks, questions, settings, stats."""

import io

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.quiz import Attempt, Question, QuestionBank, Quiz
from tests.factories import make_pairing, make_user
from tests.factories_quiz import SAMPLE_GIFT, make_bank_with, make_quiz, perfect_responses


def form_data(attempt, responses):
    """Turn service-style responses into the attempt page's form fields."""
    data = {"token": attempt.submit_token, "action": "submit"}
    for item in attempt.items:
        r = responses.get(item.id, {})
        name = f"q{item.id}"
        if "choice" in r:
            data[name] = str(r["choice"])
        elif "choices" in r:
            data[name] = [str(c) for c in r["choices"]]
        elif "text" in r:
            data[name] = r["text"]
        elif "pairs" in r:
            for answer_id, right in r["pairs"].items():
                data[f"{name}_{answer_id}"] = right
    return data


def start(client, quiz):
    """Start an attempt through the page; return it."""
    response = client.post(f"/quiz/{quiz.id}/start")
    assert response.status_code == 302
    attempt_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    return db.session.get(Attempt, attempt_id)


def test_a_learner_takes_submits_and_reviews_a_quiz(client, login_as):
    """Start → answer → submit → review with per-answer and general feedback; a double submit grades once."""
    quiz = make_quiz()
    learner = login_as("learner")
    assert client.get(f"/quiz/{quiz.id}").status_code == 200
    attempt = start(client, quiz)
    page = client.get(f"/quiz/attempt/{attempt.id}")
    assert page.status_code == 200 and attempt.submit_token.encode() in page.data
    responses = perfect_responses(attempt)
    mc_item = next(i for i in attempt.items if i.question.type == "multichoice")
    wrong = next(a for a in mc_item.question.answers if a.text == "Situation")
    responses[mc_item.id] = {"choice": wrong.id}
    data = form_data(attempt, responses)
    first = client.post(f"/quiz/attempt/{attempt.id}", data=data)
    assert first.status_code == 302 and first.headers["Location"].endswith(f"/quiz/attempt/{attempt.id}/review")
    again = client.post(f"/quiz/attempt/{attempt.id}", data=data)  # double click / retry
    assert again.headers["Location"].endswith(f"/quiz/attempt/{attempt.id}/review")
    assert db.session.scalar(sa.select(sa.func.count(Attempt.id)).where(Attempt.user_id == learner.id)) == 1
    db.session.expire_all()
    graded = db.session.get(Attempt, attempt.id)
    assert graded.state == "finished" and graded.score == pytest.approx(5 / 6)
    review = client.get(f"/quiz/attempt/{attempt.id}/review").get_data(as_text=True)
    assert "Facts only." in review  # feedback of the chosen wrong answer
    assert "Implication questions link the problem to its cost." in review  # general feedback
    assert "83 %" in review


def test_saving_keeps_answers_without_submitting(client, login_as):
    """The save button stores answers and keeps the attempt open."""
    quiz = make_quiz()
    login_as("learner")
    attempt = start(client, quiz)
    data = form_data(attempt, perfect_responses(attempt)) | {"action": "save"}
    response = client.post(f"/quiz/attempt/{attempt.id}", data=data)
    assert response.headers["Location"].endswith(f"/quiz/attempt/{attempt.id}")
    db.session.expire_all()
    saved = db.session.get(Attempt, attempt.id)
    assert saved.state == "in_progress" and all(i.response for i in saved.items)


def test_a_save_stores_what_the_full_attempt_would_read(client, login_as):
    """Saving reads the form through a narrow answer sheet; every type is stored as the items themselves read it."""
    from werkzeug.datastructures import MultiDict

    from app.quiz.forms import responses_from_form
    from app.services import quiz_attempts

    quiz = make_quiz()
    login_as("learner")
    attempt = start(client, quiz)
    data = form_data(attempt, perfect_responses(attempt)) | {"action": "save"}
    expected = responses_from_form(attempt.items, MultiDict(data))
    assert {i.question.type for i in attempt.items} >= {"multichoice", "multiple_answer", "matching", "shortanswer"}
    assert responses_from_form(quiz_attempts.answer_sheet(attempt.id), MultiDict(data)) == expected
    assert client.post(f"/quiz/attempt/{attempt.id}", data=data).status_code == 302
    db.session.expire_all()
    assert {i.id: i.response for i in db.session.get(Attempt, attempt.id).items} == expected
    assert "Your answers are saved." in client.get(f"/quiz/attempt/{attempt.id}").get_data(as_text=True)


def test_another_learner_gets_404_everywhere(client, auth):
    """Another learner's attempt, review and practice answer 404."""
    quiz = make_quiz()
    owner, stranger = make_user(), make_user()
    auth.login(owner)
    attempt = start(client, quiz)
    client.post(f"/quiz/attempt/{attempt.id}", data=form_data(attempt, {}))
    auth.logout()
    auth.login(stranger)
    assert client.get(f"/quiz/attempt/{attempt.id}").status_code == 404
    assert client.get(f"/quiz/attempt/{attempt.id}/review").status_code == 404
    assert client.post(f"/quiz/attempt/{attempt.id}/practice").status_code == 404
    assert client.post(f"/quiz/attempt/{attempt.id}", data=form_data(attempt, {})).status_code == 404


def test_practice_from_the_review_page(client, login_as):
    """The review page offers the missed questions as an uncounted practice attempt."""
    quiz = make_quiz()
    login_as("learner")
    attempt = start(client, quiz)
    client.post(f"/quiz/attempt/{attempt.id}", data=form_data(attempt, {}))
    response = client.post(f"/quiz/attempt/{attempt.id}/practice")
    assert response.status_code == 302
    practice = db.session.get(Attempt, int(response.headers["Location"].split("/")[-1]))
    assert practice.is_practice and len(practice.items) == 6


@pytest.mark.parametrize("path", ["/quiz/banks", "/quiz/manage", "/quiz/manage/new"])
def test_learners_and_mentors_cannot_author(client, login_as, path):
    """Authoring pages are for trainers and admins."""
    login_as("learner")
    assert client.get(path).status_code == 403


def test_the_essay_grading_flow(client, auth):
    """A learner's essay reaches their mentor, whose grade completes the attempt; others get 404."""
    quiz = make_quiz("::Pitch::Give your pitch.{}\n\n::TF::Yes?{T}", title="Pitch")
    learner, mentor, stranger = make_user(), make_user("mentor"), make_user("mentor")
    make_pairing(mentor, learner)
    auth.login(learner)
    attempt = start(client, quiz)
    client.post(f"/quiz/attempt/{attempt.id}", data=form_data(attempt, perfect_responses(attempt)))
    auth.logout()
    essay = next(i for i in attempt.items if i.question.type == "essay")
    auth.login(stranger)
    assert client.get(f"/quiz/grading/{essay.id}").status_code == 404
    auth.logout()
    auth.login(mentor)
    assert b"Pitch" in client.get("/quiz/grading").data
    assert client.get(f"/quiz/grading/{essay.id}").status_code == 200
    response = client.post(f"/quiz/grading/{essay.id}", data={"grade": "0", "comment": "Name the problem."})
    assert response.status_code == 302
    db.session.expire_all()
    done = db.session.get(Attempt, attempt.id)
    assert (done.state, done.score) == ("finished", 0.5)
    assert client.get(f"/quiz/attempt/{attempt.id}/review").status_code == 200  # mentor sees mentee's review


def test_trainer_uploads_and_downloads_gift(client, login_as):
    """Upload imports a bank; a bad file shows FILE:LINE problems and imports nothing; download gives GIFT."""
    login_as("trainer")
    bad = {"file": (io.BytesIO(b"::A::x{T}\n\n::B::y{#zz}\n"), "bad.gift"), "bank": "Upload"}
    response = client.post("/quiz/banks", data=bad, content_type="multipart/form-data")
    assert response.status_code == 422
    assert b"bad.gift:3: the value" in response.data
    assert db.session.scalar(sa.select(sa.func.count(Question.id))) == 0
    good = {"file": (io.BytesIO(SAMPLE_GIFT.encode()), "spin.gift"), "bank": "Upload"}
    response = client.post("/quiz/banks", data=good, content_type="multipart/form-data")
    assert response.status_code == 302
    bank = db.session.scalar(sa.select(QuestionBank).where(QuestionBank.name == "Upload"))
    assert db.session.scalar(sa.select(sa.func.count(Question.id)).where(Question.bank_id == bank.id)) == 6
    download = client.get(f"/quiz/banks/{bank.id}/export.gift")
    assert download.status_code == 200 and "attachment" in download.headers["Content-Disposition"]
    assert "::Q1 choice::" in download.get_data(as_text=True)
    assert client.get(f"/quiz/banks/{bank.id}?tag=none").status_code == 200


NEW_QUESTIONS = {
    "multichoice": {"answers-0-text": "Right", "answers-0-fraction": "100", "answers-1-text": "Wrong"},
    "multiple_answer": {"answers-0-text": "A", "answers-0-fraction": "50", "answers-1-text": "B",
                        "answers-1-fraction": "50", "answers-2-text": "C", "answers-2-fraction": "-100"},
    "truefalse": {"tf_correct": "false", "tf_feedback_true": "No."},
    "shortanswer": {"answers-0-text": "SPIN"},
    "numerical": {"answers-0-text": "7", "answers-0-tolerance": "0.5"},
    "matching": {"answers-0-text": "S", "answers-0-match": "Situation", "answers-1-text": "P",
                 "answers-1-match": "Problem", "answers-2-match": "Discount"},
    "essay": {},
    "description": {},
}


@pytest.mark.parametrize("qtype", list(NEW_QUESTIONS))
def test_trainer_creates_every_question_type(client, login_as, qtype):
    """The editor creates each type; the preview page shows it."""
    bank, _questions = make_bank_with("::X::x{T}", "Editor")
    login_as("trainer")
    data = {"type": qtype, "name": f"New {qtype}", "text": "What **now**?", "text_format": "markdown",
            "tags": "spin, basics", "category": "Drafts", "tf_correct": "true"} | NEW_QUESTIONS[qtype]
    response = client.post(f"/quiz/banks/{bank.id}/questions/new", data=data)
    assert response.status_code == 302, response.data[-3000:]
    question = db.session.scalar(sa.select(Question).where(Question.name == f"New {qtype}"))
    assert question.type == qtype and question.tags == ["spin", "basics"] and question.category.name == "Drafts"
    page = client.get(response.headers["Location"])
    assert page.status_code == 200 and b"<strong>now</strong>" in page.data


def test_the_editor_refuses_a_question_without_credit(client, login_as):
    """A single-choice question with no right answer is refused with a message, not saved."""
    bank, _questions = make_bank_with("::X::x{T}", "Editor")
    login_as("trainer")
    data = {"type": "multichoice", "name": "Bad", "text": "?", "text_format": "markdown",
            "answers-0-text": "A", "answers-1-text": "B"}
    response = client.post(f"/quiz/banks/{bank.id}/questions/new", data=data)
    assert response.status_code == 422 and b"no answer earns credit" in response.data
    assert db.session.scalar(sa.select(Question).where(Question.name == "Bad")) is None


def test_editing_makes_a_new_version(client, login_as):
    """Saving the edit form adds version 2 and leaves version 1 for old attempts."""
    quiz = make_quiz()
    login_as("trainer")
    question = next(s for s in quiz.slots)
    old = db.session.scalar(sa.select(Question).where(Question.key == question.question_key))
    form = client.get(f"/quiz/questions/{old.id}/edit")
    assert form.status_code == 200
    data = {"type": "multichoice", "name": old.name, "text": "Changed text", "text_format": old.text_format,
            "answers-0-text": "Situation", "answers-0-fraction": "0", "answers-1-text": "Implication",
            "answers-1-fraction": "100"}
    response = client.post(f"/quiz/questions/{old.id}/edit", data=data)
    assert response.status_code == 302
    versions = db.session.scalars(sa.select(Question).where(Question.key == old.key).order_by(Question.version)).all()
    assert [(v.version, v.is_current) for v in versions] == [(1, False), (2, True)]
    usage = client.get(f"/quiz/questions/{versions[1].id}")
    assert quiz.title.encode() in usage.data


def test_trainer_creates_a_quiz_and_changes_settings(client, login_as):
    """A new quiz from a bank with fixed questions; settings save; stats render."""
    bank, questions = make_bank_with(SAMPLE_GIFT, "Settings bank")
    login_as("trainer")
    data = {"title": "Weekly check", "bank_id": str(bank.id), "mode": "fixed", "pass_mark": "80",
            "question_keys": [questions[0].key, questions[2].key], "attempt_limit": "2", "time_limit_minutes": "15",
            "shuffle_answers": "y", "published": "y"}
    response = client.post("/quiz/manage/new", data=data)
    assert response.status_code == 302, response.data[-2000:]
    quiz = db.session.scalar(sa.select(Quiz).where(Quiz.title == "Weekly check"))
    assert (quiz.pass_mark, quiz.attempt_limit, quiz.time_limit_minutes, len(quiz.slots)) == (0.8, 2, 15, 2)
    assert client.get(f"/quiz/{quiz.id}/settings").status_code == 200
    response = client.post(f"/quiz/{quiz.id}/settings", data=data | {"pass_mark": "50", "attempt_limit": ""})
    assert response.status_code == 302
    db.session.expire_all()
    quiz = db.session.get(Quiz, quiz.id)
    assert (quiz.pass_mark, quiz.attempt_limit) == (0.5, None)
    assert client.get(f"/quiz/{quiz.id}/stats").status_code == 200
    bad = client.post("/quiz/manage/new", data=data | {"mode": "random", "draw_tag": ""})
    assert bad.status_code == 422


def test_statistics_page_shows_figures(client, auth):
    """After attempts the statistics page shows counts and the chart data block."""
    quiz = make_quiz()
    learner, trainer = make_user(), make_user("trainer")
    auth.login(learner)
    attempt = start(client, quiz)
    client.post(f"/quiz/attempt/{attempt.id}", data=form_data(attempt, perfect_responses(attempt)))
    auth.logout()
    auth.login(trainer)
    page = client.get(f"/quiz/{quiz.id}/stats")
    assert page.status_code == 200
    assert b'id="quiz-stats-data"' in page.data and b'data-testid="stat-attempts">1<' in page.data
    assert b"data-testid=\"attempt-list\"" in page.data


def test_trainer_tries_a_question_in_the_preview(client, login_as):
    """The preview grades a trial answer and shows its feedback, saving nothing."""
    from app.models.quiz import AttemptItem

    _bank, questions = make_bank_with(SAMPLE_GIFT, "Preview")
    login_as("trainer")
    choice = questions[0]
    wrong = next(a for a in choice.answers if a.text == "Situation")
    page = client.post(f"/quiz/questions/{choice.id}", data={"q0": str(wrong.id)})
    assert page.status_code == 200
    assert b"Mark: 0 %" in page.data and b"Facts only." in page.data
    assert db.session.scalar(sa.select(sa.func.count(AttemptItem.id))) == 0


def test_a_late_submission_counts_only_answers_saved_in_time(client, login_as):
    """Answers posted after the deadline are ignored: the attempt is graded on what was saved before it."""
    from datetime import timedelta

    from app.models.types import utcnow

    quiz = make_quiz(time_limit_minutes=5)
    login_as("learner")
    attempt = start(client, quiz)
    right = perfect_responses(attempt)
    tf = next(i for i in attempt.items if i.question.type == "truefalse")
    client.post(f"/quiz/attempt/{attempt.id}", data=form_data(attempt, {tf.id: right[tf.id]}) | {"action": "save"})
    attempt.deadline = utcnow() - timedelta(seconds=1)
    db.session.commit()
    response = client.post(f"/quiz/attempt/{attempt.id}", data=form_data(attempt, right))
    assert response.headers["Location"].endswith(f"/quiz/attempt/{attempt.id}/review")
    db.session.expire_all()
    assert db.session.get(Attempt, attempt.id).score == pytest.approx(1 / 6)
