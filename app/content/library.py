"""Load the course library (content/) into frozen dataclasses; every problem names FILE:LINE.

Layout (DESIGN.md §2)::

    content/<tier>/<course>/course.yaml      slug, title, tier, lang, summary, minutes,
                                             prerequisites, tags, behaviours
    content/<tier>/<course>/NN-name.md       front matter (title, minutes) + Markdown
    content/<tier>/<course>/quiz.gift        the course quiz (loaded by the quiz area)
    content/behaviours.yaml                  the behaviour vocabulary
    content/certifications.yaml              certifications (see ``load_certifications``)

The functions here are pure: a path in, dataclasses out, ``ContentProblems``
(listing every problem) raised on bad input. Nothing touches the database.
"""

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Optional

import yaml

from app.services.errors import ImportProblems

TIERS = ("new_hire", "core", "manager")
LANGS = ("zh", "en")
COURSE_KEYS = {
    "slug": True, "title": True, "tier": True, "lang": True, "summary": True, "minutes": True,
    "prerequisites": False, "tags": False, "behaviours": False,
}
LESSON_KEYS = {"title": True, "minutes": True}
CERTIFICATION_KEYS = {"key": True, "title": True, "tier": True, "quizzes": False, "scenarios": False, "summary": False}
LESSON_FILE = re.compile(r"^(\d{2,3})-[a-z0-9][a-z0-9-]*\.md$")
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,118}[a-z0-9]$")
SKIPPED_FILES = {"course.yaml", "quiz.gift", "README.md"}


class ContentProblems(ImportProblems):
    """Content that failed validation; ``problems`` holds every "FILE:LINE: message"."""


@dataclass(frozen=True)
class LessonFile:
    """One lesson file: ``key`` is the file name without ``.md`` and orders the lessons."""

    key: str
    position: int
    title: str
    minutes: int
    body: str
    path: str


@dataclass(frozen=True)
class CourseFile:
    """One course folder, validated."""

    slug: str
    title: str
    tier: str
    lang: str
    summary: str
    minutes: int
    prerequisites: tuple[str, ...]
    tags: tuple[str, ...]
    behaviours: tuple[str, ...]
    lessons: tuple[LessonFile, ...]
    path: str
    quiz_path: Optional[str] = None
    line: int = 1

    @property
    def content_hash(self) -> str:
        """Return a hash of everything a learner sees; equal hashes mean an unchanged course."""
        return content_hash(
            [self.slug, self.title, self.tier, self.lang, self.summary, str(self.minutes), *self.prerequisites,
             "|", *self.tags, "|", *self.behaviours]
            + [part for lesson in self.lessons for part in (lesson.key, lesson.title, str(lesson.minutes), lesson.body)]
        )


@dataclass(frozen=True)
class Certification:
    """A certification: pass these course quizzes and reach these role-play scores."""

    key: str
    title_zh: str
    title_en: str
    tier: str
    quizzes: tuple[tuple[str, float], ...]  # (course slug, pass mark 0..1)
    scenarios: tuple[tuple[str, float], ...]  # (scenario slug, minimum score 0..1)
    path: str
    line: int

    @property
    def content_hash(self) -> str:
        """Return a hash of the certification's definition."""
        return content_hash(
            [self.key, self.title_zh, self.title_en, self.tier]
            + [f"{slug}={mark}" for slug, mark in self.quizzes]
            + ["|"]
            + [f"{slug}={mark}" for slug, mark in self.scenarios]
        )


@dataclass(frozen=True)
class Library:
    """Every course and certification of a content directory."""

    courses: tuple[CourseFile, ...]
    certifications: tuple[Certification, ...] = field(default=())


