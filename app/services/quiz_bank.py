"""Question banks: GIFT import and export, and versioned question edits."""

import hashlib
import json
import uuid
from collections import Counter
from typing import Iterable, Optional

import sqlalchemy as sa

from app.content.gift import GiftAnswer, GiftQuestion, dump_gift, validate_question
from app.extensions import db
from app.models.quiz import Question, QuestionAnswer, QuestionBank, QuestionCategory, QuestionTag, Quiz, QuizSlot
from app.services.errors import NotFound, ValidationError


def to_gift(question: Question) -> GiftQuestion:
    """Return a stored question version as a GIFT question."""
    return GiftQuestion(
        type=question.type, name=question.name, text=question.text, format=question.text_format,
        answers=tuple(
            GiftAnswer(text=a.text, fraction=a.fraction, feedback=a.feedback, format=a.text_format,
                       feedback_format=a.feedback_format, tolerance=a.tolerance, match=a.match_text)
            for a in question.answers
        ),
        general_feedback=question.general_feedback, general_feedback_format=question.general_feedback_format,
        category=question.category.name if question.category else None, tags=tuple(question.tags or ()),
        idnumber=question.idnumber,
    )


def content_hash(question: GiftQuestion) -> str:
    """Return a hash of what a question means (not where it came from)."""
    data = question.to_dict()
    data.pop("line", None)
    data["format"] = question.format
    data["general_feedback_format"] = question.general_feedback_format
    data["answer_formats"] = [(a.format, a.feedback_format) for a in question.answers]
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def get_bank(bank_id: int) -> QuestionBank:
    """Return a bank or raise NotFound."""
    bank = db.session.get(QuestionBank, bank_id)
    if bank is None:
        raise NotFound("question bank")
    return bank


def find_bank_by_name(name: str) -> Optional[QuestionBank]:
    """Return the bank with this name, or None."""
    return db.session.scalar(sa.select(QuestionBank).where(QuestionBank.name == name.strip()))


def get_or_create_bank(name: str, course_slug: Optional[str] = None) -> QuestionBank:
    """Return the bank with this name, creating it (no commit)."""
    name = (name or "").strip()
    if not name:
        raise ValidationError("a question bank needs a name", field="bank")
    bank = find_bank_by_name(name)
    if bank is None:
        bank = QuestionBank(name=name[:200], course_slug=course_slug)
        db.session.add(bank)
        db.session.flush()
    return bank


def _category(bank: QuestionBank, name: Optional[str], cache: dict) -> Optional[QuestionCategory]:
    """Return the bank's category with this path, creating it (no commit)."""
    if not name:
        return None
    if name not in cache:
        category = db.session.scalar(
            sa.select(QuestionCategory).where(QuestionCategory.bank_id == bank.id, QuestionCategory.name == name)
        )
        if category is None:
            category = QuestionCategory(bank=bank, name=name[:255])
            db.session.add(category)
        cache[name] = category
    return cache[name]


def add_version(bank: QuestionBank, gift: GiftQuestion, key: Optional[str] = None, previous: Optional[Question] = None,
                categories: Optional[dict] = None) -> Question:
    """Add a question version built from ``gift`` (no commit); the previous version stops being current."""
    if previous is not None:
        previous.is_current = False
    question = Question(
        key=key or (previous.key if previous else f"q-{uuid.uuid4().hex}"),
        version=(previous.version + 1) if previous else 1,
        is_current=True, bank=bank, category=_category(bank, gift.category, categories if categories is not None else {}),
        type=gift.type, name=gift.name[:255] or "Question", text=gift.text, text_format=gift.format,
        general_feedback=gift.general_feedback, general_feedback_format=gift.general_feedback_format,
        idnumber=gift.idnumber[:100], tags=list(gift.tags), content_hash=content_hash(gift),
        answers=[
            QuestionAnswer(position=i, text=a.text, text_format=a.format, fraction=a.fraction, feedback=a.feedback,
                           feedback_format=a.feedback_format, tolerance=a.tolerance, match_text=a.match)
            for i, a in enumerate(gift.answers)
        ],
        tag_rows=[QuestionTag(tag=t[:100]) for t in dict.fromkeys(gift.tags)],
    )
    db.session.add(question)
    return question


def import_questions(questions: list[GiftQuestion], bank_name: str, dry_run: bool = False, progress=None) -> dict:
    """Add parsed questions to a bank in one commit; a question with a known idnumber gets a new version.

    Returns counts: {"bank", "created", "updated", "unchanged", "by_type"}.
    """
    bank = get_or_create_bank(bank_name)
    known = {}
    ids = [q.idnumber for q in questions if q.idnumber]
    if ids:
        keys = [f"b{bank.id}:id:{i}" for i in ids]
        known = {q.key: q for q in db.session.scalars(
            sa.select(Question).where(Question.key.in_(keys), Question.is_current.is_(True)))}
    summary = {"bank": bank.name, "created": 0, "updated": 0, "unchanged": 0,
               "by_type": dict(Counter(q.type for q in questions))}
    categories: dict = {}
    for gift in questions:
        key = f"b{bank.id}:id:{gift.idnumber}" if gift.idnumber else None
        previous = known.get(key) if key else None
        if previous is not None and previous.content_hash == content_hash(gift):
            summary["unchanged"] += 1
        else:
            known[key] = add_version(bank, gift, key=key, previous=previous, categories=categories)
            summary["updated" if previous else "created"] += 1
        if progress:
            progress(1)
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    return summary


