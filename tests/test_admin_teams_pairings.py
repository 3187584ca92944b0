"""Admin pages for teams (with member counts) and mentor pairings."""

from datetime import date

import sqlalchemy as sa

from app.extensions import db
from app.models.people import MentorPairing, Team
from tests.factories import make_pairing, make_team, make_user


def test_teams_list_shows_member_counts(client, login_as):
    """Each team shows its members and active members."""
    login_as("admin")
    east = make_team("East region · retail")
    make_team("Empty team")
    make_user(team=east)
    make_user(team=east).active = False
    db.session.commit()
    html = client.get("/admin/teams").get_data(as_text=True)
    assert "East region · retail" in html and "Empty team" in html
    from app.services.accounts import team_member_counts

    counts = {team.name: (total, active) for team, total, active in team_member_counts()}
    assert counts == {"East region · retail": (2, 1), "Empty team": (0, 0)}


def test_create_and_rename_a_team(client, login_as):
    """A team is created, renamed, and duplicate names are refused with 400."""
    login_as("admin")
    assert client.post("/admin/teams", data={"name": "  West  "}).status_code == 302
    team = db.session.scalar(sa.select(Team).where(Team.name == "West"))
    assert team is not None
    assert client.post("/admin/teams", data={"name": "West"}).status_code == 400
    make_team("South")
    clash = client.post(f"/admin/teams/{team.id}", data={"name": "South"})
    assert clash.status_code == 400 and "already exists" in clash.get_data(as_text=True)
    assert client.post(f"/admin/teams/{team.id}", data={"name": "West coast"}).headers["Location"] == "/admin/teams"
    db.session.refresh(team)
    assert team.name == "West coast"
    assert client.get("/admin/teams/9999").status_code == 404


def test_create_a_pairing(client, login_as):
    """A mentor, mentee, buddy, start date and goal make a pairing."""
    login_as("admin")
    mentor, mentee, buddy = make_user(role="mentor"), make_user(), make_user()
    form = client.get("/admin/pairings/new").get_data(as_text=True)
    assert mentor.email in form
    response = client.post(
        "/admin/pairings/new",
        data={"mentor_id": mentor.id, "mentee_id": mentee.id, "buddy_id": buddy.id, "start_date": "2026-11-02",
              "goal": "First deal in 60 days"},
    )
    assert response.status_code == 302
    pairing = db.session.scalar(sa.select(MentorPairing))
    assert (pairing.mentor_id, pairing.mentee_id, pairing.buddy_id) == (mentor.id, mentee.id, buddy.id)
    assert pairing.start_date == date(2026, 11, 2) and pairing.goal == "First deal in 60 days"
    assert mentee.name in client.get("/admin/pairings").get_data(as_text=True)


def test_pairing_without_buddy_and_rules(client, login_as):
    """No buddy is fine; a second active mentor, a learner as mentor or self-mentoring are refused."""
    login_as("admin")
    mentor, mentee, learner = make_user(role="mentor"), make_user(), make_user()
    ok = client.post("/admin/pairings/new", data={"mentor_id": mentor.id, "mentee_id": mentee.id, "buddy_id": 0,
                                                  "start_date": "2026-11-02"})
    assert ok.status_code == 302
    assert db.session.scalar(sa.select(MentorPairing)).buddy_id is None
    again = client.post("/admin/pairings/new", data={"mentor_id": mentor.id, "mentee_id": mentee.id, "buddy_id": 0,
                                                     "start_date": "2026-11-02"})
    assert again.status_code == 400  # a paired mentee is no longer offered
    not_mentor = client.post("/admin/pairings/new", data={"mentor_id": learner.id, "mentee_id": mentee.id,
                                                          "buddy_id": 0, "start_date": "2026-11-02"})
    assert not_mentor.status_code == 400
    missing = client.post("/admin/pairings/new", data={"mentor_id": 0, "mentee_id": 0, "start_date": ""})
    assert missing.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(MentorPairing.id))) == 1


def test_end_a_pairing(client, login_as):
    """Ending a pairing sets its end date; it moves to the ended list; ending twice only warns."""
    login_as("admin")
    mentor, mentee = make_user(role="mentor", name="Mentor M"), make_user(name="Mentee E")
    pairing = make_pairing(mentor, mentee)
    ended = client.post(f"/admin/pairings/{pairing.id}/end", follow_redirects=True)
    assert ended.request.path == "/admin/pairings" and "ended" in ended.get_data(as_text=True)
    db.session.refresh(pairing)
    assert pairing.ended_on == date.today()
    assert "Mentee E" not in client.get("/admin/pairings").get_data(as_text=True)
    assert "Mentee E" in client.get("/admin/pairings?status=ended").get_data(as_text=True)
    again = client.post(f"/admin/pairings/{pairing.id}/end", follow_redirects=True)
    assert "already ended" in again.get_data(as_text=True)
    assert client.post("/admin/pairings/9999/end").status_code == 404


def test_admin_home_links_to_the_admin_pages(client, login_as):
    """The admin home page and navigation link to users, teams and pairings."""
    login_as("admin")
    html = client.get("/home").get_data(as_text=True)
    for path in ("/admin/users", "/admin/teams", "/admin/pairings"):
        assert f'href="{path}"' in html
    learner_html = (client.post("/auth/logout"), login_as("learner"), client.get("/home"))[2].get_data(as_text=True)
    assert "/admin/users" not in learner_html


def test_service_refuses_a_second_active_mentor(app):
    """The service itself refuses a mentee who already has an active mentor, whatever the form offers."""
    import pytest

    from app.services import accounts
    from app.services.errors import ValidationError

    mentor, other, mentee = make_user(role="mentor"), make_user(role="mentor"), make_user()
    accounts.create_pairing(mentor, mentee, None, date(2026, 1, 5), "")
    with pytest.raises(ValidationError, match="already has an active mentor"):
        accounts.create_pairing(other, mentee, None, date(2026, 1, 5), "")
    assert mentee.id not in {u.id for u in accounts.unpaired_users()}
