"""Scenario studio: trainers author role-play scenarios in the browser (drafts, checks, publish, versions).

A scenario's working copy (``Scenario.draft``) is plain data in the YAML file
shape (DESIGN.md §4) and may be invalid. ``check_draft`` runs exactly the rules
of ``flask scenario validate`` on it by dumping it to YAML text and reading it
back with line numbers, then maps every problem to the node it belongs to.
Publishing a valid draft adds an immutable ScenarioVersion; plays keep theirs.
"""

import copy
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Optional

import sqlalchemy as sa
import yaml
from werkzeug.utils import secure_filename

from app.content.scenario import (
    KEY_RE, KINDS, LANGS, SLUG_RE, SPIN_LABELS, Node, ScenarioDef, ScenarioProblems, load_yaml_with_lines,
    parse_scenario, reachable,
)
from app.extensions import db
from app.models.roleplay import Objection, Scenario, ScenarioVersion
from app.models.types import utcnow
from app.services.errors import Conflict, ImportProblems, NotFound, ValidationError
from app.services.scenario_sync import (
    TWEE_SUFFIXES, YAML_SUFFIXES, _behaviour_keys, load_scenario_file, store_scenario,
)

DRAFT_FILE = "draft.yaml"
MAX_UPLOAD = 512 * 1024
#: Slugs that would collide with the studio's own addresses (/studio/new, /studio/upload, …).
RESERVED_SLUGS = {"new", "upload", "experiments"}
NODE_WAYS = ("choices", "free_text", "end")
#: Keys that may be left out of the YAML when empty (the loader reads them as empty).
OPTIONAL_EMPTY = {"technique", "feedback", "score", "branches", "hint", "description", "objections", "behaviours"}
_LINE_RE = re.compile(r"^(?P<file>.*?):(?P<line>\d+): (?P<message>.*)$", re.S)


# --- listing and lookup ----------------------------------------------------------------------------------


@dataclass
class StudioRow:
    """A scenario in the studio list with its publishing state."""

    scenario: Scenario
    has_draft: bool

    @property
    def state(self) -> str:
        """Return "published", "published_draft" (published with unpublished changes) or "draft"."""
        if not self.scenario.published or not self.scenario.current_version:
            return "draft"
        return "published_draft" if self.has_draft else "published"


def list_studio_scenarios() -> list[StudioRow]:
    """Return every scenario, published or not, with its draft state, by title (one query)."""
    rows = db.session.scalars(sa.select(Scenario).order_by(Scenario.title, Scenario.slug))
    return [StudioRow(s, s.draft_updated_at is not None) for s in rows]


def get_studio_scenario(slug: str) -> Scenario:
    """Return any scenario (published or not) by slug, or raise NotFound."""
    scenario = db.session.scalar(sa.select(Scenario).where(Scenario.slug == slug))
    if scenario is None:
        raise NotFound("scenario")
    return scenario


def get_version(scenario: Scenario, number: int) -> ScenarioVersion:
    """Return version ``number`` of a scenario, or raise NotFound."""
    version = db.session.scalar(sa.select(ScenarioVersion).where(
        ScenarioVersion.scenario_id == scenario.id, ScenarioVersion.number == number))
    if version is None:
        raise NotFound("version")
    return version


def list_versions(scenario: Scenario) -> list[ScenarioVersion]:
    """Return a scenario's versions, newest first."""
    return list(db.session.scalars(sa.select(ScenarioVersion).where(ScenarioVersion.scenario_id == scenario.id)
                                   .order_by(ScenarioVersion.number.desc())))


# --- the draft shape ---------------------------------------------------------------------------------------


def blank_draft(slug: str, title: str, lang: str, kind: str) -> dict:
    """Return the working copy of a new scenario: metadata and one empty opening node."""
    return {
        "id": slug, "title": title, "lang": lang, "kind": kind, "tier": "new_hire", "description": "",
        "persona": {"name": "", "role": "", "company": "", "mood": "", "background": ""},
        "objections": [], "behaviours": [], "rubric": ["rapport", "discovery"], "start": "opening",
        "nodes": {"opening": {"customer": "", "choices": []}},
    }


