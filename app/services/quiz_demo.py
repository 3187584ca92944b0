"""Demo quiz activity: a standalone objection-handling quiz and attempts by the demo learners."""

import random
from datetime import timedelta

import sqlalchemy as sa

from app.content.gift import parse_gift
from app.extensions import db
from app.models.people import User
from app.models.quiz import Attempt, Quiz
from app.models.types import utcnow
from app.services.quiz_attempts import grade_essay, start_attempt, submit_attempt
from app.services.quiz_bank import find_bank_by_name, import_questions

DEMO_BANK = "Objection handling (demo)"
DEMO_QUIZ = "Objection handling check"
DEMO_GIFT = """$CATEGORY: $course$/top/Objections/Budget

// [tag:objection_handling] [id:demo-obj-1]
::Budget first move::[markdown]The customer says: "Your system is too expensive, this year's budget is spent." What do you do **first**?{
  =Acknowledge, then ask where this year's budget went#Right: acknowledge, then find the real objection.
  ~Offer 20 % off at once#Too early: you give value away before you know the real objection.
  ~Explain every feature again#The customer did not ask about features.
####Acknowledge → clarify → answer the real cause (e.g. instalments plus added services).}

// [tag:objection_handling] [id:demo-obj-2]
::Instalments::[markdown]Which answers fit "budget too tight"? (Choose all that apply.){
  ~%50%Instalments over the contract year
  ~%50%Add services that raise the value
  ~%-100%Cut the price until they agree
}

// [tag:objection_handling] [id:demo-obj-3]
::Status quo::[markdown]"We are fine with what we have" is a status-quo objection.{T#It is: the customer sees no reason to change.#Right.}

// [tag:objection_handling] [id:demo-obj-4]
::Payback::[markdown]A system costs 36,000 and saves 3,000 a month. After how many months has it paid for itself?{#12:0.5}

$CATEGORY: $course$/top/Objections/Practice

// [tag:objection_handling] [id:demo-obj-5]
::Your answer::[markdown]A store owner says: "Your competitor is 30 % cheaper." Write what you would say in two or three sentences.{####Acknowledge, compare total value (service, uptime, training), and ask what matters most to them.}
"""
# Share of questions each demo learner tends to answer right (the rest get a wrong answer).
SKILL = {
    "learner@rehearse.test": 0.55, "learner2@rehearse.test": 0.9, "learner3@rehearse.test": 0.7,
    "learner4@rehearse.test": 0.4, "learner5@rehearse.test": 0.8, "learner6@rehearse.test": 0.95,
    "learner7@rehearse.test": 0.6, "learner8@rehearse.test": 0.75, "learner9@rehearse.test": 0.85,
    "learner10@rehearse.test": 0.5, "learner11@rehearse.test": 0.65, "learner12@rehearse.test": 0.3,
}


def _response(item, right: bool, rng: random.Random) -> dict:
    """Return a right or wrong response for an attempt item."""
    q = item.question
    best = max(q.answers, key=lambda a: a.fraction) if q.answers else None
    worst = min(q.answers, key=lambda a: a.fraction) if q.answers else None
    if q.type in ("multichoice", "truefalse"):
        return {"choice": (best if right else worst).id}
    if q.type == "multiple_answer":
        return {"choices": [a.id for a in q.answers if (a.fraction > 0) == right]}
    if q.type in ("shortanswer", "numerical"):
        return {"text": best.text if right else "0"}
    if q.type == "matching":
        matches = [a.match_text for a in q.answers]
        return {"pairs": {str(a.id): (a.match_text if right else rng.choice(matches)) for a in q.answers if a.text}}
    if q.type == "essay":
        return {"text": "I understand price matters. Compared with them, we include training and next-day service; "
                        "which of those matters most to your stores?"}
    return {}


def _ensure_demo_quiz() -> Quiz:
    """Create the demo bank and quiz once."""
    quiz = db.session.scalar(sa.select(Quiz).where(Quiz.title == DEMO_QUIZ))
    if quiz is not None:
        return quiz
    if find_bank_by_name(DEMO_BANK) is None:
        import_questions(parse_gift(DEMO_GIFT, "demo.gift"), DEMO_BANK)
    from app.services.quiz_bank import current_questions
    from app.services.quizzes import save_quiz

    bank = find_bank_by_name(DEMO_BANK)
    keys = [q.key for q in current_questions(bank)]
    return save_quiz(None, bank, {"title": DEMO_QUIZ, "description": "Five questions on budget and price objections.",
                                  "mode": "fixed", "pass_mark": 0.7, "attempt_limit": 3, "time_limit_minutes": 20,
                                  "shuffle_answers": True, "published": True}, keys)


def seed_quiz_demo(users: dict[str, User]) -> None:
    """Give the demo learners graded attempts (and one essay waiting for its mentor); safe to run twice."""
    course_quizzes = list(db.session.scalars(
        sa.select(Quiz).where(Quiz.course_slug.is_not(None)).order_by(Quiz.course_slug)))
    quizzes = [_ensure_demo_quiz()] + course_quizzes
    quiz_ids = [q.id for q in quizzes]
    done = set(db.session.execute(
        sa.select(Attempt.user_id, Attempt.quiz_id).where(Attempt.quiz_id.in_(quiz_ids))).all())
    now = utcnow()
    grader = users.get("trainer@rehearse.test")
    for email, skill in SKILL.items():
        user = users.get(email)
        if user is None:
            continue
        english = (user.locale or "en") == "en"
        # The demo quiz plus up to three course quizzes in the learner's own language.
        mine = [q for q in course_quizzes if q.course_slug.endswith("-en") == english][:3]
        for offset, quiz in enumerate([quizzes[0]] + mine):
            # One generator per learner and quiz, so a second run makes the same choices (and skips them).
            rng = random.Random(f"{email}:{quiz.course_slug or quiz.title}")
            if (user.id, quiz.id) in done or (quiz.course_slug and rng.random() < 0.25):
                continue
            when = now - timedelta(days=20 - offset * 3 - rng.randint(0, 3))
            for round_ in range(2):
                attempt = start_attempt(quiz, user, now=when)
                responses = {i.id: _response(i, rng.random() < skill + 0.15 * round_, rng) for i in attempt.items}
                graded = submit_attempt(attempt.id, user, attempt.submit_token, responses, now=when + timedelta(minutes=9))
                if graded.state == "needs_grading":
                    if email == "learner@rehearse.test" or grader is None:
                        break  # this essay waits in the mentor's grading queue
                    for item in [i for i in graded.items if i.needs_grading]:
                        graded = grade_essay(item, grader, round(min(1.0, skill + 0.1), 1), "Good structure.",
                                             now=when + timedelta(days=1))
                if graded.passed or email == "learner@rehearse.test":
                    break  # a pass needs no retake
                when += timedelta(days=2)
