"""Role-play scenarios: the YAML format (DESIGN.md §4) → frozen dataclasses, with FILE:LINE problems.

``load_scenario`` reads one YAML file and raises ``ScenarioProblems`` listing
every problem it finds; ``check_graph`` holds the rules shared with the Twee
loader (dangling ``next``, unreachable nodes, dead ends, no ``won`` ending,
score keys outside the rubric, free-text routes without ``default``).

A choice or a free-text turn may carry ``branches``: routes that apply only
when the running score of a rubric dimension meets a condition
(``if: rapport >= 3``); the first that holds wins, else the usual route.

A free-text turn gives points with ``score`` (the same points for each
expected label) or ``scores`` (points per SPIN label plus ``default``, the
shape Twee stories have); both load into ``FreeText.label_scores``.
"""

import difflib
import hashlib
import json
import operator
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Optional

import yaml

from app.services.errors import ImportProblems

SPIN_LABELS = ("situation", "problem", "implication", "need_payoff", "other")
KINDS = ("spin", "objection", "mixed")
TIERS = ("new_hire", "core", "manager")
LANGS = ("zh", "en")
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")
KEY_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,79}$")

TOP_KEYS = {
    "id", "title", "lang", "kind", "tier", "persona", "objections", "behaviours", "rubric", "start", "nodes",
    "description",
}
REQUIRED_TOP = ("id", "title", "lang", "kind", "rubric", "start", "nodes")
PERSONA_KEYS = {"name", "role", "company", "mood", "background"}
NODE_KEYS = {"customer", "choices", "free_text", "end", "summary"}
CHOICE_KEYS = {"text", "next", "technique", "score", "feedback", "branches"}
FREE_TEXT_KEYS = {"expect", "routes", "score", "scores", "feedback", "hint", "branches"}
BRANCH_KEYS = {"if", "next"}
FREE_TEXT_BRANCH_KEYS = BRANCH_KEYS | {"label"}
#: Comparison operators of a branch condition, in the order the docs and messages list them.
BRANCH_OPS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt, "==": operator.eq}
CONDITION_FORM = "'<rubric dimension> <op> <number>', e.g. 'rapport >= 3' (op: >=, >, <=, <, ==)"
_CONDITION_RE = re.compile(r"^\s*([^\s<>=!≥≤]+)\s*([<>=!≥≤]+)\s*(\S+)\s*$")
_NUMBER_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


class ScenarioProblems(ImportProblems):
    """A scenario file that failed validation; ``problems`` are "FILE:LINE: message" strings."""


# --- the scenario as loaded --------------------------------------------------


@dataclass(frozen=True)
class Persona:
    """The customer the learner talks to."""

    name: str
    role: str = ""
    company: str = ""
    mood: str = ""
    background: str = ""


class ConditionError(ValueError):
    """A branch condition that is not ``<dimension> <op> <number>``; the message says what is wrong."""


def parse_condition(condition: str) -> tuple[str, str, float]:
    """Return (dimension, op, value) of ``"rapport >= 3"``; raise ConditionError naming the fault."""
    match = _CONDITION_RE.match(condition)
    if not match:
        raise ConditionError(f"malformed condition {condition!r}: write {CONDITION_FORM}")
    dimension, op, value = match.groups()
    if op not in BRANCH_OPS:
        raise ConditionError(f"condition {condition!r}: operator {op!r} must be one of {', '.join(BRANCH_OPS)}")
    if not _NUMBER_RE.match(value):
        raise ConditionError(f"condition {condition!r}: {value!r} is not a number; write {CONDITION_FORM}")
    number = float(value)
    return dimension, op, int(number) if number.is_integer() and "." not in value else number


@dataclass(frozen=True)
class Branch:
    """A route taken only when the running score of a rubric dimension meets a condition.

    ``label`` (free-text turns only) limits the branch to lines of that SPIN label.
    """

    dimension: str
    op: str
    value: float
    next: str
    label: str = ""

    @property
    def condition(self) -> str:
        """Return the condition as written in YAML, e.g. ``rapport >= 3``."""
        return f"{self.dimension} {self.op} {self.value}"

    def holds(self, totals: dict) -> bool:
        """Return True when ``totals`` ({dimension: running points}) meet the condition (missing counts 0)."""
        return BRANCH_OPS[self.op](totals.get(self.dimension, 0), self.value)

    def applies_to(self, label: Optional[str]) -> bool:
        """Return True when the branch is open to a line of this SPIN label (or to a picked choice)."""
        return not self.label or self.label == label

    def to_dict(self) -> dict:
        """Return the branch in the YAML shape."""
        item = {"if": self.condition, "next": self.next}
        if self.label:
            item["label"] = self.label
        return item

    @classmethod
    def from_dict(cls, data: dict) -> "Branch":
        """Rebuild a branch from ``to_dict`` output."""
        dimension, op, value = parse_condition(data["if"])
        return cls(dimension=dimension, op=op, value=value, next=data["next"], label=data.get("label", ""))