def content_hash(parts: Iterable[str]) -> str:
    """Return the SHA-256 of the parts, separated so that ("ab", "c") differs from ("a", "bc")."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8"))
        digest.update(b"\x00")
    return digest.hexdigest()


def display_path(path) -> str:
    """Return ``path`` relative to the working directory when it lies inside it."""
    path = os.path.abspath(path)
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


# --- YAML with line numbers ---------------------------------------------------


class Problems:
    """Collects "FILE:LINE: message" strings."""

    def __init__(self):
        self.items: list[str] = []

    def add(self, path: str, line: int, message: str) -> None:
        """Record one problem."""
        self.items.append(f"{display_path(path)}:{line}: {message}")

    def __bool__(self) -> bool:
        return bool(self.items)


@dataclass
class Node:
    """A YAML value with the line it starts on."""

    value: object
    line: int


def _scalar(node: yaml.Node):
    """Return the Python value of a scalar node, resolved as safe_load would."""
    return yaml.constructor.SafeConstructor().construct_object(node)


def _convert(node: yaml.Node) -> Node:
    """Turn a composed YAML node into Python values that keep their lines."""
    line = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        mapping = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node) if isinstance(key_node, yaml.ScalarNode) else None
            mapping[key] = (key_node.start_mark.line + 1, _convert(value_node))
        return Node(mapping, line)
    if isinstance(node, yaml.SequenceNode):
        return Node([_convert(item) for item in node.value], line)
    return Node(_scalar(node), line)


def parse_yaml(text: str, path: str, problems: Problems, first_line: int = 1) -> Optional[Node]:
    """Parse YAML text into a ``Node`` tree; on a syntax error record it and return None."""
    try:
        composed = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = (mark.line + first_line) if mark is not None else first_line
        message = f"invalid YAML: {getattr(error, 'problem', None) or error}"
        context = getattr(error, "context_mark", None)
        if context is not None and getattr(error, "context", None):
            message += f" ({error.context} started on line {context.line + first_line})"
        problems.add(path, line, message)
        return None
    if composed is None:
        return Node(None, first_line)
    tree = _convert(composed)
    _shift_lines(tree, first_line - 1)
    return tree


def _shift_lines(node: Node, offset: int) -> None:
    """Add ``offset`` to every line of a tree (front matter starts below the first line)."""
    if not offset:
        return
    node.line += offset
    if isinstance(node.value, dict):
        for key, (line, child) in list(node.value.items()):
            node.value[key] = (line + offset, child)
            _shift_lines(child, offset)
    elif isinstance(node.value, list):
        for child in node.value:
            _shift_lines(child, offset)


def read_mapping(node: Optional[Node], allowed: dict[str, bool], path: str, what: str, problems: Problems):
    """Return {key: Node} of a YAML mapping, recording unknown and missing keys."""
    if node is None or not isinstance(node.value, dict):
        problems.add(path, node.line if node else 1, f"{what} must be a mapping of keys to values")
        return None
    values = {}
    for key, (line, child) in node.value.items():
        if key not in allowed:
            problems.add(path, line, f"unknown key {key!r} in {what} (allowed: {', '.join(allowed)})")
        else:
            values[key] = child
    for key, required in allowed.items():
        if required and key not in values:
            problems.add(path, node.line, f"missing required key {key!r} in {what}")
    return values


def text_value(values: dict, key: str, path: str, problems: Problems, default: str = "") -> str:
    """Return a non-empty string value, recording a problem when it is not one."""
    node = values.get(key)
    if node is None:
        return default
    if not isinstance(node.value, (str, int, float)) or isinstance(node.value, bool) or str(node.value).strip() == "":
        problems.add(path, node.line, f"{key!r} must be non-empty text")
        return default
    return str(node.value).strip()


def int_value(values: dict, key: str, path: str, problems: Problems, low: int = 0, high: int = 10_000) -> int:
    """Return a whole number within [low, high], recording a problem otherwise."""
    node = values.get(key)
    if node is None:
        return 0
    if not isinstance(node.value, int) or isinstance(node.value, bool) or not low <= node.value <= high:
        problems.add(path, node.line, f"{key!r} must be a whole number from {low} to {high}, not {node.value!r}")
        return 0
    return node.value


def score_value(node: Node, what: str, path: str, problems: Problems) -> float:
    """Return a score between 0 and 1 (percentages such as 80 are refused, not guessed)."""
    value = node.value
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        problems.add(path, node.line, f"{what} must be a number from 0 to 1, not {value!r}")
        return 0.0
    return float(value)


def list_value(values: dict, key: str, path: str, problems: Problems) -> list[Node]:
    """Return the items of a list of text values, recording a problem otherwise."""
    node = values.get(key)
    if node is None or node.value is None:
        return []
    if not isinstance(node.value, list):
        problems.add(path, node.line, f"{key!r} must be a list, e.g. [a, b]")
        return []
    items = []
    for item in node.value:
        if not isinstance(item.value, (str, int)) or isinstance(item.value, bool) or str(item.value).strip() == "":
            problems.add(path, item.line, f"items of {key!r} must be non-empty text")
        else:
            items.append(Node(str(item.value).strip(), item.line))
    return items


# --- behaviours -----------------------------------------------------------------


def load_behaviour_keys(path) -> set[str]:
    """Return the behaviour keys of behaviours.yaml (raises ContentProblems when it is broken)."""
    problems = Problems()
    path = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise ContentProblems([f"{display_path(path)}:1: cannot read: {error.strerror}"]) from error
    tree = parse_yaml(text, path, problems)
    if tree is not None:
        values = read_mapping(tree, {"behaviours": True}, path, "behaviours.yaml", problems)
        if values and not isinstance(values.get("behaviours", Node(None, 1)).value, dict):
            problems.add(path, tree.line, "'behaviours' must map each key to its labels")
        elif values:
            return set(values["behaviours"].value)
    raise ContentProblems(problems.items)


# --- lessons and courses -----------------------------------------------------


def split_front_matter(text: str) -> tuple[Optional[str], str, int]:
    """Return (front matter, body, line the front matter starts on); front matter may be None."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        return None, text, 1
    for index in range(1, len(lines)):
        if lines[index].strip() == "---":
            return "".join(lines[1:index]), "".join(lines[index + 1:]).lstrip("\n"), 2
    return None, text, 1


