"""Signing in and out, remember-me, safe redirects and hashed passwords."""

import pytest

from app.extensions import db
from app.models.people import User
from tests.factories import PASSWORD, make_user


def test_password_is_stored_hashed(app):
    """The stored hash is not the password and verifies it."""
    user = make_user()
    assert PASSWORD not in user.password_hash
    assert user.check_password(PASSWORD)
    assert not user.check_password("wrong")


def test_login_then_home_then_logout(client, auth):
    """A user signs in, sees their home page, signs out and is sent back to sign in."""
    user = make_user(role="learner", name="Li Lei")
    response = auth.login(user)
    assert response.status_code == 302
    assert response.headers["Location"] == "/home"
    page = client.get("/home")
    assert page.status_code == 200
    assert "Li Lei" in page.get_data(as_text=True)
    auth.logout()
    assert client.get("/home").status_code == 302


def test_wrong_password_is_refused(client, auth):
    """A wrong password shows an error and signs nobody in."""
    user = make_user()
    response = auth.login(user, password="nope")
    assert response.status_code == 200
    assert "Wrong email or password" in response.get_data(as_text=True)
    assert client.get("/home").status_code == 302


def test_deactivated_user_cannot_sign_in(client, auth):
    """An inactive account cannot sign in."""
    user = make_user()
    user.active = False
    db.session.commit()
    assert auth.login(user).status_code == 200
    assert client.get("/home").status_code == 302


def test_remember_me_sets_a_remember_cookie(client):
    """Ticking "remember me" sets Flask-Login's remember cookie."""
    user = make_user()
    client.post("/auth/login", data={"email": user.email, "password": PASSWORD, "remember": "y"})
    assert client.get_cookie("remember_token") is not None


@pytest.mark.parametrize(
    "target, expected",
    [
        ("/auth/profile", "/auth/profile"),
        ("https://evil.example/", "/home"),
        ("//evil.example/", "/home"),
        ("/\\evil.example", "/home"),
        ("javascript:alert(1)", "/home"),
    ],
)
def test_next_only_follows_relative_paths(client, target, expected):
    """next= may only point to a path on this site."""
    user = make_user()
    response = client.post(
        "/auth/login", query_string={"next": target}, data={"email": user.email, "password": PASSWORD}
    )
    assert response.headers["Location"] == expected


def test_profile_changes_language(client, login_as):
    """Choosing Chinese in the profile switches the interface."""
    user = login_as("learner")
    response = client.post("/auth/profile", data={"name": "王芳", "locale": "zh"})
    assert response.status_code == 302
    assert db.session.get(User, user.id).locale == "zh"


def test_change_password_checks_the_current_one(client, login_as):
    """Changing a password needs the current one."""
    user = login_as("learner")
    bad = client.post("/auth/password", data={"pw-current": "wrong", "pw-new": "n3w-password!", "pw-confirm": "n3w-password!"})
    assert bad.status_code == 400
    good = client.post(
        "/auth/password", data={"pw-current": PASSWORD, "pw-new": "n3w-password!", "pw-confirm": "n3w-password!"}
    )
    assert good.status_code == 302
    assert db.session.get(User, user.id).check_password("n3w-password!")