def draft_from_definition(definition: dict) -> dict:
    """Return a version's definition (``ScenarioDef.to_dict()``) in the YAML file shape.

    Free-text points are stored per SPIN label. They are written as one
    ``score`` when that says exactly the same (the same points for each
    expected label and no others), else as ``scores`` per label, so the file
    loads back to the same content hash (Twee stories give points per route).
    """
    data = copy.deepcopy(definition)
    nodes = {}
    for key, item in data.get("nodes", {}).items():
        if "end" in item:
            node = {"end": item["end"], "summary": item.get("summary", "")}
            if item.get("customer"):
                node = {"customer": item["customer"], **node}
        elif "free_text" in item:
            ft = dict(item["free_text"])
            label_scores = ft.pop("label_scores", None) or {}
            expect = list(ft.get("expect") or [])
            out = {"expect": expect, "routes": dict(ft.pop("routes", {}) or {}),
                   **free_text_points(expect, label_scores)}
            for name, value in ft.items():
                if name != "expect" and not (name in OPTIONAL_EMPTY and value in ("", {}, [], None)):
                    out[name] = value
            node = {"customer": item.get("customer", ""), "free_text": out}
        else:
            node = {"customer": item.get("customer", ""),
                    "choices": [_trim(dict(c)) for c in item.get("choices", [])]}
        nodes[key] = node
    data["nodes"] = nodes
    return data


def free_text_points(expect: list, label_scores: dict) -> dict:
    """Return ``{"score": …}``, ``{"scores": …}`` or ``{}``: the YAML keys that load back to ``label_scores``."""
    if not label_scores:
        return {}
    first = next(iter(label_scores.values()))
    if first and label_scores == {label: first for label in expect}:
        return {"score": dict(first)}
    return {"scores": {label: dict(points) for label, points in label_scores.items()}}


def _trim(mapping: dict) -> dict:
    """Drop optional keys whose value is empty."""
    return {k: v for k, v in mapping.items() if not (k in OPTIONAL_EMPTY and v in ("", {}, [], None))}


def draft_to_yaml(draft: dict) -> str:
    """Return the draft as YAML text in the scenarios/ format (empty optional fields left out)."""
    data = _trim(dict(draft))
    nodes = data.get("nodes")
    if isinstance(nodes, dict):
        clean = {}
        for key, node in nodes.items():
            if isinstance(node, dict):
                node = _trim(dict(node))
                if isinstance(node.get("choices"), list):
                    node["choices"] = [_trim(c) if isinstance(c, dict) else c for c in node["choices"]]
                if isinstance(node.get("free_text"), dict):
                    node["free_text"] = _trim(dict(node["free_text"]))
            clean[key] = node
        # "nodes" last: every line from the first node on belongs to a node (see check_draft).
        data.pop("nodes")
        data["nodes"] = clean
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, default_flow_style=False, width=10_000)


def vocabularies() -> tuple[Optional[set], Optional[set]]:
    """Return the behaviour and objection keys scenarios may name (None: not checked)."""
    objections = set(db.session.scalars(sa.select(Objection.key)))
    return _behaviour_keys(), (objections or None)


def vocabulary_names(lang: str = "en") -> tuple[dict, dict]:
    """Return ({behaviour key: name}, {objection key: "key — objection"}) for pickers, in ``lang`` where there is one."""
    from app.services.plays import behaviour_names

    behaviours = {key: str(names.get(lang) or names.get("en") or key)
                  for key, names in behaviour_names().items()}
    objections = {}
    for row in db.session.scalars(sa.select(Objection).order_by(Objection.category, Objection.key)):
        text = row.text(lang)["objection"]
        text = text if len(text) <= 60 else text[:59] + "…"
        objections[row.key] = row.key if text == row.key else f"{row.key} — {text}"
    return behaviours, objections


