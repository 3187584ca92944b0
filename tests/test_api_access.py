"""Who may call each API operation with a token: role rules (403) and whose records (404)."""

from datetime import date, timedelta

import pytest

from tests.factories import make_pairing, make_team, make_user
from tests.factories_api import bearer, give_records, make_model_run, make_token
from tests.factories_mentor import make_assignment, make_course_target

CALLERS = ("learner", "other_learner", "mentor", "other_mentor", "trainer", "admin")


@pytest.fixture
def world(app):
    """A learner with records, their mentor, and one user (with a token) of every other kind."""
    team = make_team()
    people = {
        "learner": make_user("learner", team=team), "other_learner": make_user("learner"),
        "mentor": make_user("mentor"), "other_mentor": make_user("mentor"),
        "trainer": make_user("trainer"), "admin": make_user("admin"),
    }
    make_pairing(people["mentor"], people["learner"])
    records = give_records(people["learner"])
    give_records(people["other_learner"])
    target = make_course_target(slug="api-course")
    records["assignment"] = make_assignment(people["mentor"], people["learner"], key=target.slug).id
    records["team"] = team.id
    records["run"] = make_model_run().id
    tokens = {name: make_token(user) for name, user in people.items()}
    return people, records, tokens


def statuses(client, tokens, method: str, path: str, **kwargs) -> dict:
    """Return {caller: status} for one request made with every caller's token."""
    call = getattr(client, method)
    return {name: call(path, headers=bearer(tokens[name]), **kwargs).status_code for name in CALLERS}


def expect(default: int, **exceptions) -> dict:
    """Return the expected {caller: status}."""
    return {name: exceptions.get(name, default) for name in CALLERS}


ADMIN_ONLY = expect(403, admin=200)
LEARNERS_WORK = expect(200, other_learner=404, other_mentor=404)


@pytest.mark.parametrize("path, expected", [
    ("/api/v1/me", expect(200)),
    ("/api/v1/users", ADMIN_ONLY),
    ("/api/v1/users/{learner}", ADMIN_ONLY),
    ("/api/v1/teams", ADMIN_ONLY),
    ("/api/v1/teams/{team}", ADMIN_ONLY),
    ("/api/v1/users/{learner}/enrolments", LEARNERS_WORK),
    ("/api/v1/users/{learner}/progress", LEARNERS_WORK),
    ("/api/v1/users/{learner}/quiz-attempts", LEARNERS_WORK),
    ("/api/v1/users/{learner}/plays", LEARNERS_WORK),
    ("/api/v1/quiz-attempts/{attempt}", LEARNERS_WORK),
    ("/api/v1/plays/{play}", LEARNERS_WORK),
    ("/api/v1/assignments/{assignment}", LEARNERS_WORK),
    ("/api/v1/assignments", expect(200)),
    ("/api/v1/model-runs", ADMIN_ONLY),
    ("/api/v1/model-runs/{run}", ADMIN_ONLY),
    ("/api/v1/openapi.json", expect(200)),
])
def test_read_access(client, world, path, expected):
    """Each caller gets what the rules allow: other learners' work is a 404, staff-only routes a 403."""
    people, records, tokens = world
    url = path.format(learner=people["learner"].id, **records)
    assert statuses(client, tokens, "get", url) == expected


def test_lists_show_only_what_the_caller_may_see(client, world):
    """The assignment list is scoped: the learner and their mentor see it, others do not."""
    people, records, tokens = world
    seen = {name: [a["id"] for a in client.get("/api/v1/assignments", headers=bearer(tokens[name])).json["items"]]
            for name in CALLERS}
    assert seen == expect([records["assignment"]], other_learner=[], other_mentor=[])


def test_a_nonexistent_learner_is_404_even_for_staff(client, world):
    """Ids that do not exist are 404 for everyone, including admins."""
    _, _, tokens = world
    for path in ("/api/v1/users/999999/enrolments", "/api/v1/users/999999", "/api/v1/plays/999999",
                 "/api/v1/quiz-attempts/999999", "/api/v1/assignments/999999", "/api/v1/model-runs/999999"):
        status = client.get(path, headers=bearer(tokens["admin"])).status_code
        assert status == 404, path


def test_assigning_follows_the_mentoring_rules(client, world):
    """Mentors assign to their own mentees only; learners may not assign; admins may assign to anyone."""
    people, _, tokens = world
    body = {"mentee_ids": [people["learner"].id], "kind": "course", "target_key": "api-course",
            "due_on": (date.today() + timedelta(days=7)).isoformat(), "message": "Before Friday"}
    assert statuses(client, tokens, "post", "/api/v1/assignments", json=body) == expect(
        404, learner=403, other_learner=403, mentor=201, admin=201)


def test_deal_import_and_model_runs_are_for_admins(client, world):
    """Only an admin's token may import deals or start a run."""
    _, _, tokens = world
    rows = {"rows": [{"deal_id": "X-1", "outcome": "won"}], "dry_run": True}
    assert statuses(client, tokens, "post", "/api/v1/deals/import", json=rows) == ADMIN_ONLY
    assert statuses(client, tokens, "post", "/api/v1/model-runs", json={"folds": 2, "repeats": 1}) == expect(
        403, admin=201)
