"""Role-play test data: the fixture scenarios folder, a small SPIN corpus, plays."""

from pathlib import Path

from app.services import plays
from app.services.scenario_sync import sync_scenarios

DATA = Path(__file__).parent / "data" / "roleplay"
SCENARIOS = DATA / "scenarios"
BAD = DATA / "bad"
SMALL_CORPUS = DATA / "spin_small.tsv"
SMALL_EVAL = DATA / "spin_small_eval.tsv"

#: Choice indexes that win the DESIGN example (free-text step in between needs an implication line).
BUDGET = "budget-objection-smb"
SPIN_EN = "spin-discovery-en"
TWINE = "twine-renewal"


def use_small_corpus(app) -> None:
    """Point the SPIN classifier at the small fixture corpus (fast to train)."""
    app.config["SPIN_TRAIN_PATH"] = str(SMALL_CORPUS)
    app.config["SPIN_EVAL_PATH"] = str(SMALL_EVAL)


def sync_fixture_scenarios() -> dict:
    """Load the fixture scenarios folder into the database."""
    return sync_scenarios(SCENARIOS)


class FixedClassifier:
    """A stand-in classifier for tests that are not about classification: always the given label."""

    def __init__(self, label: str):
        self.label = label

    def classify(self, text: str):
        """Return the fixed label with full confidence."""
        from app.ml.spin import Prediction

        return Prediction(text=text, label=self.label, confidence=1.0, features=(("x", 0.1),))


def play_through(user, slug: str, moves: list, restart: bool = True):
    """Start a play and apply ``moves`` (ints are choices, strs are typed lines or ("label", text))."""
    play = plays.start_play(user, slug, restart=restart)
    for move in moves:
        if isinstance(move, int):
            plays.submit_step(play, play.step_count, choice=move)
        elif isinstance(move, tuple):
            plays.submit_step(play, play.step_count, text=move[1], classifier=FixedClassifier(move[0]))
        else:
            plays.submit_step(play, play.step_count, text=move)
    return play
