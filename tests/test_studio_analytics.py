"""Scenario analytics: figures from plays made through the real engine, query count, access, escaping."""

import html
import json
import re
import statistics

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.ml import spin
from app.models.roleplay import Scenario, ScenarioVersion
from app.services import plays
from app.services.scenario_analytics import scenario_analytics, went_wrong
from tests.factories import make_user
from tests.factories_roleplay import BUDGET, play_through, sync_fixture_scenarios, use_small_corpus
from tests.factories_studio import publish_definition

# The budget scenario (tests/data/roleplay/scenarios): opening → probe (typed) → deepen/shallow → endings.
P_WON = [0, ("implication", "这会带来什么影响？"), 0]           # won, every dimension 1.0
P_PRICE_WAR = [1, 0]                                             # lost: -2 objection_handling, then price_war
P_LOST_LATE = [0, ("implication", "影响大吗？"), 1]              # lost at deepen: closing -1
P_SHALLOW = [0, ("other", "你们有几家店？"), 0]                   # next_meeting: discovery 0


@pytest.fixture(autouse=True)
def scenarios(app):
    """Fixture scenarios in the database; the classifier trains on the small corpus (typed lines use a fixed one)."""
    use_small_corpus(app)
    spin.forget_loaded()
    sync_fixture_scenarios()
    yield
    spin.forget_loaded()


def budget() -> Scenario:
    return db.session.scalar(sa.select(Scenario).where(Scenario.slug == BUDGET))


def play_the_four_paths():
    """Four finished plays, one abandoned and one still active (one step, a good first answer)."""
    for moves in (P_WON, P_PRICE_WAR, P_LOST_LATE, P_SHALLOW):
        play_through(make_user(), BUDGET, moves)
    learner = make_user()
    plays.start_play(learner, BUDGET)
    play_through(learner, BUDGET, [0], restart=True)  # abandons the first, the second stays active


def test_went_wrong_rule():
    """Lost points anywhere, or under half of what the node offered; no points offered means no rating."""
    assert went_wrong({"a": 2, "b": 1}, {"a": 2, "b": 1}) is False
    assert went_wrong({"a": 2, "b": -1}, {"a": 2, "b": 1}) is True
    assert went_wrong({"a": 1}, {"a": 2, "b": 1}) is True    # 1 < 1.5
    assert went_wrong({"a": 2}, {"a": 2, "b": 2}) is False   # exactly half is not wrong
    assert went_wrong({}, {"a": 2}) is True
    assert went_wrong({"a": -1}, {}) is None


def test_figures_match_hand_computed_values():
    """Counts, outcomes, facility, discrimination and per-node failure rates from real plays."""
    play_the_four_paths()
    report = scenario_analytics(budget())
    assert (report.plays, report.finished, report.abandoned, report.active, report.learners) == (6, 4, 1, 1, 5)
    assert report.completion_rate == pytest.approx(4 / 6)
    assert dict(report.outcomes) == {"won": 1, "lost": 2, "next_meeting": 1}
    assert [o for o, _ in report.outcomes] == ["won", "next_meeting", "lost"]
    assert report.won_rate == pytest.approx(0.25)
    # Overall scores: 1, 0, (1 + 1 + 0.5 + 0) / 4, (1 + 0 + 1 + 1) / 4.
    assert report.mean == pytest.approx((1 + 0 + 0.625 + 0.75) / 4)
    assert sum(report.histogram) == 4 and report.histogram[0] == 1 and report.histogram[9] == 1

    # Dimension scores per finished play (absent when the path offered no points in it).
    rows = [{"rapport": 1, "discovery": 1, "objection_handling": 1, "closing": 1},
            {"rapport": 0, "objection_handling": 0},
            {"rapport": 1, "discovery": 1, "objection_handling": 0.5, "closing": 0},
            {"rapport": 1, "discovery": 0, "objection_handling": 1, "closing": 1}]
    dims = {d.key: d for d in report.dimensions}
    assert list(dims) == ["rapport", "discovery", "objection_handling", "closing"]
    for key, dim in dims.items():
        marks = [r[key] for r in rows if key in r]
        rests = [sum(r.values()) - r[key] for r in rows if key in r]
        assert dim.count == len(marks)
        assert dim.facility == pytest.approx(sum(marks) / len(marks))
        assert dim.discrimination == pytest.approx(statistics.correlation(marks, rests))
    assert dims["rapport"].facility == pytest.approx(0.75)
    assert dims["objection_handling"].facility == pytest.approx(0.625)
    assert dims["rapport"].histogram == [1, 0, 0, 0, 3]

    nodes = {n.key: n for n in report.nodes}
    # opening: 5 answers (the active play's too), one lost points; 2 of the 4 finished plays through it were lost.
    assert (nodes["opening"].visits, nodes["opening"].rated, nodes["opening"].failures) == (5, 5, 1)
    assert nodes["opening"].fail_rate == pytest.approx(0.2)
    assert nodes["opening"].lost_rate == pytest.approx(0.5)
    # probe: the "other" line earned 0 of 2 points.
    assert (nodes["probe"].visits, nodes["probe"].failures) == (3, 1)
    assert nodes["probe"].lost_rate == pytest.approx(1 / 3)
    # deepen: "再考虑考虑" lost a closing point.
    assert (nodes["deepen"].visits, nodes["deepen"].failures, nodes["deepen"].fail_rate) == (2, 1, 0.5)
    assert nodes["deepen"].lost_rate == pytest.approx(0.5)
    assert (nodes["shallow"].fail_rate, nodes["shallow"].lost_rate) == (0.0, 0.0)
    # price_war offers no points: no failure rate, but every play through it was lost.
    assert nodes["price_war"].fail_rate is None and nodes["price_war"].lost_rate == 1.0
    assert [n.key for n in report.nodes] == ["deepen", "probe", "opening", "shallow", "price_war"]

    opening = {a.text: a for a in nodes["opening"].answers}
    assert opening["我们可以打八折。"].count == 1 and opening["我们可以打八折。"].wrong is True
    assert opening["理解，预算确实紧。今年的预算主要投在哪些方面？"].count == 4
    assert opening["理解，预算确实紧。今年的预算主要投在哪些方面？"].share == pytest.approx(0.8)
    probe = {a.text: a.count for a in nodes["probe"].answers}
    assert probe["implication"] == 2 and probe["other"] == 1 and probe["problem"] == 0
    assert report.node_stats()["deepen"]["fail_rate"] == 0.5


