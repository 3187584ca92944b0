"""Factory functions for quiz records."""

from app.content.gift import parse_gift
from app.extensions import db
from app.models.quiz import Question, QuestionBank, Quiz
from app.services.quiz_bank import import_questions
from app.services.quizzes import save_quiz

SAMPLE_GIFT = """
::Q1 choice::Which question type makes a problem feel urgent?{
  ~Situation#Facts only.
  =Implication#Right: consequences create urgency.
  ~Need-payoff#That follows implication.
####Implication questions link the problem to its cost.}

::Q2 multi::Which are SPIN types? {~%50%Situation ~%50%Problem ~%-100%Discount}

::Q3 tf::Discounting early is a good habit.{F#No: it gives away value.#Right.}

::Q4 short::The S in SPIN stands for?{=Situation#Yes. =%50%Situational#Close.}

::Q5 number::How many SPIN question types are there?{#4:0}

::Q6 match::Match each question with its type.{
  =How many stores do you have? -> Situation
  =What slows month-end closing? -> Problem
  = -> Discount
}
"""


def make_bank_with(gift_text: str = SAMPLE_GIFT, bank_name: str = "Test bank"):
    """Import GIFT text into a bank; return (bank, current questions in file order)."""
    import_questions(parse_gift(gift_text, "test.gift"), bank_name)
    bank = db.session.scalar(db.select(QuestionBank).where(QuestionBank.name == bank_name))
    questions = list(db.session.scalars(
        db.select(Question).where(Question.is_current.is_(True), Question.bank_id == bank.id).order_by(Question.id)))
    return bank, questions


def make_quiz(gift_text: str = SAMPLE_GIFT, title: str = "SPIN check", **settings) -> Quiz:
    """Create a published fixed quiz with every question of ``gift_text``."""
    bank, questions = make_bank_with(gift_text, settings.pop("bank_name", f"Bank for {title}"))
    values = {"title": title, "mode": "fixed", "pass_mark": 0.7, "shuffle_answers": True, "published": True}
    values.update(settings)
    return save_quiz(None, bank, values, [q.key for q in questions])


def perfect_responses(attempt) -> dict:
    """Return responses that answer every item of an attempt right."""
    out = {}
    for item in attempt.items:
        q = item.question
        if q.type in ("multichoice", "truefalse"):
            out[item.id] = {"choice": max(q.answers, key=lambda a: a.fraction).id}
        elif q.type == "multiple_answer":
            out[item.id] = {"choices": [a.id for a in q.answers if a.fraction > 0]}
        elif q.type in ("shortanswer", "numerical"):
            out[item.id] = {"text": max(q.answers, key=lambda a: a.fraction).text}
        elif q.type == "matching":
            out[item.id] = {"pairs": {str(a.id): a.match_text for a in q.answers if a.text}}
        elif q.type == "essay":
            out[item.id] = {"text": "My essay."}
    return out
