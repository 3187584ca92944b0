"""The mentor workspace over HTTP: pages, forms, and that nobody reaches someone else's learners."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.mentoring import Assignment, CoachingNote, ImprovementPlan, InboxMessage
from app.models.types import utcnow
from tests.factories import make_user
from tests.factories_mentor import (
    add_activity,
    make_assignment,
    make_mentor_with_mentees,
    make_note,
    make_plan,
    make_scenario_target,
)


def tomorrow() -> str:
    """Return tomorrow's date as the form sends it."""
    return (utcnow().date() + timedelta(days=1)).isoformat()


@pytest.fixture
def pair(auth):
    """A signed-in mentor with one mentee, and another mentor's mentee with records of every kind."""
    mentor, (mentee,) = make_mentor_with_mentees(1)
    other, (stranger,) = make_mentor_with_mentees(1)
    foreign = {
        "assignment": make_assignment(other, stranger),
        "note": make_note(other, stranger, shared=True),
        "plan": make_plan(other, stranger),
    }
    auth.login(mentor)
    return mentor, mentee, stranger, foreign


def test_mentor_page_lists_only_own_mentees(client, pair):
    """The list shows the mentor's mentee and not another mentor's."""
    _mentor, mentee, stranger, _ = pair
    response = client.get("/mentor/")
    assert response.status_code == 200
    assert mentee.name.encode() in response.data
    assert stranger.name.encode() not in response.data


@pytest.mark.parametrize("sort", ["name", "progress", "quiz", "play", "activity", "overdue", "flags", "bogus"])
def test_mentor_page_sorts_by_every_column(client, pair, sort):
    """Every sort key (and an unknown one) renders."""
    assert client.get(f"/mentor/?sort={sort}").status_code == 200


def test_every_mentor_route_answers_404_for_someone_elses_learner(client, pair):
    """Each URL and form field that names another mentor's mentee or their records answers 404."""
    _mentor, _mentee, stranger, foreign = pair
    a, n, p = foreign["assignment"], foreign["note"], foreign["plan"]
    gets = [
        f"/mentor/mentees/{stranger.id}", f"/mentor/mentees/{stranger.id}/plan", f"/mentor/notes/{n.id}/edit",
        f"/mentor/assign?mentee={stranger.id}", "/mentor/mentees/999999",
    ]
    posts = [
        (f"/mentor/assignments/{a.id}/withdraw", {}),
        (f"/mentor/assignments/{a.id}/due", {"due-due_on": tomorrow()}),
        (f"/mentor/mentees/{stranger.id}/notes", {"note-body": "x"}),
        (f"/mentor/notes/{n.id}/edit", {"body": "x"}),
        (f"/mentor/notes/{n.id}/delete", {}),
        (f"/mentor/mentees/{stranger.id}/message", {"msg-body": "x"}),
        (f"/mentor/mentees/{stranger.id}/plan", {"goals": "x"}),
        (f"/mentor/plans/{p.id}/actions", {"act-text": "x", "act-due_on": tomorrow()}),
        (f"/mentor/plans/{p.id}/check-ins", {"ci-body": "x"}),
        (f"/mentor/plans/{p.id}/close", {"close-result": "met", "close-outcome": "x"}),
        (f"/mentor/actions/{p.actions[0].id}/toggle", {"done": "1"}),
        ("/mentor/assign", {"mentee_ids": [stranger.id], "target": "scenario:x", "due_on": tomorrow()}),
    ]
    for url in gets:
        assert client.get(url).status_code == 404, url
    for url, data in posts:
        assert client.post(url, data=data).status_code == 404, url
    # Nothing changed.
    assert db.session.get(Assignment, a.id) is not None
    assert db.session.get(CoachingNote, n.id).body != "x"
    assert db.session.get(ImprovementPlan, p.id).status == "open"
    assert db.session.scalar(sa.select(sa.func.count(InboxMessage.id)).where(InboxMessage.recipient_id == stranger.id)) == 0


@pytest.mark.parametrize("url", ["/mentor/", "/mentor/assign", "/mentor/cohort"])
def test_learners_cannot_enter_mentor_pages(client, login_as, url):
    """Learners get 403 on the mentor pages and the cohort view."""
    login_as("learner")
    assert client.get(url).status_code == 403


def test_mentor_cannot_open_the_cohort_view(client, pair):
    """The cohort view is for admins."""
    assert client.get("/mentor/cohort").status_code == 403


