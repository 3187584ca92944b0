"""Role-play: scenarios and their versions, plays and their steps, the objection library."""

from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.types import UTCDateTime, utcnow

PLAY_ACTIVE = "active"
PLAY_FINISHED = "finished"
PLAY_ABANDONED = "abandoned"
PLAY_STATUSES = (PLAY_ACTIVE, PLAY_FINISHED, PLAY_ABANDONED)


class Scenario(db.Model):
    """A role-play scenario; its content lives in versions, the latest being current.

    The listing fields (title, lang, kind, tier) mirror the current version so
    the scenario list filters without reading definitions.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    lang: Mapped[str] = mapped_column(sa.String(8), index=True)
    kind: Mapped[str] = mapped_column(sa.String(16), index=True)
    tier: Mapped[str] = mapped_column(sa.String(16), index=True)
    #: "name · role · company" of the current version's persona, for the list.
    persona: Mapped[str] = mapped_column(sa.String(300), default="")
    current_version: Mapped[int] = mapped_column(default=1)
    published: Mapped[bool] = mapped_column(default=True)
    #: The trainer's unpublished working copy (the YAML shape, possibly invalid); None when there is none.
    draft: Mapped[Optional[dict]] = mapped_column(sa.JSON, deferred=True)
    draft_updated_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    draft_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id"))
    #: Set when a version is published from the browser; ``flask scenario sync`` then leaves the scenario alone.
    edited_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    versions: Mapped[list["ScenarioVersion"]] = relationship(
        back_populates="scenario", order_by="ScenarioVersion.number", cascade="all, delete-orphan"
    )
    behaviour_links: Mapped[list["ScenarioBehaviour"]] = relationship(
        back_populates="scenario", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Scenario {self.slug} v{self.current_version}>"


class ScenarioVersion(db.Model):
    """One immutable version of a scenario's content; plays point at the version they started on."""

    __table_args__ = (sa.UniqueConstraint("scenario_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scenario_id: Mapped[int] = mapped_column(sa.ForeignKey("scenario.id"), index=True)
    number: Mapped[int]
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    source_path: Mapped[str] = mapped_column(sa.String(300), default="")
    source_format: Mapped[str] = mapped_column(sa.String(8), default="yaml")
    title: Mapped[str] = mapped_column(sa.String(200))
    #: The validated scenario as plain data (ScenarioDef.to_dict()).
    definition: Mapped[dict] = mapped_column(sa.JSON, deferred=True)  # read once per process (cached)
    #: Rubric dimension keys, in order, and behaviour keys (content/behaviours.yaml) it trains.
    rubric: Mapped[list] = mapped_column(sa.JSON)
    behaviours: Mapped[list] = mapped_column(sa.JSON)
    objection_keys: Mapped[list] = mapped_column(sa.JSON)
    #: Who published it from the browser (None for files synced from scenarios/).
    published_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id"))
    #: The version number this one restored, when it was made by "restore".
    restored_from: Mapped[Optional[int]]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    scenario: Mapped[Scenario] = relationship(back_populates="versions")

    def __repr__(self) -> str:
        return f"<ScenarioVersion {self.scenario_id} v{self.number}>"


class ScenarioBehaviour(db.Model):
    """A sales behaviour (content/behaviours.yaml key) the current version of a scenario trains."""

    __table_args__ = (sa.UniqueConstraint("scenario_id", "behaviour"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scenario_id: Mapped[int] = mapped_column(sa.ForeignKey("scenario.id"), index=True)
    behaviour: Mapped[str] = mapped_column(sa.String(64), index=True)

    scenario: Mapped[Scenario] = relationship(back_populates="behaviour_links")


class Play(db.Model):
    """One learner's run through one scenario version, saved at every step."""

    # The home page and best scores read one learner's plays by status, finished ones newest first.
    # Not on updated_at: every step changes it, and a learner has few unfinished plays to sort.
    __table_args__ = (sa.Index("ix_play_user_id_status_finished_at", "user_id", "status", "finished_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    scenario_id: Mapped[int] = mapped_column(sa.ForeignKey("scenario.id"), index=True)
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("scenario_version.id"), index=True)
    status: Mapped[str] = mapped_column(
        sa.Enum(*PLAY_STATUSES, name="play_status", native_enum=False, create_constraint=True),
        default=PLAY_ACTIVE,
    )
    current_node: Mapped[str] = mapped_column(sa.String(200))
    step_count: Mapped[int] = mapped_column(default=0)
    outcome: Mapped[Optional[str]] = mapped_column(sa.String(64))
    #: Overall score 0..1 and per rubric dimension {dimension: 0..1}, set when the play ends.
    score: Mapped[Optional[float]]
    scores: Mapped[Optional[dict]] = mapped_column(sa.JSON)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    scenario: Mapped[Scenario] = relationship()
    version: Mapped[ScenarioVersion] = relationship()
    steps: Mapped[list["PlayStep"]] = relationship(
        back_populates="play", order_by="PlayStep.index", cascade="all, delete-orphan"
    )

    @property
    def is_finished(self) -> bool:
        """Return True once the play reached an ending."""
        return self.status == PLAY_FINISHED

    def __repr__(self) -> str:
        return f"<Play {self.id} user={self.user_id} {self.status}>"


class PlayStep(db.Model):
    """One answer in a play: what the learner chose or typed, its label, score and feedback.

    ``(play_id, index)`` is unique, so a repeated submit of the same step cannot
    be saved twice, even by two requests at once.
    """

    __table_args__ = (sa.UniqueConstraint("play_id", "index"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    play_id: Mapped[int] = mapped_column(sa.ForeignKey("play.id"))  # (play_id, index) indexes it
    index: Mapped[int]
    node: Mapped[str] = mapped_column(sa.String(200))
    customer: Mapped[str] = mapped_column(sa.Text, default="")
    kind: Mapped[str] = mapped_column(sa.String(16))  # choice | free_text
    choice_index: Mapped[Optional[int]]
    text: Mapped[str] = mapped_column(sa.Text)
    label: Mapped[Optional[str]] = mapped_column(sa.String(16))
    confidence: Mapped[Optional[float]]
    #: For typed lines: [[n-gram, weight], …], why the classifier chose the label.
    features: Mapped[list] = mapped_column(sa.JSON, default=list)
    technique: Mapped[str] = mapped_column(sa.String(120), default="")
    score: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    possible: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    feedback: Mapped[str] = mapped_column(sa.Text, default="")
    next_node: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    play: Mapped[Play] = relationship(back_populates="steps")


class Objection(db.Model):
    """An objection-library entry: the objection, its causes and answers in Chinese and English.

    ``edited_at`` is set when a trainer changes it in the browser; sync then
    leaves it alone (the database is the source of truth at run time).
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(80), unique=True)
    category: Mapped[str] = mapped_column(sa.String(32), index=True)
    zh_objection: Mapped[str] = mapped_column(sa.Text, default="")
    zh_causes: Mapped[list] = mapped_column(sa.JSON, default=list)
    zh_answers: Mapped[list] = mapped_column(sa.JSON, default=list)
    en_objection: Mapped[str] = mapped_column(sa.Text, default="")
    en_causes: Mapped[list] = mapped_column(sa.JSON, default=list)
    en_answers: Mapped[list] = mapped_column(sa.JSON, default=list)
    content_hash: Mapped[str] = mapped_column(sa.String(64), default="")
    edited_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    edited_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def text(self, lang: str) -> dict:
        """Return {objection, causes, answers} in ``lang``, falling back to the other language."""
        order = ("zh", "en") if lang == "zh" else ("en", "zh")
        for code in order:
            objection = getattr(self, f"{code}_objection")
            if objection:
                return {"lang": code, "objection": objection, "causes": getattr(self, f"{code}_causes") or [],
                        "answers": getattr(self, f"{code}_answers") or []}
        return {"lang": lang, "objection": self.key, "causes": [], "answers": []}

    def __repr__(self) -> str:
        return f"<Objection {self.key}>"
