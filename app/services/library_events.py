"""React to other areas' events: complete courses after a passed quiz, keep role-play bests, award certifications.

Receivers run after the sender's commit and make their own; a failure here is
logged and never breaks the sender's request (in tests it is raised instead).
"""

from functools import wraps

from flask import current_app

from app import signals
from app.extensions import db
from app.services import library


def _guarded(receiver):
    """Log (or in tests raise) a receiver's error instead of failing the sender's request."""

    @wraps(receiver)
    def run(sender, **fields):
        try:
            receiver(sender, **fields)
        except Exception:
            db.session.rollback()
            if current_app.testing:
                raise
            current_app.logger.exception("library: %s failed for %r", receiver.__name__, fields)

    return run


@_guarded
def on_quiz_finished(sender, user_id=None, passed=False, **fields):
    """A passed course quiz may complete a course; any quiz may earn a certification."""
    if user_id is None:
        return
    if passed:
        library.complete_courses_after_quiz(user_id)
    library.evaluate_certifications(user_id)


@_guarded
def on_play_finished(sender, user_id=None, scenario_slug=None, score=None, **fields):
    """Keep the learner's best score in the scenario, then check certifications."""
    if user_id is None or scenario_slug is None or score is None:
        return
    library.record_scenario_score(user_id, scenario_slug, float(score))
    library.evaluate_certifications(user_id)


@_guarded
def on_course_completed(sender, user_id=None, **fields):
    """A completed course may be the last requirement of a certification."""
    if user_id is not None:
        library.evaluate_certifications(user_id)


def connect() -> None:
    """Subscribe the receivers (idempotent: blinker keeps one connection per receiver)."""
    signals.quiz_attempt_finished.connect(on_quiz_finished, weak=False)
    signals.play_finished.connect(on_play_finished, weak=False)
    signals.course_completed.connect(on_course_completed, weak=False)