def load_lesson(path, problems: Problems) -> Optional[LessonFile]:
    """Load one lesson file; record problems and return None when it is invalid."""
    path = str(path)
    name = os.path.basename(path)
    match = LESSON_FILE.match(name)
    if match is None:
        problems.add(path, 1, "a lesson file is named NN-name.md (two digits, lower-case letters, digits, dashes)")
        return None
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        problems.add(path, 1, f"cannot read lesson as UTF-8 text: {error}")
        return None
    front, body, first_line = split_front_matter(text)
    if front is None:
        problems.add(path, 1, "a lesson starts with front matter: a '---' line, 'title:' and 'minutes:', then '---'")
        return None
    before = len(problems.items)
    tree = parse_yaml(front, path, problems, first_line=first_line)
    if tree is None:
        return None
    values = read_mapping(tree, LESSON_KEYS, path, "lesson front matter", problems)
    if values is None:
        return None
    title = text_value(values, "title", path, problems)
    minutes = int_value(values, "minutes", path, problems, low=1, high=600)
    if not body.strip():
        problems.add(path, first_line, "the lesson has no text after its front matter")
    if len(problems.items) > before:
        return None
    return LessonFile(key=name[:-3], position=int(match.group(1)), title=title, minutes=minutes, body=body, path=path)


def load_course(folder, behaviour_keys: Optional[set[str]], problems: Problems) -> Optional[CourseFile]:
    """Load one course folder (course.yaml and its lessons); record problems, None when invalid."""
    folder = str(folder)
    path = os.path.join(folder, "course.yaml")
    before = len(problems.items)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError:
        problems.add(path, 1, "missing course.yaml (every course folder needs one)")
        return None
    except UnicodeDecodeError as error:
        problems.add(path, 1, f"cannot read as UTF-8 text: {error}")
        return None
    tree = parse_yaml(text, path, problems)
    if tree is None:
        return None
    values = read_mapping(tree, COURSE_KEYS, path, "course.yaml", problems)
    if values is None:
        return None
    slug = text_value(values, "slug", path, problems)
    if slug and not SLUG.match(slug):
        problems.add(path, values["slug"].line, f"slug {slug!r} must be lower-case letters, digits and dashes")
    tier = text_value(values, "tier", path, problems)
    if "tier" in values and tier and tier not in TIERS:
        problems.add(path, values["tier"].line, f"unknown tier {tier!r} (use one of {', '.join(TIERS)})")
    parent_tier = os.path.basename(os.path.dirname(os.path.abspath(folder)))
    if tier in TIERS and parent_tier in TIERS and parent_tier != tier:
        problems.add(path, values["tier"].line, f"tier {tier!r} does not match the folder {parent_tier}/")
    lang = text_value(values, "lang", path, problems)
    if "lang" in values and lang and lang not in LANGS:
        problems.add(path, values["lang"].line, f"unknown lang {lang!r} (use one of {', '.join(LANGS)})")
    behaviours = list_value(values, "behaviours", path, problems)
    if behaviour_keys is not None:
        for item in behaviours:
            if item.value not in behaviour_keys:
                problems.add(path, item.line, f"unknown behaviour {item.value!r} (see content/behaviours.yaml)")
    course = dict(
        slug=slug, title=text_value(values, "title", path, problems), tier=tier, lang=lang,
        summary=text_value(values, "summary", path, problems),
        minutes=int_value(values, "minutes", path, problems, low=1, high=10_000),
        prerequisites=tuple(item.value for item in list_value(values, "prerequisites", path, problems)),
        tags=tuple(item.value for item in list_value(values, "tags", path, problems)),
        behaviours=tuple(item.value for item in behaviours),
    )
    lessons = []
    positions: dict[int, str] = {}
    for name in sorted(os.listdir(folder)):
        full = os.path.join(folder, name)
        if name in SKIPPED_FILES or name.startswith(".") or os.path.isdir(full):
            continue
        if not name.endswith(".md"):
            problems.add(full, 1, "unexpected file in a course folder (expected course.yaml, NN-name.md, quiz.gift)")
            continue
        lesson = load_lesson(full, problems)
        if lesson is None:
            continue
        if lesson.position in positions:
            problems.add(full, 1, f"lesson number {lesson.position:02d} is also used by {positions[lesson.position]}")
            continue
        positions[lesson.position] = name
        lessons.append(lesson)
    if not lessons and len(problems.items) == before:
        problems.add(path, 1, "the course has no lessons (add NN-name.md files next to course.yaml)")
    if len(problems.items) > before:
        return None
    quiz = os.path.join(folder, "quiz.gift")
    return CourseFile(
        **course, lessons=tuple(sorted(lessons, key=lambda lesson: lesson.position)), path=folder,
        quiz_path=quiz if os.path.isfile(quiz) else None,
        line=values["prerequisites"].line if "prerequisites" in values else 1,
    )


