"""`flask quiz import-gift` and `flask quiz export-gift`."""

import json

import sqlalchemy as sa

from app.content.gift import parse_gift
from app.extensions import db
from app.models.quiz import Question, QuestionBank
from tests.factories_quiz import SAMPLE_GIFT


def write(tmp_path, text, name="bank.gift"):
    """Write a GIFT file and return its path."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def question_count():
    """Return how many question rows exist."""
    return db.session.scalar(sa.select(sa.func.count(Question.id)))


def test_import_prints_the_design_json_and_imports(runner, tmp_path):
    """--json prints {"questions": [...]} in DESIGN §3's shape; the bank gets every question."""
    path = write(tmp_path, "$CATEGORY: $course$/top/SPIN\n\n" + SAMPLE_GIFT)
    result = runner.invoke(args=["quiz", "import-gift", str(path), "--bank", "SPIN", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert list(data) == ["questions"]
    types = [q["type"] for q in data["questions"]]
    assert types == ["multichoice", "multiple_answer", "truefalse", "shortanswer", "numerical", "matching"]
    first = data["questions"][0]
    assert {"type", "name", "text", "answers", "general_feedback"} <= set(first)
    assert first["answers"][1] == {"text": "Implication", "fraction": 1.0, "feedback": "Right: consequences create urgency."}
    assert data["questions"][1]["answers"][2]["fraction"] == -1.0
    assert data["questions"][4]["answers"][0]["tolerance"] == 0.0
    assert data["questions"][5]["answers"][0]["match"] == "Situation"
    assert first["category"] == "SPIN"
    assert question_count() == 6
    bank = db.session.scalar(sa.select(QuestionBank).where(QuestionBank.name == "SPIN"))
    assert [c.name for c in bank.categories] == ["SPIN"]


def test_dry_run_imports_nothing(runner, tmp_path):
    """--dry-run reports what it would do and writes nothing."""
    result = runner.invoke(args=["quiz", "import-gift", str(write(tmp_path, SAMPLE_GIFT)), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "would import 6 new" in result.output
    assert question_count() == 0
    assert db.session.scalar(sa.select(sa.func.count(QuestionBank.id))) == 0


def test_bad_input_names_file_and_line_and_imports_nothing(runner, tmp_path):
    """One bad question: FILE:LINE: message on stderr, non-zero exit, no question imported."""
    path = write(tmp_path, SAMPLE_GIFT + "\n\n::Bad::How many? {#many}\n")
    result = runner.invoke(args=["quiz", "import-gift", str(path)])
    assert result.exit_code != 0
    line = SAMPLE_GIFT.count("\n") + 3
    assert f"{path}:{line}: the value 'many' is not a number" in result.stderr
    assert question_count() == 0


def test_missing_file_is_a_clean_error(runner, tmp_path):
    """A missing file is refused by click, not a traceback."""
    result = runner.invoke(args=["quiz", "import-gift", str(tmp_path / "nope.gift")])
    assert result.exit_code != 0 and "nope.gift" in result.output


def test_reimport_with_idnumbers_versions_changed_questions(runner, tmp_path):
    """Questions with an [id:…] are matched on re-import: unchanged stay, changed get a new version."""
    text = "// [id:q1]\n::A::One?{T}\n\n// [id:q2]\n::B::Two?{F}"
    runner.invoke(args=["quiz", "import-gift", str(write(tmp_path, text)), "--bank", "Ids"])
    result = runner.invoke(args=["quiz", "import-gift", str(write(tmp_path, text.replace("Two?", "Two!"))), "--bank", "Ids"])
    assert "0 new, 1 updated, 1 unchanged" in result.output
    versions = db.session.execute(sa.select(Question.idnumber, Question.version, Question.is_current)
                                  .order_by(Question.idnumber, Question.version)).all()
    assert versions == [("q1", 1, True), ("q2", 1, False), ("q2", 2, True)]


def test_export_round_trips(runner, tmp_path):
    """export-gift writes GIFT that reads back to the same questions."""
    original = parse_gift(SAMPLE_GIFT)
    runner.invoke(args=["quiz", "import-gift", str(write(tmp_path, SAMPLE_GIFT)), "--bank", "Round"])
    result = runner.invoke(args=["quiz", "export-gift", "--bank", "Round"])
    assert result.exit_code == 0, result.output
    assert [q.meaning() for q in parse_gift(result.stdout)] == [q.meaning() for q in original]
    out = tmp_path / "out.gift"
    assert runner.invoke(args=["quiz", "export-gift", "--bank", "Round", "-o", str(out)]).exit_code == 0
    assert out.read_text(encoding="utf-8") == result.stdout


def test_export_of_an_unknown_bank_fails(runner):
    """An unknown bank name is a user error."""
    result = runner.invoke(args=["quiz", "export-gift", "--bank", "Nope"])
    assert result.exit_code != 0 and "no question bank named 'Nope'" in result.output