def test_version_filter():
    """A version filter keeps that version's plays; an unknown version is a 404."""
    play_the_four_paths()
    report = scenario_analytics(budget(), version=1)
    assert report.plays == 6 and report.versions == [(1, 6)]
    from app.services.errors import NotFound

    with pytest.raises(NotFound):
        scenario_analytics(budget(), version=9)


@pytest.mark.parametrize("n", [3, 30])
def test_constant_number_of_queries(count_queries, n):
    """The service runs the same four SELECTs for 3 and for 30 plays."""
    for i in range(n):
        play_through(make_user(), BUDGET, (P_WON, P_PRICE_WAR, P_SHALLOW)[i % 3])
    db.session.expire_all()
    scenario = budget()
    with count_queries() as q:
        report = scenario_analytics(scenario)
    assert report.plays == n
    assert q.count == 4  # versions, plays per version, plays, steps (the caller reads the scenario)


def test_page_queries_do_not_grow(app, client, login_as, count_queries):
    """The page's own statement count is the same for 3 plays and for 30."""
    login_as("trainer")
    counts = []
    for n in (3, 27):
        for i in range(n):
            play_through(make_user(), BUDGET, (P_WON, P_PRICE_WAR, P_SHALLOW)[i % 3])
        with count_queries() as q:
            assert client.get(f"/studio/{BUDGET}/analytics").status_code == 200
        counts.append(q.count)
    assert counts[0] == counts[1]


@pytest.mark.parametrize("role, status", [("learner", 403), ("mentor", 403), ("trainer", 200), ("admin", 200)])
def test_access(client, login_as, role, status):
    """Trainers and admins see analytics; learners and mentors are refused."""
    login_as(role)
    assert client.get(f"/studio/{BUDGET}/analytics").status_code == status


def test_anonymous_and_unknown(client, login_as):
    """Visitors are sent to sign in; an unknown scenario or version is a 404."""
    assert "/auth/login" in client.get(f"/studio/{BUDGET}/analytics").headers["Location"]
    login_as("trainer")
    assert client.get("/studio/nope/analytics").status_code == 404
    assert client.get(f"/studio/{BUDGET}/analytics?version=7").status_code == 404


def test_page_shows_the_figures(client, login_as):
    """The page lists the nodes in failure order and carries the chart and graph data."""
    play_the_four_paths()
    login_as("trainer")
    page = client.get(f"/studio/{BUDGET}/analytics").get_data(as_text=True)
    keys = re.findall(r'<tr data-node="([^"]+)"', page)
    assert keys == ["deepen", "probe", "opening", "shallow", "price_war"]
    assert 'data-testid="stat-plays">6<' in page and 'data-testid="stat-finished">4<' in page
    chart = json.loads(re.search(r'id="studio-analytics-data">(.*?)</script>', page, re.S).group(1))
    assert chart["outcomes"]["counts"] == [1, 1, 2]
    graph = json.loads(re.search(r'id="analytics-graph-data">(.*?)</script>', page, re.S).group(1))
    assert {n["id"]: n["fail_rate"] for n in graph["nodes"]}["deepen"] == 0.5
    empty = client.get("/studio/spin-discovery-en/analytics").get_data(as_text=True)
    assert 'data-testid="no-plays"' in empty


XSS = '<img src=x onerror=alert(1)>'
BREAKOUT = '</script><script>alert(2)</script>'


def test_payloads_are_escaped(client, login_as):
    """Choice text, node keys and titles with markup come out escaped, in the HTML and in the JSON blocks."""
    scenario = db.session.scalar(sa.select(Scenario).where(Scenario.slug == BUDGET))
    definition = db.session.scalar(sa.select(ScenarioVersion.definition).where(
        ScenarioVersion.scenario_id == scenario.id))
    nodes = definition["nodes"]
    bad_key = f"n{XSS}"
    nodes[bad_key] = nodes.pop("deepen")
    nodes["probe"]["free_text"]["routes"] = {k: bad_key if v == "deepen" else v
                                             for k, v in nodes["probe"]["free_text"]["routes"].items()}
    nodes[bad_key]["choices"][0]["text"] = BREAKOUT + XSS
    nodes["opening"]["customer"] = XSS
    publish_definition(definition, slug="xss-case", title=f"T{XSS}{BREAKOUT}")
    play_through(make_user(), "xss-case", P_WON)
    login_as("trainer")
    response = client.get("/studio/xss-case/analytics")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert XSS not in page and BREAKOUT not in page
    assert "alert(2)</script>" not in page
    assert html.escape(XSS, quote=True) in page or "&lt;img src=x onerror=alert(1)&gt;" in page
    blocks = re.findall(r'<script type="application/json" id="([^"]+)">(.*?)</script>', page, re.S)
    assert {name for name, _ in blocks} >= {"studio-analytics-data", "analytics-graph-data"}
    graph = json.loads(dict(blocks)["analytics-graph-data"])
    assert bad_key in {n["id"] for n in graph["nodes"]}  # the data is intact once parsed
