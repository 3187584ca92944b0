"""Language choice: the user's profile setting, else the browser's Accept-Language."""

from flask import current_app, has_request_context, request
from flask_login import current_user

from flask_babel import lazy_gettext as _l

from app.extensions import babel

ROLE_LABELS = {"learner": _l("Learner"), "mentor": _l("Mentor"), "trainer": _l("Trainer"), "admin": _l("Admin")}
TIER_LABELS = {"new_hire": _l("New hire"), "core": _l("Core seller"), "manager": _l("Manager")}
# The rubric dimensions of the bundled scenarios; authors may add others (shown humanised). Not plain
# "Value": the catalogue already translates that as a number's value.
DIMENSION_LABELS = {"rapport": _l("Rapport"), "discovery": _l("Discovery"),
                    "objection_handling": _l("Objection handling"), "value": _l("Building value"),
                    "closing": _l("Closing")}


def role_label(role: str) -> str:
    """Return the translated name of a role."""
    return str(ROLE_LABELS.get(role, role))


def tier_label(tier: str) -> str:
    """Return the translated name of a tier."""
    return str(TIER_LABELS.get(tier, tier))


def dimension_label(key: str) -> str:
    """Return the translated name of a role-play rubric dimension (``needs_analysis`` → "Needs analysis")."""
    if key in DIMENSION_LABELS:
        return str(DIMENSION_LABELS[key])
    text = key.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def select_locale() -> str:
    """Return the locale for this request."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # commands and services run outside requests: use the default
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def init_app(app) -> None:
    """Bind Flask-Babel with the locale selector."""
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals.update(role_label=role_label, tier_label=tier_label, dimension_label=dimension_label)

    @app.context_processor
    def inject_locale():
        """Expose the current locale to templates (for <html lang>)."""
        from flask_babel import get_locale

        locale = get_locale()
        return {"current_locale": "zh-CN" if locale and locale.language == "zh" else "en"}
