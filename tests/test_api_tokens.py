"""API tokens: stored hashed, shown once, revocable; bearer auth and what a cookie session may not do."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.api import ApiToken
from app.models.types import utcnow
from app.services import api_tokens
from app.services.errors import NotFound, ValidationError
from tests.factories import make_user
from tests.factories_api import bearer, make_token


def test_token_is_stored_hashed_with_a_lookup_prefix(app):
    """Only the prefix and the SHA-256 digest are kept; the plain token appears nowhere in the row."""
    user = make_user()
    plain = make_token(user)
    row = db.session.scalar(sa.select(ApiToken))
    assert plain.startswith(f"rh_{row.prefix}_")
    assert row.token_hash == api_tokens.digest(plain) != plain
    stored = db.session.execute(sa.select(ApiToken.__table__)).one()
    assert all(plain not in str(value) for value in stored)


def test_tokens_are_unique_and_random(app):
    """Two tokens never share a prefix or a secret."""
    user = make_user()
    first, second = make_token(user), make_token(user, "other")
    assert first != second and first.split("_")[1] != second.split("_")[1]


def test_a_bearer_token_acts_as_its_user(app, client):
    """GET /me with the token answers the token's user, and notes when the token was used."""
    user = make_user(role="mentor")
    plain = make_token(user)
    response = client.get("/api/v1/me", headers=bearer(plain))
    assert response.status_code == 200
    assert response.json["id"] == user.id and response.json["role"] == "mentor"
    assert "password_hash" not in response.json
    assert db.session.scalar(sa.select(ApiToken.last_used_at)) is not None
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize("header", [
    "Bearer rh_AAAAAAAA_" + "x" * 43,  # well-formed, unknown
    "Bearer nonsense",
    "Bearer ",
    "Basic dXNlcjpwYXNz",
    "Token abc",
])
def test_a_wrong_token_is_refused_with_401(app, client, header):
    """Unknown, malformed or non-bearer credentials get 401 with the Bearer challenge and the error shape."""
    make_token(make_user())
    response = client.get("/api/v1/me", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith('Bearer realm="rehearse"')
    assert response.json["error"]["code"] == 401
    assert response.json["error"]["message"]


def test_a_token_with_a_changed_secret_is_refused(app, client):
    """The right prefix with another secret fails the digest comparison."""
    plain = make_token(make_user())
    forged = plain[:-4] + ("AAAA" if not plain.endswith("AAAA") else "BBBB")
    assert client.get("/api/v1/me", headers=bearer(forged)).status_code == 401


def test_a_revoked_token_is_refused(app, client):
    """After revocation the token no longer authenticates; revoking twice is harmless."""
    user = make_user()
    plain = make_token(user)
    token = db.session.scalar(sa.select(ApiToken))
    assert client.get("/api/v1/me", headers=bearer(plain)).status_code == 200
    api_tokens.revoke_token(user, token.id, utcnow())
    api_tokens.revoke_token(user, token.id, utcnow())
    response = client.get("/api/v1/me", headers=bearer(plain))
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_an_expired_token_is_refused(app, client):
    """A token past its expiry is refused."""
    user = make_user()
    plain = make_token(user, expires_in_days=30)
    token = db.session.scalar(sa.select(ApiToken))
    token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.get("/api/v1/me", headers=bearer(plain)).status_code == 401


def test_a_deactivated_users_token_is_refused(app, client):
    """Deactivating the account stops its tokens."""
    user = make_user()
    plain = make_token(user)
    user.active = False
    db.session.commit()
    assert client.get("/api/v1/me", headers=bearer(plain)).status_code == 401


def test_no_credentials_is_401(app, client):
    """Without a token or session the API answers 401 JSON."""
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json["error"]["code"] == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_user_cannot_revoke_someone_elses_token(app):
    """Revoking another user's token is NotFound and leaves it working."""
    owner, other = make_user(), make_user()
    make_token(owner)
    token = db.session.scalar(sa.select(ApiToken))
    with pytest.raises(NotFound):
        api_tokens.revoke_token(other, token.id, utcnow())
    assert token.revoked_at is None


def test_token_names_are_required_and_bounded(app):
    """A blank or over-long name and an unknown lifetime are refused."""
    user = make_user()
    for name, days in (("  ", None), ("x" * 81, None), ("ok", 7)):
        with pytest.raises(ValidationError):
            api_tokens.create_token(user, name, days, utcnow())


def test_a_cookie_session_may_read_but_not_write(app, client, login_as):
    """A signed-in browser may GET the API, but a POST without a token is 401 even for an admin."""
    admin = login_as("admin")
    assert client.get("/api/v1/me").json["id"] == admin.id
    response = client.post("/api/v1/model-runs", json={})
    assert response.status_code == 401
    assert "token" in response.json["error"]["message"]


def test_the_token_wins_over_a_session_cookie(app, client, login_as):
    """With both, the API acts as the token's user (a learner's token in an admin's browser stays a learner)."""
    login_as("admin")
    learner = make_user()
    response = client.get("/api/v1/users", headers=bearer(make_token(learner)))
    assert response.status_code == 403
    assert client.get("/api/v1/me", headers=bearer(make_token(learner))).json["id"] == learner.id


# --- the token page --------------------------------------------------------------------


def test_token_page_needs_sign_in(app, client):
    """Anonymous visitors are sent to the login form."""
    response = client.get("/account/tokens/")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_creating_a_token_shows_it_once(app, client, login_as):
    """The new token is on the creation response (not cached), works, and is not on the list page."""
    user = login_as("learner")
    response = client.post("/account/tokens/", data={"name": "CRM sync", "expires": "90"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    token = db.session.scalar(sa.select(ApiToken))
    assert token.user_id == user.id and token.name == "CRM sync"
    assert token.expires_at is not None
    page = response.get_data(as_text=True)
    start = page.index(f"rh_{token.prefix}_")
    plain = page[start:start + len(f"rh_{token.prefix}_") + 43]
    assert api_tokens.digest(plain) == token.token_hash
    listing = client.get("/account/tokens/").get_data(as_text=True)
    assert "CRM sync" in listing and plain not in listing


def test_a_blank_name_is_refused_on_the_page(app, client, login_as):
    """The form shows the error and creates nothing."""
    login_as("learner")
    assert client.post("/account/tokens/", data={"name": "", "expires": "90"}).status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(ApiToken.id))) == 0


def test_revoking_on_the_page(app, client, login_as):
    """The owner revokes a token; someone else's token id is a 404."""
    user = login_as("learner")
    plain = make_token(user)
    token = db.session.scalar(sa.select(ApiToken))
    other = make_token(make_user(), "theirs")
    other_id = db.session.scalar(sa.select(ApiToken.id).where(ApiToken.name == "theirs"))
    response = client.post(f"/account/tokens/{token.id}/revoke")
    assert response.status_code == 302 and response.headers["Location"].endswith("/account/tokens/")
    db.session.refresh(token)
    assert token.revoked_at is not None
    assert client.get("/api/v1/me", headers=bearer(plain)).status_code == 401
    assert client.post(f"/account/tokens/{other_id}/revoke").status_code == 404
    assert client.get("/api/v1/me", headers=bearer(other)).status_code == 200
