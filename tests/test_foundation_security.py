"""Security headers, rate-limited sign-in, CSRF, production settings, error pages and JSON errors."""

import re

import pytest

import config
from app import create_app
from app.authz import public
from app.extensions import limiter
from tests.factories import PASSWORD, make_user

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/(?:ld\+)?json\")[^>]*>", re.I)


def pages_of(role: str) -> list[str]:
    """Return the foundation's pages a role can open."""
    pages = ["/home", "/auth/profile"]
    if role == "admin":
        pages += ["/admin/users", "/admin/users/new", "/admin/teams", "/admin/pairings", "/admin/pairings/new"]
    return pages


def assert_secure_page(response) -> None:
    """Check the security headers and that the HTML carries no inline script."""
    csp = response.headers["Content-Security-Policy"]
    script_src = next(part for part in csp.split(";") if part.strip().startswith("script-src"))
    assert script_src.strip() == "script-src 'self'"
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    html = response.get_data(as_text=True)
    assert not INLINE_SCRIPT.search(html), INLINE_SCRIPT.search(html).group(0)
    assert " onclick=" not in html and " onsubmit=" not in html and "javascript:" not in html


def test_login_and_error_pages_are_secure(client):
    """The sign-in page and a 404 carry the headers and no inline script."""
    assert_secure_page(client.get("/auth/login"))
    assert_secure_page(client.get("/no/such/page"))


@pytest.mark.parametrize("role", ["learner", "mentor", "trainer", "admin"])
def test_foundation_pages_are_secure(client, login_as, role):
    """Every foundation page of every role has the CSP header and no inline script."""
    login_as(role)
    for path in pages_of(role):
        response = client.get(path)
        assert response.status_code == 200, path
        assert_secure_page(response)


def test_every_page_has_the_security_headers(app, client, login_as):
    """Every parameterless GET route of the whole app answers with the CSP header."""
    login_as("admin")
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and not rule.arguments and rule.endpoint != "static":
            response = client.get(rule.rule)
            assert "script-src 'self'" in response.headers.get("Content-Security-Policy", ""), rule.rule


def test_login_is_rate_limited_per_client(app, client):
    """With LOGIN_RATE_LIMIT = 3 per minute the fourth POST gets a friendly 429 page."""
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    limiter.reset()
    user = make_user()
    for i in range(3):
        assert client.post("/auth/login", data={"email": f"x{i}@example.com", "password": "x"}).status_code == 200
    blocked = client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert blocked.status_code == 429
    assert "Too many attempts" in blocked.get_data(as_text=True)
    assert "Retry-After" in blocked.headers
    assert client.get("/home").status_code == 302  # not signed in
    assert client.get("/auth/login").status_code == 200  # the form itself still opens
    other = app.test_client()
    assert other.post("/auth/login", data={"email": user.email, "password": PASSWORD},
                      environ_base={"REMOTE_ADDR": "10.0.0.9"}).status_code == 302


def test_login_is_rate_limited_per_account(app):
    """Attempts on one account from many addresses are limited too."""
    app.config["LOGIN_ACCOUNT_RATE_LIMIT"] = "2 per minute"
    limiter.reset()
    user = make_user()
    client = app.test_client()
    statuses = [
        client.post("/auth/login", data={"email": user.email.upper(), "password": "wrong"},
                    environ_base={"REMOTE_ADDR": f"10.0.0.{i}"}).status_code
        for i in range(3)
    ]
    assert statuses == [200, 200, 429]


