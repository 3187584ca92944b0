"""What the API operations return: pagination, filters, results, assignments, deal import, model runs, errors."""

import io
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.deals import Deal, ModelRun
from app.models.mentoring import Assignment, InboxMessage
from tests.factories import make_pairing, make_team, make_user
from tests.factories_api import bearer, give_records, make_model_run, make_token
from tests.factories_insights import import_generated
from tests.factories_mentor import make_assignment, make_course_target


@pytest.fixture
def admin_token(app):
    """An admin's token."""
    return make_token(make_user("admin"))


def get(client, token, path, **kwargs):
    """GET with a token; return the response."""
    return client.get(path, headers=bearer(token), **kwargs)


def assert_error(response, status: int, field: str | None = None):
    """Assert the stable error shape, and that a detail names ``field`` when given."""
    assert response.status_code == status, response.json
    error = response.json["error"]
    assert error["code"] == status and isinstance(error["message"], str) and error["message"]
    if field is not None:
        assert field in [d.get("field") for d in error["details"]], error
    return error


# --- pagination -------------------------------------------------------------------------


def test_pages_walk_through_a_list(client, admin_token):
    """per_page bounds a page; next links to the following page and is null on the last."""
    for n in range(5):
        make_team(f"Team {n}")
    first = get(client, admin_token, "/api/v1/teams?per_page=2").json
    assert [t["name"] for t in first["items"]] == ["Team 0", "Team 1"]
    assert (first["page"], first["per_page"], first["total"]) == (1, 2, 5)
    assert first["next"].startswith("http://") and "page=2" in first["next"] and "per_page=2" in first["next"]
    second = get(client, admin_token, first["next"]).json
    third = get(client, admin_token, second["next"]).json
    assert [t["name"] for t in third["items"]] == ["Team 4"] and third["next"] is None
    beyond = get(client, admin_token, "/api/v1/teams?page=9&per_page=2").json
    assert beyond["items"] == [] and beyond["next"] is None and beyond["total"] == 5


def test_next_keeps_the_filters(client, admin_token):
    """Filters travel in the next link, booleans as true/false."""
    for _ in range(3):
        make_user("learner")
    page = get(client, admin_token, "/api/v1/users?role=learner&active=true&per_page=1").json
    assert page["total"] == 3 and all(u["role"] == "learner" for u in page["items"])
    assert "role=learner" in page["next"] and "active=true" in page["next"]
    assert get(client, admin_token, page["next"]).json["page"] == 2
    assert get(client, admin_token, "/api/v1/users?active=false").json["total"] == 0


@pytest.mark.parametrize("query, field", [
    ("per_page=101", "per_page"), ("per_page=0", "per_page"), ("page=0", "page"), ("page=abc", "page"),
    ("role=wizard", "role"), ("team_id=-3", "team_id"), ("team_id=99999999999", "team_id"), ("colour=red", "colour"),
])
def test_bad_query_parameters_are_400_with_the_field(client, admin_token, query, field):
    """Out-of-range, mistyped and unknown query parameters are 400 naming the parameter."""
    error = assert_error(get(client, admin_token, f"/api/v1/users?{query}"), 400, field)
    assert error["details"][0]["location"] == "query"


# --- error shapes ------------------------------------------------------------------------


def test_unknown_paths_and_methods_answer_json(client, admin_token):
    """404 and 405 under /api/ have the error shape; an out-of-range id is a plain 404."""
    assert_error(get(client, admin_token, "/api/v1/nothing-here"), 404)
    assert_error(get(client, admin_token, "/api/v1/users/99999999999"), 404)
    assert_error(client.delete("/api/v1/teams", headers=bearer(admin_token)), 405)


def test_bodies_are_checked(client, app):
    """Bad JSON, wrong media type, wrong types and unknown fields are 400/415 with details."""
    mentor = make_user("mentor")
    token = make_token(mentor)
    headers = bearer(token)
    assert_error(client.post("/api/v1/assignments", data="{not json", headers=headers,
                             content_type="application/json"), 400)
    assert_error(client.post("/api/v1/assignments", data="kind=course", headers=headers,
                             content_type="application/x-www-form-urlencoded"), 415)
    assert_error(client.post("/api/v1/assignments", json={"kind": "course"}, headers=headers), 400, "mentee_ids")
    body = {"mentee_ids": ["1"], "kind": "course", "target_key": "x", "due_on": "2030-01-01", "extra": 1}
    error = assert_error(client.post("/api/v1/assignments", json=body, headers=headers), 400)
    assert {"mentee_ids.0", "extra"} <= {d["field"] for d in error["details"]}
    assert_error(client.post("/api/v1/assignments", json=[1, 2], headers=headers), 400)


# --- people and progress -------------------------------------------------------------


def test_user_records_have_no_secrets(client, admin_token):
    """A user's record names team and role, never password material."""
    team = make_team("East")
    user = make_user("mentor", team=team)
    record = get(client, admin_token, f"/api/v1/users/{user.id}").json
    assert record["team"] == {"id": team.id, "name": "East"} and record["role"] == "mentor"
    assert not any("password" in key for key in record)


