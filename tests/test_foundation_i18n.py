"""Language choice: the browser's Accept-Language by default, the profile setting when there is one."""

import pytest

from tests.factories import make_user


@pytest.mark.parametrize(
    "header, lang, heading",
    [
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh-CN", "登录 Rehearse"),
        ("zh", "zh-CN", "登录 Rehearse"),
        ("zh-TW", "zh-CN", "登录 Rehearse"),
        ("en-US,en;q=0.8", "en", "Sign in to Rehearse"),
        ("fr-FR", "en", "Sign in to Rehearse"),
        (None, "en", "Sign in to Rehearse"),
    ],
)
def test_browser_language_is_the_default(client, header, lang, heading):
    """Signed-out pages follow Accept-Language, falling back to English."""
    headers = {"Accept-Language": header} if header else {}
    html = client.get("/auth/login", headers=headers).get_data(as_text=True)
    assert f'<html lang="{lang}">' in html
    assert heading in html


@pytest.mark.parametrize(
    "locale, header, expected",
    [("en", "zh-CN", "Welcome, "), ("zh", "en-US", "欢迎，"), (None, "zh-CN", "欢迎，"), (None, "en", "Welcome, ")],
)
def test_profile_language_wins_over_the_browser(client, auth, locale, header, expected):
    """A user's chosen language beats Accept-Language; without one the browser decides."""
    user = make_user(locale=locale)
    auth.login(user)
    html = client.get("/home", headers={"Accept-Language": header}).get_data(as_text=True)
    assert expected in html


def test_switching_language_in_the_profile_takes_effect_at_once(client, login_as):
    """After saving Chinese in the profile the next page is Chinese, whatever the browser says."""
    login_as("learner", name="Li Lei")
    english = {"Accept-Language": "en"}
    assert "Welcome, Li Lei" in client.get("/home", headers=english).get_data(as_text=True)
    response = client.post("/auth/profile", data={"name": "Li Lei", "locale": "zh"}, headers=english,
                           follow_redirects=True)
    assert "个人资料已保存" in response.get_data(as_text=True)
    assert "欢迎，Li Lei" in client.get("/home", headers=english).get_data(as_text=True)


def test_role_and_tier_labels_are_translated(client, login_as):
    """Role and tier names on the home page are shown in the user's language."""
    login_as("mentor", tier="core", locale="zh")
    html = client.get("/home").get_data(as_text=True)
    assert "导师" in html and "骨干销售" in html


def test_admin_pages_are_translated(client, login_as):
    """The admin pages speak Chinese for a Chinese-speaking admin."""
    login_as("admin", locale="zh")
    assert "新建用户" in client.get("/admin/users").get_data(as_text=True)
    assert "新建团队" in client.get("/admin/teams").get_data(as_text=True)
    assert "导师结对" in client.get("/admin/pairings").get_data(as_text=True)


def test_form_validation_messages_are_translated(client):
    """WTForms' own messages follow the interface language too."""
    html = client.post("/auth/login", data={"email": "", "password": ""},
                       headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "该字段是必填字段" in html
