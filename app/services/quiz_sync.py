"""Course quizzes from content/<tier>/<slug>/quiz.gift: check and sync (a `flask content` step).

Each course gets a bank (``course/<slug>``) and a quiz. A question is known by
its title within the course; a changed question becomes a new version (attempts
keep theirs), a question gone from the file leaves the quiz, and running the
sync twice changes nothing.
"""

from pathlib import Path
from typing import Optional

import sqlalchemy as sa
import yaml

from app.content.gift import GiftError, GiftQuestion, load_gift
from app.extensions import db
from app.models.quiz import Question, Quiz
from app.services.errors import ImportProblems
from app.services.quiz_bank import add_version, content_hash, get_or_create_bank
from app.services.quizzes import find_course_quiz, set_slots

DEFAULT_PASS_MARK = 0.7


def quiz_files(content_dir) -> list[Path]:
    """Return every content/<tier>/<slug>/quiz.gift, sorted."""
    root = Path(content_dir)
    return sorted(root.glob("*/*/quiz.gift")) if root.is_dir() else []


def check_course_quizzes(content_dir) -> list[str]:
    """Return "FILE:LINE: message" for every problem in the course quiz files."""
    problems = []
    for path in quiz_files(content_dir):
        try:
            questions = load_gift(path)
        except GiftError as error:
            problems.extend(error.problems)
            continue
        if not any(q.type != "description" for q in questions):
            problems.append(f"{path}:1: the course quiz has no questions")
    return problems


def _course_title(folder: Path) -> str:
    """Return the course title from course.yaml (the library check reports a broken file)."""
    try:
        data = yaml.safe_load((folder / "course.yaml").read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        return folder.name
    return str(data.get("title") or folder.name) if isinstance(data, dict) else folder.name


def _keys(slug: str, questions: list[GiftQuestion]) -> list[str]:
    """Return a stable key per question: its title within the course, numbered when repeated."""
    keys, seen = [], {}
    for question in questions:
        base = f"course:{slug}:{question.name}"[:190]
        seen[base] = seen.get(base, 0) + 1
        keys.append(base if seen[base] == 1 else f"{base}#{seen[base]}")
    return keys


def sync_course_quizzes(content_dir, progress=None) -> dict:
    """Load every course quiz into the database in one commit; raise ImportProblems (nothing written) on bad files."""
    parsed, problems = [], []
    for path in quiz_files(content_dir):
        try:
            parsed.append((path, load_gift(path)))
        except GiftError as error:
            problems.extend(error.problems)
    if problems:
        raise ImportProblems(problems)
    summary = {"quizzes": 0, "created": 0, "updated": 0, "unchanged": 0, "retired": 0}
    for path, questions in parsed:
        _sync_one(path, questions, summary)
        if progress:
            progress(1)
    db.session.commit()
    return summary


def _sync_one(path: Path, questions: list[GiftQuestion], summary: dict) -> None:
    """Bring one course's bank and quiz in line with its quiz.gift (no commit)."""
    slug = path.parent.name
    bank = get_or_create_bank(f"course/{slug}", course_slug=slug)
    quiz = find_course_quiz(slug)
    if quiz is None:
        quiz = _new_course_quiz(bank, slug, _course_title(path.parent))
        summary["quizzes"] += 1
    current = {q.key: q for q in db.session.scalars(
        sa.select(Question).where(Question.bank_id == bank.id, Question.is_current.is_(True)))}
    keys = _keys(slug, questions)
    categories: dict = {}
    for key, gift in zip(keys, questions):
        previous: Optional[Question] = current.get(key)
        if previous is not None and previous.content_hash == content_hash(gift):
            summary["unchanged"] += 1
            continue
        add_version(bank, gift, key=key, previous=previous, categories=categories)
        summary["updated" if previous else "created"] += 1
    for key, question in current.items():
        if key not in keys:
            question.is_current = False
            summary["retired"] += 1
    set_slots(quiz, keys)


def _new_course_quiz(bank, slug: str, title: str):
    """Create the quiz of a course (no commit)."""
    quiz = Quiz(bank=bank, course_slug=slug, title=title, mode="fixed", pass_mark=DEFAULT_PASS_MARK,
                shuffle_answers=True, published=True)
    db.session.add(quiz)
    db.session.flush()
    return quiz


def _count(content_dir) -> int:
    """Return how many course quiz files there are (sizes the progress bar)."""
    return len(quiz_files(content_dir))


sync_course_quizzes.count = _count