def course_folders(content_dir) -> list[str]:
    """Return every course folder (content/<tier>/<course>/), sorted."""
    folders = []
    for tier in TIERS:
        tier_dir = os.path.join(str(content_dir), tier)
        if os.path.isdir(tier_dir):
            folders.extend(
                os.path.join(tier_dir, name) for name in sorted(os.listdir(tier_dir))
                if not name.startswith(".") and os.path.isdir(os.path.join(tier_dir, name))
            )
    return folders


def declared_slug(folder) -> Optional[str]:
    """Return the slug a course.yaml declares, even when the file is otherwise invalid."""
    try:
        data = yaml.safe_load(Path(folder, "course.yaml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    slug = data.get("slug") if isinstance(data, dict) else None
    return str(slug) if slug else None


def load_courses(content_dir, problems: Problems) -> list[CourseFile]:
    """Load every course of a content directory, checking slugs and prerequisites across courses."""
    content_dir = str(content_dir)
    behaviours_path = os.path.join(content_dir, "behaviours.yaml")
    behaviour_keys = None
    if os.path.isfile(behaviours_path):
        try:
            behaviour_keys = load_behaviour_keys(behaviours_path)
        except ContentProblems as error:
            problems.items.extend(error.problems)
    else:
        problems.add(behaviours_path, 1, "missing behaviours.yaml (the behaviour vocabulary)")
    for entry in sorted(os.listdir(content_dir)) if os.path.isdir(content_dir) else []:
        full = os.path.join(content_dir, entry)
        if os.path.isdir(full) and entry not in TIERS and not entry.startswith("."):
            problems.add(full, 1, f"unknown tier folder {entry!r} (use one of {', '.join(TIERS)})")
    folders = course_folders(content_dir)
    courses = [c for c in (load_course(f, behaviour_keys, problems) for f in folders) if c]
    # Slugs of invalid courses still count as existing, so one broken file gives
    # one set of problems instead of a cascade through prerequisites.
    declared = {slug for slug in map(declared_slug, folders) if slug}
    seen: dict[str, str] = {}
    for course in courses:
        if course.slug in seen:
            problems.add(
                os.path.join(course.path, "course.yaml"), 1,
                f"duplicate slug {course.slug!r} (also used by {display_path(seen[course.slug])})",
            )
        seen.setdefault(course.slug, course.path)
    for course in courses:
        for prerequisite in course.prerequisites:
            if prerequisite not in seen and prerequisite not in declared:
                problems.add(
                    os.path.join(course.path, "course.yaml"), course.line,
                    f"prerequisite {prerequisite!r} names no course",
                )
            elif prerequisite == course.slug:
                problems.add(os.path.join(course.path, "course.yaml"), course.line, "a course cannot require itself")
    return courses


# --- certifications --------------------------------------------------------------


def load_certifications(
    path, course_slugs: set[str], scenario_slugs: Optional[set[str]], problems: Problems
) -> list[Certification]:
    """Load certifications.yaml::

        certifications:
          - key: spin-practitioner
            title: {zh: SPIN 顾问式销售认证, en: SPIN practitioner}
            tier: new_hire
            quizzes:   [{course: spin-basics, pass: 0.8}]
            scenarios: [{scenario: spin-discovery-retail, min_score: 0.6}]

    ``scenario_slugs`` None skips the scenario check (no scenarios folder).
    """
    path = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError:
        return []
    tree = parse_yaml(text, path, problems)
    if tree is None:
        return []
    top = read_mapping(tree, {"certifications": True}, path, "certifications.yaml", problems)
    if not top:
        return []
    items = top["certifications"]
    if not isinstance(items.value, list):
        problems.add(path, items.line, "'certifications' must be a list")
        return []
    found, keys = [], {}
    for item in items.value:
        before = len(problems.items)
        values = read_mapping(item, CERTIFICATION_KEYS, path, "a certification", problems)
        if values is None:
            continue
        key = text_value(values, "key", path, problems)
        if key in keys:
            problems.add(path, values["key"].line, f"duplicate certification key {key!r} (also on line {keys[key]})")
        elif key:
            keys[key] = values["key"].line
        titles = read_mapping(values.get("title"), {"zh": True, "en": True}, path, "title", problems) or {}
        tier = text_value(values, "tier", path, problems)
        if "tier" in values and tier and tier not in TIERS:
            problems.add(path, values["tier"].line, f"unknown tier {tier!r} (use one of {', '.join(TIERS)})")
        quizzes = _requirements(values.get("quizzes"), ("course", "pass"), course_slugs, "course", path, problems)
        scenarios = _requirements(
            values.get("scenarios"), ("scenario", "min_score"), scenario_slugs, "scenario", path, problems
        )
        if not quizzes and not scenarios and len(problems.items) == before:
            problems.add(path, item.line, "a certification needs at least one quiz or scenario")
        if len(problems.items) == before:
            found.append(
                Certification(
                    key=key, title_zh=text_value(titles, "zh", path, problems),
                    title_en=text_value(titles, "en", path, problems), tier=tier,
                    quizzes=tuple(quizzes), scenarios=tuple(scenarios), path=path, line=item.line,
                )
            )
    return found


def _requirements(node, names, known, what, path, problems) -> list[tuple[str, float]]:
    """Read a list of {<what>: slug, <mark>: 0..1} requirements."""
    if node is None or node.value is None:
        return []
    if not isinstance(node.value, list):
        problems.add(path, node.line, f"{names[0]}s must be a list of {{{names[0]}: …, {names[1]}: …}}")
        return []
    found = []
    for item in node.value:
        values = read_mapping(item, {names[0]: True, names[1]: True}, path, f"a {what} requirement", problems)
        if not values or names[0] not in values or names[1] not in values:
            continue
        slug = text_value(values, names[0], path, problems)
        if known is not None and slug and slug not in known:
            problems.add(path, values[names[0]].line, f"{what} {slug!r} does not exist")
        found.append((slug, score_value(values[names[1]], names[1], path, problems)))
    return found


def scenario_slugs(scenarios_dir) -> Optional[set[str]]:
    """Return the ``id`` of every scenario YAML file under ``scenarios_dir`` (None when there is no folder).

    Only the id is read here; validating scenarios is the role-play area's check.
    """
    scenarios_dir = str(scenarios_dir or "")
    if not scenarios_dir or not os.path.isdir(scenarios_dir):
        return None
    slugs = set()
    for root, _dirs, files in os.walk(scenarios_dir):
        for name in files:
            full = os.path.join(root, name)
            if name.endswith((".yaml", ".yml")):
                try:
                    data = yaml.safe_load(Path(full).read_text(encoding="utf-8"))
                except (OSError, UnicodeDecodeError, yaml.YAMLError):
                    continue
                if isinstance(data, dict) and data.get("id"):
                    slugs.add(str(data["id"]))
            elif name.endswith((".twee", ".tw")):
                slugs.add(name.rsplit(".", 1)[0])
    return slugs


def load_library(content_dir, scenarios_dir=None) -> Library:
    """Load and validate a whole content directory; raise ContentProblems listing every problem."""
    problems = Problems()
    if not os.path.isdir(str(content_dir)):
        raise ContentProblems([f"{display_path(content_dir)}:1: no such content directory"])
    courses = load_courses(content_dir, problems)
    known = {c.slug for c in courses} | {s for s in map(declared_slug, course_folders(content_dir)) if s}
    certifications = load_certifications(
        os.path.join(str(content_dir), "certifications.yaml"), known,
        scenario_slugs(scenarios_dir), problems,
    )
    if problems:
        raise ContentProblems(problems.items)
    return Library(courses=tuple(courses), certifications=tuple(certifications))


def check_library(content_dir, scenarios_dir=None) -> list[str]:
    """Return every problem of a content directory as "FILE:LINE: message" (empty when valid)."""
    try:
        load_library(content_dir, scenarios_dir)
    except ContentProblems as error:
        return error.problems
    return []
