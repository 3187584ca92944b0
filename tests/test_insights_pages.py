"""The deal-insights pages: who may enter, upload, fit, runs, compare, sellers, recommendations."""

import io

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.deals import Deal, ModelRun, RecommendationDecision
from tests.factories import make_pairing, make_user
from tests.factories_insights import import_generated, make_course, make_run

DEALS = b"deal_id,outcome,owner_email,demos\nA,won,,2\nB,lost,,0\nC,open,,1\n"


@pytest.mark.parametrize("role, status", [("learner", 403), ("mentor", 403), ("trainer", 200), ("admin", 200)])
def test_ranking_page_is_for_trainers_and_admins(client, login_as, role, status):
    """Learners and mentors are refused; trainers and admins see the (empty) page."""
    login_as(role)
    response = client.get("/insights/")
    assert response.status_code == status
    if status == 200:
        assert b'data-testid="no-run"' in response.data


@pytest.mark.parametrize("role, status", [("trainer", 403), ("admin", 200)])
def test_only_admins_import(client, login_as, role, status):
    """The upload page is for admins only."""
    login_as(role)
    assert client.get("/insights/import").status_code == status


def upload(client, data=DEALS, name="deals.csv", dry_run=False, activities=None):
    """Post the import form."""
    form = {"deals": (io.BytesIO(data), name)}
    if dry_run:
        form["dry_run"] = "y"
    if activities is not None:
        form["activities"] = (io.BytesIO(activities), "activities.csv")
    return client.post("/insights/import", data=form, content_type="multipart/form-data")


def test_upload_imports_and_redirects(client, login_as):
    """A valid upload stores the deals and redirects (Post/Redirect/Get)."""
    login_as("admin")
    response = upload(client)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/insights/import")
    assert db.session.scalar(sa.select(sa.func.count(Deal.id))) == 3


def test_upload_with_activities(client, login_as):
    """Activities uploaded beside the deals become behaviour counts."""
    login_as("admin")
    response = upload(client, activities=b"deal_id,activity,occurred_at\nA,visits,2026-01-01\n")
    assert response.status_code == 302
    assert db.session.scalar(sa.select(Deal).where(Deal.deal_id == "A")).behaviours["visits"] == 1.0


def test_bad_upload_lists_problems_and_imports_nothing(client, login_as):
    """Every FILE:LINE problem is shown with a 400, and nothing is stored."""
    login_as("admin")
    response = upload(client, DEALS + b"D,7,,x\n", name="crm.csv")
    assert response.status_code == 400
    assert b"crm.csv:5: outcome" in response.data
    assert b"crm.csv:5: demos" in response.data
    assert db.session.scalar(sa.select(sa.func.count(Deal.id))) == 0


def test_dry_run_upload_reports_and_stores_nothing(client, login_as):
    """A dry run shows what would be imported."""
    login_as("admin")
    response = upload(client, dry_run=True)
    assert response.status_code == 200
    assert b'data-testid="dry-run"' in response.data
    assert db.session.scalar(sa.select(sa.func.count(Deal.id))) == 0


def test_upload_refuses_other_file_types(client, login_as):
    """Only CSV-like files are accepted."""
    login_as("admin")
    assert upload(client, name="deals.xlsx").status_code == 400


def test_admin_fits_a_run_and_sees_the_ranking(client, login_as):
    """Fitting from the page saves a run; its page shows metrics, caveat, sentences and leakage."""
    admin = login_as("admin")
    import_generated(300, seed=11)
    response = client.post("/insights/runs/new")
    assert response.status_code == 302
    run = db.session.scalar(sa.select(ModelRun))
    assert response.headers["Location"].endswith(f"/insights/runs/{run.id}")
    assert run.created_by_id == admin.id
    page = client.get(f"/insights/runs/{run.id}").get_data(as_text=True)
    assert 'data-testid="caveat"' in page and 'data-testid="leakage"' in page
    assert 'id="ranking-data"' in page
    assert "Deals with “Needs-confirmation call” closed" in page
    assert "“Product demos” and “Customer visits” are strongly correlated" in page
    assert client.get("/insights/").status_code == 200


def test_trainers_cannot_fit(client, login_as):
    """Fitting is an admin action."""
    login_as("trainer")
    assert client.post("/insights/runs/new").status_code == 403


def test_missing_run_is_404(client, login_as):
    """An unknown run id answers 404."""
    login_as("trainer")
    assert client.get("/insights/runs/999").status_code == 404


def test_runs_list_and_compare(client, login_as):
    """Two runs are listed and compared behaviour by behaviour."""
    login_as("trainer")
    import_generated(200, seed=12)
    first, second = make_run(), make_run(C=0.1)
    listing = client.get("/insights/runs")
    assert listing.status_code == 200 and f"#{second.id}".encode() in listing.data
    response = client.get(f"/insights/compare?a={first.id}&b={second.id}")
    assert response.status_code == 200
    assert b'data-testid="compare"' in response.data and b'id="compare-data"' in response.data
    same = client.get(f"/insights/compare?a={first.id}&b={first.id}")
    assert same.status_code == 302 and same.headers["Location"].endswith("/insights/runs")
    assert client.get(f"/insights/compare?a={first.id}&b=999").status_code == 404


