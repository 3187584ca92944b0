"""Load scenarios/ (YAML, Twee, objections.yaml) into the database: all or nothing, idempotent.

A scenario whose content changed gets a new version (plays keep theirs); an
unchanged file changes nothing. Scenarios a trainer published from the browser
and objection entries a trainer edited there are left alone by sync (the
database is the source of truth at run time); ``flask scenario import`` of one
file is explicit and still makes a new version.
"""

import hashlib
import json
from pathlib import Path
from typing import Callable, Optional

import sqlalchemy as sa
from flask import current_app

from app.content.objections import ObjectionDef, load_objections
from app.content.scenario import ScenarioDef, ScenarioProblems, load_behaviour_keys, load_scenario
from app.content.twee import load_twee
from app.extensions import db
from app.models.roleplay import Objection, Scenario, ScenarioBehaviour, ScenarioVersion
from app.services.errors import ImportProblems

OBJECTIONS_FILE = "objections.yaml"
TWEE_SUFFIXES = (".twee", ".tw")
KEPT = "kept"
KEPT_REASON = "kept: edited in the browser"
MISSING = "missing_files"
YAML_SUFFIXES = (".yaml", ".yml")


def scenario_files(directory) -> list[Path]:
    """Return the scenario files of a folder (YAML and Twee, not the objection library), sorted."""
    folder = Path(directory)
    if not folder.is_dir():
        return []
    return sorted(
        p for p in folder.iterdir()
        if p.is_file() and p.suffix in YAML_SUFFIXES + TWEE_SUFFIXES and p.name != OBJECTIONS_FILE
    )


def _behaviour_keys() -> Optional[set[str]]:
    """Return the shared behaviour vocabulary, when the content folder has one."""
    content_dir = current_app.config.get("CONTENT_DIR") if current_app else None
    keys = load_behaviour_keys(content_dir) if content_dir else None
    if keys is None:
        keys = load_behaviour_keys(Path(current_app.root_path).parent / "content")
    return keys


def load_scenario_file(path: Path, behaviours=None, objections=None) -> tuple[ScenarioDef, list[str]]:
    """Load one YAML or Twee scenario file; return (scenario, warnings)."""
    if path.suffix in YAML_SUFFIXES:
        return load_scenario(path, behaviours, objections), []
    return load_twee(path, behaviours, objections)


def load_folder(directory) -> tuple[list[tuple[Path, ScenarioDef]], list[ObjectionDef], list[str], list[str]]:
    """Load every file of a scenarios folder; return (scenarios, objections, problems, warnings)."""
    problems: list[str] = []
    warnings: list[str] = []
    objections: list[ObjectionDef] = []
    objection_path = Path(directory) / OBJECTIONS_FILE
    known_objections = None
    if objection_path.exists():
        try:
            objections = load_objections(objection_path)
            known_objections = {o.key for o in objections}
        except ScenarioProblems as exc:
            problems.extend(exc.problems)
    behaviours = _behaviour_keys()
    loaded: list[tuple[Path, ScenarioDef]] = []
    seen: dict[str, Path] = {}
    for path in scenario_files(directory):
        try:
            scenario, file_warnings = load_scenario_file(path, behaviours, known_objections)
        except ScenarioProblems as exc:
            problems.extend(exc.problems)
            continue
        warnings.extend(file_warnings)
        if scenario.slug in seen:
            problems.append(f"{path}:1: scenario id {scenario.slug!r} is already used by {seen[scenario.slug]}")
            continue
        seen[scenario.slug] = path
        loaded.append((path, scenario))
    return loaded, objections, problems, warnings


def check_scenarios(directory) -> list[str]:
    """Return every "FILE:LINE: message" problem of a scenarios folder (empty when it is clean)."""
    return load_folder(directory)[2]


def count_scenario_items(directory) -> int:
    """Return how many items sync will process (scenario files plus the objection library)."""
    return len(scenario_files(directory)) + int((Path(directory) / OBJECTIONS_FILE).exists())


def sync_scenarios(directory, progress: Optional[Callable[[int], None]] = None,
                   report: Optional[Callable[[str], None]] = None) -> dict:
    """Put a scenarios folder into the database; raise ImportProblems (nothing written) on any problem.

    Scenarios edited in the browser are not overwritten: they count as ``kept``
    and ``report`` (when given) receives "SLUG: kept: edited in the browser".
    Scenarios stored from a file that is no longer in the folder are listed
    under "missing_files" (see ``missing_scenarios``) and left as they are.
    """
    loaded, objections, problems, _warnings = load_folder(directory)
    if problems:
        raise ImportProblems(problems)
    summary = {"created": 0, "updated": 0, "unchanged": 0, KEPT: 0, "objections_created": 0,
               "objections_updated": 0, "objections_unchanged": 0}
    for path, scenario in loaded:
        status = store_scenario(scenario, str(path))
        summary[status] += 1
        if status == KEPT and report:
            report(f"{scenario.slug}: {KEPT_REASON} ({path} not loaded)")
        if progress:
            progress(1)
    if objections:
        for key, value in store_objections(objections).items():
            summary[f"objections_{key}"] += value
        if progress:
            progress(1)
    db.session.commit()
    summary[MISSING] = missing_scenarios({scenario.slug for _path, scenario in loaded})
    if report:
        for name in summary[MISSING]:
            report(f"{name}: missing from files: in the database, but no file in {directory} has this id; "
                   f"left as it is (restore the file, or keep editing it in the studio)")
    return summary


