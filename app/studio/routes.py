"""Studio views: trainers author scenarios (drafts, graph, versions, files, preview) over app.services.studio."""

import werkzeug.exceptions
from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeSerializer
from wtforms import SelectChoice

from app.authz import STAFF, allow
from app.content.scenario import KINDS, TIERS
from app.errors import render_error
from app.i18n import tier_label
from app.roleplay.forms import KIND_LABELS
from app.services import studio
from app.services.errors import Conflict, ImportProblems, NotFound, ValidationError
from app.studio import bp
from app.studio.forms import (
    ActionForm, AddNodeForm, MetadataForm, NewScenarioForm, NodeForm, PreviewForm, RenameNodeForm, UploadForm,
)

PREVIEW_SALT = "studio-preview"


@bp.errorhandler(NotFound)
def not_found(error):
    """A missing scenario, version or node is a 404."""
    return render_error(werkzeug.exceptions.NotFound())


@bp.app_context_processor
def studio_helpers():
    """Let studio templates link to endpoints that may not be installed (analytics, A/B tests)."""
    return {"has_endpoint": lambda name: name in current_app.view_functions}


def _kind_choices():
    return [SelectChoice(k, str(KIND_LABELS[k])) for k in KINDS]


def _page(scenario, check=None, **context):
    """Return the template context shared by a scenario's pages."""
    draft = studio.working_copy(scenario)
    check = check or studio.check_draft(draft)
    return {"scenario": scenario, "draft": draft, "check": check, "action": ActionForm(), "add_form": AddNodeForm(),
            **context}


# --- list, new, upload ----------------------------------------------------------------------------------


@bp.route("/")
@allow(*STAFF)
def index():
    """Every scenario with its draft and published state."""
    return render_template("studio/index.html", rows=studio.list_studio_scenarios())


@bp.route("/new", methods=["GET", "POST"])
@allow(*STAFF)
def new():
    """Start a scenario from nothing."""
    form = NewScenarioForm()
    form.kind.choices = _kind_choices()
    if form.validate_on_submit():
        try:
            scenario = studio.create_scenario(current_user, form.slug.data, form.title.data, form.lang.data,
                                              form.kind.data)
        except (ValidationError, Conflict) as exc:
            form.slug.errors.append(_("A scenario with this id exists.") if isinstance(exc, Conflict)
                                    else _("Use lower-case letters, digits, “-” or “_”."))
        else:
            flash(_("Scenario created. Describe the customer, then write the conversation."), "success")
            return redirect(url_for("studio.edit", slug=scenario.slug))
    return render_template("studio/new.html", form=form)


@bp.route("/upload", methods=["GET", "POST"])
@allow(*STAFF)
def upload():
    """Upload a YAML or Twee file as a draft (all or nothing)."""
    form = UploadForm()
    problems = []
    if form.validate_on_submit():
        file = form.file.data
        try:
            status, scenario = studio.import_upload(current_user, file.filename, file.read(studio.MAX_UPLOAD + 1))
        except ImportProblems as exc:
            problems = exc.problems
        else:
            flash(_("File read: it is now the draft of “%(title)s”. Preview it, then publish.",
                    title=scenario.title) if status == "draft" else
                  _("File read: a new scenario “%(title)s” was created as a draft.", title=scenario.title), "success")
            return redirect(url_for("studio.scenario", slug=scenario.slug))
    return render_template("studio/upload.html", form=form, problems=problems), 422 if problems else 200


# --- one scenario ----------------------------------------------------------------------------------------


@bp.route("/<slug>")
@allow(*STAFF)
def scenario(slug):
    """The graph of the draft (or current version), its problems, and publishing."""
    scenario = studio.get_studio_scenario(slug)
    context = _page(scenario)
    graph = studio.graph_data(context["draft"], context["check"].node_problems)
    return render_template("studio/scenario.html", graph=graph, **context)


