"""Views of the course library: thin wrappers over app.services.library and library_authoring."""

import io

from flask import abort, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import NotFound as HTTPNotFound
from werkzeug.routing import BuildError

from app.authz import STAFF, allow, require_learner_access, signed_in
from app.content.markdown import render_markdown
from app.errors import render_error
from app.learn import bp
from app.learn.forms import ActionForm, CourseForm, LessonForm
from app.services import library, library_authoring
from app.services.errors import Forbidden, NotFound, ValidationError


def locale() -> str:
    """Return the interface language of this request ("zh" or "en")."""
    current = get_locale()
    return current.language if current else "en"


@bp.errorhandler(NotFound)
def not_found(error):
    """A missing (or hidden) course, lesson or certificate is a 404."""
    return render_error(HTTPNotFound())


# --- learners ---------------------------------------------------------------------


@bp.route("/")
@signed_in
def library_index():
    """The library by tier, with search and a tag filter."""
    state = library.load_state(current_user, locale())
    query, tag, lang = request.args.get("q", "")[:100], request.args.get("tag", "")[:60], request.args.get("lang", "")
    shown = {card.course.id for card in library.filter_cards(state.cards, query, tag, lang)}
    return render_template("learn/library.html", state=state, shown=shown, query=query, tag=tag, lang=lang,
                           tags=library.all_tags(state.cards))


@bp.route("/continue")
@signed_in
def continue_learning():
    """Go back to the lesson where the learner left off."""
    target = library.continue_target(current_user)
    if target is None:
        flash(_("You have no course in progress. Pick one from the library."), "info")
        return redirect(url_for("learn.library_index"))
    course, lesson = target
    return redirect(url_for("learn.lesson", slug=course.slug, key=lesson.key))


@bp.route("/courses/<slug>")
@signed_in
def course(slug):
    """A course: its lessons with ticks, progress and quiz."""
    page = library.course_page(current_user, slug)
    return render_template("learn/course.html", page=page, form=ActionForm(), quiz_url=quiz_url(page.quiz))


@bp.route("/courses/<slug>/enrol", methods=["POST"])
@signed_in
def enrol(slug):
    """Enrol on a course."""
    try:
        library.enrol(current_user, slug)
        flash(_("You are enrolled."), "success")
    except Forbidden:
        flash(_("This course is locked until you reach your current tier's milestones."), "warning")
    return redirect(url_for("learn.course", slug=slug))


@bp.route("/path/enrol", methods=["POST"])
@signed_in
def enrol_path():
    """Enrol on every course of one's own tier path."""
    if ActionForm().validate_on_submit():
        enrolments = library.enrol_tier_path(current_user, locale())
        flash(_("You are enrolled on your path: %(n)s courses.", n=len(enrolments)), "success")
    return redirect(url_for("main.home"))


@bp.route("/courses/<slug>/lessons/<key>")
@signed_in
def lesson(slug, key):
    """Read a lesson (rendered, sanitised Markdown)."""
    try:
        page = library.open_lesson(current_user, slug, key)
    except Forbidden:
        flash(_("This course is locked until you reach your current tier's milestones."), "warning")
        return redirect(url_for("learn.course", slug=slug))
    return render_template("learn/lesson.html", page=page, body=render_markdown(page.lesson.body), form=ActionForm())


@bp.route("/courses/<slug>/lessons/<key>/done", methods=["POST"])
@signed_in
def complete_lesson(slug, key):
    """Mark a lesson read and move on to the next one."""
    try:
        done, completed = library.complete_lesson(current_user, slug, key)
    except Forbidden:
        flash(_("This course is locked until you reach your current tier's milestones."), "warning")
        return redirect(url_for("learn.course", slug=slug))
    if completed:
        flash(_("Course completed. Well done!"), "success")
        return redirect(url_for("learn.course", slug=slug))
    following = request.form.get("next", "")
    if following:
        return redirect(url_for("learn.lesson", slug=slug, key=following))
    return redirect(url_for("learn.course", slug=slug))


@bp.route("/growth")
@signed_in
def growth():
    """The growth map: each tier's milestones and what they unlock."""
    state = library.load_state(current_user, locale())
    return render_template("learn/growth.html", state=state, path=library.path_cards(state, locale()))


@bp.route("/certificates")
@signed_in
def certificates():
    """The learner's certifications."""
    state = library.load_state(current_user, locale())
    return render_template("learn/certificates.html", state=state)


@bp.route("/certificates/<serial>")
@signed_in
def certificate(serial):
    """A printable certificate; visible to its holder, their mentors, trainers and admins."""
    award = library.get_award(serial)
    require_learner_access(current_user, award.user_id)
    return render_template("learn/certificate.html", award=award, title=award.certification.title(locale()))


def quiz_url(quiz):
    """Return the page where a course quiz is taken, when the quiz area serves one."""
    if quiz is None:
        return None
    if getattr(quiz, "url", None):
        return quiz.url
    for endpoint in QUIZ_ENDPOINTS:
        try:
            return url_for(endpoint, quiz_id=quiz.id)
        except (BuildError, AttributeError):
            continue
    return None


# The quiz area's page for starting a quiz; the first that exists is used.
QUIZ_ENDPOINTS = ("quiz.overview", "quiz.show", "quiz.quiz")


