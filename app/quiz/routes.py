"""Quiz pages: thin wrappers over the quiz services."""

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from app.authz import allow, signed_in
from app.content.gift import GiftError, parse_gift_bytes
from app.models.people import Role
from app.models.types import utcnow
from app.quiz import bp
from app.quiz.forms import (
    TYPE_LABELS, CategoryForm, EmptyForm, GiftUploadForm, GradeForm, QuestionForm, QuizSettingsForm, responses_from_form,
)
from app.services import quiz_attempts, quiz_bank, quizzes
from app.services.errors import Conflict, DomainError, Forbidden, NotFound, ValidationError
from app.services.quiz_grading import grade as grade_response
from app.services.quiz_grading import right_answer_summary
from app.services.quiz_stats import DISCRIMINATION_MIN, FACILITY_RANGE, quiz_statistics, recent_attempts

STAFF = (Role.TRAINER, Role.ADMIN)


def _or_404(getter, *args, **kwargs):
    """Call a service getter; NotFound becomes 404 and Forbidden 403."""
    try:
        return getter(*args, **kwargs)
    except NotFound:
        abort(404)
    except Forbidden:
        abort(403)


def _go_to_new_attempt(open_attempt, back: str, category: str):
    """Open an attempt with ``open_attempt()`` and go to it; a refusal is flashed (``category``) and goes ``back``."""
    try:
        attempt = open_attempt()
    except NotFound:
        abort(404)
    except DomainError as error:
        flash(str(error.message), category)
        return redirect(back)
    return redirect(url_for("quiz.attempt", attempt_id=attempt.id))


def _is_staff() -> bool:
    """Return True for trainers and admins."""
    return current_user.has_role(*STAFF)


# --- learners ------------------------------------------------------------------


@bp.route("/")
@signed_in
def index():
    """List the quizzes a user can take, with their results."""
    return render_template("quiz/index.html", quizzes=quizzes.list_quizzes(include_unpublished=_is_staff()),
                           results=quizzes.my_results(current_user))


@bp.route("/<int:quiz_id>")
@signed_in
def overview(quiz_id):
    """Show a quiz's rules, the learner's attempts and a start button."""
    quiz = _or_404(quiz_attempts.get_quiz, quiz_id)
    if not quiz.published and not _is_staff():
        abort(404)
    attempts = quiz_attempts.counted_attempts(quiz, current_user)
    return render_template("quiz/overview.html", quiz=quiz, attempts=attempts, form=EmptyForm(),
                           left=quiz_attempts.attempts_left(quiz, attempts))


@bp.route("/<int:quiz_id>/start", methods=["POST"])
@signed_in
def start(quiz_id):
    """Open an attempt (or resume the open one) and go to it."""
    quiz = _or_404(quiz_attempts.get_quiz, quiz_id)
    return _go_to_new_attempt(lambda: quiz_attempts.start_attempt(quiz, current_user),
                              url_for("quiz.overview", quiz_id=quiz.id), "warning")


@bp.route("/attempt/<int:attempt_id>", methods=["GET", "POST"])
@signed_in
def attempt(attempt_id):
    """Show an open attempt; POST saves answers or submits them."""
    if request.method == "POST" and request.form.get("action") == "save":
        return _save_answers(attempt_id)
    attempt = _or_404(quiz_attempts.get_attempt, attempt_id, current_user)
    if attempt.user_id != current_user.id:
        return redirect(url_for("quiz.review", attempt_id=attempt.id))
    attempt = quiz_attempts.finish_overdue(attempt, current_user)
    if request.method == "POST":
        responses = responses_from_form(attempt.items, request.form) if attempt.is_open else None
        try:
            quiz_attempts.submit_attempt(attempt.id, current_user, request.form.get("token", ""), responses)
        except Conflict as error:
            flash(str(error.message), "warning")
            return redirect(url_for("quiz.attempt", attempt_id=attempt.id))
        return redirect(url_for("quiz.review", attempt_id=attempt.id))
    if not attempt.is_open:
        return redirect(url_for("quiz.review", attempt_id=attempt.id))
    return render_template("quiz/attempt.html", attempt=attempt, now=utcnow(), form=EmptyForm())


