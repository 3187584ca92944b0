"""The page where a user creates and revokes their personal API tokens."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.api import tokens
from app.api.forms import RevokeForm, TokenForm
from app.authz import signed_in
from app.models.types import utcnow
from app.services import api_tokens
from app.services.errors import NotFound, ValidationError


def render_index(form: TokenForm, status: int = 200):
    """Render the token list with the creation form."""
    return render_template("api/tokens.html", form=form, revoke_form=RevokeForm(),
                           rows=api_tokens.tokens_of(current_user), now=utcnow()), status


@tokens.route("/", methods=["GET", "POST"])
@signed_in
def index():
    """List the user's tokens and create one; the new token is shown once, on this response only."""
    form = TokenForm()
    if form.validate_on_submit():
        try:
            issued = api_tokens.create_token(current_user, form.name.data, form.expires_in_days(), utcnow())
        except ValidationError as error:
            form.name.errors = [*form.name.errors, error.message]
            return render_index(form, 400)
        response = render_template("api/token_created.html", token=issued.record, plain=issued.plain)
        # The secret must not be kept by the browser's cache or a proxy.
        return response, 200, {"Cache-Control": "no-store"}
    return render_index(form, 400 if form.errors else 200)


@tokens.post("/<int:token_id>/revoke")
@signed_in
def revoke(token_id: int):
    """Revoke one of the user's tokens."""
    if not RevokeForm().validate_on_submit():
        abort(400)
    try:
        token = api_tokens.revoke_token(current_user, token_id, utcnow())
    except NotFound:
        abort(404)
    flash(_("Token “%(name)s” revoked: it no longer works.", name=token.name), "success")
    return redirect(url_for("api.tokens.index"))