def first_branch(branches: Iterable[Branch], totals: dict, label: Optional[str] = None) -> Optional[Branch]:
    """Return the first branch open to ``label`` whose condition holds for ``totals``, if any."""
    for branch in branches:
        if branch.applies_to(label) and branch.holds(totals):
            return branch
    return None


@dataclass(frozen=True)
class Choice:
    """One response the learner may pick, and where it leads (``branches`` first, then ``next``)."""

    text: str
    next: str
    technique: str = ""
    score: dict = field(default_factory=dict)
    feedback: str = ""
    branches: tuple = ()


@dataclass(frozen=True)
class FreeText:
    """A turn where the learner types; the SPIN label of the line picks the route.

    ``label_scores`` and ``feedback`` are keyed by SPIN label (``default`` for
    any label without its own entry). ``branches`` are checked before ``routes``.
    """

    expect: tuple
    routes: dict
    label_scores: dict = field(default_factory=dict)
    feedback: dict = field(default_factory=dict)
    hint: str = ""
    branches: tuple = ()

    def route(self, label: str) -> str:
        """Return the node a line with this label leads to."""
        return self.routes.get(label, self.routes.get("default", ""))

    def score_for(self, label: str) -> dict:
        """Return the rubric points a line with this label earns."""
        return self.label_scores.get(label, self.label_scores.get("default", {}))

    def feedback_for(self, label: str) -> str:
        """Return the feedback for a line with this label."""
        return self.feedback.get(label, self.feedback.get("default", ""))


@dataclass(frozen=True)
class Node:
    """A customer line and the learner's way on: choices, free text, or an ending."""

    key: str
    customer: str = ""
    choices: tuple = ()
    free_text: Optional[FreeText] = None
    end: str = ""
    summary: str = ""

    @property
    def is_ending(self) -> bool:
        """Return True when the conversation stops here."""
        return bool(self.end)

    @property
    def has_branches(self) -> bool:
        """Return True when a route here depends on the running score."""
        if self.free_text is not None:
            return bool(self.free_text.branches)
        return any(c.branches for c in self.choices)

    def targets(self) -> list[str]:
        """Return the nodes this node can lead to, branch targets included."""
        if self.free_text is not None:
            ft = self.free_text
            return list(dict.fromkeys([*ft.routes.values(), *(b.next for b in ft.branches)]))
        return list(dict.fromkeys(t for c in self.choices for t in (c.next, *(b.next for b in c.branches))))


