"""The objection library file (scenarios/objections.yaml) → frozen dataclasses, with FILE:LINE problems."""

import re
from dataclasses import dataclass
from pathlib import Path

from app.content.scenario import LDict, LList, Problems, ScenarioProblems, did_you_mean, load_yaml_with_lines, read_text

CATEGORIES = ("budget", "competitor_price", "timing", "authority", "trust", "status_quo", "need", "other")
OBJECTION_KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")
ENTRY_KEYS = {"key", "category", "zh", "en"}
LANG_KEYS = {"objection", "causes", "answers"}


@dataclass(frozen=True)
class ObjectionText:
    """An objection in one language: what the customer says, why, and how to answer."""

    objection: str
    causes: tuple = ()
    answers: tuple = ()


@dataclass(frozen=True)
class ObjectionDef:
    """One entry of the objection library, in Chinese and/or English."""

    key: str
    category: str
    zh: ObjectionText | None
    en: ObjectionText | None


def _text_list(value, where, what, problems: Problems) -> tuple:
    if value is None:
        return ()
    if not isinstance(value, LList) or not all(isinstance(v, str) and v.strip() for v in value):
        problems.add(where, f"{what} must be a list of non-empty texts")
        return ()
    return tuple(v.strip() for v in value)


def load_objections(path) -> list[ObjectionDef]:
    """Read and validate the objection library; raise ScenarioProblems naming FILE:LINE."""
    path = str(path)
    data = load_yaml_with_lines(read_text(Path(path)), path)
    problems = Problems()
    if not isinstance(data, LDict) or not isinstance(data.get("objections"), LList):
        raise ScenarioProblems([f"{path}:1: the file must be a mapping with an 'objections' list"])
    for key in data:
        if key != "objections":
            problems.add((path, data.line_of(key)), f"unknown key {key!r}; the file holds only 'objections'")
    entries, seen = [], {}
    items = data["objections"]
    for i, item in enumerate(items):
        line = items.line_of(i)
        if not isinstance(item, LDict):
            problems.add((path, line), f"objection {i + 1} must be a mapping with key, category, zh, en")
            continue
        for dup_key, dup_line, message in item.duplicates:
            problems.add((path, dup_line), message)
        for k in item:
            if k not in ENTRY_KEYS:
                problems.add((path, item.line_of(k)), f"unknown key {k!r} in objection{did_you_mean(str(k), ENTRY_KEYS)}")
        key = str(item.get("key") or "").strip()
        if not OBJECTION_KEY_RE.match(key):
            problems.add((path, item.line_of("key")), f"objection {i + 1}: key {key!r} must be lower-case letters, "
                                                      f"digits, '-' or '_'")
        elif key in seen:
            problems.add((path, item.line_of("key")), f"duplicate objection key {key!r} (first on line {seen[key]})")
        else:
            seen[key] = item.line_of("key")
        category = str(item.get("category") or "").strip()
        if category not in CATEGORIES:
            problems.add((path, item.line_of("category")),
                         f"objection {key!r}: category {category!r} must be one of {', '.join(CATEGORIES)}")
        texts = {}
        for lang in ("zh", "en"):
            raw = item.get(lang)
            if raw is None:
                texts[lang] = None
                continue
            where = (path, item.line_of(lang))
            if not isinstance(raw, LDict):
                problems.add(where, f"objection {key!r}: {lang} must be a mapping with objection, causes, answers")
                texts[lang] = None
                continue
            for k in raw:
                if k not in LANG_KEYS:
                    problems.add((path, raw.line_of(k)), f"objection {key!r}: unknown key {k!r} in {lang}")
            objection = raw.get("objection")
            if not isinstance(objection, str) or not objection.strip():
                problems.add(where, f"objection {key!r}: {lang}.objection must be a non-empty text")
                objection = ""
            texts[lang] = ObjectionText(
                objection=objection.strip(),
                causes=_text_list(raw.get("causes"), (path, raw.line_of("causes")), f"{key}.{lang}.causes", problems),
                answers=_text_list(raw.get("answers"), (path, raw.line_of("answers")), f"{key}.{lang}.answers", problems),
            )
        if texts["zh"] is None and texts["en"] is None:
            problems.add((path, line), f"objection {key!r} needs a zh or en text")
        entries.append(ObjectionDef(key=key, category=category, zh=texts["zh"], en=texts["en"]))
    if problems:
        raise ScenarioProblems(problems.items)
    return entries