@dataclass
class DraftCheck:
    """What ``check_draft`` found: the scenario when valid, else problems by node and at the top."""

    definition: Optional[ScenarioDef]
    node_problems: dict = field(default_factory=dict)
    problems: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Return True when the draft has no problem."""
        return self.definition is not None

    @property
    def count(self) -> int:
        """Return the number of problems."""
        return len(self.problems) + sum(len(v) for v in self.node_problems.values())

    def __iter__(self):
        return iter((self.definition, self.node_problems, self.problems))


_FROM_DATABASE = object()


def check_draft(draft: dict, behaviours=_FROM_DATABASE, objections=_FROM_DATABASE,
                path: str = DRAFT_FILE) -> DraftCheck:
    """Validate a draft with the rules of ``flask scenario validate``; map problems to nodes.

    Returns (ScenarioDef or None, {node key: [message]}, [top-level message]);
    it also unpacks as that triple. The vocabularies default to the database's
    (None skips that check, as the loaders do).
    """
    if behaviours is _FROM_DATABASE or objections is _FROM_DATABASE:
        known_behaviours, known_objections = vocabularies()
        behaviours = known_behaviours if behaviours is _FROM_DATABASE else behaviours
        objections = known_objections if objections is _FROM_DATABASE else objections
    text = draft_to_yaml(draft)
    try:
        data = load_yaml_with_lines(text, path)
        return DraftCheck(parse_scenario(data, path, behaviours, objections))
    except ScenarioProblems as exc:
        found = exc.problems
    starts = _node_lines(text, path)
    result = DraftCheck(None)
    for problem in found:
        match = _LINE_RE.match(problem)
        line, message = (int(match["line"]), match["message"]) if match else (0, problem)
        owner = None
        for key, first in starts:
            if line >= first:
                owner = key
        if owner is None:
            result.problems.append(message)
        else:
            result.node_problems.setdefault(owner, []).append(message)
    return result


def _node_lines(text: str, path: str) -> list[tuple[str, int]]:
    """Return [(node key, first line)] of the dumped draft, in line order."""
    data = load_yaml_with_lines(text, path)
    nodes = data.get("nodes") if hasattr(data, "get") else None
    if not hasattr(nodes, "lines"):
        return []
    return sorted(((str(k), line) for k, line in nodes.lines.items()), key=lambda item: item[1])


_PART_RE = re.compile(r"^node '(?P<key>.*?)'(?:, (?:choice (?P<choice>\d+)|(?P<ft>free_text)))?"
                      r"(?:, branch (?P<branch>\d+))?")


def problems_by_part(key: str, messages: Iterable[str]) -> dict:
    """Return a node's problems by the part they concern, for showing them beside it.

    Keys: ``"choice-N"`` (1-based), ``"choice-N-branch-M"``, ``"free_text"``,
    ``"free_text-branch-M"``; messages about the node as a whole are not included.
    """
    parts: dict = {}
    for message in messages:
        match = _PART_RE.match(message)
        if not match or match["key"] != key or not (match["choice"] or match["ft"]):
            continue
        part = f"choice-{match['choice']}" if match["choice"] else "free_text"
        if match["branch"]:
            part += f"-branch-{match['branch']}"
        parts.setdefault(part, []).append(message)
    return parts


def working_copy(scenario: Scenario) -> dict:
    """Return the draft, or the current version in the draft shape when there is no draft (no write)."""
    if scenario.draft is not None:
        return copy.deepcopy(scenario.draft)
    if scenario.current_version:
        return draft_from_definition(get_version(scenario, scenario.current_version).definition)
    return blank_draft(scenario.slug, scenario.title, scenario.lang, scenario.kind)


def check_scenario(scenario: Scenario) -> DraftCheck:
    """Check the scenario's working copy."""
    return check_draft(working_copy(scenario))


# --- writing the draft -------------------------------------------------------------------------------------


