"""Fifty learners at once over real HTTP: quiz attempts and role-play steps are stored exactly once.

Each learner is a thread with its own HTTP session (cookie jar) against a threaded
server running the test app with CSRF on; tokens are read from the pages as a
browser would. Double clicks are two requests released by a barrier at the same
moment. Scores are compared with the same answers given single-threaded through
the services.
"""

import re
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import sqlalchemy as sa

from app.extensions import db
from app.ml import spin
from app.models.quiz import Attempt, AttemptItem, Question
from app.models.roleplay import Play, PlayStep
from app.services import plays, quiz_attempts
from tests.factories import PASSWORD, make_user
from tests.factories_quiz import make_quiz
from tests.factories_roleplay import BUDGET, sync_fixture_scenarios, use_small_corpus

pytestmark = pytest.mark.slow

LEARNERS = 50
TIMEOUT = 60

RACE_GIFT = """
::A::Which question type makes a problem feel urgent?{~Situation =Implication ~Need-payoff}

::B::What does the S in SPIN stand for?{=Situation ~Sales ~Strategy}

::C::Discounting early is a good habit.{F}

::D::Which question asks about difficulties?{~Situation =Problem ~Implication}
"""

#: Role-play moves: ints are choices, strings typed lines (classified by the small corpus model).
PLAY_PATTERNS = [[1, 0], [0, "这会带来什么影响？", 0], [0, "你们有多少家店？", 0]]
QUIZ_PATTERNS = 5  # pattern p answers the first p questions right, the others wrong


class Traffic:
    """Every status code seen, from all threads."""

    def __init__(self):
        self.codes: Counter = Counter()
        self.failures: list[str] = []
        self._lock = threading.Lock()

    def note(self, response: requests.Response) -> requests.Response:
        """Count a response; remember the first lines of any 5xx."""
        with self._lock:
            self.codes[response.status_code] += 1
            if response.status_code >= 500:
                self.failures.append(f"{response.request.method} {response.url}: {response.text[:300]}")
        return response


def form_fields(html: str) -> list[dict]:
    """Return the attributes of every <input> of a page."""
    return [dict(re.findall(r'([\w-]+)="([^"]*)"', tag)) for tag in re.findall(r"<input[^>]*>", html)]


def csrf_token(html: str) -> str:
    """Return the CSRF token of the first form of a page."""
    return next(f["value"] for f in form_fields(html) if f.get("name") == "csrf_token")