def test_rate_limit_page_is_translated(app, client):
    """The 429 page speaks the browser's language."""
    app.config["LOGIN_RATE_LIMIT"] = "1 per minute"
    limiter.reset()
    client.post("/auth/login", data={"email": "a@example.com", "password": "x"})
    response = client.post("/auth/login", data={"email": "a@example.com", "password": "x"},
                           headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 429 and "尝试次数过多" in response.get_data(as_text=True)


def test_post_without_csrf_token_is_refused_clearly(app, client):
    """With CSRF on, a form POST without a token gets 400 and an explanation; nothing happens."""
    app.config["WTF_CSRF_ENABLED"] = True
    user = make_user()
    response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "Form expired" in response.get_data(as_text=True)
    assert client.get("/home").status_code == 302


def test_production_refuses_the_default_secret_key(monkeypatch):
    """ProductionConfig will not start with the development secret key or a short one."""
    monkeypatch.setenv("REHEARSE_CONFIG", "production")
    monkeypatch.setattr(config.ProductionConfig, "SECRET_KEY", config.DEFAULT_SECRET_KEY)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app()
    monkeypatch.setattr(config.ProductionConfig, "SECRET_KEY", "too-short")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app()


def test_production_cookies_are_secure(monkeypatch, database_url):
    """Production session cookies are Secure, HttpOnly and SameSite=Lax; HSTS is sent; proxies are trusted."""
    monkeypatch.setenv("REHEARSE_CONFIG", "production")
    monkeypatch.setattr(config.ProductionConfig, "SECRET_KEY", "x" * 48)
    monkeypatch.setattr(config.ProductionConfig, "SQLALCHEMY_DATABASE_URI", database_url)
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    assert app.config["REMEMBER_COOKIE_HTTPONLY"]
    response = app.test_client().get("/auth/login", base_url="https://rehearse.example")
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    assert 'name="csrf_token"' in response.get_data(as_text=True)  # CSRF is on in production


@pytest.fixture
def broken_app(app):
    """Add routes that fail, before the first request, and show the real 500 page."""
    app.config["SHOW_500_PAGE"] = True

    @app.route("/__boom")
    @public
    def boom():
        raise RuntimeError("planted failure")

    @app.route("/api/__boom")
    @public
    def api_boom():
        raise RuntimeError("planted failure")

    return app


@pytest.mark.parametrize(
    "language, texts",
    [("en", ("Something went wrong", "Page not found", "Not allowed")), ("zh-CN", ("出错了", "页面不存在", "无权访问"))],
)
def test_error_pages_in_both_languages(broken_app, login_as, language, texts):
    """500, 404 and 403 pages are finished pages in the browser's language."""
    client = broken_app.test_client()
    headers = {"Accept-Language": language}
    server_error = client.get("/__boom", headers=headers)
    assert server_error.status_code == 500 and texts[0] in server_error.get_data(as_text=True)
    missing = client.get("/nope", headers=headers)
    assert missing.status_code == 404 and texts[1] in missing.get_data(as_text=True)
    user = make_user()
    client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    forbidden = client.get("/admin/users", headers=headers)
    assert forbidden.status_code == 403 and texts[2] in forbidden.get_data(as_text=True)


def test_api_errors_are_json(broken_app):
    """Under /api/ errors are {"error": {"code", "message"}}, never an HTML page."""
    client = broken_app.test_client()
    for path, code in (("/api/__boom", 500), ("/api/v1/no-such-thing", 404)):
        response = client.get(path)
        assert response.status_code == code
        assert response.is_json
        assert set(response.json["error"]) == {"code", "message"} and response.json["error"]["code"] == code


def test_method_not_allowed_page_keeps_the_allow_header(client):
    """A 405 renders the translated generic page and still tells which methods are allowed."""
    response = client.get("/auth/logout")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]
    assert "Not allowed here" in response.get_data(as_text=True)


def test_unknown_email_takes_as_long_as_a_wrong_password(app, monkeypatch):
    """authenticate hashes even for unknown emails, so timing does not reveal accounts."""
    from app.services import accounts

    calls = []
    monkeypatch.setattr(accounts, "check_password_hash", lambda h, p: calls.append(h) or False)
    assert accounts.authenticate("nobody@example.com", "whatever") is None
    assert calls == [accounts._DUMMY_HASH]


def test_api_405_keeps_the_allow_header(app, client):
    """JSON errors keep the exception's headers too (Allow on 405)."""

    @app.route("/api/__only_get")
    @public
    def only_get():
        return {"ok": True}

    response = client.post("/api/__only_get")
    assert response.status_code == 405 and response.is_json
    assert "GET" in response.headers["Allow"]