def create_scenario(user, slug: str, title: str, lang: str, kind: str) -> Scenario:
    """Create an unpublished scenario (no version yet) with a minimal draft."""
    slug = (slug or "").strip()
    if not SLUG_RE.match(slug) or slug in RESERVED_SLUGS:
        raise ValidationError("use lower-case letters, digits, '-' or '_'", field="slug")
    if db.session.scalar(sa.select(Scenario.id).where(Scenario.slug == slug)) is not None:
        raise Conflict("a scenario with this id exists", field="slug")
    if lang not in LANGS or kind not in KINDS:
        raise ValidationError("unknown language or kind")
    title = (title or "").strip() or slug
    scenario = Scenario(slug=slug, title=title[:200], lang=lang, kind=kind, tier="new_hire", published=False,
                        current_version=0, draft=blank_draft(slug, title, lang, kind), draft_updated_at=utcnow(),
                        draft_by_id=user.id)
    db.session.add(scenario)
    db.session.commit()
    return scenario


def _store_draft(scenario: Scenario, user, draft: dict) -> None:
    """Put a new working copy on the scenario (the caller commits)."""
    draft["id"] = scenario.slug
    scenario.draft = draft
    scenario.draft_updated_at = utcnow()
    scenario.draft_by_id = user.id


def start_draft(scenario: Scenario, user) -> dict:
    """Return the draft, starting one from the current version when there is none."""
    if scenario.draft is None:
        _store_draft(scenario, user, working_copy(scenario))
        db.session.commit()
    return copy.deepcopy(scenario.draft)


def save_metadata(scenario: Scenario, user, meta: dict) -> None:
    """Save the draft's metadata: title, lang, kind, tier, description, persona, rubric, links and start."""
    draft = working_copy(scenario)
    for key in ("title", "lang", "kind", "tier", "description", "start"):
        if key in meta:
            draft[key] = (meta[key] or "").strip()
    if "persona" in meta:
        draft["persona"] = {k: (meta["persona"].get(k) or "").strip()
                            for k in ("name", "role", "company", "mood", "background")}
    for key in ("rubric", "behaviours", "objections"):
        if key in meta:
            draft[key] = [k for k in meta[key] if k]
    _store_draft(scenario, user, draft)
    db.session.commit()


def save_node(scenario: Scenario, user, key: str, node: dict) -> None:
    """Replace one node of the draft."""
    draft = working_copy(scenario)
    if key not in draft.get("nodes", {}):
        raise NotFound("node")
    draft["nodes"][key] = node
    _store_draft(scenario, user, draft)
    db.session.commit()


def check_node_key(key: str) -> str:
    """Return a cleaned node key or raise ValidationError."""
    key = (key or "").strip()
    if not KEY_RE.match(key):
        raise ValidationError("start with a letter; use letters, digits, '_', '.' or '-'", field="key")
    return key


def add_node(scenario: Scenario, user, key: str, way: str = "choices") -> str:
    """Add an empty node (choices, free text or an ending) to the draft; return its key."""
    key = check_node_key(key)
    draft = working_copy(scenario)
    nodes = draft.setdefault("nodes", {})
    if key in nodes:
        raise Conflict("a node with this name exists", field="key")
    if way == "end":
        nodes[key] = {"end": "won", "summary": ""}
    elif way == "free_text":
        nodes[key] = {"customer": "", "free_text": {"expect": [], "routes": {}}}
    else:
        nodes[key] = {"customer": "", "choices": []}
    _store_draft(scenario, user, draft)
    db.session.commit()
    return key


def _retarget(node: dict, old: str, new: str) -> None:
    """Point every way out of ``node`` that led to ``old`` at ``new``."""
    for item in node.get("choices") or []:
        if isinstance(item, dict):
            if item.get("next") == old:
                item["next"] = new
            for branch in item.get("branches") or []:
                if isinstance(branch, dict) and branch.get("next") == old:
                    branch["next"] = new
    ft = node.get("free_text")
    if isinstance(ft, dict):
        for label, target in list((ft.get("routes") or {}).items()):
            if target == old:
                ft["routes"][label] = new
        for branch in ft.get("branches") or []:
            if isinstance(branch, dict) and branch.get("next") == old:
                branch["next"] = new


