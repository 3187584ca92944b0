"""Admin user management over HTTP: list, search, create, edit, deactivate, reset password."""

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.people import User
from tests.factories import PASSWORD, make_team, make_user


def user_by_email(email: str) -> User | None:
    """Return the stored user with this email."""
    return db.session.scalar(sa.select(User).where(User.email == email))


@pytest.mark.parametrize("role", ["learner", "mentor", "trainer"])
@pytest.mark.parametrize(
    "method, path",
    [("get", "/admin/users"), ("get", "/admin/users/1"), ("post", "/admin/users/1/active"),
     ("post", "/admin/users/1/password"), ("get", "/admin/teams/1"), ("post", "/admin/pairings/1/end")],
)
def test_only_admins_enter_the_admin_area(client, login_as, role, method, path):
    """Every other role is refused with 403, including on routes with ids."""
    login_as(role)
    assert getattr(client, method)(path).status_code == 403


def test_user_list_searches_and_filters(client, login_as):
    """Search matches name or email; role, tier, team and status narrow the list."""
    login_as("admin", name="Ada")
    east = make_team("East")
    make_user(name="王芳 Wang Fang", email="wang@example.com", team=east)
    make_user(role="mentor", tier="core", name="Maria", email="maria@example.com")
    gone = make_user(name="Gone Person", email="gone@example.com")
    gone.active = False
    db.session.commit()

    def names(**args):
        html = client.get("/admin/users", query_string=args).get_data(as_text=True)
        return {n for n in ("Wang Fang", "Maria", "Gone Person") if n in html}

    assert names(q="WANG") == {"Wang Fang"}
    assert names(q="maria@ex") == {"Maria"}
    assert names(role="mentor") == {"Maria"}
    assert names(tier="core") == {"Maria"}
    assert names(team=east.id) == {"Wang Fang"}
    assert names(status="inactive") == {"Gone Person"}
    assert names(role="nonsense") == {"Wang Fang", "Maria", "Gone Person"}


def test_user_list_paginates(app, client, login_as):
    """Users beyond PER_PAGE go to the next page, which keeps the filters."""
    app.config["PER_PAGE"] = 5
    login_as("admin", name="Zed Admin")
    for i in range(7):
        make_user(name=f"Person {i:02d}")
    first = client.get("/admin/users", query_string={"role": "learner"}).get_data(as_text=True)
    assert "Person 04" in first and "Person 05" not in first
    assert "page=2" in first and "role=learner" in first
    second = client.get("/admin/users", query_string={"role": "learner", "page": 2}).get_data(as_text=True)
    assert "Person 05" in second and "Person 06" in second and "Person 00" not in second
    assert client.get("/admin/users", query_string={"page": 99}).status_code == 200


def test_list_runs_a_fixed_number_of_queries(client, login_as, count_queries):
    """Teams are loaded with the users, so the query count does not grow with the page."""
    login_as("admin")
    team = make_team()
    for _ in range(3):
        make_user(team=team)
    with count_queries() as few:
        client.get("/admin/users")
    for _ in range(10):
        make_user(team=make_team())
    with count_queries() as many:
        client.get("/admin/users")
    assert many.count == few.count


def test_admin_creates_a_user_who_can_sign_in(client, login_as, auth):
    """A new user with a typed password is stored and can sign in with it."""
    login_as("admin")
    team = make_team("North")
    response = client.post(
        "/admin/users/new",
        data={"email": " New.Hire@Example.com ", "name": "New Hire", "role": "learner", "tier": "new_hire",
              "team_id": str(team.id), "locale": "zh", "active": "y", "password": "s3cret-pass"},
    )
    assert response.status_code == 302
    user = user_by_email("new.hire@example.com")
    assert (user.name, user.team_id, user.locale, user.active) == ("New Hire", team.id, "zh", True)
    auth.logout()
    assert auth.login("new.hire@example.com", "s3cret-pass").headers["Location"] == "/home"