def _save_answers(attempt_id: int):
    """Store the posted answers of an open attempt and come back to it.

    Reads the attempt's row and one narrow list of its items' question types and
    answer ids, not the items, questions and answers as objects.
    """
    attempt = _or_404(quiz_attempts.get_attempt, attempt_id, current_user, load_items=False)
    if attempt.user_id != current_user.id:
        return redirect(url_for("quiz.review", attempt_id=attempt_id))
    attempt = quiz_attempts.finish_overdue(attempt, current_user)
    responses = None
    if attempt.is_open:
        responses = responses_from_form(quiz_attempts.answer_sheet(attempt_id), request.form)
    # Translated before the save: its commit expires the user, whose locale would be read again.
    saved = _("Your answers are saved.")
    if quiz_attempts.save_responses(attempt, current_user, responses or {}):
        flash(saved, "success")
    return redirect(url_for("quiz.attempt", attempt_id=attempt_id))


@bp.route("/attempt/<int:attempt_id>/review")
@signed_in
def review(attempt_id):
    """Show a submitted attempt with per-answer and general feedback."""
    attempt = _or_404(quiz_attempts.get_attempt, attempt_id, current_user)
    if attempt.is_open:
        if attempt.user_id == current_user.id:
            return redirect(url_for("quiz.attempt", attempt_id=attempt.id))
        abort(404)
    return render_template("quiz/review.html", attempt=attempt, form=EmptyForm(), right=right_answer_summary,
                           matched=lambda item: grade_response(item.question, item.response).matched,
                           practice_items=quiz_attempts.practice_items)


@bp.route("/attempt/<int:attempt_id>/practice", methods=["POST"])
@signed_in
def practice(attempt_id):
    """Open a practice attempt with the questions missed in this one (it does not count)."""
    attempt = _or_404(quiz_attempts.get_attempt, attempt_id, current_user)
    return _go_to_new_attempt(lambda: quiz_attempts.start_practice(attempt, current_user),
                              url_for("quiz.review", attempt_id=attempt.id), "info")


# --- grading -------------------------------------------------------------------


@bp.route("/grading")
@allow(Role.MENTOR, Role.TRAINER)
def grading():
    """List essay answers waiting for this mentor or trainer."""
    return render_template("quiz/grading.html", items=quiz_attempts.grading_queue(current_user))


@bp.route("/grading/<int:item_id>", methods=["GET", "POST"])
@allow(Role.MENTOR, Role.TRAINER)
def grade(item_id):
    """Grade one essay answer; the last grade completes the attempt."""
    item = _or_404(quiz_attempts.get_grading_item, item_id, current_user)
    form = GradeForm()
    if form.validate_on_submit():
        try:
            quiz_attempts.grade_essay(item, current_user, form.grade.data / 100, form.comment.data or "")
        except Forbidden:
            abort(403)
        except DomainError as error:
            flash(str(error.message), "warning")
            return redirect(url_for("quiz.grade", item_id=item.id))
        flash(_("Grade saved."), "success")
        return redirect(url_for("quiz.grading"))
    if request.method == "GET" and item.fraction is not None:
        form.grade.data, form.comment.data = round(item.fraction * 100), item.grader_comment
    return render_template("quiz/grade.html", item=item, form=form)


# --- trainers: banks and questions -----------------------------------------------


@bp.route("/banks", methods=["GET", "POST"])
@allow(Role.TRAINER)
def banks():
    """List question banks; POST uploads a GIFT file into a bank (all or nothing)."""
    form = GiftUploadForm()
    problems = []
    if form.validate_on_submit():
        upload = form.file.data
        bank_name = (form.bank.data or "").strip() or (upload.filename or "gift").rsplit(".", 1)[0]
        try:
            questions = parse_gift_bytes(upload.read(), upload.filename or "upload.gift")
            summary = quiz_bank.import_questions(questions, bank_name, dry_run=form.dry_run.data)
        except GiftError as error:
            problems = error.problems
        except ValidationError as error:
            problems = [str(error.message)]
        else:
            message = _("%(file)s: %(new)d new, %(updated)d updated, %(same)d unchanged questions in bank “%(bank)s”.",
                        file=upload.filename, new=summary["created"], updated=summary["updated"],
                        same=summary["unchanged"], bank=summary["bank"])
            flash((_("Checked, nothing imported: ") if form.dry_run.data else "") + message, "success")
            return redirect(url_for("quiz.banks"))
    status = 422 if problems or form.errors else 200
    return render_template("quiz/banks.html", banks=quiz_bank.list_banks(), form=form, problems=problems), status