@bp.route("/<slug>/edit", methods=["GET", "POST"])
@allow(*STAFF)
def edit(slug):
    """The draft's details and its node list (saving starts a draft from the current version)."""
    scenario = studio.get_studio_scenario(slug)
    draft = studio.working_copy(scenario)
    form = MetadataForm()
    form.kind.choices = _kind_choices()
    form.tier.choices = [SelectChoice(t, tier_label(t)) for t in TIERS]
    form.start.choices = [SelectChoice("", "—")] + [SelectChoice(k, k) for k in draft.get("nodes", {})]
    if form.validate_on_submit():
        studio.save_metadata(scenario, current_user, form.to_meta())
        flash(_("Details saved to the draft."), "success")
        return redirect(url_for("studio.edit", slug=slug))
    if request.method == "GET":
        form.load(draft)
    locale = get_locale()
    behaviours, objections = studio.vocabulary_names("zh" if locale and locale.language == "zh" else "en")
    form.set_vocabularies(behaviours, objections)
    context = _page(scenario)
    problems = {name: [p for p in context["check"].problems if p.startswith(f"unknown {name} ")]
                for name in ("behaviour", "objection")}
    return render_template("studio/edit.html", form=form, known={"behaviours": behaviours, "objections": objections},
                           key_problems=problems, **context)


@bp.route("/<slug>/nodes", methods=["POST"])
@allow(*STAFF)
def add_node(slug):
    """Add a node to the draft and open it."""
    scenario = studio.get_studio_scenario(slug)
    form = AddNodeForm()
    if not form.validate_on_submit():
        flash(_("Name the node with a letter first, then letters, digits, “_”, “.” or “-”."), "warning")
        return redirect(url_for("studio.edit", slug=slug))
    try:
        key = studio.add_node(scenario, current_user, form.key.data, form.way.data)
    except Conflict:
        flash(_("A node with this name exists."), "warning")
        return redirect(url_for("studio.edit", slug=slug))
    return redirect(url_for("studio.node", slug=slug, key=key))


@bp.route("/<slug>/nodes/<key>", methods=["GET", "POST"])
@allow(*STAFF)
def node(slug, key):
    """Edit one node: the customer line and the choices, free-text routes or ending."""
    scenario = studio.get_studio_scenario(slug)
    draft = studio.working_copy(scenario)
    nodes = draft.get("nodes", {})
    if key not in nodes:
        abort(404)
    form = NodeForm()
    if request.method == "GET":
        form.load(nodes[key])
        form.add_empty_rows()
    form.set_choices(list(nodes), [str(d) for d in draft.get("rubric") or []])
    if form.validate_on_submit():
        studio.save_node(scenario, current_user, key, form.to_node())
        flash(_("Node saved to the draft."), "success")
        return redirect(url_for("studio.node", slug=slug, key=key))
    context = _page(scenario)
    parts = studio.problems_by_part(key, context["check"].node_problems.get(key, []))
    return render_template("studio/node.html", form=form, key=key, rename_form=RenameNodeForm(data={"key": key}),
                           parts=parts, **context)


@bp.route("/<slug>/nodes/<key>/rename", methods=["POST"])
@allow(*STAFF)
def rename_node(slug, key):
    """Rename a node; links to it follow."""
    scenario = studio.get_studio_scenario(slug)
    form = RenameNodeForm()
    if form.validate_on_submit():
        try:
            key = studio.rename_node(scenario, current_user, key, form.key.data)
            flash(_("Node renamed; links to it were updated."), "success")
        except Conflict:
            flash(_("A node with this name exists."), "warning")
    else:
        flash(_("Name the node with a letter first, then letters, digits, “_”, “.” or “-”."), "warning")
    return redirect(url_for("studio.node", slug=slug, key=key))


@bp.route("/<slug>/nodes/<key>/delete", methods=["POST"])
@allow(*STAFF)
def delete_node(slug, key):
    """Delete a node from the draft."""
    scenario = studio.get_studio_scenario(slug)
    if ActionForm().validate_on_submit():
        studio.delete_node(scenario, current_user, key)
        flash(_("Node deleted. Links that led to it are marked as problems."), "info")
    return redirect(url_for("studio.edit", slug=slug))


