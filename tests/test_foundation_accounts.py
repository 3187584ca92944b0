"""Account services without HTTP, and the demo organisation with its per-area steps."""

import sys
import types
from datetime import date

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.people import MentorPairing, Team, User
from app.services import accounts, demo
from app.services.errors import Conflict, ValidationError
from tests.factories import make_pairing, make_user


def test_the_last_admin_cannot_be_demoted_or_deactivated(app):
    """Someone must always be able to administer the organisation."""
    admin = make_user(role="admin")
    with pytest.raises(Conflict, match="last active admin"):
        accounts.set_active(admin, False)
    with pytest.raises(Conflict, match="last active admin"):
        accounts.update_user(admin, email=admin.email, name="A", role="learner", tier="core", team_id=None,
                             active=True)
    other = make_user(role="admin")
    accounts.set_active(admin, False, actor=other)
    assert not db.session.get(User, admin.id).active


def test_emails_are_checked_and_normalised(app):
    """Emails are validated (demo .test domains allowed), trimmed and lower-cased, and unique."""
    user = accounts.create_user(" Ann@Example.COM ", "Ann", "long-enough-pw")
    assert user.email == "ann@example.com"
    assert accounts.check_email("demo@rehearse.test") == "demo@rehearse.test"
    with pytest.raises(ValidationError, match="already used"):
        accounts.create_user("ANN@example.com", "Ann 2", "long-enough-pw")
    with pytest.raises(ValidationError, match="not a valid email"):
        accounts.create_user("ann@", "Ann 3", "long-enough-pw")
    with pytest.raises(ValidationError, match="at least 8"):
        accounts.create_user("b@example.com", "B", "short")


def test_generated_passwords_are_random_and_unambiguous(app):
    """Generated passwords are long, differ, and avoid look-alike characters."""
    passwords = {accounts.generate_password() for _ in range(50)}
    assert len(passwords) == 50
    assert all(len(p) == 14 and not set(p) & set("0O1lI") for p in passwords)


def test_team_names_are_unique_and_required(app):
    """Team names are trimmed, required and unique."""
    team = accounts.create_team("  East ")
    assert team.name == "East"
    with pytest.raises(ValidationError):
        accounts.create_team("East")
    with pytest.raises(ValidationError):
        accounts.rename_team(team, "   ")


def test_end_pairing_never_ends_before_it_started(app):
    """An end date before the start is clamped to the start date; ending twice is a conflict."""
    pairing = make_pairing(make_user(role="mentor"), make_user(), start_date=date(2026, 12, 1))
    accounts.end_pairing(pairing, date(2026, 11, 1))
    assert pairing.ended_on == date(2026, 12, 1)
    with pytest.raises(Conflict):
        accounts.end_pairing(pairing, date(2026, 12, 5))


def test_user_search_filters(app):
    """search_users combines text, role and status filters and paginates."""
    make_user(name="Wang Fang", role="mentor")
    make_user(name="Wang Lei")
    page = accounts.search_users(accounts.UserFilter(q="wang", role="mentor"), per_page=10)
    assert [u.name for u in page.items] == ["Wang Fang"] and page.total == 1


def test_seed_demo_is_idempotent(runner):
    """Running seed-demo twice leaves one copy of everything."""
    for _ in range(2):
        result = runner.invoke(args=["seed-demo"])
        assert result.exit_code == 0, result.output
    assert "admin@rehearse.test" in result.output
    assert db.session.scalar(sa.select(sa.func.count(Team.id))) == 2
    roles = dict(db.session.execute(sa.select(User.role, sa.func.count(User.id)).group_by(User.role)).all())
    assert roles["admin"] == 1 and roles["trainer"] == 2 and roles["mentor"] == 3 and roles["learner"] >= 12
    active = db.session.scalar(sa.select(sa.func.count(MentorPairing.id)).where(MentorPairing.ended_on.is_(None)))
    assert active == len(demo.PAIRINGS)


def test_demo_accounts_can_sign_in(client, app):
    """The printed demo logins work through the real sign-in form (.test addresses included)."""
    demo.seed_demo_organisation()
    response = client.post("/auth/login", data={"email": "admin@rehearse.test", "password": demo.DEMO_PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/home"


def test_demo_steps_run_after_the_people_exist(app, monkeypatch):
    """Each registered (module, function) step is imported lazily and called with the users by email."""
    calls = []
    module = types.ModuleType("tests_demo_step_module")
    module.seed_something = lambda users: calls.append(sorted(users)[:1] + [users["mentor@rehearse.test"].id])
    monkeypatch.setitem(sys.modules, "tests_demo_step_module", module)
    monkeypatch.setattr(demo, "DEMO_STEPS", [("tests_demo_step_module", "seed_something")])
    labels = []
    demo.seed_demo_organisation(on_step=labels.append)
    assert calls and calls[0][0] == "admin@rehearse.test" and calls[0][1] is not None
    assert labels == ["tests_demo_step_module.seed_something"]


def test_search_treats_wildcards_literally(app):
    """% and _ in a search are plain characters, not LIKE wildcards."""
    make_user(name="100% Sales")
    make_user(name="Other")
    assert [u.name for u in accounts.search_users(accounts.UserFilter(q="100%")).items] == ["100% Sales"]
    assert accounts.search_users(accounts.UserFilter(q="_")).total == 0