def test_creating_without_a_password_shows_a_generated_one_once(client, login_as, auth):
    """An empty password field generates one, shown on the result page, that works."""
    login_as("admin")
    response = client.post(
        "/admin/users/new", data={"email": "gen@example.com", "name": "Gen", "role": "mentor", "tier": "core",
                                  "active": "y"},
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    password = html.split('data-testid="new-password">')[1].split("<")[0]
    assert len(password) >= 12
    assert user_by_email("gen@example.com").check_password(password)


@pytest.mark.parametrize(
    "data, message",
    [
        ({"email": "taken@example.com"}, "already used"),
        ({"email": "not-an-email"}, "not a valid email address"),
        ({"name": ""}, "This field is required"),
        ({"password": "short"}, "between 8 and 128"),
        ({"role": "boss"}, "Not a valid choice"),
    ],
)
def test_bad_user_input_is_shown_on_the_form(client, login_as, data, message):
    """Invalid input re-renders the form with a 400 and an inline message; nothing is stored."""
    login_as("admin")
    make_user(email="taken@example.com")
    before = db.session.scalar(sa.select(sa.func.count(User.id)))
    form = {"email": "ok@example.com", "name": "Ok", "role": "learner", "tier": "core", "active": "y", **data}
    response = client.post("/admin/users/new", data=form)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == before


def test_admin_edits_a_user(client, login_as):
    """Editing changes role, tier, team, language and email."""
    login_as("admin")
    user = make_user(email="old@example.com")
    team = make_team()
    page = client.get(f"/admin/users/{user.id}")
    assert page.status_code == 200 and "old@example.com" in page.get_data(as_text=True)
    response = client.post(
        f"/admin/users/{user.id}",
        data={"email": "new@example.com", "name": "Renamed", "role": "mentor", "tier": "core",
              "team_id": str(team.id), "locale": "en", "active": "y"},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin/users/{user.id}"
    db.session.refresh(user)
    assert (user.email, user.name, user.role, user.tier, user.team_id, user.locale) == (
        "new@example.com", "Renamed", "mentor", "core", team.id, "en")


def test_unknown_user_is_404(client, login_as):
    """An id that does not exist answers 404 on every user route."""
    login_as("admin")
    assert client.get("/admin/users/9999").status_code == 404
    assert client.post("/admin/users/9999/active", data={"active": "0"}).status_code == 404
    assert client.post("/admin/users/9999/password").status_code == 404


def test_deactivate_and_reactivate(client, login_as, auth):
    """A deactivated user cannot sign in; reactivating lets them in again."""
    admin = login_as("admin")
    user = make_user()
    assert client.post(f"/admin/users/{user.id}/active", data={"active": "0"}).status_code == 302
    db.session.refresh(user)
    assert not user.active
    auth.logout()
    assert auth.login(user).status_code == 200  # refused
    auth.login(admin)
    client.post(f"/admin/users/{user.id}/active", data={"active": "1", "next": "/admin/users"})
    db.session.refresh(user)
    assert user.active
    auth.logout()
    assert auth.login(user).status_code == 302


def test_deactivation_ends_a_running_session(client, login_as, auth, app):
    """A user deactivated while signed in is signed out at their next request."""
    user = login_as("learner")
    assert client.get("/home").status_code == 200
    user.active = False
    db.session.commit()
    assert client.get("/home").status_code == 302


def test_admin_cannot_lock_themselves_out(client, login_as):
    """An admin cannot deactivate or demote themselves; the last admin stays an admin."""
    admin = login_as("admin")
    response = client.post(f"/admin/users/{admin.id}/active", data={"active": "0"}, follow_redirects=True)
    assert "cannot remove your own admin access" in response.get_data(as_text=True)
    response = client.post(
        f"/admin/users/{admin.id}",
        data={"email": admin.email, "name": admin.name, "role": "learner", "tier": "core", "active": "y"},
    )
    assert response.status_code == 400
    db.session.refresh(admin)
    assert admin.active and admin.role == "admin"


def test_reset_password_with_a_typed_password(client, login_as, auth):
    """A typed new password replaces the old one."""
    login_as("admin")
    user = make_user()
    response = client.post(
        f"/admin/users/{user.id}/password", data={"password": "brand-new-pw", "confirm": "brand-new-pw"}
    )
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.check_password("brand-new-pw") and not user.check_password(PASSWORD)


def test_reset_password_generates_one_when_empty(client, login_as):
    """Leaving the fields empty generates a password and shows it once."""
    login_as("admin")
    user = make_user()
    response = client.post(f"/admin/users/{user.id}/password", data={})
    assert response.status_code == 200
    password = response.get_data(as_text=True).split('data-testid="new-password">')[1].split("<")[0]
    db.session.refresh(user)
    assert user.check_password(password)


def test_reset_password_refuses_mismatch(client, login_as):
    """Different password and confirmation give 400 and change nothing."""
    login_as("admin")
    user = make_user()
    response = client.post(f"/admin/users/{user.id}/password", data={"password": "brand-new-pw", "confirm": "x"})
    assert response.status_code == 400
    db.session.refresh(user)
    assert user.check_password(PASSWORD)


def test_a_password_reset_signs_the_user_out_elsewhere(app, client, auth):
    """Sessions are bound to the password: after an admin reset the old session no longer works."""
    from app.services.accounts import reset_password

    user = make_user()
    auth.login(user)
    assert client.get("/home").status_code == 200
    reset_password(user, "another-password")
    assert client.get("/home").status_code == 302


def test_changing_ones_own_password_keeps_this_session(client, login_as):
    """The user who changes their password stays signed in on the device they used."""
    login_as("learner")
    response = client.post(
        "/auth/password", data={"pw-current": PASSWORD, "pw-new": "n3w-password!", "pw-confirm": "n3w-password!"}
    )
    assert response.status_code == 302
    assert client.get("/home").status_code == 200


def test_failed_reset_keeps_the_account_form_filled(client, login_as):
    """A refused password reset shows the user's page with their details still in the account form."""
    login_as("admin")
    user = make_user(email="keep@example.com")
    response = client.post(f"/admin/users/{user.id}/password", data={"password": "brand-new-pw", "confirm": "x"})
    assert response.status_code == 400
    assert 'value="keep@example.com"' in response.get_data(as_text=True)