def current_questions(bank: QuestionBank, category_id: Optional[int] = None, tag: Optional[str] = None) -> list[Question]:
    """Return the current versions of a bank's questions, optionally in one category or with one tag."""
    query = (
        sa.select(Question).where(Question.bank_id == bank.id, Question.is_current.is_(True))
        .options(sa.orm.selectinload(Question.answers), sa.orm.selectinload(Question.category))
        .order_by(Question.id)
    )
    if category_id:
        query = query.where(Question.category_id == category_id)
    if tag:
        query = query.where(Question.id.in_(sa.select(QuestionTag.question_id).where(QuestionTag.tag == tag)))
    return list(db.session.scalars(query))


def bank_tags(bank: QuestionBank) -> list[tuple[str, int]]:
    """Return (tag, number of current questions) for a bank."""
    rows = db.session.execute(
        sa.select(QuestionTag.tag, sa.func.count(QuestionTag.id))
        .join(Question, Question.id == QuestionTag.question_id)
        .where(Question.bank_id == bank.id, Question.is_current.is_(True))
        .group_by(QuestionTag.tag).order_by(QuestionTag.tag)
    )
    return [(tag, count) for tag, count in rows]


def export_bank(bank: QuestionBank) -> str:
    """Write a bank's current questions as GIFT, grouped by category."""
    questions = current_questions(bank)
    questions.sort(key=lambda q: ((q.category.name if q.category else ""), q.id))
    return dump_gift([to_gift(q) for q in questions], ids=[q.id for q in questions])


def rename_category(bank: QuestionBank, category_id: int, new_name: str) -> QuestionCategory:
    """Rename a category of a bank and its sub-categories ("A" → "B" also renames "A/x" to "B/x"); commit.

    Banks loaded from a course's quiz.gift are renamed in the file instead, or
    the next ``flask content sync`` would bring the old name back.
    """
    category = db.session.get(QuestionCategory, category_id)
    if category is None or category.bank_id != bank.id:
        raise NotFound("question category")
    if bank.course_slug:
        raise ValidationError("this bank is loaded from a course's quiz.gift: rename the category there", field="name")
    new_name = "/".join(part.strip() for part in (new_name or "").split("/"))
    if not new_name or any(not part for part in new_name.split("/")):
        raise ValidationError("a category needs a name; use / between levels, e.g. Objections/Budget", field="name")
    if len(new_name) > 255:
        raise ValidationError("keep the name under 255 characters", field="name")
    old_name = category.name
    if new_name == old_name:
        return category
    renamed = {c.name: c for c in bank.categories if c.name == old_name or c.name.startswith(old_name + "/")}
    others = {c.name for c in bank.categories} - set(renamed)
    for name, row in renamed.items():
        target = new_name + name[len(old_name):]
        if target in others:
            raise ValidationError(f"the bank already has a category {target!r}", field="name")
        row.name = target
    db.session.commit()
    return category


def list_banks() -> list[tuple[QuestionBank, int]]:
    """Return every bank with its number of current questions."""
    counts = dict(db.session.execute(
        sa.select(Question.bank_id, sa.func.count(Question.id)).where(Question.is_current.is_(True)).group_by(Question.bank_id)
    ).all())
    banks = db.session.scalars(sa.select(QuestionBank).order_by(QuestionBank.name))
    return [(bank, counts.get(bank.id, 0)) for bank in banks]


def get_question(question_id: int) -> Question:
    """Return a question version or raise NotFound."""
    question = db.session.get(Question, question_id)
    if question is None:
        raise NotFound("question")
    return question


def save_question(bank: QuestionBank, gift: GiftQuestion, previous: Optional[Question] = None) -> Question:
    """Create a question, or a new version of ``previous``, from editor input; one commit."""
    problems = validate_question(gift)
    if problems:
        raise ValidationError("; ".join(problems), field="answers")
    if previous is not None and previous.content_hash == content_hash(gift):
        return previous
    question = add_version(bank, gift, previous=previous)
    db.session.commit()
    return question


def question_usage(question: Question) -> list[Quiz]:
    """Return the quizzes that use a question: fixed slots by key, random draws by tag."""
    fixed = sa.select(QuizSlot.quiz_id).where(QuizSlot.question_key == question.key)
    conditions = [Quiz.id.in_(fixed)]
    if question.tags:
        conditions.append(sa.and_(Quiz.mode == "random", Quiz.bank_id == question.bank_id,
                                  Quiz.draw_tag.in_(list(question.tags))))
    return list(db.session.scalars(sa.select(Quiz).where(sa.or_(*conditions)).order_by(Quiz.title)))


def version_history(question: Question) -> list[Question]:
    """Return every version of a question, newest first."""
    return list(db.session.scalars(
        sa.select(Question).where(Question.key == question.key).order_by(Question.version.desc())
    ))


def counts_by_type(questions: Iterable[Question]) -> dict:
    """Return {type: count}."""
    return dict(Counter(q.type for q in questions))