def test_assign_a_scenario_through_the_form(client, pair):
    """A valid form creates the assignment and redirects to the mentee page."""
    _mentor, mentee, _stranger, _ = pair
    scenario = make_scenario_target(title="Price vs competitor")
    page = client.get(f"/mentor/assign?mentee={mentee.id}")
    assert b"Price vs competitor" in page.data
    response = client.post("/mentor/assign", data={
        "mentee_ids": [mentee.id], "target": f"scenario:{scenario.slug}", "due_on": tomorrow(), "message": "Go",
    })
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/mentor/mentees/{mentee.id}")
    assignment = db.session.scalar(sa.select(Assignment).where(Assignment.assignee_id == mentee.id))
    assert (assignment.kind, assignment.target_key, assignment.message) == ("scenario", scenario.slug, "Go")


@pytest.mark.parametrize(
    "data, message",
    [
        ({"target": "scenario:SLUG", "due_on": "TOMORROW"}, b"Choose at least one mentee"),
        ({"mentee_ids": "ME", "target": "", "due_on": "TOMORROW"}, b"Choose what to assign"),
        ({"mentee_ids": "ME", "target": "scenario:SLUG", "due_on": ""}, b"Give a due date"),
        ({"mentee_ids": "ME", "target": "scenario:SLUG", "due_on": "2020-01-01"}, b"the due date is in the past"),
        ({"mentee_ids": "ME", "target": "scenario:gone", "due_on": "TOMORROW"}, b"Not a valid choice"),
    ],
)
def test_assign_form_errors_are_shown_in_place(client, pair, data, message):
    """Bad input re-renders the form with a 400 and the error beside its field."""
    _mentor, mentee, _stranger, _ = pair
    scenario = make_scenario_target()
    filled = {k: v.replace("SLUG", scenario.slug).replace("TOMORROW", tomorrow()).replace("ME", str(mentee.id))
              for k, v in data.items()}
    response = client.post("/mentor/assign", data=filled)
    assert response.status_code == 400
    assert message in response.data
    assert db.session.scalar(sa.select(sa.func.count(Assignment.id)).where(Assignment.assignee_id == mentee.id)) == 0


def test_notes_plans_and_messages_through_the_mentee_page(client, pair):
    """Write a shared note, open a plan with an action, add a check-in, send a message; the page shows them."""
    _mentor, mentee, _stranger, _ = pair
    base = f"/mentor/mentees/{mentee.id}"
    assert client.post(f"{base}/notes", data={"note-body": "Ask **implication** questions", "note-shared": "y"}).status_code == 302
    response = client.post(f"{base}/plan", data={"goals": "Pass the SPIN quiz", "action_text": ["Replay SPIN"],
                                                 "action_due": [tomorrow()]})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"{base}#plan")
    plan = db.session.scalar(sa.select(ImprovementPlan).where(ImprovementPlan.mentee_id == mentee.id))
    assert client.post(f"/mentor/plans/{plan.id}/check-ins", data={"ci-body": "Going well"}).status_code == 302
    assert client.post(f"{base}/message", data={"msg-body": "See you Monday"}).status_code == 302
    page = client.get(base)
    assert page.status_code == 200
    for text in (b"<strong>implication</strong>", b"Replay SPIN", b"Going well"):
        assert text in page.data


def test_a_done_assignment_links_to_its_review_page(client, pair):
    """A finished quiz assignment shows its score and a link to the attempt's review page."""
    mentor, mentee, _stranger, _ = pair
    make_assignment(mentor, mentee, kind="quiz", key="5", status="done", score=0.85, result_ref=77)
    page = client.get(f"/mentor/mentees/{mentee.id}")
    assert page.status_code == 200
    assert b"85 %" in page.data and b'href="/quiz/attempt/77/review"' in page.data


def test_note_markdown_is_sanitised(client, pair):
    """Script in a note never reaches the page."""
    mentor, mentee, _stranger, _ = pair
    make_note(mentor, mentee, body="Plan **ok**\n\n<script>alert(1)</script>")
    page = client.get(f"/mentor/mentees/{mentee.id}")
    assert b"<script>alert(1)" not in page.data and b"<strong>ok</strong>" in page.data


def test_plan_form_errors_name_the_field(client, pair):
    """A plan without goals, or with a malformed action date, is refused with a 400."""
    _mentor, mentee, _stranger, _ = pair
    assert client.post(f"/mentor/mentees/{mentee.id}/plan", data={"goals": ""}).status_code == 400
    response = client.post(f"/mentor/mentees/{mentee.id}/plan",
                           data={"goals": "x", "action_text": ["a"], "action_due": ["31/12/2026"]})
    assert response.status_code == 400 and b"is not a date" in response.data