def test_a_learner_reads_their_own_progress(client, app):
    """Enrolments, attempts and plays read back with their results."""
    learner = make_user()
    records = give_records(learner)
    token = make_token(learner)
    enrolments = get(client, token, f"/api/v1/users/{learner.id}/enrolments").json
    assert enrolments["total"] == 1
    enrolment = enrolments["items"][0]
    assert enrolment["course"]["slug"] == records["course"] and enrolment["lessons_total"] == 2
    assert get(client, token, f"/api/v1/users/{learner.id}/enrolments?status=completed").json["total"] == 0
    progress = get(client, token, f"/api/v1/users/{learner.id}/progress").json
    assert progress["courses_enrolled"] == 1 and progress["lessons_total"] == 2
    assert set(progress["assignments"]) == {"not_started", "in_progress", "overdue", "done"}
    attempts = get(client, token, f"/api/v1/users/{learner.id}/quiz-attempts").json["items"]
    assert [a["id"] for a in attempts] == [records["attempt"]]
    attempt = get(client, token, f"/api/v1/quiz-attempts/{records['attempt']}").json
    assert attempt["state"] in ("finished", "needs_grading") and attempt["items"]
    assert all(0 <= (i["fraction"] or 0) <= 1 for i in attempt["items"])
    play = get(client, token, f"/api/v1/plays/{records['play']}").json
    assert play["status"] == "finished" and play["scenario"]["slug"] == "budget-objection-smb"
    assert len(play["steps"]) == play["step_count"] == 2
    plays = get(client, token, f"/api/v1/users/{learner.id}/plays?scenario=budget-objection-smb&status=finished")
    assert plays.json["total"] == 1
    assert get(client, token, f"/api/v1/users/{learner.id}/plays?scenario=other").json["total"] == 0


# --- assignments -------------------------------------------------------------------------


def test_a_mentor_assigns_through_the_api(client, app):
    """POST creates one assignment per mentee, each told in their inbox; the list shows them."""
    mentor, first, second = make_user("mentor"), make_user(), make_user()
    make_pairing(mentor, first)
    make_pairing(mentor, second)
    make_course_target(slug="spin-basics-api", title="SPIN basics")
    token = make_token(mentor)
    due = (date.today() + timedelta(days=10)).isoformat()
    response = client.post("/api/v1/assignments", headers=bearer(token), json={
        "mentee_ids": [first.id, second.id], "kind": "course", "target_key": "spin-basics-api", "due_on": due})
    assert response.status_code == 201
    items = response.json["items"]
    assert {i["assignee_id"] for i in items} == {first.id, second.id}
    assert all(i["status"] == "not_started" and i["due_on"] == due for i in items)
    assert db.session.scalar(sa.select(sa.func.count(Assignment.id))) == 2
    assert db.session.scalar(sa.select(sa.func.count(InboxMessage.id))) == 2
    listed = get(client, token, f"/api/v1/assignments?assignee_id={first.id}").json
    assert [a["assignee_id"] for a in listed["items"]] == [first.id]


def test_assignment_rules_are_422_with_the_field(client, app):
    """A past due date or an unknown target is 422 naming the field; nothing is created."""
    mentor, mentee = make_user("mentor"), make_user()
    make_pairing(mentor, mentee)
    make_course_target(slug="real-course")
    token = make_token(mentor)
    base = {"mentee_ids": [mentee.id], "kind": "course", "target_key": "real-course"}
    past = (date.today() - timedelta(days=2)).isoformat()
    assert_error(client.post("/api/v1/assignments", headers=bearer(token), json={**base, "due_on": past}),
                 422, "due_on")
    future = (date.today() + timedelta(days=2)).isoformat()
    assert_error(client.post("/api/v1/assignments", headers=bearer(token),
                             json={**base, "target_key": "no-such-course", "due_on": future}), 422, "target")
    assert db.session.scalar(sa.select(sa.func.count(Assignment.id))) == 0


def test_overdue_is_derived_and_filterable(client, app):
    """An open assignment past its due day reads as overdue and filters as overdue."""
    mentor, mentee = make_user("mentor"), make_user()
    make_pairing(mentor, mentee)
    late = make_assignment(mentor, mentee, due_on=date.today() - timedelta(days=3))
    make_assignment(mentor, mentee, key="other", due_on=date.today() + timedelta(days=3))
    token = make_token(mentee)
    overdue = get(client, token, "/api/v1/assignments?status=overdue").json["items"]
    assert [(a["id"], a["status"]) for a in overdue] == [(late.id, "overdue")]
    assert get(client, token, "/api/v1/assignments?status=not_started").json["total"] == 1


# --- deals -----------------------------------------------------------------------------