def rename_node(scenario: Scenario, user, old: str, new: str) -> str:
    """Rename a node and every reference to it (start, next, routes, branches)."""
    new = check_node_key(new)
    draft = working_copy(scenario)
    nodes = draft.get("nodes", {})
    if old not in nodes:
        raise NotFound("node")
    if new == old:
        return new
    if new in nodes:
        raise Conflict("a node with this name exists", field="key")
    draft["nodes"] = {(new if k == old else k): v for k, v in nodes.items()}
    for node in draft["nodes"].values():
        if isinstance(node, dict):
            _retarget(node, old, new)
    if draft.get("start") == old:
        draft["start"] = new
    _store_draft(scenario, user, draft)
    db.session.commit()
    return new


def delete_node(scenario: Scenario, user, key: str) -> None:
    """Delete a node from the draft (links to it remain and show as problems)."""
    draft = working_copy(scenario)
    if key not in draft.get("nodes", {}):
        raise NotFound("node")
    del draft["nodes"][key]
    _store_draft(scenario, user, draft)
    db.session.commit()


def discard_draft(scenario: Scenario) -> None:
    """Drop the working copy of a published scenario (an unpublished one keeps it: it has nothing else)."""
    if not scenario.current_version:
        raise Conflict("this scenario has no published version to go back to")
    _clear_draft(scenario)
    db.session.commit()


def _clear_draft(scenario: Scenario) -> None:
    scenario.draft = None
    scenario.draft_updated_at = None
    scenario.draft_by_id = None


# --- publishing and versions ----------------------------------------------------------------------------


def _add_version(scenario: Scenario, definition: ScenarioDef, user, restored_from: Optional[int] = None):
    """Store ``definition`` as the scenario's next version through scenario_sync; None when unchanged."""
    # keep_edited=False: publishing from the studio is what marks a scenario as edited in the first place.
    status = store_scenario(definition, "", keep_edited=False)
    if status not in ("created", "updated"):
        return None
    version = db.session.scalar(sa.select(ScenarioVersion).where(
        ScenarioVersion.scenario_id == scenario.id, ScenarioVersion.number == scenario.current_version))
    version.source_format = "browser"
    version.published_by_id = user.id
    version.restored_from = restored_from
    scenario.published = True
    scenario.edited_at = utcnow()
    return version


def publish_draft(scenario: Scenario, user) -> Optional[ScenarioVersion]:
    """Publish a valid draft as a new version and clear the draft; return the version (None: nothing changed)."""
    if scenario.draft is None:
        raise Conflict("there is no draft to publish")
    draft = copy.deepcopy(scenario.draft)
    draft["id"] = scenario.slug
    result = check_draft(draft)
    if not result.ok:
        raise ValidationError("the draft has problems; fix them before publishing")
    version = _add_version(scenario, result.definition, user)
    if version is None and not scenario.published:
        scenario.published = True
    _clear_draft(scenario)
    db.session.commit()
    return version


def restore_version(scenario: Scenario, number: int, user) -> ScenarioVersion:
    """Publish a new version whose content equals version ``number`` (``restored_from`` set)."""
    old = get_version(scenario, number)
    version = _add_version(scenario, ScenarioDef.from_dict(old.definition), user, restored_from=number)
    if version is None:
        raise Conflict("this version is already the current content")
    db.session.commit()
    return version


# --- files ----------------------------------------------------------------------------------------------


def export_yaml(scenario: Scenario, number: Optional[int] = None) -> str:
    """Return version ``number`` (None: the draft, else the current version) as a scenarios/ YAML file."""
    if number is None and scenario.draft is not None:
        head = f"# {scenario.slug}: draft\n"
        return head + draft_to_yaml(dict(scenario.draft, id=scenario.slug))
    number = number or scenario.current_version
    version = get_version(scenario, number)
    return f"# {scenario.slug}: version {version.number}\n" + draft_to_yaml(draft_from_definition(version.definition))