def test_learner_page_shows_mentor_assignments_shared_notes_and_plan(client, auth):
    """The learner sees their mentor, overdue work first, only shared notes, and can tick plan actions."""
    mentor, (mentee,) = make_mentor_with_mentees(1)
    late = make_assignment(mentor, mentee, key="late-one", target_title="Late one",
                           due_on=utcnow().date() - timedelta(days=2))
    make_assignment(mentor, mentee, key="soon-one", target_title="Soon one", due_on=utcnow().date() + timedelta(days=2))
    make_note(mentor, mentee, body="Shared advice", shared=True)
    make_note(mentor, mentee, body="Private worry", shared=False)
    plan = make_plan(mentor, mentee)
    auth.login(mentee)
    page = client.get("/mentor/me")
    assert page.status_code == 200
    assert mentor.name.encode() in page.data
    assert page.data.index(b"Late one") < page.data.index(b"Soon one")
    assert b"Shared advice" in page.data and b"Private worry" not in page.data
    assert f'data-assignment="{late.id}"'.encode() in page.data
    response = client.post(f"/mentor/actions/{plan.actions[0].id}/toggle", data={"done": "1", "next": "/mentor/me#plan"})
    assert response.status_code == 302 and response.headers["Location"] == "/mentor/me#plan"
    db.session.refresh(plan.actions[0])
    assert plan.actions[0].done_on == utcnow().date()
    assert client.get("/home").status_code == 200


def test_inbox_shows_and_marks_messages(client, auth):
    """A learner's inbox shows an assignment message and marks it read."""
    scenario = make_scenario_target(title="Timing objection")
    mentor, (mentee,) = make_mentor_with_mentees(1)
    from app.services.assignments import assign

    assign(mentor, [mentee.id], "scenario", scenario.slug, utcnow().date(), "", utcnow())
    auth.login(mentee)
    page = client.get("/mentor/inbox")
    assert "Timing objection".encode() in page.data
    message = db.session.scalar(sa.select(InboxMessage).where(InboxMessage.recipient_id == mentee.id))
    assert client.post("/mentor/inbox/read", data={"message_id": str(message.id)}).status_code == 302
    db.session.refresh(message)
    assert message.read_at is not None
    assert client.post("/mentor/inbox/read", data={"message_id": "abc"}).status_code == 404


def test_admin_cohort_view_shows_workload(client, login_as):
    """Admins see every pairing and each mentor's workload."""
    mentor, mentees = make_mentor_with_mentees(3)
    make_assignment(mentor, mentees[0], due_on=utcnow().date() - timedelta(days=1))
    login_as("admin")
    page = client.get("/mentor/cohort")
    assert page.status_code == 200
    assert mentor.name.encode() in page.data
    for mentee in mentees:
        assert mentee.name.encode() in page.data


def seed_mentees(n: int):
    """Create a mentor with ``n`` mentees, each with assignments and activity of every kind."""
    mentor, mentees = make_mentor_with_mentees(n)
    now = utcnow()
    for i, mentee in enumerate(mentees):
        make_assignment(mentor, mentee, due_on=now.date() - timedelta(days=1))
        add_activity(mentee, "quiz", "1", i * 10 + 1, when=now - timedelta(days=3), score=0.5, passed=False)
        add_activity(mentee, "quiz", "1", i * 10 + 2, when=now - timedelta(days=2), score=0.4, passed=False)
        add_activity(mentee, "play", "s", i * 10 + 3, when=now - timedelta(days=1), score=0.7, outcome="won",
                     dimensions={"rapport": 0.8})
    return mentor


def count_page_queries(client, auth, count_queries, n: int) -> int:
    """Return how many SQL statements the mentor page runs for a mentor with ``n`` mentees."""
    mentor = seed_mentees(n)
    auth.login(mentor)
    client.get("/mentor/")  # warm caches (translations, templates)
    with count_queries() as counter:
        assert client.get("/mentor/").status_code == 200
    auth.logout()
    return counter.count


def test_mentor_page_runs_a_constant_number_of_queries(client, auth, count_queries):
    """5 or 50 mentees: the same number of SQL statements."""
    few = count_page_queries(client, auth, count_queries, 5)
    many = count_page_queries(client, auth, count_queries, 50)
    assert few == many, (few, many)


def test_other_pages_run_a_constant_number_of_queries(client, auth, login_as, count_queries):
    """The mentee page does not grow with the timeline; the cohort view not with the pairings."""
    def mentee_page(n):
        mentor, (mentee,) = make_mentor_with_mentees(1)
        for i in range(n):
            add_activity(mentee, "quiz", "1", 1000 * n + i, when=utcnow() - timedelta(hours=i + 1), score=0.5,
                         passed=i % 2 == 0)
        auth.login(mentor)
        client.get(f"/mentor/mentees/{mentee.id}")
        with count_queries() as counter:
            client.get(f"/mentor/mentees/{mentee.id}")
        auth.logout()
        return counter.count

    assert mentee_page(2) == mentee_page(30)

    def cohort(n):
        seed_mentees(n)
        admin = make_user("admin")
        auth.login(admin)
        client.get("/mentor/cohort")
        with count_queries() as counter:
            client.get("/mentor/cohort")
        auth.logout()
        return counter.count

    assert cohort(2) == cohort(12)
