"""Template helpers for the insights partials included on other areas' pages (home panels)."""

from flask_babel import get_locale

from app.insights import bp


def _language() -> str:
    """Return the request's language code."""
    locale = get_locale()
    return locale.language if locale else "en"


@bp.app_template_global("insights_recommendations")
def recommendations(user):
    """Return the training recommended for ``user``'s mentees (mentor home panel)."""
    from app.services.deal_coaching import recommendations_for

    return recommendations_for(user)


@bp.app_template_global("insights_latest_run")
def latest_run():
    """Return the newest model run, or None (admin and trainer home panel)."""
    from app.services.deals import latest_run as find_latest

    return find_latest()


@bp.app_template_global("insights_labels")
def labels():
    """Return behaviour labels in the request's language."""
    from app.services.deals import behaviour_labels

    return behaviour_labels(_language())


@bp.app_template_global("insights_recommendation_form")
def recommendation_form():
    """Return the (CSRF-carrying) form used by the accept and dismiss buttons."""
    from app.insights.forms import RecommendationForm

    return RecommendationForm(formdata=None)


@bp.app_template_global("insights_training_url")
def training_url(item):
    """Return the page of a course or scenario, or None while that area has no such page."""
    from app.services.mentor_sources import target_url

    try:
        return target_url(item.kind, item.key)
    except Exception:  # another area's routing must never break this page
        return None