@bp.route("/banks/<int:bank_id>")
@allow(Role.TRAINER)
def bank(bank_id):
    """Show a bank's questions, filtered by category or tag."""
    bank = _or_404(quiz_bank.get_bank, bank_id)
    category_id = request.args.get("category", type=int)
    tag = request.args.get("tag") or None
    questions = quiz_bank.current_questions(bank, category_id, tag)
    category = next((c for c in bank.categories if c.id == category_id), None)
    form = CategoryForm(name=category.name if category else None)
    return render_template("quiz/bank.html", bank=bank, questions=questions, tags=quiz_bank.bank_tags(bank),
                           category_id=category_id, category=category, tag=tag, types=TYPE_LABELS, form=form)


@bp.route("/banks/<int:bank_id>/categories/<int:category_id>/rename", methods=["POST"])
@allow(Role.TRAINER)
def rename_category(bank_id, category_id):
    """Rename a category of a bank (and its sub-categories)."""
    bank = _or_404(quiz_bank.get_bank, bank_id)
    form = CategoryForm()
    if form.validate_on_submit():
        try:
            _or_404(quiz_bank.rename_category, bank, category_id, form.name.data)
        except ValidationError as error:
            if bank.course_slug:
                flash(_("This bank is loaded from a course’s quiz.gift: rename the category in that file."), "warning")
            elif "already" in error.message:
                flash(_("The bank already has a category with that name."), "warning")
            else:
                flash(_("Give the category a name; use / between levels, e.g. Objections/Budget."), "warning")
        else:
            flash(_("Category renamed."), "success")
    else:
        flash(_("Give the category a name."), "warning")
    return redirect(url_for("quiz.bank", bank_id=bank.id, category=category_id))