@dataclass(frozen=True)
class ScenarioDef:
    """A whole scenario: metadata, persona, rubric and the conversation graph."""

    slug: str
    title: str
    lang: str
    kind: str
    tier: str
    persona: Persona
    rubric: tuple
    start: str
    nodes: dict
    objections: tuple = ()
    behaviours: tuple = ()
    description: str = ""

    @property
    def outcomes(self) -> list[str]:
        """Return the distinct ending outcomes, ``won`` first."""
        ends = {n.end for n in self.nodes.values() if n.is_ending}
        return sorted(ends, key=lambda e: (e != "won", e == "lost", e))

    def to_dict(self) -> dict:
        """Return the scenario as plain data in the YAML shape (stored as the version's definition)."""
        nodes = {}
        for key, node in self.nodes.items():
            if node.is_ending:
                item: dict[str, Any] = {"end": node.end, "summary": node.summary}
                if node.customer:
                    item["customer"] = node.customer
            elif node.free_text is not None:
                ft = node.free_text
                item = {
                    "customer": node.customer,
                    "free_text": {
                        "expect": list(ft.expect), "routes": dict(ft.routes),
                        "label_scores": {k: dict(v) for k, v in ft.label_scores.items()},
                        "feedback": dict(ft.feedback), "hint": ft.hint,
                    },
                }
                # Only when present, so the hash of a scenario without branches stays as it was.
                if ft.branches:
                    item["free_text"]["branches"] = [b.to_dict() for b in ft.branches]
            else:
                choices = []
                for c in node.choices:
                    choices.append({"text": c.text, "next": c.next, "technique": c.technique, "score": dict(c.score),
                                    "feedback": c.feedback})
                    if c.branches:
                        choices[-1]["branches"] = [b.to_dict() for b in c.branches]
                item = {"customer": node.customer, "choices": choices}
            nodes[key] = item
        return {
            "id": self.slug, "title": self.title, "lang": self.lang, "kind": self.kind, "tier": self.tier,
            "description": self.description,
            "persona": {k: getattr(self.persona, k) for k in ("name", "role", "company", "mood", "background")},
            "objections": list(self.objections), "behaviours": list(self.behaviours), "rubric": list(self.rubric),
            "start": self.start, "nodes": nodes,
        }

    def content_hash(self) -> str:
        """Return a hash of the canonical content (comments and layout do not count)."""
        canonical = json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    @classmethod
    def from_dict(cls, data: dict) -> "ScenarioDef":
        """Rebuild a scenario from ``to_dict`` output (trusted: it was validated when stored)."""
        nodes = {}
        for key, item in data["nodes"].items():
            ft = item.get("free_text")
            nodes[key] = Node(
                key=key,
                customer=item.get("customer", ""),
                choices=tuple(
                    Choice(**{**c, "branches": tuple(Branch.from_dict(b) for b in c.get("branches", ()))})
                    for c in item.get("choices", ())
                ),
                free_text=FreeText(
                    expect=tuple(ft["expect"]), routes=dict(ft["routes"]), label_scores=dict(ft["label_scores"]),
                    feedback=dict(ft["feedback"]), hint=ft.get("hint", ""),
                    branches=tuple(Branch.from_dict(b) for b in ft.get("branches", ())),
                ) if ft else None,
                end=item.get("end", ""),
                summary=item.get("summary", ""),
            )
        return cls(
            slug=data["id"], title=data["title"], lang=data["lang"], kind=data["kind"], tier=data["tier"],
            persona=Persona(**data["persona"]), rubric=tuple(data["rubric"]), start=data["start"], nodes=nodes,
            objections=tuple(data["objections"]), behaviours=tuple(data["behaviours"]),
            description=data.get("description", ""),
        )


# --- YAML with line numbers ----------------------------------------------------


class LDict(dict):
    """A mapping read from YAML that remembers the line of itself and of each key."""

    line = 0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines: dict = {}
        self.duplicates: list = []

    def line_of(self, key) -> int:
        """Return the line of ``key``, or of the mapping itself."""
        return self.lines.get(key, self.line)


class LList(list):
    """A sequence read from YAML that remembers the line of each item."""

    line = 0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines: list = []

    def line_of(self, index: int) -> int:
        """Return the line of item ``index``, or of the sequence itself."""
        return self.lines[index] if index < len(self.lines) else self.line


class _LineLoader(yaml.SafeLoader):
    """A safe loader that builds LDict/LList with line numbers (1-based)."""


def _construct_mapping(loader, node):
    loader.flatten_mapping(node)
    result = LDict()
    result.line = node.start_mark.line + 1
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        try:
            hash(key)
        except TypeError:
            result.duplicates.append((repr(key), line, "a key must be a plain value"))
            continue
        if key in result:
            result.duplicates.append((key, line, f"duplicate key {key!r} (first on line {result.lines[key]})"))
            continue
        result[key] = loader.construct_object(value_node, deep=True)
        result.lines[key] = line
    return result


def _construct_sequence(loader, node):
    result = LList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.lines = [child.start_mark.line + 1 for child in node.value]
    return result


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def load_yaml_with_lines(text: str, path: str):
    """Parse YAML text into LDict/LList values; raise ScenarioProblems on a syntax error."""
    try:
        return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise ScenarioProblems([f"{path}:{line}: YAML syntax error: {exc.problem or exc}"]) from None
    except yaml.YAMLError as exc:
        raise ScenarioProblems([f"{path}:1: YAML error: {exc}"]) from None


def read_text(path: Path) -> str:
    """Read a UTF-8 file, naming the file when it is not UTF-8 or cannot be read."""
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScenarioProblems([f"{path}:1: not UTF-8 text ({exc.reason} at byte {exc.start})"]) from None
    except OSError as exc:
        raise ScenarioProblems([f"{path}:1: cannot read file: {exc.strerror}"]) from None


# --- shared checks -----------------------------------------------------------


class Problems:
    """Collects "FILE:LINE: message" strings."""

    def __init__(self):
        self.items: list[str] = []

    def add(self, where: tuple, message: str) -> None:
        """Record a problem at ``where`` = (file, line)."""
        self.items.append(f"{where[0]}:{where[1]}: {message}")

    def __bool__(self) -> bool:
        return bool(self.items)