def missing_scenarios(on_disk: set[str]) -> list[str]:
    """Return the slugs of file-loaded scenarios no file in the folder has (" (unpublished)" when hidden).

    Only scenarios that came from files count: not those created, uploaded or
    published in the browser (``edited_at`` set, or never published). They are
    reported, never unpublished here: a sync of an incomplete checkout or the
    wrong folder must not hide scenarios learners are playing, and the database
    is the source of truth at run time.
    """
    rows = db.session.execute(
        sa.select(Scenario.slug, Scenario.published)
        .where(Scenario.edited_at.is_(None), Scenario.current_version > 0)
        .order_by(Scenario.slug)
    )
    return [slug + ("" if published else " (unpublished)") for slug, published in rows if slug not in on_disk]


sync_scenarios.count = count_scenario_items


def import_scenario_file(path) -> tuple[str, ScenarioDef]:
    """Import one scenario file (all or nothing); return ("created"|"updated"|"unchanged", scenario).

    Objection keys may name library entries already in the database or in an
    objections.yaml beside the file (whose entries are then stored too). Unlike
    sync, this replaces a scenario edited in the browser with a new version
    (the trainer's versions stay in the history and ``edited_at`` stays set).
    """
    path = Path(path)
    known = set(db.session.scalars(sa.select(Objection.key)))
    beside = path.parent / OBJECTIONS_FILE
    entries = load_objections(beside) if beside.exists() and path.name != OBJECTIONS_FILE else []
    known |= {e.key for e in entries}
    scenario, _warnings = load_scenario_file(path, _behaviour_keys(), known)
    if entries:
        store_objections(entries)
    status = store_scenario(scenario, str(path), keep_edited=False)
    db.session.commit()
    return status, scenario


def store_scenario(scenario: ScenarioDef, source_path: str = "", keep_edited: bool = True) -> str:
    """Add a scenario or a new version of it when its content changed; no commit. Return the status.

    With ``keep_edited`` a scenario published from the browser is left as it is
    and the status is ``"kept"``.
    """
    digest = scenario.content_hash()
    row = db.session.scalar(sa.select(Scenario).where(Scenario.slug == scenario.slug))
    status = "created"
    if row is None:
        row = Scenario(slug=scenario.slug, current_version=0)
        db.session.add(row)
    elif keep_edited and row.edited_at is not None:
        return KEPT
    else:
        latest = db.session.scalar(
            sa.select(ScenarioVersion).where(
                ScenarioVersion.scenario_id == row.id, ScenarioVersion.number == row.current_version
            )
        )
        if latest is not None and latest.content_hash == digest:
            return "unchanged"
        status = "updated"
    row.title, row.lang, row.kind, row.tier = scenario.title, scenario.lang, scenario.kind, scenario.tier
    persona = scenario.persona
    row.persona = " · ".join(p for p in (persona.name, persona.role, persona.company) if p)[:300]
    row.current_version += 1
    row.versions.append(ScenarioVersion(
        number=row.current_version, content_hash=digest, source_path=source_path,
        source_format="twee" if source_path.endswith(TWEE_SUFFIXES) else "yaml", title=scenario.title,
        definition=scenario.to_dict(), rubric=list(scenario.rubric), behaviours=list(scenario.behaviours),
        objection_keys=list(scenario.objections),
    ))
    wanted = set(scenario.behaviours)
    for link in list(row.behaviour_links):
        if link.behaviour not in wanted:
            row.behaviour_links.remove(link)
    have = {link.behaviour for link in row.behaviour_links}
    for key in scenario.behaviours:
        if key not in have:
            row.behaviour_links.append(ScenarioBehaviour(behaviour=key))
    db.session.flush()
    return status


def _objection_hash(entry: ObjectionDef) -> str:
    """Return a hash of an objection entry's content."""
    data = {"category": entry.category,
            "zh": entry.zh.__dict__ if entry.zh else None, "en": entry.en.__dict__ if entry.en else None}
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False, default=list).encode()).hexdigest()


def store_objections(entries: list[ObjectionDef]) -> dict:
    """Create or update objection rows from the file; rows trainers edited stay as they are. No commit."""
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    rows = {o.key: o for o in db.session.scalars(sa.select(Objection))}
    for entry in entries:
        digest = _objection_hash(entry)
        row = rows.get(entry.key)
        if row is not None and (row.content_hash == digest or row.edited_at is not None):
            counts["unchanged"] += 1
            continue
        if row is None:
            row = Objection(key=entry.key)
            db.session.add(row)
            counts["created"] += 1
        else:
            counts["updated"] += 1
        row.category, row.content_hash = entry.category, digest
        for lang in ("zh", "en"):
            text = getattr(entry, lang)
            setattr(row, f"{lang}_objection", text.objection if text else "")
            setattr(row, f"{lang}_causes", list(text.causes) if text else [])
            setattr(row, f"{lang}_answers", list(text.answers) if text else [])
    db.session.flush()
    return counts