@bp.route("/banks/<int:bank_id>/export.gift")
@allow(Role.TRAINER)
def export_bank(bank_id):
    """Download a bank as a GIFT file."""
    bank = _or_404(quiz_bank.get_bank, bank_id)
    filename = "".join(c if c.isalnum() or c in "-_" else "-" for c in bank.name) or "bank"
    return Response(quiz_bank.export_bank(bank), mimetype="text/plain; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}.gift"'})


@bp.route("/banks/<int:bank_id>/questions/new", methods=["GET", "POST"])
@allow(Role.TRAINER)
def new_question(bank_id):
    """Create a question of any type in a bank."""
    bank = _or_404(quiz_bank.get_bank, bank_id)
    form = QuestionForm()
    if request.method == "GET":
        form.type.data = request.args.get("type") if request.args.get("type") in TYPE_LABELS else "multichoice"
        form.text_format.data = "markdown"
    if form.validate_on_submit():
        try:
            question = quiz_bank.save_question(bank, form.to_gift())
        except ValidationError as error:
            form.type.errors = [*form.type.errors, str(error.message)]
        else:
            flash(_("Question saved."), "success")
            return redirect(url_for("quiz.question", question_id=question.id))
    return render_template("quiz/question_form.html", bank=bank, form=form, question=None), (422 if form.errors else 200)


@bp.route("/questions/<int:question_id>", methods=["GET", "POST"])
@allow(Role.TRAINER)
def question(question_id):
    """Preview a question (POST: try an answer as a learner would, nothing saved), with versions and usage."""
    question = _or_404(quiz_bank.get_question, question_id)
    trial = quiz_attempts.preview_item(question)
    result = None
    if request.method == "POST" and EmptyForm().validate_on_submit():
        trial.response = responses_from_form([trial], request.form).get(trial.id)
        result = grade_response(question, trial.response)
    return render_template("quiz/question.html", question=question, usage=quiz_bank.question_usage(question),
                           versions=quiz_bank.version_history(question), types=TYPE_LABELS,
                           right=right_answer_summary(question), trial=trial, result=result, form=EmptyForm())


@bp.route("/questions/<int:question_id>/edit", methods=["GET", "POST"])
@allow(Role.TRAINER)
def edit_question(question_id):
    """Edit a question: saving makes a new version; attempts keep the one they were taken on."""
    question = _or_404(quiz_bank.get_question, question_id)
    form = QuestionForm()
    if request.method == "GET":
        form.fill_from(quiz_bank.to_gift(question))
    if form.validate_on_submit():
        try:
            saved = quiz_bank.save_question(question.bank, form.to_gift(), previous=question)
        except ValidationError as error:
            form.type.errors = [*form.type.errors, str(error.message)]
        else:
            flash(_("Question saved as version %(n)d.", n=saved.version), "success")
            return redirect(url_for("quiz.question", question_id=saved.id))
    return render_template("quiz/question_form.html", bank=question.bank, form=form, question=question), \
        (422 if form.errors else 200)


# --- trainers: quizzes and statistics -------------------------------------------


@bp.route("/manage")
@allow(Role.TRAINER)
def manage():
    """List every quiz with links to settings and statistics."""
    return render_template("quiz/manage.html", quizzes=quizzes.list_quizzes(include_unpublished=True))


def _settings_form(quiz=None) -> QuizSettingsForm:
    """Return the settings form with its bank and question choices."""
    form = QuizSettingsForm(obj=quiz) if quiz and request.method == "GET" else QuizSettingsForm()
    banks = [bank for bank, _count in quiz_bank.list_banks()]
    form.bank_id.choices = [SelectChoice(b.id, b.name) for b in banks]
    bank_id = form.bank_id.data or (quiz.bank_id if quiz else (banks[0].id if banks else None))
    bank = next((b for b in banks if b.id == bank_id), None)
    questions = quiz_bank.current_questions(bank) if bank else []
    form.question_keys.choices = [SelectChoice(q.key, f"{q.name} ({TYPE_LABELS[q.type]})") for q in questions]
    if quiz and request.method == "GET":
        form.pass_mark.data = round(quiz.pass_mark * 100)
        form.question_keys.data = [slot.question_key for slot in quiz.slots]
    return form


@bp.route("/manage/new", methods=["GET", "POST"])
@allow(Role.TRAINER)
def new_quiz():
    """Create a standalone quiz from a bank."""
    form = _settings_form()
    if form.validate_on_submit():
        try:
            quiz = quizzes.save_quiz(None, quiz_bank.get_bank(form.bank_id.data), form.settings(),
                                     form.question_keys.data if form.mode.data == "fixed" else [])
        except ValidationError as error:
            getattr(form, error.field or "title").errors.append(str(error.message))
        else:
            flash(_("Quiz created."), "success")
            return redirect(url_for("quiz.overview", quiz_id=quiz.id))
    return render_template("quiz/settings.html", form=form, quiz=None), (422 if form.errors else 200)


@bp.route("/<int:quiz_id>/settings", methods=["GET", "POST"])
@allow(Role.TRAINER)
def settings(quiz_id):
    """Change a quiz's settings (a course quiz's questions come from its quiz.gift)."""
    quiz = _or_404(quiz_attempts.get_quiz, quiz_id)
    form = _settings_form(quiz)
    if form.validate_on_submit():
        keys = None if quiz.course_slug else (form.question_keys.data if form.mode.data == "fixed" else [])
        try:
            quizzes.save_quiz(quiz, quiz_bank.get_bank(form.bank_id.data), form.settings(), keys)
        except ValidationError as error:
            getattr(form, error.field or "title").errors.append(str(error.message))
        else:
            flash(_("Settings saved."), "success")
            return redirect(url_for("quiz.settings", quiz_id=quiz.id))
    return render_template("quiz/settings.html", form=form, quiz=quiz), (422 if form.errors else 200)


@bp.route("/<int:quiz_id>/stats")
@allow(Role.TRAINER)
def stats(quiz_id):
    """Show Moodle-style statistics of a quiz's first attempts, with charts."""
    quiz = _or_404(quiz_attempts.get_quiz, quiz_id)
    result = quiz_statistics(quiz)
    chart = {
        "labels": [f"Q{q.position + 1}" for q in result.questions],
        "facility": [None if q.facility is None else round(q.facility * 100, 1) for q in result.questions],
        "discrimination": [None if q.discrimination is None else round(q.discrimination * 100, 1)
                           for q in result.questions],
        "histogram": result.histogram,
        "histogramLabels": [f"{i * 10}–{i * 10 + 10}%" for i in range(10)],
        "facilityLabel": _("Facility index %"), "discriminationLabel": _("Discrimination index %"),
        "attemptsLabel": _("First attempts"),
    }
    return render_template("quiz/stats.html", quiz=quiz, stats=result, chart=chart, attempts=recent_attempts(quiz),
                           facility_range=FACILITY_RANGE, discrimination_min=DISCRIMINATION_MIN, types=TYPE_LABELS)