# --- trainers -----------------------------------------------------------------------


@bp.route("/manage/")
@allow(*STAFF)
def manage():
    """Every course with its version, lessons, enrolments and actions."""
    return render_template("learn/manage.html", rows=library_authoring.managed_courses(), form=ActionForm())


@bp.route("/manage/<slug>", methods=["GET", "POST"])
@allow(*STAFF)
def edit_course(slug):
    """Edit a course's descriptive fields and list its lessons."""
    course = library_authoring.get_managed_course(slug)
    form = CourseForm(obj=course)
    if request.method == "GET":
        form.tags.data, form.behaviours.data = ", ".join(course.tags or []), ", ".join(course.behaviours or [])
    if form.validate_on_submit():
        try:
            library_authoring.update_course(
                course, title=form.title.data, summary=form.summary.data or "", minutes=form.minutes.data,
                tags=library_authoring.split_list(form.tags.data),
                behaviours=library_authoring.split_list(form.behaviours.data),
            )
            flash(_("Course saved."), "success")
            return redirect(url_for("learn.edit_course", slug=slug))
        except ValidationError as error:
            getattr(form, error.field or "title").errors.append(error.message)
    return render_template("learn/edit_course.html", course=course, form=form, action=ActionForm(),
                           lessons=library.current_lessons(course))


@bp.route("/manage/<slug>/lessons/<key>", methods=["GET", "POST"])
@allow(*STAFF)
def edit_lesson(slug, key):
    """Edit a lesson in Markdown with a server-rendered preview; saving makes a new course version."""
    course = library_authoring.get_managed_course(slug)
    lesson = next((l for l in library.current_lessons(course) if l.key == key), None)
    if lesson is None:
        abort(404)
    form = LessonForm(obj=lesson)
    if form.validate_on_submit():
        try:
            library_authoring.update_lesson(course, key, current_user, title=form.title.data,
                                            minutes=form.minutes.data, body=form.body.data)
            flash(_("Lesson saved as version %(n)s.", n=course.current_version.number), "success")
            return redirect(url_for("learn.edit_course", slug=slug))
        except ValidationError as error:
            field = error.field if error.field in ("title", "minutes", "body") else "body"
            getattr(form, field).errors.append(error.message)
    return render_template("learn/edit_lesson.html", course=course, lesson=lesson, form=form,
                           preview=render_markdown(form.body.data or ""))


@bp.route("/manage/<slug>/lessons/new", methods=["GET", "POST"])
@allow(*STAFF)
def new_lesson(slug):
    """Add a lesson at the end of a course (a new course version)."""
    course = library_authoring.get_managed_course(slug)
    form = LessonForm()
    if form.validate_on_submit():
        try:
            library_authoring.add_lesson(course, current_user, title=form.title.data, minutes=form.minutes.data,
                                         body=form.body.data)
            flash(_("Lesson added."), "success")
            return redirect(url_for("learn.edit_course", slug=slug))
        except ValidationError as error:
            form.body.errors.append(error.message)
    return render_template("learn/edit_lesson.html", course=course, lesson=None, form=form,
                           preview=render_markdown(form.body.data or ""))


@bp.route("/manage/preview", methods=["POST"])
@allow(*STAFF)
def preview():
    """Render Markdown the way learners will see it (sanitised), for the editor's preview pane."""
    text = request.form.get("body", "")[:100_000]
    return jsonify(html=str(render_markdown(text)))


@bp.route("/manage/<slug>/publish", methods=["POST"])
@allow(*STAFF)
def publish(slug):
    """Publish or unpublish a course."""
    course = library_authoring.get_managed_course(slug)
    if ActionForm().validate_on_submit():
        published = request.form.get("published") == "1"
        library_authoring.set_published(course, published)
        flash(_("Course published.") if published else _("Course unpublished."), "success")
    if request.form.get("back") == "edit":
        return redirect(url_for("learn.edit_course", slug=slug))
    return redirect(url_for("learn.manage"))


@bp.route("/manage/<slug>/export")
@allow(*STAFF)
def export(slug):
    """Download a course in the content/ format as a zip."""
    name, data = library_authoring.export_course_zip(library_authoring.get_managed_course(slug))
    return send_file(io.BytesIO(data), mimetype="application/zip", as_attachment=True, download_name=name)


@bp.route("/manage/<slug>/analytics")
@allow(*STAFF)
def analytics(slug):
    """Enrolled → started → completed, median time to complete, and where learners stop."""
    figures = library_authoring.course_analytics(library_authoring.get_managed_course(slug))
    return render_template("learn/analytics.html", figures=figures)


# Templates on the shared home page call this to get the learner's state once.
@bp.app_template_global("learn_state")
def learn_state(user):
    """Return the learner's library state for the home page sections."""
    state = library.load_state(user, locale())
    return state, library.path_cards(state, locale()), ActionForm()


@bp.app_template_global("scenario_url")
def scenario_url(slug):
    """Return the role-play page of a scenario, when the role-play area serves one."""
    for endpoint in ("roleplay.scenario", "roleplay.start", "roleplay.show"):
        try:
            return url_for(endpoint, slug=slug)
        except BuildError:
            continue
    return None