def import_upload(user, filename: str, data: bytes) -> tuple[str, Scenario]:
    """Read an uploaded YAML or Twee file (all or nothing) into a draft; return ("draft"|"created", scenario).

    A file for an existing scenario becomes its draft; any other file becomes a
    new unpublished scenario. Problems raise ImportProblems as "FILE:LINE: message".
    """
    name = secure_filename(filename or "") or "upload.yaml"
    suffix = Path(name).suffix.lower()
    if suffix not in YAML_SUFFIXES + TWEE_SUFFIXES:
        raise ImportProblems([f"{name}:1: upload a .yaml, .yml, .twee or .tw file"])
    if len(data) > MAX_UPLOAD:
        raise ImportProblems([f"{name}:1: the file is larger than {MAX_UPLOAD // 1024} KB"])
    behaviours, objections = vocabularies()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        try:
            definition, _warnings = load_scenario_file(path, behaviours, objections)
        except ScenarioProblems as exc:
            raise ImportProblems([p.replace(str(path), name) for p in exc.problems]) from None
    draft = draft_from_definition(definition.to_dict())
    scenario = db.session.scalar(sa.select(Scenario).where(Scenario.slug == definition.slug))
    status = "draft"
    if scenario is None:
        status = "created"
        scenario = Scenario(slug=definition.slug, title=definition.title[:200], lang=definition.lang,
                            kind=definition.kind, tier=definition.tier, published=False, current_version=0)
        db.session.add(scenario)
    _store_draft(scenario, user, draft)
    db.session.commit()
    return status, scenario


# --- the graph ----------------------------------------------------------------------------------------------


def _ways_out(item) -> list[tuple[str, str, bool]]:
    """Return [(target, edge label, conditional)] of one node in either shape; tolerate any junk."""
    if not isinstance(item, dict):
        return []
    out = []
    for choice in item.get("choices") or []:
        if not isinstance(choice, dict):
            continue
        text = str(choice.get("text") or "")
        out.append((str(choice.get("next") or ""), text[:40] + ("…" if len(text) > 40 else ""), False))
        out.extend(_branch_ways(choice.get("branches")))
    ft = item.get("free_text")
    if isinstance(ft, dict):
        routes = ft.get("routes")
        for label, target in (routes.items() if isinstance(routes, dict) else []):
            out.append((str(target or ""), str(label), False))
        out.extend(_branch_ways(ft.get("branches")))
    return [w for w in out if w[0]]


def _branch_ways(branches) -> list[tuple[str, str, bool]]:
    """Return the score-conditional ways of a choice or free-text turn."""
    if not isinstance(branches, list):
        return []
    return [(str(b.get("next") or ""), str(b.get("if") or ""), True) for b in branches if isinstance(b, dict)]


def graph_data(definition: dict, problems=None, node_stats: Optional[dict] = None) -> dict:
    """Return {nodes, edges} for drawing a scenario (draft or version shape), robust to invalid drafts.

    ``problems``: node keys with problems (a mapping or any iterable of keys).
    ``node_stats``: {node: {"fail_rate": 0..1, …}} from the analytics side.
    Targets that name no node are drawn as nodes of kind "missing".
    """
    raw = definition.get("nodes") if isinstance(definition, dict) else None
    nodes = {str(k): v for k, v in raw.items()} if isinstance(raw, dict) else {}
    flagged = set(problems or ())
    stats = node_stats or {}
    ways = {key: _ways_out(item) for key, item in nodes.items()}
    endings = {k for k, item in nodes.items() if isinstance(item, dict) and "end" in item}
    start = str(definition.get("start") or "") if isinstance(definition, dict) else ""
    reached = reachable([start] if start in nodes else [], lambda k: [t for t, _, _ in ways.get(k, []) if t in nodes])
    incoming: dict = {k: [] for k in nodes}
    for key, out in ways.items():
        for target, _, _ in out:
            if target in incoming:
                incoming[target].append(key)
    can_end = reachable(list(endings), lambda k: incoming.get(k, []))
    result_nodes, missing = [], []
    for key, item in nodes.items():
        item = item if isinstance(item, dict) else {}
        kind = "end" if "end" in item else ("free_text" if "free_text" in item else "node")
        fail = (stats.get(key) or {}).get("fail_rate")
        result_nodes.append({
            "id": key, "label": key, "kind": kind, "outcome": str(item.get("end") or "") if kind == "end" else "",
            "customer": str(item.get("customer") or item.get("summary") or "")[:120],
            "start": key == start, "problems": key in flagged, "unreachable": key not in reached,
            "dead_end": key in reached and key not in can_end, "fail_rate": fail,
        })
    edges = []
    for key, out in ways.items():
        for target, label, conditional in out:
            if target not in nodes and target not in missing:
                missing.append(target)
            edges.append({"source": key, "target": target, "label": label, "conditional": conditional})
    for target in missing:
        result_nodes.append({"id": target, "label": target, "kind": "missing", "outcome": "", "customer": "",
                             "start": False, "problems": True, "unreachable": False, "dead_end": False,
                             "fail_rate": None})
    return {"nodes": result_nodes, "edges": edges}


