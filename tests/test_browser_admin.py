"""In a real browser: an admin creates a user who then signs in; key pages look finished at two widths."""

from pathlib import Path

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.people import User
from tests.factories import make_team, make_user

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/rehearse-screenshots")
WIDTHS = {"desktop": (1366, 900), "phone": (390, 844)}


def test_admin_creates_a_user_who_then_signs_in(app, page, live_server, browser_login):
    """The admin fills the new-user form (CSRF on); the new user signs in with the typed password."""
    make_team("East region · retail")
    admin = make_user(role="admin", name="Ada Admin")
    browser_login(admin)
    page.get_by_role("button", name="Admin", exact=True).click()
    page.get_by_role("link", name="Users").first.click()
    page.get_by_role("link", name="New user").click()
    page.fill("input[name=email]", "fresh@example.com")
    page.fill("input[name=name]", "Fresh Hire")
    page.select_option("select[name=role]", "learner")
    page.select_option("select[name=team_id]", label="East region · retail")
    page.fill("input[name=password]", "fresh-password-1")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/admin/users?q=fresh*")
    assert page.get_by_text("User fresh@example.com created.").is_visible()
    assert db.session.scalar(sa.select(User.name).where(User.email == "fresh@example.com")) == "Fresh Hire"

    page.get_by_role("button", name="Ada Admin").click()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/auth/login")
    page.fill("input[name=email]", "fresh@example.com")
    page.fill("input[name=password]", "fresh-password-1")
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_url(f"{live_server}/home")
    assert page.get_by_role("heading", name="Welcome, Fresh Hire").is_visible()


def test_deactivate_asks_for_confirmation(app, page, live_server, browser_login):
    """The deactivate button asks first (admin.js); dismissing keeps the user active."""
    admin = make_user(role="admin")
    user = make_user(name="Keep Me")
    browser_login(admin)
    page.goto(f"{live_server}/admin/users/{user.id}")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="Deactivate").click()
    page.wait_for_timeout(300)
    db.session.refresh(user)
    assert user.active
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Deactivate").click()
    page.wait_for_url(f"**/admin/users/{user.id}")
    assert page.get_by_role("alert").get_by_text("is deactivated and cannot sign in").is_visible()


@pytest.mark.parametrize("width, locale", [("desktop", "en"), ("phone", "en"), ("desktop", "zh"), ("phone", "zh")])
def test_key_pages_fit_the_screen(app, page, live_server, browser_login, width, locale):
    """Login, the admin user list and the admin home have no horizontal scrolling; screenshots are kept."""
    SHOTS.mkdir(exist_ok=True)
    page.set_extra_http_headers({"Accept-Language": locale})
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[width])))
    team = make_team("North region · enterprise")
    for i in range(30):
        make_user(name=f"Learner {i:02d} 王芳", team=team, tier=("new_hire", "core", "manager")[i % 3])
    page.goto(f"{live_server}/auth/login")
    page.screenshot(path=str(SHOTS / f"login-{width}-{locale}.png"), full_page=True)
    admin = make_user(role="admin", name="Ada Admin", locale=locale)
    browser_login(admin)
    for name, path in (("home-admin", "/home"), ("admin-users", "/admin/users"), ("admin-user-edit", f"/admin/users/{admin.id}"),
                       ("admin-teams", "/admin/teams"), ("admin-pairings-new", "/admin/pairings/new")):
        page.goto(f"{live_server}{path}")
        page.screenshot(path=str(SHOTS / f"{name}-{width}-{locale}.png"), full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at {width} width"
