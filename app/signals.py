"""Events one area announces and others react to (assignment status, certificates, xAPI).

Senders call ``signal.send(current_app._get_current_object(), **fields)`` after
their commit; receivers must not commit the sender's session half-way. The one
exception, ``play_step_saving``, lets receivers add rows to the step's own
transaction, so that they commit (or roll back) with it.
"""

from blinker import Namespace

_signals = Namespace()

#: A learner finished a lesson: user_id, course_slug, lesson_id.
lesson_completed = _signals.signal("lesson-completed")
#: A learner completed a whole course: user_id, course_slug.
course_completed = _signals.signal("course-completed")
#: A quiz attempt was graded (or its essays were): user_id, quiz_id, attempt_id, score (0..1), passed.
quiz_attempt_finished = _signals.signal("quiz-attempt-finished")
#: A role-play step is about to be saved: play (with its scenario), user_id and step (the play_step row's
#: columns, without its id). Sent before the step's first write, so receivers do their reading and building
#: outside the write lock; each may return a function of the new step's id, which the sender calls inside
#: its transaction after the step's INSERT to add rows (it never commits).
play_step_saving = _signals.signal("play-step-saving")
#: A role-play step was saved: user_id, play_id, scenario_slug.
play_step_saved = _signals.signal("play-step-saved")
#: A role-play reached an ending: user_id, play_id, scenario_slug, outcome, score (0..1).
play_finished = _signals.signal("play-finished")