def did_you_mean(name: str, options: Iterable[str]) -> str:
    """Return " (did you mean 'x'?)" when a close option exists."""
    close = difflib.get_close_matches(name, list(options), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def check_vocabulary(
    scenario: ScenarioDef, lines: dict, problems: Problems,
    behaviours: Optional[Iterable[str]] = None, objections: Optional[Iterable[str]] = None,
) -> None:
    """Check behaviour and objection keys against the shared vocabularies, when given."""
    if behaviours is not None:
        known = set(behaviours)
        for i, key in enumerate(scenario.behaviours):
            if key not in known:
                problems.add(lines.get(("behaviour", i), lines["top"]),
                             f"unknown behaviour {key!r}{did_you_mean(key, known)}; "
                             f"use a key of content/behaviours.yaml")
    if objections is not None:
        known = set(objections)
        for i, key in enumerate(scenario.objections):
            if key not in known:
                problems.add(lines.get(("objection", i), lines["top"]),
                             f"unknown objection {key!r}{did_you_mean(key, known)}; "
                             f"use a key of scenarios/objections.yaml")


def check_graph(scenario: ScenarioDef, lines: dict, problems: Problems) -> None:
    """Check the conversation graph: targets, reachability, endings, rubric keys, free-text defaults.

    ``lines`` maps ("node", key), ("choice", key, i), ("route", key, label),
    ("score", key, i, dim), ("free_text", key), ("branch", key, i or "free_text", j),
    "start" and "top" to (file, line).
    """
    nodes = scenario.nodes
    rubric = set(scenario.rubric)
    if scenario.start not in nodes:
        problems.add(lines["start"], f"start {scenario.start!r} names no node{did_you_mean(scenario.start, nodes)}")
    for key, node in nodes.items():
        where = lines.get(("node", key), lines["top"])
        if node.free_text is not None:
            ft = node.free_text
            if "default" not in ft.routes:
                problems.add(lines.get(("free_text", key), where),
                             f"node {key!r}: free-text routes need a 'default' route "
                             f"(for lines of any other SPIN label)")
            for label, target in ft.routes.items():
                if target not in nodes:
                    problems.add(lines.get(("route", key, label), where),
                                 f"node {key!r}: route {label!r} goes to {target!r}, which names no node"
                                 f"{did_you_mean(target, nodes)}")
            for label, score in ft.label_scores.items():
                for dim in score:
                    if dim not in rubric:
                        problems.add(lines.get(("route_score", key, label, dim), lines.get(("free_text", key), where)),
                                     f"node {key!r}: score key {dim!r} is not a rubric dimension "
                                     f"(rubric: {', '.join(scenario.rubric)}){did_you_mean(dim, rubric)}")
            _check_branches(scenario, key, "free_text", ft.branches, f"node {key!r}, free_text",
                            lines, lines.get(("free_text", key), where), problems)
        for i, choice in enumerate(node.choices):
            cwhere = lines.get(("choice", key, i), where)
            if choice.next not in nodes:
                problems.add(lines.get(("next", key, i), cwhere),
                             f"node {key!r}, choice {i + 1}: next {choice.next!r} names no node"
                             f"{did_you_mean(choice.next, nodes)}")
            for dim in choice.score:
                if dim not in rubric:
                    problems.add(lines.get(("score", key, i, dim), cwhere),
                                 f"node {key!r}, choice {i + 1}: score key {dim!r} is not a rubric dimension "
                                 f"(rubric: {', '.join(scenario.rubric)}){did_you_mean(dim, rubric)}")
            _check_branches(scenario, key, i, choice.branches, f"node {key!r}, choice {i + 1}", lines, cwhere,
                            problems)
    if not any(n.end == "won" for n in nodes.values()):
        problems.add(lines["top"], "no 'won' ending: add a node with 'end: won' and a summary")
    if scenario.start not in nodes:
        return
    reached = reachable([scenario.start], lambda k: nodes[k].targets() if k in nodes else [])
    for key in nodes:
        if key not in reached:
            problems.add(lines.get(("node", key), lines["top"]),
                         f"node {key!r} is unreachable: no path from start {scenario.start!r} leads to it")
    incoming: dict[str, list[str]] = {k: [] for k in nodes}
    for key, node in nodes.items():
        for target in node.targets():
            if target in incoming:
                incoming[target].append(key)
    can_end = reachable([k for k, n in nodes.items() if n.is_ending], lambda k: incoming.get(k, []))
    for key in nodes:
        if key in reached and key not in can_end:
            problems.add(lines.get(("node", key), lines["top"]),
                         f"node {key!r} has no way to any ending (every path from it loops or stops)")


def _check_branches(scenario: ScenarioDef, key: str, owner, branches: tuple, what: str, lines: dict,
                    where: tuple, problems: Problems) -> None:
    """Check branch conditions name rubric dimensions and branch targets name nodes.

    ``owner`` is the choice index or "free_text"; ``lines`` holds ("branch", key, owner, j)
    for each branch and ("branch_if" | "branch_next", key, owner, j) for its fields.
    """
    for j, branch in enumerate(branches):
        bwhat = f"{what}, branch {j + 1}"
        bwhere = lines.get(("branch", key, owner, j), where)
        # An empty dimension marks a condition the reader already reported as malformed.
        if branch.dimension and branch.dimension not in scenario.rubric:
            problems.add(lines.get(("branch_if", key, owner, j), bwhere),
                         f"{bwhat}: condition {branch.condition!r} names {branch.dimension!r}, which is not a "
                         f"rubric dimension (rubric: {', '.join(scenario.rubric)})"
                         f"{did_you_mean(branch.dimension, scenario.rubric)}")
        if branch.next and branch.next not in scenario.nodes:  # a missing next was reported by the reader
            problems.add(lines.get(("branch_next", key, owner, j), bwhere),
                         f"{bwhat}: next {branch.next!r} names no node{did_you_mean(branch.next, scenario.nodes)}")


def reachable(starts: list[str], neighbours) -> set[str]:
    """Return the nodes reachable from ``starts`` (breadth-first)."""
    seen = set(starts)
    queue = list(starts)
    while queue:
        for nxt in neighbours(queue.pop()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


# --- the YAML front end --------------------------------------------------------


class _Reader:
    """Typed access to LDict fields that records problems instead of raising."""

    def __init__(self, path: str, problems: Problems):
        self.path = path
        self.problems = problems

    def at(self, line: int) -> tuple:
        """Return (file, line) for a problem."""
        return (self.path, line)

    def unknown_keys(self, mapping: LDict, allowed: set, what: str) -> None:
        """Report duplicate keys and keys outside ``allowed``."""
        for key, line, message in mapping.duplicates:
            self.problems.add(self.at(line), message)
        for key in mapping:
            if key not in allowed:
                self.problems.add(self.at(mapping.line_of(key)),
                                  f"unknown key {key!r} in {what}{did_you_mean(str(key), allowed)}; "
                                  f"allowed: {', '.join(sorted(allowed))}")

    def text(self, mapping: LDict, key: str, what: str, required: bool = False) -> str:
        """Return a text field (numbers are read as text), reporting a missing or non-text value."""
        value = mapping.get(key)
        if value is None:
            if required:
                self.problems.add(self.at(mapping.line), f"{what} needs '{key}'")
            return ""
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            self.problems.add(self.at(mapping.line_of(key)), f"{what}: '{key}' must be text")
            return ""
        return str(value).strip()

    def choice_of(self, mapping: LDict, key: str, options: tuple, what: str, default: str = "") -> str:
        """Return a field that must be one of ``options``."""
        value = self.text(mapping, key, what, required=not default) or default
        if value and value not in options:
            self.problems.add(self.at(mapping.line_of(key)),
                              f"{what}: {key} {value!r} must be one of {', '.join(options)}")
        return value

    def key_list(self, mapping: LDict, key: str, what: str) -> tuple[tuple, list]:
        """Return (keys, their lines) of a list-of-keys field."""
        value = mapping.get(key)
        if value is None:
            return (), []
        if not isinstance(value, LList) or not all(isinstance(v, str) and v.strip() for v in value):
            self.problems.add(self.at(mapping.line_of(key)), f"{what}: '{key}' must be a list of keys")
            return (), []
        return tuple(v.strip() for v in value), list(value.lines)

    def score(self, mapping: LDict, key: str, what: str) -> tuple[dict, dict]:
        """Return ({dimension: points}, {dimension: line}) of a score mapping."""
        value = mapping.get(key)
        if value is None:
            return {}, {}
        if not isinstance(value, LDict):
            self.problems.add(self.at(mapping.line_of(key)),
                              f"{what}: score must be a mapping of rubric dimension to points, e.g. {{rapport: 1}}")
            return {}, {}
        score, lines = {}, {}
        for dim, points in value.items():
            if isinstance(points, bool) or not isinstance(points, (int, float)):
                self.problems.add(self.at(value.line_of(dim)), f"{what}: score for {dim!r} must be a number")
                continue
            score[str(dim)] = points
            lines[str(dim)] = value.line_of(dim)
        return score, lines


def _parse_branches(r: _Reader, mapping: LDict, what: str, key: str, owner, lines: dict,
                    free_text: bool = False) -> tuple:
    """Return the ``branches`` of a choice or free-text mapping as Branch tuples, recording problems."""
    raw = mapping.get("branches")
    if raw is None:
        return ()
    if not isinstance(raw, LList) or not raw:
        r.problems.add(r.at(mapping.line_of("branches")),
                       f"{what}: branches must be a list of {{if: <condition>, next: <node>}}, "
                       f"e.g. [{{if: rapport >= 3, next: trust_rebuilt}}]")
        return ()
    allowed = FREE_TEXT_BRANCH_KEYS if free_text else BRANCH_KEYS
    branches = []
    for j, item in enumerate(raw):
        bline = raw.line_of(j)
        bwhat = f"{what}, branch {j + 1}"
        lines[("branch", key, owner, j)] = r.at(bline)
        if not isinstance(item, LDict):
            r.problems.add(r.at(bline), f"{bwhat} must be a mapping with if and next, e.g. {{if: rapport >= 3, "
                                        f"next: trust_rebuilt}}")
            continue
        r.unknown_keys(item, allowed, bwhat)
        lines[("branch_if", key, owner, j)] = r.at(item.line_of("if"))
        lines[("branch_next", key, owner, j)] = r.at(item.line_of("next"))
        condition = r.text(item, "if", bwhat, required=True)
        target = r.text(item, "next", bwhat, required=True)
        label = r.text(item, "label", bwhat) if free_text else ""
        if label and label not in SPIN_LABELS:
            r.problems.add(r.at(item.line_of("label")),
                           f"{bwhat}: label {label!r} is not a SPIN label ({', '.join(SPIN_LABELS)})"
                           f"{did_you_mean(label, SPIN_LABELS)}")
        dimension, op, value = "", "==", 0
        if condition:
            try:
                dimension, op, value = parse_condition(condition)
            except ConditionError as exc:
                r.problems.add(r.at(item.line_of("if")), f"{bwhat}: {exc}")
        branches.append(Branch(dimension=dimension, op=op, value=value, next=target, label=label))
    return tuple(branches)


def parse_scenario(
    data: Any, path: str, behaviours: Optional[Iterable[str]] = None, objections: Optional[Iterable[str]] = None,
) -> ScenarioDef:
    """Validate YAML data (LDict) of one scenario and return it, or raise ScenarioProblems."""
    problems = Problems()
    r = _Reader(path, problems)
    if not isinstance(data, LDict):
        raise ScenarioProblems([f"{path}:1: a scenario file must be a mapping with id, title, nodes, …"])
    lines: dict = {"top": r.at(data.line or 1), "start": r.at(data.line_of("start"))}
    r.unknown_keys(data, TOP_KEYS, "scenario")
    for key in REQUIRED_TOP:
        if key not in data:
            problems.add(lines["top"], f"scenario needs '{key}'")
    slug = r.text(data, "id", "scenario")
    if slug and not SLUG_RE.match(slug):
        problems.add(r.at(data.line_of("id")), f"id {slug!r} must be lower-case letters, digits, '-' or '_'")
    persona_data = data.get("persona")
    persona = Persona(name="")
    if persona_data is not None:
        if isinstance(persona_data, LDict):
            r.unknown_keys(persona_data, PERSONA_KEYS, "persona")
            persona = Persona(**{k: r.text(persona_data, k, "persona", required=(k == "name")) for k in PERSONA_KEYS})
        else:
            problems.add(r.at(data.line_of("persona")), "persona must be a mapping with name, role, company, mood")
    rubric, _ = r.key_list(data, "rubric", "scenario")
    if "rubric" in data and not rubric:
        problems.add(r.at(data.line_of("rubric")), "rubric must list at least one dimension, e.g. [rapport, discovery]")
    behaviour_keys, behaviour_lines = r.key_list(data, "behaviours", "scenario")
    objection_keys, objection_lines = r.key_list(data, "objections", "scenario")
    for i, line in enumerate(behaviour_lines):
        lines[("behaviour", i)] = r.at(line)
    for i, line in enumerate(objection_lines):
        lines[("objection", i)] = r.at(line)
    nodes = {}
    raw_nodes = data.get("nodes")
    if raw_nodes is not None and (not isinstance(raw_nodes, LDict) or not raw_nodes):
        problems.add(r.at(data.line_of("nodes")), "nodes must be a mapping of node name to node")
    elif raw_nodes:
        r.unknown_keys(raw_nodes, set(raw_nodes), "nodes")  # reports duplicate node names
        for key, raw in raw_nodes.items():
            key = str(key)
            lines[("node", key)] = r.at(raw_nodes.line_of(key))
            node = _parse_node(r, key, raw, raw_nodes.line_of(key), lines)
            if node is not None:
                nodes[key] = node
    scenario = ScenarioDef(
        slug=slug, title=r.text(data, "title", "scenario"),
        lang=r.choice_of(data, "lang", LANGS, "scenario"), kind=r.choice_of(data, "kind", KINDS, "scenario"),
        tier=r.choice_of(data, "tier", TIERS, "scenario", default="new_hire"),
        persona=persona, rubric=rubric, start=r.text(data, "start", "scenario"), nodes=nodes,
        objections=objection_keys, behaviours=behaviour_keys, description=r.text(data, "description", "scenario"),
    )
    if nodes and "start" in data:
        check_graph(scenario, lines, problems)
    check_vocabulary(scenario, lines, problems, behaviours, objections)
    if problems:
        raise ScenarioProblems(problems.items)
    return scenario


def _parse_node(r: _Reader, key: str, raw: Any, line: int, lines: dict) -> Optional[Node]:
    """Validate one node mapping; return the Node or None when it is unusable."""
    what = f"node {key!r}"
    if not isinstance(raw, LDict):
        r.problems.add(r.at(line), f"{what} must be a mapping with customer and choices, free_text or end")
        return None
    r.unknown_keys(raw, NODE_KEYS, what)
    customer = r.text(raw, "customer", what)
    ways = [k for k in ("choices", "free_text", "end") if k in raw]
    if len(ways) != 1:
        r.problems.add(r.at(line), f"{what} needs exactly one of 'choices', 'free_text' or 'end' "
                                   f"(has {', '.join(ways) or 'none'})")
        return None
    if "end" in raw:
        end = r.text(raw, "end", what)
        if end and not KEY_RE.match(end):
            r.problems.add(r.at(raw.line_of("end")), f"{what}: end must be won, lost or an outcome name like next_meeting")
        summary = r.text(raw, "summary", what, required=True)
        return Node(key=key, customer=customer, end=end, summary=summary)
    if "summary" in raw:
        r.problems.add(r.at(raw.line_of("summary")), f"{what}: only endings have a summary")
    if not customer:
        r.problems.add(r.at(line), f"{what} needs 'customer' (the customer's line)")
    if "choices" in raw:
        raw_choices = raw["choices"]
        if not isinstance(raw_choices, LList) or not raw_choices:
            r.problems.add(r.at(raw.line_of("choices")), f"{what}: choices must be a non-empty list")
            return None
        choices = []
        for i, item in enumerate(raw_choices):
            cline = raw_choices.line_of(i)
            lines[("choice", key, i)] = r.at(cline)
            cwhat = f"{what}, choice {i + 1}"
            if not isinstance(item, LDict):
                r.problems.add(r.at(cline), f"{cwhat} must be a mapping with text and next")
                continue
            r.unknown_keys(item, CHOICE_KEYS, cwhat)
            lines[("next", key, i)] = r.at(item.line_of("next"))
            score, score_lines = r.score(item, "score", cwhat)
            for dim, sline in score_lines.items():
                lines[("score", key, i, dim)] = r.at(sline)
            choices.append(Choice(
                text=r.text(item, "text", cwhat, required=True), next=r.text(item, "next", cwhat, required=True),
                technique=r.text(item, "technique", cwhat), score=score, feedback=r.text(item, "feedback", cwhat),
                branches=_parse_branches(r, item, cwhat, key, i, lines),
            ))
        return Node(key=key, customer=customer, choices=tuple(choices))
    return _parse_free_text(r, key, raw, customer, lines)


def _parse_free_text(r: _Reader, key: str, raw: LDict, customer: str, lines: dict) -> Optional[Node]:
    """Validate a free-text node: expect, routes (with default), score and feedback."""
    what = f"node {key!r}, free_text"
    ft = raw["free_text"]
    lines[("free_text", key)] = r.at(raw.line_of("free_text"))
    if not isinstance(ft, LDict):
        r.problems.add(r.at(raw.line_of("free_text")), f"{what} must be a mapping with expect and routes")
        return None
    r.unknown_keys(ft, FREE_TEXT_KEYS, what)
    expect = ft.get("expect")
    expect = tuple(expect) if isinstance(expect, list) else ((expect,) if expect else ())
    for label in expect:
        if label not in SPIN_LABELS:
            r.problems.add(r.at(ft.line_of("expect")),
                           f"{what}: expect {label!r} is not a SPIN label ({', '.join(SPIN_LABELS)})")
    routes = {}
    raw_routes = ft.get("routes")
    if not isinstance(raw_routes, LDict) or not raw_routes:
        r.problems.add(r.at(ft.line_of("routes")), f"{what} needs routes: {{label: node, …, default: node}}")
    else:
        for label, target in raw_routes.items():
            lines[("route", key, label)] = r.at(raw_routes.line_of(label))
            if label not in SPIN_LABELS and label != "default":
                r.problems.add(r.at(raw_routes.line_of(label)),
                               f"{what}: route {label!r} is not a SPIN label or 'default'"
                               f"{did_you_mean(str(label), SPIN_LABELS + ('default',))}")
            if not isinstance(target, str):
                r.problems.add(r.at(raw_routes.line_of(label)), f"{what}: route {label!r} must name a node")
                continue
            routes[str(label)] = target.strip()
    if "scores" in ft:
        if "score" in ft:
            r.problems.add(r.at(ft.line_of("scores")),
                           f"{what} has both 'score' and 'scores': use 'score' for the points of the expected "
                           f"labels, or 'scores' for points per label, not both")
        label_scores = _parse_label_scores(r, ft, what, key, lines)
    else:
        score, score_lines = r.score(ft, "score", what)
        label_scores = {label: dict(score) for label in expect} if score else {}
        for label in expect:
            for dim, sline in score_lines.items():
                lines[("route_score", key, label, dim)] = r.at(sline)
    raw_feedback = ft.get("feedback")
    if isinstance(raw_feedback, LDict):
        feedback = {str(k): str(v).strip() for k, v in raw_feedback.items()}
        for label in feedback:
            if label not in SPIN_LABELS and label != "default":
                r.problems.add(r.at(raw_feedback.line_of(label)), f"{what}: feedback key {label!r} is not a SPIN label or 'default'")
    elif raw_feedback is not None:
        text = r.text(ft, "feedback", what)
        feedback = {label: text for label in expect}
    else:
        feedback = {}
    return Node(key=key, customer=customer, free_text=FreeText(
        expect=expect, routes=routes, label_scores=label_scores, feedback=feedback, hint=r.text(ft, "hint", what),
        branches=_parse_branches(r, ft, what, key, "free_text", lines, free_text=True),
    ))


def _parse_label_scores(r: _Reader, ft: LDict, what: str, key: str, lines: dict) -> dict:
    """Return the ``scores`` of a free-text turn ({label: {dimension: points}}), recording problems.

    Each key is a SPIN label or ``default`` (points for a line of any label
    without its own entry); an empty mapping gives that label no points.
    """
    raw = ft["scores"]
    if not isinstance(raw, LDict):
        r.problems.add(r.at(ft.line_of("scores")),
                       f"{what}: scores must be a mapping of SPIN label (or 'default') to points, "
                       f"e.g. {{implication: {{discovery: 2}}, default: {{discovery: 0}}}}")
        return {}
    for duplicate, line, message in raw.duplicates:
        r.problems.add(r.at(line), message)
    label_scores = {}
    for label in raw:
        label_what = f"{what}, scores {label!r}"
        if label not in SPIN_LABELS and label != "default":
            r.problems.add(r.at(raw.line_of(label)),
                           f"{what}: scores key {label!r} is not a SPIN label or 'default'"
                           f"{did_you_mean(str(label), SPIN_LABELS + ('default',))}")
            continue
        score, score_lines = r.score(raw, label, label_what)
        label_scores[label] = score
        for dim, sline in score_lines.items():
            lines[("route_score", key, label, dim)] = r.at(sline)
    return label_scores


def load_scenario(
    path, behaviours: Optional[Iterable[str]] = None, objections: Optional[Iterable[str]] = None,
) -> ScenarioDef:
    """Read and validate one scenario YAML file; raise ScenarioProblems naming FILE:LINE."""
    text = read_text(Path(path))
    data = load_yaml_with_lines(text, str(path))
    if data is None:
        raise ScenarioProblems([f"{path}:1: the file is empty"])
    return parse_scenario(data, str(path), behaviours, objections)


def load_behaviour_keys(content_dir) -> Optional[set[str]]:
    """Return the behaviour keys of content/behaviours.yaml, or None when the file is missing."""
    path = Path(content_dir) / "behaviours.yaml"
    if not path.exists():
        return None
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return set((data.get("behaviours") or {}).keys())


_behaviour_labels: dict = {}


def load_behaviour_labels(content_dir) -> dict:
    """Return {key: {"en": …, "zh": …}} from content/behaviours.yaml, cached per path (empty when missing)."""
    path = Path(content_dir or ".") / "behaviours.yaml"
    key = (str(path), path.stat().st_mtime if path.exists() else None)
    if key not in _behaviour_labels:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}
        _behaviour_labels[key] = {k: dict(v) for k, v in ((data or {}).get("behaviours") or {}).items()
                                  if isinstance(v, dict)}
    return _behaviour_labels[key]
