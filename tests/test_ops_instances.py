"""Several app servers, one database: a learner moves between instances mid-work; proxy headers are honoured."""

import re

import pytest
import sqlalchemy as sa
from flask import request

from app import create_app
from app.authz import public
from app.extensions import db
from app.ml import spin
from app.models.roleplay import Play
from tests.factories import PASSWORD, make_user
from tests.factories_roleplay import SPIN_EN, sync_fixture_scenarios, use_small_corpus

COOKIES = ("session", "remember_token")


class Browser:
    """One browser (one cookie jar) talking to several app instances, as behind a load balancer."""

    def __init__(self, *apps):
        self.clients = [a.test_client() for a in apps]
        self.jar: dict[str, str] = {}

    def request(self, instance: int, method: str, path: str, **kwargs):
        """Send a request to one instance with the browser's cookies; keep the cookies it sets."""
        client = self.clients[instance]
        for name in COOKIES:
            client.delete_cookie(name)
            if name in self.jar:
                client.set_cookie(name, self.jar[name])
        response = client.open(path, method=method, **kwargs)
        for name in COOKIES:
            cookie = client.get_cookie(name)
            if cookie is not None:
                self.jar[name] = cookie.value
            else:
                self.jar.pop(name, None)
        return response

    def csrf(self, instance: int, path: str) -> str:
        """Return the CSRF token of the form on a page."""
        html = self.request(instance, "GET", path).get_data(as_text=True)
        field = re.search(r'<input[^>]*name="csrf_token"[^>]*>', html).group(0)
        return re.search(r'value="([^"]+)"', field).group(1)


@pytest.fixture
def instances(app, database_url, tmp_path):
    """Two app instances on the same database (the fixture's and a second one), CSRF on as in production."""
    second = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "MODEL_DIR": str(tmp_path / "models-b")})
    for instance in (app, second):
        instance.config["WTF_CSRF_ENABLED"] = True
        use_small_corpus(instance)
    spin.forget_loaded()
    sync_fixture_scenarios()
    yield app, second
    spin.forget_loaded()
    with second.app_context():
        db.session.remove()
        db.engine.dispose()


def test_a_learner_signs_in_on_one_instance_and_plays_on_both(instances):
    """Sign in on A, start a role-play on B, answer alternately on A and B, see the result on B."""
    learner = make_user(email="roamer@example.com")
    browser = Browser(*instances)
    token = browser.csrf(0, "/auth/login")
    response = browser.request(0, "POST", "/auth/login",
                               data={"email": learner.email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    assert browser.request(1, "GET", "/roleplay/").status_code == 200  # B knows the session A created

    token = browser.csrf(1, f"/roleplay/s/{SPIN_EN}")
    response = browser.request(1, "POST", f"/roleplay/s/{SPIN_EN}/play", data={"csrf_token": token})
    play_id = int(re.search(r"/roleplay/play/(\d+)$", response.headers["Location"]).group(1))

    moves = [(0, {"choice": 0}), (1, {"text": "What is the hardest part of managing stock today?"}),
             (0, {"text": "What does that delay cost you in lost sales?"})]
    for step, (instance, answer) in enumerate(moves):
        token = browser.csrf(instance, f"/roleplay/play/{play_id}")
        response = browser.request(instance, "POST", f"/roleplay/play/{play_id}/step",
                                   data={"step": step, "csrf_token": token, **answer})
        assert response.status_code == 302, response.get_data(as_text=True)[:300]
    assert response.headers["Location"].endswith(f"/roleplay/play/{play_id}/result")
    assert browser.request(1, "GET", f"/roleplay/play/{play_id}/result").status_code == 200
    db.session.expire_all()
    play = db.session.get(Play, play_id)
    assert (play.user_id, play.step_count, play.outcome) == (learner.id, 3, "won")


def test_a_repeated_submit_on_the_other_instance_changes_nothing(instances):
    """A retried POST of a step, landing on the other instance, does not save the step twice."""
    learner = make_user()
    browser = Browser(*instances)
    token = browser.csrf(0, "/auth/login")
    browser.request(0, "POST", "/auth/login", data={"email": learner.email, "password": PASSWORD,
                                                    "csrf_token": token})
    token = browser.csrf(0, f"/roleplay/s/{SPIN_EN}")
    location = browser.request(0, "POST", f"/roleplay/s/{SPIN_EN}/play", data={"csrf_token": token}).headers["Location"]
    play_id = int(location.rsplit("/", 1)[1])
    token = browser.csrf(0, f"/roleplay/play/{play_id}")
    for instance in (0, 1):
        browser.request(instance, "POST", f"/roleplay/play/{play_id}/step",
                        data={"step": 0, "choice": 0, "csrf_token": token})
    steps = db.session.scalar(sa.select(sa.func.count()).select_from(db.metadata.tables["play_step"]))
    assert steps == 1


def test_an_account_change_reaches_every_instance_at_once(instances):
    """Users are loaded from the database on each request: deactivating one shuts them out on both instances."""
    learner = make_user()
    browser = Browser(*instances)
    token = browser.csrf(0, "/auth/login")
    browser.request(0, "POST", "/auth/login", data={"email": learner.email, "password": PASSWORD,
                                                    "csrf_token": token})
    assert [browser.request(i, "GET", "/roleplay/").status_code for i in (0, 1)] == [200, 200]
    learner.active = False
    db.session.commit()
    assert [browser.request(i, "GET", "/roleplay/").status_code for i in (1, 0)] == [302, 302]


@pytest.fixture
def echo(database_url):
    """Return a factory of apps with a public route that echoes what the app believes about the client."""

    def make(proxies: int):
        instance = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TRUSTED_PROXIES": proxies})

        @public
        def whoami():
            """Echo the client address, scheme and host as the app sees them."""
            return {"addr": request.remote_addr, "scheme": request.scheme, "host": request.host}

        instance.add_url_rule("/_ops/whoami", "ops_whoami", whoami)
        return instance.test_client()

    return make


def test_behind_one_proxy_the_forwarded_client_and_scheme_are_used(echo):
    """With TRUSTED_PROXIES=1 the last X-Forwarded-For hop and X-Forwarded-Proto are believed."""
    client = echo(1)
    seen = client.get("/_ops/whoami", headers={"X-Forwarded-For": "198.51.100.7, 203.0.113.9",
                                               "X-Forwarded-Proto": "https", "Host": "learn.example.com"}).json
    assert seen == {"addr": "203.0.113.9", "scheme": "https", "host": "learn.example.com"}


def test_without_a_trusted_proxy_forwarded_headers_are_ignored(echo):
    """TRUSTED_PROXIES=0 (no proxy): a client cannot fake its address (rate limits key on it)."""
    seen = echo(0).get("/_ops/whoami", headers={"X-Forwarded-For": "203.0.113.9",
                                                "X-Forwarded-Proto": "https"}).json
    assert seen["addr"] == "127.0.0.1" and seen["scheme"] == "http"
