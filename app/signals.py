"""Events one area announces and others react to (assignment status, certificates, xAPI).

Senders call ``signal.send(current_app._get_current_object(), **fields)`` after
their commit; receivers must not commit the sender's session half-way. The one
exception, ``play_step_saving``, lets receivers add rows to the step's own
transaction, so that they commit (or roll back) with it.
"""

import sqlalchemy as sa
from blinker import Namespace
from flask import current_app

_signals = Namespace()

#: A learner finished a lesson: user_id, course_slug, lesson_id.
lesson_completed = _signals.signal("lesson-completed")
#: A learner completed a whole course: user_id, course_slug.
course_completed = _signals.signal("course-completed")
#: A quiz attempt was graded (or its essays were): user_id, quiz_id, attempt_id, score (0..1), passed.
quiz_attempt_finished = _signals.signal("quiz-attempt-finished")
#: A learner started a new play of a scenario (not a resumed one): user_id, play_id, scenario_slug.
play_started = _signals.signal("play-started")
#: A role-play step is about to be saved: play (with its scenario), user_id and step (the play_step row's
#: columns, without its id). Sent with ``gather`` before the step's first write, so receivers do their reading
#: and building outside the write lock; each may return a function of the new step's id, which the sender
#: calls inside its transaction after the step's INSERT to add rows (it never commits).
play_step_saving = _signals.signal("play-step-saving")
#: A role-play step was saved: user_id, play_id, scenario_slug.
play_step_saved = _signals.signal("play-step-saved")
#: A role-play reached an ending: user_id, play_id, scenario_slug, outcome, score (0..1).
play_finished = _signals.signal("play-finished")


def gather(signal, **fields) -> list:
    """Send ``signal`` from the current app and return its receivers' answers other than None.

    For a signal sent inside the sender's transaction (``play_step_saving``): a
    receiver's own failure is logged (raised in tests) and the sender goes on
    without its answer; a database error is raised, since the sender's
    transaction cannot go on either.
    """
    if signal.is_muted:
        return []
    app = current_app._get_current_object()
    answers = []
    for receiver in signal.receivers_for(app):
        try:
            answer = receiver(app, **fields)
        except sa.exc.SQLAlchemyError:
            raise
        except Exception:
            if app.testing:
                raise
            app.logger.exception("%s: receiver %s failed for %r", signal.name, getattr(receiver, "__name__", receiver),
                                 {key: getattr(value, "id", value) for key, value in fields.items()})
            continue
        if answer is not None:
            answers.append(answer)
    return answers
