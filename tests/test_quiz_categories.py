"""Renaming question categories in the browser: sub-categories follow, clashes and course banks are refused."""

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.quiz import QuestionBank, QuestionCategory
from app.services import quiz_bank
from app.services.errors import NotFound, ValidationError
from tests.factories_quiz import make_bank_with

CATEGORISED = """
$CATEGORY: Objections

::A::Budget first?{T}

$CATEGORY: Objections/Budget

::B::Offer a discount at once?{F}

$CATEGORY: Discovery

::C::Ask situation questions first?{T}
"""


def names(bank) -> list[str]:
    return sorted(db.session.scalars(sa.select(QuestionCategory.name).where(QuestionCategory.bank_id == bank.id)))


def category(bank, name):
    return db.session.scalar(sa.select(QuestionCategory).where(QuestionCategory.bank_id == bank.id,
                                                              QuestionCategory.name == name))


def test_rename_moves_sub_categories_and_export_follows(app):
    bank, _questions = make_bank_with(CATEGORISED, "Cats")
    quiz_bank.rename_category(bank, category(bank, "Objections").id, " Handling / Objections ")
    assert names(bank) == ["Discovery", "Handling/Objections", "Handling/Objections/Budget"]
    gift = quiz_bank.export_bank(bank)
    assert "Handling/Objections/Budget\n" in gift and "top/Objections" not in gift


@pytest.mark.parametrize("new_name", ["", "  ", "A//B", "/A"])
def test_rename_rejects_empty_levels(app, new_name):
    bank, _questions = make_bank_with(CATEGORISED, "Cats")
    with pytest.raises(ValidationError):
        quiz_bank.rename_category(bank, category(bank, "Discovery").id, new_name)
    assert "Discovery" in names(bank)


def test_rename_refuses_a_clash_and_changes_nothing(app):
    bank, _questions = make_bank_with(CATEGORISED, "Cats")
    before = names(bank)
    with pytest.raises(ValidationError, match="already"):
        quiz_bank.rename_category(bank, category(bank, "Objections").id, "Discovery")
    db.session.rollback()
    assert names(bank) == before


def test_rename_refuses_another_banks_category_and_course_banks(app):
    bank, _questions = make_bank_with(CATEGORISED, "Cats")
    other, _questions = make_bank_with(CATEGORISED, "Other")
    with pytest.raises(NotFound):
        quiz_bank.rename_category(bank, category(other, "Discovery").id, "X")
    other.course_slug = "spin-basics"
    db.session.commit()
    with pytest.raises(ValidationError, match="quiz.gift"):
        quiz_bank.rename_category(other, category(other, "Discovery").id, "X")


def test_rename_in_the_browser(app, client, login_as):
    bank, _questions = make_bank_with(CATEGORISED, "Cats")
    target = category(bank, "Discovery")
    login_as("trainer")
    page = client.get(f"/quiz/banks/{bank.id}?category={target.id}")
    assert b'data-testid="rename-category"' in page.data
    response = client.post(f"/quiz/banks/{bank.id}/categories/{target.id}/rename", data={"name": "Discovery/SPIN"},
                           follow_redirects=True)
    assert response.status_code == 200
    assert names(bank) == ["Discovery/SPIN", "Objections", "Objections/Budget"]
    clash = client.post(f"/quiz/banks/{bank.id}/categories/{target.id}/rename", data={"name": "Objections"},
                        follow_redirects=True)
    assert "already".encode() in clash.data or "已有".encode() in clash.data
    assert names(bank) == ["Discovery/SPIN", "Objections", "Objections/Budget"]


@pytest.mark.parametrize("role", ["learner", "mentor"])
def test_rename_is_for_trainers_only(app, client, login_as, role):
    bank, _questions = make_bank_with(CATEGORISED, "Cats")
    target = category(bank, "Discovery")
    login_as(role)
    response = client.post(f"/quiz/banks/{bank.id}/categories/{target.id}/rename", data={"name": "X"})
    assert response.status_code in (403, 404)
    db.session.expire_all()
    assert db.session.get(QuestionBank, bank.id) and "Discovery" in names(bank)
