"""Quiz statistics against a hand-computed example (4 learners × 3 questions).

Marks (1 right, 0 wrong):   Q1 Q2 Q3  total
                        A    1  1  1    3
                        B    1  1  0    2
                        C    1  0  0    1
                        D    0  0  0    0
Scores 1, 2/3, 1/3, 0: mean 0.5, median 0.5, sample SD sqrt(5/27) = 0.4303.
Item variances 1/4, 1/3, 1/4 (sum 5/6); total variance 5/3;
Cronbach's alpha = 3/2 · (1 − (5/6)/(5/3)) = 0.75.
Facility 0.75, 0.5, 0.25. Discrimination r(mark, rest of test):
Q1 = 0.75/sqrt(0.75·2.75) = 0.5222, Q2 = 1/sqrt(2) = 0.7071, Q3 = 0.5222.
"""

from math import sqrt

import pytest

from app.services import quiz_attempts as qa
from app.services.quiz_stats import compute_stats, quiz_statistics
from tests.factories import make_user
from tests.factories_quiz import make_quiz

MARKS = {"A": (1, 1, 1), "B": (1, 1, 0), "C": (1, 0, 0), "D": (0, 0, 0)}
THREE_TF = "::Q1::One.{T}\n\n::Q2::Two.{T}\n\n::Q3::Three.{T}"


def check(stats):
    """Assert the hand-computed figures."""
    assert stats.attempts == 4
    assert stats.mean == pytest.approx(0.5)
    assert stats.median == pytest.approx(0.5)
    assert stats.sd == pytest.approx(sqrt(5 / 27))
    assert stats.cic == pytest.approx(0.75)
    facility = [q.facility for q in stats.questions]
    assert facility == pytest.approx([0.75, 0.5, 0.25])
    r13 = 0.75 / sqrt(0.75 * 2.75)
    assert [q.discrimination for q in stats.questions] == pytest.approx([r13, 1 / sqrt(2), r13])
    assert [q.count for q in stats.questions] == [4, 4, 4]
    assert [q.flags for q in stats.questions] == [["easy"], [], ["hard"]]


def test_compute_stats_matches_the_hand_computed_example():
    """The pure computation gives the figures worked out by hand."""
    rows = [{"q1": m[0], "q2": m[1], "q3": m[2]} for m in MARKS.values()]
    names = {"q1": ("Q1", "truefalse", 0), "q2": ("Q2", "truefalse", 1), "q3": ("Q3", "truefalse", 2)}
    scores = [sum(m) / 3 for m in MARKS.values()]
    check(compute_stats(rows, names, scores, [s >= 0.7 for s in scores]))


def test_quiz_statistics_use_first_attempts_only(app):
    """Real attempts give the same figures; second attempts and practice do not change them."""
    quiz = make_quiz(THREE_TF, title="Stats", shuffle_answers=False)
    for name, marks in MARKS.items():
        learner = make_user(name=name)
        attempt = qa.start_attempt(quiz, learner)
        responses = {}
        for item, mark in zip(attempt.items, marks):
            wanted = "True" if mark else "False"
            responses[item.id] = {"choice": next(a.id for a in item.question.answers if a.text == wanted)}
        qa.submit_attempt(attempt.id, learner, attempt.submit_token, responses)
        if name == "D":  # a second, perfect attempt must not move first-attempt statistics
            again = qa.start_attempt(quiz, learner)
            best = {i.id: {"choice": next(a.id for a in i.question.answers if a.text == "True")} for i in again.items}
            qa.submit_attempt(again.id, learner, again.submit_token, best)
    stats = quiz_statistics(quiz)
    check(stats)
    assert stats.all_attempts == 5
    assert stats.histogram[0] == 1 and stats.histogram[9] == 1


def test_statistics_of_an_unattempted_quiz_are_empty(app):
    """No attempts: no figures, no crash."""
    stats = quiz_statistics(make_quiz(THREE_TF, title="Empty"))
    assert stats.attempts == 0 and stats.mean is None and stats.questions == []