class Learner:
    """One learner's browser: a cookie jar, and copies of it for double clicks."""

    def __init__(self, base: str, traffic: Traffic, email: str):
        self.base, self.traffic, self.email = base, traffic, email
        self.http = requests.Session()
        self.csrf = ""

    def get(self, path: str, http=None) -> requests.Response:
        """GET a page (redirects not followed)."""
        return self.traffic.note((http or self.http).get(self.base + path, allow_redirects=False, timeout=TIMEOUT))

    def post(self, path: str, data: dict, http=None) -> requests.Response:
        """POST a form with the session's CSRF token (redirects not followed)."""
        return self.traffic.note((http or self.http).post(
            self.base + path, data={"csrf_token": self.csrf, **data}, allow_redirects=False, timeout=TIMEOUT))

    def together(self, *forms: tuple[str, dict]) -> list[requests.Response]:
        """Send forms from copies of the browser at the same moment (double clicks, two tabs)."""
        barrier = threading.Barrier(len(forms))

        def send(form):
            copy = requests.Session()
            copy.cookies.update(self.http.cookies)
            barrier.wait(timeout=TIMEOUT)
            return self.post(*form, http=copy)

        with ThreadPoolExecutor(len(forms)) as pool:
            return list(pool.map(send, forms))

    def twice(self, path: str, data: dict) -> list[requests.Response]:
        """Send the same form twice at the same moment (a double click)."""
        return self.together((path, data), (path, data))

    def sign_in(self) -> None:
        """Sign in through the form."""
        self.csrf = csrf_token(self.get("/auth/login").text)
        response = self.post("/auth/login", {"email": self.email, "password": PASSWORD})
        assert response.status_code == 302, response.text[:300]

    def take_quiz(self, quiz_id: int, picks: set[int]) -> int:
        """Start (double click), save answers, then submit twice while another tab saves other answers."""
        starts = self.twice(f"/quiz/{quiz_id}/start", {})
        locations = {r.headers.get("Location") for r in starts}
        assert len(locations) == 1 and all(r.status_code == 302 for r in starts), [r.status_code for r in starts]
        path = locations.pop()
        attempt_id = int(re.search(r"/quiz/attempt/(\d+)$", path).group(1))
        page = self.get(path)
        assert page.status_code == 200
        fields = form_fields(page.text)
        token = next(f["value"] for f in fields if f.get("name") == "token")
        answers = {f["name"]: f["value"] for f in fields if f.get("type") == "radio" and int(f["value"]) in picks}
        assert len(answers) == 4, answers
        saved = self.post(path, {"action": "save", "token": token, **answers})
        assert saved.status_code == 302 and saved.headers["Location"].endswith(path)
        others = {f["name"]: f["value"] for f in fields if f.get("type") == "radio" and f["name"] in answers
                  and f["value"] != answers[f["name"]]}
        submit = (path, {"action": "submit", "token": token, **answers})
        *submits, late_save = self.together(submit, submit, (path, {"action": "save", "token": token, **others}))
        assert late_save.status_code == 302
        assert all(r.status_code == 302 and r.headers["Location"].endswith(f"/quiz/attempt/{attempt_id}/review")
                   for r in submits), [(r.status_code, r.headers.get("Location")) for r in submits]
        return attempt_id

    def play(self, slug: str, moves: list) -> int:
        """Start a role-play (double click), send every step twice at once; return the play id."""
        starts = self.twice(f"/roleplay/s/{slug}/play", {})
        locations = {r.headers.get("Location") for r in starts}
        assert len(locations) == 1 and all(r.status_code == 302 for r in starts), locations
        play_id = int(re.search(r"/roleplay/play/(\d+)$", locations.pop()).group(1))
        for index, move in enumerate(moves):
            data = {"step": index, **({"text": move} if isinstance(move, str) else {"choice": move})}
            answers = self.twice(f"/roleplay/play/{play_id}/step", data)
            assert all(r.status_code == 302 for r in answers), [r.status_code for r in answers]
            # Both clicks land on the same page: the next turn, or the result after the last step.
            assert len({r.headers["Location"] for r in answers}) == 1, [r.headers["Location"] for r in answers]
        assert self.get(f"/roleplay/play/{play_id}/result").status_code == 200
        return play_id


def quiz_picks(quiz) -> list[set[int]]:
    """Return, per answer pattern, the answer ids a learner picks (best answer or worst, per question)."""
    questions = db.session.scalars(
        sa.select(Question).where(Question.bank_id == quiz.bank_id, Question.is_current.is_(True))
        .order_by(Question.key)
    ).all()
    patterns = []
    for right in range(QUIZ_PATTERNS):
        picks = set()
        for ordinal, question in enumerate(questions):
            ranked = sorted(question.answers, key=lambda a: a.fraction, reverse=True)
            picks.add((ranked[0] if ordinal < right else ranked[-1]).id)
        patterns.append(picks)
    return patterns


def single_threaded_scores(quiz, picks: list[set[int]]) -> tuple[list[float], list[float]]:
    """Return the quiz and role-play scores of every pattern, given one at a time through the services."""
    quiz_scores = []
    for p, chosen in enumerate(picks):
        twin = make_user(email=f"twin-quiz-{p}@example.com")
        attempt = quiz_attempts.start_attempt(quiz, twin)
        responses = {item.id: {"choice": next(a.id for a in item.question.answers if a.id in chosen)}
                     for item in attempt.items}
        quiz_attempts.save_responses(attempt, twin, responses)
        quiz_scores.append(quiz_attempts.submit_attempt(attempt.id, twin, attempt.submit_token, responses).score)
    play_scores = []
    for p, moves in enumerate(PLAY_PATTERNS):
        twin = make_user(email=f"twin-play-{p}@example.com")
        play = plays.start_play(twin, BUDGET)
        for index, move in enumerate(moves):
            plays.submit_step(play, index, **({"text": move} if isinstance(move, str) else {"choice": move}))
        play_scores.append(play.score)
    return quiz_scores, play_scores


