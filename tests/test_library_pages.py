"""Learner pages of the library: browse, search, read, mark done, continue, locks, privacy, XSS."""

from html.parser import HTMLParser

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.library import Enrolment, LessonProgress
from app.services import library
from tests.factories import make_user
from tests.factories_library import make_certification, make_course


def test_library_lists_courses_by_tier_and_filters(client, login_as):
    """Published courses show under their tier; search and tag filter narrow the list."""
    make_course("spin", title="SPIN 提问", tags=["SPIN"])
    make_course("fab", title="FAB 价值", tags=["FAB"])
    make_course("hidden", title="Draft course", published=False)
    login_as("learner")
    page = client.get("/learn/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "SPIN 提问" in html and "FAB 价值" in html and "Draft course" not in html
    searched = client.get("/learn/?q=spin").get_data(as_text=True)
    assert 'data-slug="spin"' in searched and 'data-slug="fab"' not in searched
    tagged = client.get("/learn/?tag=FAB").get_data(as_text=True)
    assert 'data-slug="fab"' in tagged and 'data-slug="spin"' not in tagged


def test_unpublished_course_is_404_for_learners_but_visible_to_trainers(client, auth):
    """Learners cannot open an unpublished course; trainers can preview it."""
    make_course("draft", published=False)
    learner, trainer = make_user(), make_user(role="trainer")
    auth.login(learner)
    assert client.get("/learn/courses/draft").status_code == 404
    assert client.get("/learn/courses/draft/lessons/01-part").status_code == 404
    auth.logout()
    auth.login(trainer)
    assert client.get("/learn/courses/draft").status_code == 200


def test_reading_and_marking_done_moves_progress_and_completes(app, client, login_as, request):
    """Opening enrols; marking each lesson done moves progress; the last one completes the course."""
    from app import signals

    course = make_course("basics", lessons=2)
    user = login_as("learner")
    sent = []

    def on_lesson(sender, **fields):
        sent.append(("lesson", fields["course_slug"]))

    def on_course(sender, **fields):
        sent.append(("course", fields["course_slug"]))

    signals.lesson_completed.connect(on_lesson)
    signals.course_completed.connect(on_course)
    request.addfinalizer(lambda: (signals.lesson_completed.disconnect(on_lesson),
                                  signals.course_completed.disconnect(on_course)))

    assert client.get("/learn/courses/basics/lessons/01-part").status_code == 200
    enrolment = db.session.scalar(sa.select(Enrolment).where(Enrolment.user_id == user.id))
    assert enrolment is not None and enrolment.started_at is not None and enrolment.completed_at is None

    response = client.post("/learn/courses/basics/lessons/01-part/done", data={"next": "02-part"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/learn/courses/basics/lessons/02-part")
    assert "50 %" in client.get("/learn/courses/basics").get_data(as_text=True)

    response = client.post("/learn/courses/basics/lessons/02-part/done")
    assert response.headers["Location"].endswith("/learn/courses/basics")
    db.session.expire_all()
    enrolment = db.session.get(Enrolment, enrolment.id)
    if library.find_course_quiz("basics") is None:
        assert enrolment.completed_at is not None
        assert enrolment.completed_version_id == course.current_version_id
        assert ("course", "basics") in sent
    assert sent.count(("lesson", "basics")) == 2
    # Marking a lesson done twice is harmless: no second progress row, no second signal.
    client.post("/learn/courses/basics/lessons/02-part/done")
    assert db.session.scalar(sa.select(sa.func.count(LessonProgress.id))) == 2
    assert sent.count(("lesson", "basics")) == 2


def test_continue_goes_back_to_the_last_lesson(client, login_as):
    """Continue opens the last lesson opened, or the next unread one once it is read."""
    make_course("a", lessons=3)
    login_as("learner")
    response = client.get("/learn/continue")
    assert response.headers["Location"].endswith("/learn/")  # nothing in progress yet
    client.get("/learn/courses/a/lessons/02-part")
    assert client.get("/learn/continue").headers["Location"].endswith("/learn/courses/a/lessons/02-part")
    client.post("/learn/courses/a/lessons/02-part/done")
    assert client.get("/learn/continue").headers["Location"].endswith("/learn/courses/a/lessons/03-part")


def test_enrol_is_idempotent(client, login_as):
    """Enrolling twice keeps one enrolment."""
    make_course("a")
    user = login_as("learner")
    assert client.post("/learn/courses/a/enrol").status_code == 302
    client.post("/learn/courses/a/enrol")
    assert db.session.scalar(sa.select(sa.func.count(Enrolment.id)).where(Enrolment.user_id == user.id)) == 1


def test_next_tier_is_locked_until_the_milestones_are_reached(client, login_as):
    """A new hire sees core content locked; completing new-hire milestones unlocks it."""
    make_course("nh", tier="new_hire", lessons=1)
    make_course("core-course", tier="core", lessons=1)
    user = login_as("learner", tier="new_hire")
    html = client.get("/learn/").get_data(as_text=True)
    assert "Unlocks when the previous tier is complete" in html
    assert client.get("/learn/courses/core-course").status_code == 200  # summary is visible
    response = client.get("/learn/courses/core-course/lessons/01-part")
    assert response.status_code == 302 and response.headers["Location"].endswith("/learn/courses/core-course")
    assert client.post("/learn/courses/core-course/enrol").status_code == 302
    assert db.session.scalar(sa.select(Enrolment).where(Enrolment.user_id == user.id)) is None
    client.post("/learn/courses/nh/lessons/01-part/done")
    if library.find_course_quiz("nh") is None:
        assert client.get("/learn/courses/core-course/lessons/01-part").status_code == 200


def test_core_sellers_have_their_tier_open(client, login_as):
    """A user's own tier and those below are always open."""
    make_course("core-course", tier="core", lessons=1)
    login_as("learner", tier="core")
    assert client.get("/learn/courses/core-course/lessons/01-part").status_code == 200


def test_unknown_course_and_lesson_are_404(client, login_as):
    """Bad slugs and keys answer 404, not 500."""
    make_course("a")
    login_as("learner")
    assert client.get("/learn/courses/nope").status_code == 404
    assert client.get("/learn/courses/a/lessons/99-nope").status_code == 404
    assert client.post("/learn/courses/a/lessons/99-nope/done").status_code == 404


XSS_PAYLOADS = [
    "<script>alert('xss')</script>",
    "<img src=x onerror=alert(1)>",
    "<svg/onload=alert(1)>",
    "[click](javascript:alert(1))",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<iframe src=\"https://evil.example\"></iframe>",
    "<div style=\"background:url(javascript:alert(1))\" onclick=\"alert(1)\">d</div>",
    "<body onload=alert(1)>",
    "<math><mi xlink:href=\"javascript:alert(1)\">m</mi></math>",
    "<object data=\"javascript:alert(1)\"></object>",
    "<IMG SRC=\"jav&#x09;ascript:alert('XSS');\">",
    "<details open ontoggle=alert(1)>",
    "</textarea><script>alert(1)</script>",
]


class ActiveContent(HTMLParser):
    """Collect every tag, event-handler attribute and script URL of an HTML fragment."""

    def __init__(self):
        super().__init__()
        self.tags, self.handlers, self.script_urls = set(), [], []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        for name, value in attrs:
            if name.startswith("on"):
                self.handlers.append(name)
            compact = "".join((value or "").split()).lower()
            if name in ("href", "src", "data", "xlink:href", "action", "style") and (
                "javascript:" in compact or "vbscript:" in compact or "data:text/html" in compact
            ):
                self.script_urls.append(value)


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_xss_in_lessons_is_rendered_harmless(client, login_as, payload):
    """OWASP XSS payloads in a lesson body come out without scripts, handlers or js: URLs."""
    make_course("x", bodies=[f"Intro\n\n{payload}\n\nEnd"])
    login_as("learner")
    html = client.get("/learn/courses/x/lessons/01-part").get_data(as_text=True)
    body = html.split('data-testid="lesson-body"', 1)[1].split("<!-- /lesson-body -->", 1)[0]
    parsed = ActiveContent()
    parsed.feed(body)
    assert not parsed.tags & {"script", "iframe", "object", "embed", "svg", "math", "style", "body", "form"}, payload
    assert parsed.handlers == [] and parsed.script_urls == [], payload
    assert "End" in body


def test_learner_home_shows_path_chart_growth_and_certificates(client, login_as):
    """The home page carries the learner's path, progress chart, growth map and certificates."""
    make_course("a", lessons=2, title="Course A")
    make_course("b", tier="core", title="Course B")
    login_as("learner")
    client.post("/learn/courses/a/lessons/01-part/done")
    html = client.get("/home").get_data(as_text=True)
    assert 'data-testid="learn-home"' in html and "Course A" in html
    assert 'data-testid="continue-card"' in html
    assert 'data-chart="learn-progress"' in html and "learn-progress-data" in html
    assert 'data-tier="core" data-unlocked="no"' in html
    assert "<script>" not in html.split("learn-home", 1)[1]  # no inline script


def test_certificate_page_is_private(client, auth):
    """A learner sees their certificate; another learner gets 404; trainers may view it."""
    owner, other, trainer = make_user(name="Owner"), make_user(), make_user(role="trainer")
    cert = make_certification("spin", scenarios=[("s1", 0.5)])
    library.record_scenario_score(owner.id, "s1", 0.9)
    [award] = library.evaluate_certifications(owner.id)
    assert award.certification_id == cert.id
    auth.login(owner)
    page = client.get(f"/learn/certificates/{award.serial}")
    assert page.status_code == 200 and "Owner" in page.get_data(as_text=True)
    assert award.serial in client.get("/learn/certificates").get_data(as_text=True)
    auth.logout()
    auth.login(other)
    assert client.get(f"/learn/certificates/{award.serial}").status_code == 404
    assert client.get("/learn/certificates/RH-0000-NOPE").status_code == 404
    auth.logout()
    auth.login(trainer)
    assert client.get(f"/learn/certificates/{award.serial}").status_code == 200


def _bulk(courses: int, lessons: int, learners: int, user):
    """Create a library of the given size, with the user enrolled and partway through every course."""
    others = [make_user() for _ in range(learners)]
    for i in range(courses):
        tier = ("new_hire", "core", "manager")[i % 3]
        make_course(f"c{courses}-{i}", tier=tier, lessons=lessons, tags=[f"t{i}"], lang="en" if i % 2 else "zh")
        for person in [user, *others]:
            library.enrol(person, f"c{courses}-{i}", source="path")
            if tier == "new_hire":
                library.complete_lesson(person, f"c{courses}-{i}", "01-part")
    for i in range(2):
        make_certification(f"cert{courses}-{i}", quizzes=[(f"c{courses}-0", 0.5)], scenarios=[("s", 0.5)])


@pytest.mark.parametrize("path", ["/learn/", "/home", "/learn/growth", "/learn/courses/{first}",
                                  "/learn/courses/{first}/lessons/01-part"])
def test_pages_run_a_constant_number_of_queries(app, client, login_as, count_queries, path):
    """The same page costs the same number of queries for 3 courses or 12, 2 lessons or 6."""
    app.config["VIEW_CACHE_ENABLED"] = False  # count what rendering costs, not a cache hit
    user = login_as("learner", tier="core")
    _bulk(3, 2, 1, user)
    client.get(path.format(first="c3-0"))  # warm caches (first request, locale)
    db.session.expire_all()  # the test shares the session across requests: start each count cold
    with count_queries() as small:
        assert client.get(path.format(first="c3-0")).status_code == 200
    _bulk(12, 6, 4, user)
    db.session.expire_all()
    with count_queries() as large:
        assert client.get(path.format(first="c12-0")).status_code == 200
    assert large.count == small.count, "\n".join(
        ["small:"] + [s[:100] for s in small.statements] + ["large:"] + [s[:100] for s in large.statements]
    )


def test_a_racing_duplicate_enrolment_reuses_the_winners_row(app):
    """When two requests insert the same enrolment, the loser gets the winner's row, not an error."""
    course = make_course("a")
    user = make_user()
    first = library.enrol(user, "a")
    twin = Enrolment(user_id=user.id, course_id=course.id, version_id=course.current_version_id, source="self")
    assert library._insert_once(twin, lambda: library.find_enrolment(user.id, course.id)).id == first.id
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(Enrolment.id))) == 1


def test_language_filter(client, login_as):
    """The language filter keeps one language's courses."""
    make_course("zh-course", lang="zh")
    make_course("en-course", lang="en")
    login_as("learner")
    html = client.get("/learn/?lang=en").get_data(as_text=True)
    assert 'data-slug="en-course"' in html and 'data-slug="zh-course"' not in html


def test_start_my_path_enrols_on_the_tier_courses_in_my_language(client, login_as):
    """The home page button enrols a new hire on each new-hire course once, in their language."""
    make_course("basics", tier="new_hire", lang="zh")
    make_course("basics-en", tier="new_hire", lang="en")
    make_course("other", tier="new_hire", lang="zh")
    make_course("core-1", tier="core")
    user = login_as("learner", locale="en")
    assert 'data-testid="enrol-path"' in client.get("/home").get_data(as_text=True)
    response = client.post("/learn/path/enrol")
    assert response.status_code == 302 and response.headers["Location"].endswith("/home")
    slugs = set(db.session.scalars(sa.select(library.Course.slug).join(Enrolment, Enrolment.course_id == library.Course.id)
                                   .where(Enrolment.user_id == user.id)))
    assert slugs == {"basics-en", "other"}
    assert 'data-testid="enrol-path"' not in client.get("/home").get_data(as_text=True)
