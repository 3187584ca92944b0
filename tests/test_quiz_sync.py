"""Course quizzes from content/<tier>/<slug>/quiz.gift, and the results other areas read."""

from pathlib import Path

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.quiz import Question, Quiz
from app.services import quiz_attempts as qa
from app.services.errors import ImportProblems
from app.services.quiz_sync import check_course_quizzes, sync_course_quizzes
from app.services.quizzes import course_quiz_results, find_course_quiz, quiz_results
from tests.factories import make_user
from tests.factories_quiz import perfect_responses

QUIZ = "::Q1::SPIN has four question types.{T}\n\n::Q2::Which comes first?{=Situation ~Need-payoff}\n"
PROJECT_CONTENT = Path(__file__).resolve().parent.parent / "content"


def course(root, slug, gift, title="SPIN basics"):
    """Write a course folder with a quiz.gift; return the quiz path."""
    folder = root / "new_hire" / slug
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "course.yaml").write_text(f"slug: {slug}\ntitle: {title}\ntier: new_hire\n", encoding="utf-8")
    (folder / "quiz.gift").write_text(gift, encoding="utf-8")
    return folder / "quiz.gift"


def test_sync_is_idempotent_and_versions_changed_questions(app, tmp_path):
    """A second sync changes nothing; a changed question gets a new version while attempts keep theirs."""
    path = course(tmp_path, "spin-basics", QUIZ)
    ticks = []
    assert sync_course_quizzes(tmp_path, progress=ticks.append) == {
        "quizzes": 1, "created": 2, "updated": 0, "unchanged": 0, "retired": 0}
    assert ticks == [1] and sync_course_quizzes.count(tmp_path) == 1
    assert sync_course_quizzes(tmp_path)["unchanged"] == 2
    quiz = find_course_quiz("spin-basics")
    assert (quiz.title, quiz.course_slug, len(quiz.slots)) == ("SPIN basics", "spin-basics", 2)

    learner = make_user()
    attempt = qa.start_attempt(quiz, learner)
    qa.submit_attempt(attempt.id, learner, attempt.submit_token, perfect_responses(attempt))
    path.write_text(QUIZ.replace("four", "4") + "\n::Q3::Ask implication questions.{T}\n", encoding="utf-8")
    assert sync_course_quizzes(tmp_path) == {"quizzes": 0, "created": 1, "updated": 1, "unchanged": 1, "retired": 0}
    db.session.expire_all()
    old_item = next(i for i in qa.get_attempt(attempt.id, learner).items if i.question.name == "Q1")
    assert old_item.question.version == 1 and "four" in old_item.question.text
    current = db.session.scalars(sa.select(Question).where(Question.is_current.is_(True), Question.key.like("course:%"))).all()
    assert sorted((q.name, q.version) for q in current) == [("Q1", 2), ("Q2", 1), ("Q3", 1)]
    path.write_text("::Q2::Which comes first?{=Situation ~Need-payoff}\n", encoding="utf-8")
    assert sync_course_quizzes(tmp_path)["retired"] == 2
    assert [s.question_key for s in find_course_quiz("spin-basics").slots] == ["course:spin-basics:Q2"]


def test_a_bad_quiz_file_loads_nothing(app, tmp_path):
    """One broken file: ImportProblems naming FILE:LINE, and no quiz at all is written."""
    course(tmp_path, "good", QUIZ)
    bad = course(tmp_path, "bad", "::Q::Pick one.{=a ~b\n")
    with pytest.raises(ImportProblems) as info:
        sync_course_quizzes(tmp_path)
    assert info.value.problems == [f"{bad}:1: the answer section opened with {{ is not closed by }}"]
    assert db.session.scalar(sa.select(sa.func.count(Quiz.id))) == 0
    assert check_course_quizzes(tmp_path) == info.value.problems


def test_the_bundled_course_quizzes_check_clean():
    """Every quiz.gift shipped in content/ parses."""
    assert check_course_quizzes(PROJECT_CONTENT) == []


def test_results_for_other_areas_take_one_query(app, tmp_path, count_queries):
    """course_quiz_results and quiz_results answer in one query each, however many learners."""
    course(tmp_path, "spin-basics", QUIZ)
    sync_course_quizzes(tmp_path)
    quiz = find_course_quiz("spin-basics")
    learners = [make_user() for _ in range(3)]
    for index, learner in enumerate(learners[:2]):
        attempt = qa.start_attempt(quiz, learner)
        responses = perfect_responses(attempt) if index == 0 else {}
        qa.submit_attempt(attempt.id, learner, attempt.submit_token, responses)
    ids, quiz_id = [u.id for u in learners], quiz.id
    with count_queries() as counter:
        results = course_quiz_results(ids)
        by_quiz = quiz_results(ids, [quiz_id])
    assert counter.count == 2
    passed = results[(ids[0], "spin-basics")]
    assert (passed.passed, passed.best_score, passed.attempts) == (True, 1.0, 1)
    assert results[(ids[1], "spin-basics")].passed is False
    assert (ids[2], "spin-basics") not in results
    assert by_quiz[(ids[0], quiz_id)] == passed
    assert course_quiz_results([]) == {} and quiz_results(ids, []) == {}


def test_content_sync_runs_the_quiz_step(app, runner, tmp_path):
    """`flask content sync --only quizzes` loads the course quizzes."""
    course(tmp_path, "spin-basics", QUIZ)
    app.config["CONTENT_DIR"] = str(tmp_path)
    result = runner.invoke(args=["content", "sync", "--only", "quizzes"])
    assert result.exit_code == 0, result.output
    assert find_course_quiz("spin-basics") is not None