@pytest.fixture
def classroom(app):
    """Fifty learners, a published quiz and the fixture scenarios, the SPIN model already loaded."""
    use_small_corpus(app)
    spin.forget_loaded()
    sync_fixture_scenarios()
    plays.spin_classifier()  # train once here, not in fifty threads
    quiz = make_quiz(RACE_GIFT, title="Race quiz")
    learners = [make_user(email=f"learner{i:02d}@example.com") for i in range(LEARNERS)]
    yield quiz, learners
    spin.forget_loaded()


def test_fifty_learners_at_once_store_everything_exactly_once(app, live_server, classroom):
    """No 5xx; one attempt and one play per learner, contiguous steps, and the single-threaded scores."""
    quiz, learners = classroom
    picks = quiz_picks(quiz)
    quiz_expected, play_expected = single_threaded_scores(quiz, picks)
    assert quiz_expected == [0.0, 0.25, 0.5, 0.75, 1.0]
    learner_ids, emails, quiz_id = [u.id for u in learners], [u.email for u in learners], quiz.id
    db.session.remove()  # the threads must not see this thread's session state
    traffic = Traffic()
    start = threading.Barrier(LEARNERS)

    def run(i: int) -> tuple[int, int]:
        learner = Learner(live_server, traffic, emails[i])
        learner.sign_in()
        start.wait(timeout=TIMEOUT)  # every learner is signed in: now all of them at once
        attempt_id = learner.take_quiz(quiz_id, picks[i % QUIZ_PATTERNS])
        play_id = learner.play(BUDGET, PLAY_PATTERNS[i % len(PLAY_PATTERNS)])
        return attempt_id, play_id

    with ThreadPoolExecutor(LEARNERS) as pool:
        results = list(pool.map(run, range(LEARNERS)))

    assert not traffic.failures, traffic.failures[:3]
    assert all(code < 500 for code in traffic.codes), traffic.codes

    attempts = db.session.scalars(sa.select(Attempt).where(Attempt.user_id.in_(learner_ids))).all()
    assert len(attempts) == LEARNERS  # no lost and no duplicated attempts
    by_user = {a.user_id: a for a in attempts}
    played = db.session.scalars(sa.select(Play).where(Play.user_id.in_(learner_ids))).all()
    assert len(played) == LEARNERS  # one play each: the double-clicked start opened one
    plays_by_user = {p.user_id: p for p in played}
    for i, (user_id, (attempt_id, play_id)) in enumerate(zip(learner_ids, results)):
        attempt = by_user[user_id]
        assert (attempt.id, attempt.number, attempt.state) == (attempt_id, 1, "finished")
        assert attempt.score == pytest.approx(quiz_expected[i % QUIZ_PATTERNS])
        # The stored answers are the submitted ones: a save racing the submit changed nothing after grading.
        responses = db.session.scalars(sa.select(AttemptItem.response).where(AttemptItem.attempt_id == attempt.id))
        assert sorted(r["choice"] for r in responses) == sorted(picks[i % QUIZ_PATTERNS])
        play = plays_by_user[user_id]
        moves = PLAY_PATTERNS[i % len(PLAY_PATTERNS)]
        assert (play.id, play.status, play.step_count) == (play_id, "finished", len(moves))
        indexes = db.session.scalars(
            sa.select(PlayStep.index).where(PlayStep.play_id == play.id).order_by(PlayStep.index)).all()
        assert indexes == list(range(len(moves)))  # contiguous, none twice
        assert play.score == pytest.approx(play_expected[i % len(PLAY_PATTERNS)])
