"""Every route declares an access rule, and the rule is what each role meets."""

import pytest

from app.authz import PUBLIC, rule_for
from tests.conftest import ROLES


def test_every_route_declares_a_rule(app):
    """A route without @public or @allow fails this test (and is refused at run time)."""
    missing = [r.endpoint for r in app.url_map.iter_rules() if rule_for(r.endpoint) is None]
    assert missing == []


def parameterless_get_routes(app):
    """Yield (path, rule) for every GET route that takes no URL arguments."""
    for r in app.url_map.iter_rules():
        if "GET" in r.methods and not r.arguments and r.endpoint != "static":
            yield r.rule, rule_for(r.endpoint)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_meets_the_declared_rule(app, client, login_as, role):
    """Allowed roles are let in; others get 403; nothing answers 500."""
    login_as(role)
    for path, rule in parameterless_get_routes(app):
        status = client.get(path).status_code
        assert status < 500, path
        if rule == PUBLIC or role in rule:
            assert status != 403, f"{role} refused at {path}"
        else:
            assert status == 403, f"{role} let into {path} ({status})"


def test_anonymous_users_are_sent_to_sign_in(app, client):
    """Every non-public GET page redirects anonymous visitors to the login form (API: 401)."""
    for path, rule in parameterless_get_routes(app):
        if rule == PUBLIC:
            continue
        response = client.get(path)
        if path.startswith("/api/"):
            assert response.status_code == 401, path
        else:
            assert response.status_code == 302, path
            assert "/auth/login" in response.headers["Location"], path


def test_a_route_without_a_rule_is_refused(app, client, login_as):
    """A view registered without a rule fails closed with 403."""

    @app.route("/__no_rule")
    def no_rule():
        return "should not be reachable"

    login_as("admin")
    assert client.get("/__no_rule").status_code == 403