@bp.route("/<slug>/publish", methods=["POST"])
@allow(*STAFF)
def publish(slug):
    """Publish the draft as a new version."""
    scenario = studio.get_studio_scenario(slug)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        version = studio.publish_draft(scenario, current_user)
    except ValidationError:
        flash(_("The draft has problems; fix them before publishing."), "danger")
        return redirect(url_for("studio.scenario", slug=slug))
    except Conflict:
        flash(_("There is no draft to publish."), "info")
        return redirect(url_for("studio.scenario", slug=slug))
    if version is None:
        flash(_("The draft was the same as the published version; nothing new to publish."), "info")
    else:
        flash(_("Published as version %(n)s. New plays use it; plays already started keep theirs.",
                n=version.number), "success")
    return redirect(url_for("studio.versions", slug=slug))


@bp.route("/<slug>/discard", methods=["POST"])
@allow(*STAFF)
def discard(slug):
    """Throw the draft away and go back to the published version."""
    scenario = studio.get_studio_scenario(slug)
    if ActionForm().validate_on_submit():
        try:
            studio.discard_draft(scenario)
            flash(_("Draft discarded."), "info")
        except Conflict:
            flash(_("This scenario has never been published; its draft is all there is."), "warning")
    return redirect(url_for("studio.scenario", slug=slug))


@bp.route("/<slug>/versions")
@allow(*STAFF)
def versions(slug):
    """The published versions, with download and restore."""
    scenario = studio.get_studio_scenario(slug)
    return render_template("studio/versions.html", versions=studio.list_versions(scenario), **_page(scenario))


@bp.route("/<slug>/versions/<int:number>/restore", methods=["POST"])
@allow(*STAFF)
def restore(slug, number):
    """Publish an earlier version again, as a new version."""
    scenario = studio.get_studio_scenario(slug)
    if ActionForm().validate_on_submit():
        try:
            version = studio.restore_version(scenario, number, current_user)
            flash(_("Version %(old)s restored as version %(n)s.", old=number, n=version.number), "success")
        except Conflict:
            flash(_("That version is already the current content."), "info")
    return redirect(url_for("studio.versions", slug=slug))


@bp.route("/<slug>/download")
@allow(*STAFF)
def download(slug):
    """Download the draft (default when there is one) or a version (?version=N) as a scenarios/ YAML file."""
    scenario = studio.get_studio_scenario(slug)
    number = request.args.get("version", type=int)
    text = studio.export_yaml(scenario, number)
    suffix = f"-v{number}" if number else ("-draft" if scenario.draft is not None else "")
    return Response(text, mimetype="application/x-yaml", headers={
        "Content-Disposition": f'attachment; filename="{scenario.slug}{suffix}.yaml"'})


# --- preview -----------------------------------------------------------------------------------------------


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=PREVIEW_SALT)


@bp.route("/<slug>/preview", methods=["GET", "POST"])
@allow(*STAFF)
def preview(slug):
    """Play the draft (or ?version=N) without saving anything; answers travel in a signed field."""
    scenario = studio.get_studio_scenario(slug)
    form = PreviewForm()
    version = request.values.get("version", type=int)
    answers = []
    if form.validate_on_submit() and not request.form.get("restart"):
        try:
            state = _serializer().loads(form.state.data or "")
        except BadSignature:
            abort(400)
        if state.get("s") != slug or state.get("v") != version:
            abort(400)
        answers = list(state.get("a") or [])
        if form.choice.data is not None:
            answers.append({"c": form.choice.data})
        else:
            answers.append({"t": (form.text.data or "")[:500], "l": form.label.data or ""})
    try:
        definition = studio.preview_definition(scenario, version)
    except ValidationError:
        return render_template("studio/preview.html", state=None, form=form, version=version, **_page(scenario))
    try:
        state = studio.replay_preview(definition, answers)
    except (ValidationError, Conflict):
        flash(_("That answer did not fit (is the text empty, or did the draft change?). Starting again."), "warning")
        answers, state = [], studio.replay_preview(definition, [])
    token = _serializer().dumps({"s": slug, "v": version, "a": answers})
    return render_template("studio/preview.html", state=state, token=token, form=PreviewForm(formdata=None),
                           version=version, **_page(scenario))