# --- preview -----------------------------------------------------------------------------------------------


class ForcedLabel:
    """A stand-in classifier for preview: the trainer picks the SPIN label a typed line gets."""

    def __init__(self, label: str):
        self.label = label

    def classify(self, text: str):
        """Return the chosen label with full confidence."""
        from app.ml.spin import Prediction

        return Prediction(text=text, label=self.label, confidence=1.0, features=())


@dataclass
class PreviewState:
    """A preview run replayed from its answers: steps so far, where it stands, and the result at the end."""

    definition: ScenarioDef
    steps: list  # [(Node, Evaluation)]
    node: Node
    dimensions: list = field(default_factory=list)  # [(dimension, 0..1 or None)] at the end
    overall: Optional[float] = None

    @property
    def finished(self) -> bool:
        """Return True at an ending."""
        return self.node.is_ending


def preview_definition(scenario: Scenario, version: Optional[int] = None) -> ScenarioDef:
    """Return what to preview: version ``version``, else the draft (which must be valid), else the current version."""
    if version is None and scenario.draft is not None:
        result = check_draft(dict(copy.deepcopy(scenario.draft), id=scenario.slug))
        if not result.ok:
            raise ValidationError("the draft has problems; fix them to preview it")
        return result.definition
    number = version or scenario.current_version
    return ScenarioDef.from_dict(get_version(scenario, number).definition)


def replay_preview(definition: ScenarioDef, answers: Iterable[dict], classifier=None) -> PreviewState:
    """Replay answers ({"c": index} or {"t": text, "l": label}) through the player's rules; write nothing.

    Raises ValidationError when an answer does not fit (e.g. the draft changed under it).
    """
    from app.services.plays import dimension_scores, evaluate_answer, running_totals

    node = definition.nodes[definition.start]
    steps: list = []
    for answer in answers:
        if node.is_ending:
            raise ValidationError("the conversation has already ended")
        totals = running_totals([{"score": dict(ev.score)} for _, ev in steps])
        if "c" in answer:
            evaluation = evaluate_answer(definition, node, totals, choice=int(answer["c"]))
        else:
            label = answer.get("l") or ""
            forced = ForcedLabel(label) if label in SPIN_LABELS else classifier
            evaluation = evaluate_answer(definition, node, totals, text=str(answer.get("t") or ""), classifier=forced)
        if evaluation.next_node not in definition.nodes:
            raise ValidationError("an answer leads nowhere")
        steps.append((node, evaluation))
        node = definition.nodes[evaluation.next_node]
    state = PreviewState(definition, steps, node)
    if node.is_ending:
        scores = dimension_scores([ev for _, ev in steps], definition.rubric)
        state.dimensions = [(dim, scores.get(dim)) for dim in definition.rubric]
        state.overall = (round(sum(scores.values()) / len(scores), 4) if scores
                         else (1.0 if node.end == "won" else 0.0))
    return state

