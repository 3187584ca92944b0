"""The objection library: browse, create and edit entries (objection — causes — answers, zh/en)."""

from typing import Optional

import sqlalchemy as sa

from app.content.objections import CATEGORIES, OBJECTION_KEY_RE
from app.extensions import db
from app.models.roleplay import Objection, Scenario, ScenarioVersion
from app.models.types import utcnow
from app.services.errors import NotFound, ValidationError

TEXT_FIELDS = ("zh_objection", "zh_causes", "zh_answers", "en_objection", "en_causes", "en_answers")


def list_objections(category: Optional[str] = None, query: Optional[str] = None) -> list[Objection]:
    """Return library entries, optionally of one category or matching a search text, by category and key."""
    stmt = sa.select(Objection)
    if category:
        stmt = stmt.where(Objection.category == category)
    if query:
        like = f"%{query.strip()}%"
        stmt = stmt.where(sa.or_(Objection.key.ilike(like), Objection.zh_objection.ilike(like),
                                 Objection.en_objection.ilike(like)))
    return list(db.session.scalars(stmt.order_by(Objection.category, Objection.key)))


def get_objection(key: str) -> Objection:
    """Return an entry by key or raise NotFound."""
    row = db.session.scalar(sa.select(Objection).where(Objection.key == key))
    if row is None:
        raise NotFound("objection")
    return row


def scenarios_using(key: str) -> list[Scenario]:
    """Return the published scenarios whose current version links this objection."""
    rows = db.session.execute(
        sa.select(Scenario, ScenarioVersion.objection_keys)
        .join(ScenarioVersion, sa.and_(ScenarioVersion.scenario_id == Scenario.id,
                                       ScenarioVersion.number == Scenario.current_version))
        .where(Scenario.published.is_(True)).order_by(Scenario.title)
    )
    return [s for s, keys in rows if key in (keys or [])]


def _clean_lines(value) -> list[str]:
    """Return non-empty stripped lines of a text (or items of a list)."""
    items = value.splitlines() if isinstance(value, str) else list(value or [])
    return [line.strip() for line in items if line and line.strip()]


def _apply(row: Objection, category: str, fields: dict, editor_id: int) -> None:
    """Check and copy the edited fields onto ``row``."""
    if category not in CATEGORIES:
        raise ValidationError(f"unknown category {category!r}", field="category")
    zh, en = (fields.get("zh_objection") or "").strip(), (fields.get("en_objection") or "").strip()
    if not zh and not en:
        raise ValidationError("write the objection in Chinese, English or both", field="zh_objection")
    row.category = category
    row.zh_objection, row.en_objection = zh, en
    for name in ("zh_causes", "zh_answers", "en_causes", "en_answers"):
        setattr(row, name, _clean_lines(fields.get(name)))
    row.edited_at = utcnow()
    row.edited_by_id = editor_id


def update_objection(row: Objection, editor, category: str, **fields) -> Objection:
    """Change an entry (trainer); later syncs keep this edit."""
    _apply(row, category, fields, editor.id)
    db.session.commit()
    return row


def create_objection(editor, key: str, category: str, **fields) -> Objection:
    """Add a new entry (trainer) with a unique key."""
    key = (key or "").strip().lower()
    if not OBJECTION_KEY_RE.match(key):
        raise ValidationError("use lower-case letters, digits, '-' or '_'", field="key")
    if db.session.scalar(sa.select(Objection.id).where(Objection.key == key)) is not None:
        raise ValidationError(f"the key {key!r} is already used", field="key")
    row = Objection(key=key)
    _apply(row, category, fields, editor.id)
    db.session.add(row)
    db.session.commit()
    return row
