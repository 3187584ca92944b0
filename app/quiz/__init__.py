"""Quizzes: taking attempts, reviewing them, grading essays, and the trainer's banks and statistics."""

from flask import Blueprint

bp = Blueprint("quiz", __name__)


@bp.app_template_filter("quiz_text")
def quiz_text(text, text_format="markdown"):
    """Render question text in its GIFT format as sanitised HTML."""
    from markupsafe import Markup, escape

    from app.content.markdown import render_markdown, sanitise_html

    text = text or ""
    if text_format == "markdown":
        return render_markdown(text)
    if text_format == "plain":
        return Markup("<br>".join(escape(line) for line in text.split("\n")))
    if text_format == "html":
        return sanitise_html(text)
    # "moodle" auto-format: HTML allowed, line breaks kept.
    return sanitise_html(text.replace("\n", "<br>"))


@bp.app_template_filter("quiz_inline")
def quiz_inline(text, text_format="markdown"):
    """Render a short text (an answer, a matching item) without a wrapping paragraph."""
    from markupsafe import Markup

    html = str(quiz_text(text, text_format)).strip()
    if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        html = html[3:-4]
    return Markup(html)


@bp.app_template_global("quiz_home")
def quiz_home(user):
    """Return what the home page shows about quizzes: recent attempts and essays waiting to be graded."""
    from app.services.quiz_home import build_quiz_home

    return build_quiz_home(user)


from app.quiz import routes  # noqa: E402,F401