def test_json_rows_import_like_the_csv(client, admin_token):
    """JSON rows go through the CSV validation; a dry run writes nothing; a real one stores the deals."""
    rows = [{"deal_id": "D-1", "outcome": "Closed Won", "amount": 1200, "demos": 2},
            {"deal_id": "D-2", "outcome": "lost", "demos": 0, "lead_grade": "B"}]
    dry = client.post("/api/v1/deals/import", headers=bearer(admin_token), json={"rows": rows, "dry_run": True})
    assert dry.status_code == 200 and dry.json["dry_run"] and dry.json["created"] == 2
    assert db.session.scalar(sa.select(sa.func.count(Deal.id))) == 0
    done = client.post("/api/v1/deals/import", headers=bearer(admin_token), json={"rows": rows})
    assert done.status_code == 200 and (done.json["won"], done.json["lost"]) == (1, 1)
    assert done.json["behaviours"] == ["demos"]
    deal = db.session.scalar(sa.select(Deal).where(Deal.deal_id == "D-1"))
    assert deal.outcome == "won" and deal.amount == 1200 and deal.behaviours == {"demos": 2.0}


def test_bad_rows_import_nothing_and_are_listed_by_row(client, admin_token):
    """Every bad row is reported with its number (from 1); nothing is imported."""
    rows = [{"deal_id": "D-1", "outcome": "won", "demos": 1},
            {"deal_id": "D-2", "outcome": "won", "demos": -4},
            {"deal_id": "D-1", "outcome": "7", "demos": 1}]
    error = assert_error(client.post("/api/v1/deals/import", headers=bearer(admin_token), json={"rows": rows}), 422)
    rows_named = sorted({d["row"] for d in error["details"]})
    assert rows_named == [2, 3]
    assert db.session.scalar(sa.select(sa.func.count(Deal.id))) == 0
    missing = assert_error(client.post("/api/v1/deals/import", headers=bearer(admin_token),
                                       json={"rows": [{"outcome": "won"}]}), 422)
    assert "deal_id" in missing["details"][0]["message"] and "row" not in missing["details"][0]


def test_json_activities_are_counted_before_the_close(client, admin_token):
    """Activities become behaviour counts, only before each deal's close."""
    body = {"rows": [{"deal_id": "D-1", "outcome": "won", "closed_at": "2026-03-01"}],
            "activities": [{"deal_id": "D-1", "activity": "demo", "occurred_at": "2026-02-01"},
                           {"deal_id": "D-1", "activity": "demo", "occurred_at": "2026-03-05"}]}
    response = client.post("/api/v1/deals/import", headers=bearer(admin_token), json=body)
    assert response.status_code == 200 and response.json["activities"] == 2
    assert db.session.scalar(sa.select(Deal.behaviours)) == {"demo": 1.0}


def test_csv_upload_imports_and_reports_lines(client, admin_token):
    """A multipart upload imports deals.csv; a bad file is 422 with file and line; no file is 400."""
    good = b"deal_id,outcome,visits\nA-1,won,3\nA-2,lost,1\n"
    response = client.post("/api/v1/deals/import", headers=bearer(admin_token),
                           data={"deals": (io.BytesIO(good), "deals.csv")}, content_type="multipart/form-data")
    assert response.status_code == 200 and response.json["total"] == 2 and response.json["source"] == "deals.csv"
    bad = b"deal_id,outcome,visits\nB-1,won,3\nB-2,lost,2\nB-3,7,x\n"
    error = assert_error(client.post("/api/v1/deals/import", headers=bearer(admin_token),
                                     data={"deals": (io.BytesIO(bad), "crm.csv")},
                                     content_type="multipart/form-data"), 422)
    assert {(d["file"], d["line"]) for d in error["details"]} == {("crm.csv", 4)} and len(error["details"]) == 2
    assert db.session.scalar(sa.select(sa.func.count(Deal.id))) == 2
    assert_error(client.post("/api/v1/deals/import", headers=bearer(admin_token), data={"dry_run": "true"},
                             content_type="multipart/form-data"), 400, "deals")


# --- model runs -------------------------------------------------------------------------


def test_model_runs_list_and_read(client, admin_token):
    """Runs list newest first; one run returns the §6 result."""
    older, newer = make_model_run(), make_model_run(n_deals=50)
    page = get(client, admin_token, "/api/v1/model-runs").json
    assert [r["id"] for r in page["items"]] == [newer.id, older.id]
    detail = get(client, admin_token, f"/api/v1/model-runs/{older.id}").json
    assert detail["result"]["behaviours"][0]["name"] == "demos" and detail["metrics"]["cv_auc"] == 0.71


@pytest.mark.slow
def test_starting_a_run_fits_the_model(client, admin_token):
    """POST fits on the imported deals and answers 201 with the run and its Location."""
    import_generated(n=200, seed=3)
    response = client.post("/api/v1/model-runs", headers=bearer(admin_token), json={"folds": 3, "repeats": 1})
    assert response.status_code == 201, response.json
    run = db.session.get(ModelRun, response.json["id"])
    assert response.headers["Location"].endswith(f"/api/v1/model-runs/{run.id}")
    assert response.json["result"]["n_deals"] == run.n_deals > 0
    assert_error(client.post("/api/v1/model-runs", headers=bearer(admin_token), json={"folds": 1}), 400, "folds")
