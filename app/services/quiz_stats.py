"""Quiz statistics as Moodle's quiz statistics report computes them, on first attempts.

Test level: number of attempts, mean, median, standard deviation (sample,
n − 1), and Cronbach's alpha, which Moodle calls the coefficient of internal
consistency (CIC): alpha = p / (p − 1) · (1 − Σ var(item) / var(total)).
Question level: facility index (mean mark / max mark) and discrimination index,
the correlation between the mark on the question and the mark on the rest of
the test. Moodle flags facility outside 30–70 % and discrimination under 0.3.
"""

import statistics
from dataclasses import dataclass, field
from math import sqrt
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models.quiz import Attempt, AttemptItem, Quiz

FACILITY_RANGE = (0.3, 0.7)
DISCRIMINATION_MIN = 0.3


@dataclass
class QuestionStats:
    """Statistics of one question (all its versions) on first attempts."""

    key: str
    name: str
    type: str
    position: int
    count: int
    facility: Optional[float]  # 0..1
    sd: Optional[float]
    discrimination: Optional[float]  # -1..1

    @property
    def flags(self) -> list[str]:
        """Return why the question deserves a look ("easy", "hard", "weak")."""
        out = []
        if self.facility is not None and self.facility > FACILITY_RANGE[1]:
            out.append("easy")
        if self.facility is not None and self.facility < FACILITY_RANGE[0]:
            out.append("hard")
        if self.discrimination is not None and self.discrimination < DISCRIMINATION_MIN:
            out.append("weak")
        return out


@dataclass
class QuizStats:
    """Statistics of one quiz on first attempts."""

    attempts: int = 0
    all_attempts: int = 0
    mean: Optional[float] = None  # 0..1
    median: Optional[float] = None
    sd: Optional[float] = None
    cic: Optional[float] = None  # Cronbach's alpha, -inf..1
    pass_rate: Optional[float] = None
    histogram: list[int] = field(default_factory=lambda: [0] * 10)
    questions: list[QuestionStats] = field(default_factory=list)


def _variance(values: list[float]) -> Optional[float]:
    """Return the sample variance, or None for fewer than two values."""
    return statistics.variance(values) if len(values) >= 2 else None


def correlation(xs: list[float], ys: list[float]) -> Optional[float]:
    """Return Pearson's r, or None when either side does not vary."""
    n = len(xs)
    if n < 2:
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx <= 1e-12 or syy <= 1e-12:
        return None
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sqrt(sxx * syy)


def compute_stats(attempt_rows: list[dict[str, float]], names: dict[str, tuple[str, str, int]],
                  scores: list[float], passed: list[bool]) -> QuizStats:
    """Compute the statistics from first attempts: per attempt {question key: mark 0..1}."""
    stats = QuizStats(attempts=len(attempt_rows))
    if not attempt_rows:
        return stats
    stats.mean = sum(scores) / len(scores)
    stats.median = statistics.median(scores)
    stats.sd = sqrt(v) if (v := _variance(scores)) is not None else None
    stats.pass_rate = sum(passed) / len(passed)
    for score in scores:
        stats.histogram[min(9, int(score * 10 + 1e-9))] += 1
    totals = [sum(row.values()) for row in attempt_rows]
    keys = sorted(names, key=lambda k: (names[k][2], names[k][0]))
    item_variances = []
    for key in keys:
        marks, rests = [], []
        for row, total in zip(attempt_rows, totals):
            if key in row:
                marks.append(row[key])
                rests.append(total - row[key])
        variance = _variance(marks)
        if variance is not None:
            item_variances.append(variance)
        name, qtype, position = names[key]
        stats.questions.append(QuestionStats(
            key=key, name=name, type=qtype, position=position, count=len(marks),
            facility=(sum(marks) / len(marks)) if marks else None,
            sd=sqrt(variance) if variance is not None else None,
            discrimination=correlation(marks, rests),
        ))
    total_variance = _variance(totals)
    p = len(keys)
    if p >= 2 and total_variance and len(item_variances) == p:
        stats.cic = p / (p - 1) * (1 - sum(item_variances) / total_variance)
    return stats


def quiz_statistics(quiz: Quiz) -> QuizStats:
    """Return the statistics of a quiz's first attempts (finished, counted)."""
    first = list(db.session.scalars(
        sa.select(Attempt).where(Attempt.quiz_id == quiz.id, Attempt.number == 1, Attempt.state == "finished",
                                 Attempt.is_practice.is_(False))
        .options(selectinload(Attempt.items).selectinload(AttemptItem.question))
        .order_by(Attempt.id)
    ))
    rows, names, scores, passed = [], {}, [], []
    for attempt in first:
        row = {}
        for item in attempt.items:
            q = item.question
            if not q.is_graded:
                continue
            row[q.key] = item.fraction or 0.0
            if q.key not in names or names[q.key][2] > item.position:
                names[q.key] = (q.name, q.type, item.position)
        rows.append(row)
        scores.append(attempt.score or 0.0)
        passed.append(bool(attempt.passed))
    stats = compute_stats(rows, names, scores, passed)
    stats.all_attempts = db.session.scalar(
        sa.select(sa.func.count(Attempt.id)).where(Attempt.quiz_id == quiz.id, Attempt.state == "finished",
                                                   Attempt.is_practice.is_(False))
    )
    return stats


def recent_attempts(quiz: Quiz, limit: int = 100) -> list[Attempt]:
    """Return the quiz's latest submitted counted attempts with their learners, newest first."""
    return list(db.session.scalars(
        sa.select(Attempt).where(Attempt.quiz_id == quiz.id, Attempt.is_practice.is_(False),
                                 Attempt.state != "in_progress")
        .options(selectinload(Attempt.user)).order_by(Attempt.submitted_at.desc(), Attempt.id.desc()).limit(limit)
    ))
