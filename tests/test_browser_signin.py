"""In a real browser, each role signs in and sees its home page."""

import pytest

from tests.factories import make_user

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("role", ["learner", "mentor", "trainer", "admin"])
def test_each_role_signs_in_and_sees_home(app, page, browser_login, role):
    """Sign in through the form (CSRF on) and land on the role's home page."""
    user = make_user(role=role, name=f"Browser {role}")
    browser_login(user)
    assert page.get_by_role("heading", name=f"Welcome, Browser {role}").is_visible()
    page.get_by_role("button", name=f"Browser {role}").click()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/auth/login")