@pytest.fixture
def coached(app):
    """A mentor whose mentee does few needs-confirmation calls; better sellers; a course; a run."""
    mentor = make_user(role="mentor", name="Mentor M")
    mentee = make_user(name="Weak Seller", email="weak@example.com")
    strong = [make_user(name=f"Strong {i}", email=f"strong{i}@example.com") for i in range(3)]
    make_pairing(mentor, mentee)
    import_generated(500, seed=13, owners=(mentee, *strong), skill={"weak@example.com": 0.25})
    course = make_course("confirm-needs", ["needs_confirmation_call"], title="Confirming needs")
    run = make_run(n_splits=5, n_repeats=2)  # recommendations need intervals clear of zero
    return mentor, mentee, course, run


def test_mentor_sees_and_accepts_a_recommendation(client, auth, coached):
    """The mentor's home shows the recommendation; one click assigns the course."""
    from app.models.mentoring import Assignment

    mentor, mentee, course, _ = coached
    auth.login(mentor)
    home = client.get("/home").get_data(as_text=True)
    assert "Recommended for your mentees" in home and "Confirming needs" in home
    response = client.post("/insights/recommendations/decide", data={
        "mentee_id": mentee.id, "behaviour": "needs_confirmation_call", "kind": "course", "key": course.slug,
        "accept": "1", "next": "home"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/home")
    assignment = db.session.scalar(sa.select(Assignment))
    assert (assignment.assignee_id, assignment.kind, assignment.target_key) == (mentee.id, "course", course.slug)
    assert "Needs-confirmation call" in assignment.message
    decision = db.session.scalar(sa.select(RecommendationDecision))
    assert (decision.decision, decision.decided_by_id) == ("accepted", mentor.id)
    assert b'data-testid="recommendation"' not in client.get("/insights/recommendations").data


def test_mentor_dismisses_a_recommendation(client, auth, coached):
    """A dismissed recommendation is not offered again, and nothing is assigned."""
    mentor, mentee, course, _ = coached
    auth.login(mentor)
    assert b"Confirming needs" in client.get("/insights/recommendations").data
    response = client.post("/insights/recommendations/decide", data={
        "mentee_id": mentee.id, "behaviour": "needs_confirmation_call", "kind": "course", "key": course.slug,
        "dismiss": "1"})
    assert response.status_code == 302
    assert db.session.scalar(sa.select(RecommendationDecision.decision)) == "dismissed"
    assert b'data-testid="recommendation"' not in client.get("/insights/recommendations").data


def test_another_mentor_cannot_act_on_the_mentee(client, login_as, coached):
    """A mentor who is not the mentee's gets 404 and nothing changes."""
    _, mentee, course, _ = coached
    login_as("mentor")
    response = client.post("/insights/recommendations/decide", data={
        "mentee_id": mentee.id, "behaviour": "needs_confirmation_call", "kind": "course", "key": course.slug,
        "accept": "1"})
    assert response.status_code == 404
    assert db.session.scalar(sa.select(sa.func.count(RecommendationDecision.id))) == 0


def test_sellers_page_shows_win_rates_and_gaps(client, login_as, coached):
    """Training beside outcomes lists each seller with deals, and the weak seller's gap."""
    login_as("trainer")
    page = client.get("/insights/sellers").get_data(as_text=True)
    assert 'data-seller="weak@example.com"' in page and 'data-seller="strong0@example.com"' in page
    weak_row = page.split('data-seller="weak@example.com"')[1].split("</tr>")[0]
    assert "Needs-confirmation call" in weak_row


def test_runs_on_other_files_do_not_drive_recommendations(app, coached):
    """A newer run on a --csv file leaves recommendations on the imported-deals run."""
    from app.content.deals_csv import parse_deals
    from app.services.deal_coaching import recommendations_for
    from app.services.deals import fit_run

    mentor, _, _, run = coached
    before = recommendations_for(mentor)
    fit_run(parse_deals("deal_id,outcome,calls\n" + "".join(f"X{i},{i % 2},{i % 3}\n" for i in range(40))),
            n_splits=3, n_repeats=1)
    assert before and recommendations_for(mentor) == before


def test_recommendations_read_stored_gaps_in_few_queries(app, count_queries, coached):
    """A mentor's recommendations do not re-read every deal: gaps are stored with the run."""
    from app.services.deal_coaching import recommendations_for

    mentor, mentee, _, run = coached
    assert str(mentee.id) in run.params["seller_gaps"]
    with count_queries() as q:
        recs = recommendations_for(mentor)
    assert recs and q.count <= 8
    assert not any("FROM deal " in s or "FROM deal\n" in s for s in q.statements)
