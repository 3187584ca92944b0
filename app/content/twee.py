"""Twee 3 stories (Twine's text format) → role-play scenarios.

Mapping (documented for trainers in docs/roleplay.md):

- every passage is a node; ``StoryData.start`` (else the passage ``Start``) is the start;
- ``[[links]]`` are the learner's choices (link text = what the learner says);
- a passage tagged ``end:won`` / ``end:lost`` / ``end:<outcome>`` is an ending, its text the summary;
- a passage tagged ``free:<label>`` (e.g. ``free:implication``) is a free-text turn; its links
  ``[[<label>->Target]]`` are the routes, and ``[[default->Target]]`` is required;
- tags ``technique:<name>`` and ``score:<dimension>=<points>`` on a passage, and a body line
  ``Feedback: …``, describe the learner move that *leads into* that passage;
- ``StoryData`` carries the scenario's metadata in a ``"rehearse"`` object
  (id, lang, kind, tier, persona, rubric, behaviours, objections, description).

Links follow the Twine 2 editor: rightmost ``->``, then leftmost ``<-``, then the
last ``|`` field; a SugarCube setter suffix ``[[…][$x = 1]]`` is dropped.
"""

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Optional

from app.content.scenario import (
    KINDS, LANGS, SLUG_RE, SPIN_LABELS, TIERS, Choice, FreeText, Node, Persona, Problems, ScenarioDef,
    ScenarioProblems, check_graph, check_vocabulary, did_you_mean, read_text,
)

SPECIAL_PASSAGES = {"StoryTitle", "StoryData", "StoryInit", "StoryAuthor", "StoryMenu", "StoryCaption",
                    "StoryBanner", "StorySubtitle", "PassageReady", "PassageDone", "PassageHeader", "PassageFooter",
                    "UserScript", "UserStylesheet"}
SKIPPED_TAGS = {"script", "stylesheet", "startup", "header", "footer", "widget", "debug-startup", "Twine.private"}
REHEARSE_KEYS = {"id", "title", "lang", "kind", "tier", "persona", "rubric", "behaviours", "objections", "description"}
LINK_RE = re.compile(r"\[\[([^\[\]\n]+?)\](?:\[[^\]\n]*\])?\]")
SUGARCUBE_MACRO_RE = re.compile(r"<<\s*/?\s*([A-Za-z][\w-]*)[^>]*?>>", re.S)
HARLOWE_MACRO_RE = re.compile(r"\(([a-z][a-z0-9-]*):")
FEEDBACK_RE = re.compile(r"^\s*(?:Feedback|反馈)\s*[:：]\s*(.*)$", re.I)
METADATA_EXAMPLE = ('"rehearse": {"id": "my-scenario", "lang": "en", "kind": "spin", "tier": "new_hire", '
                    '"rubric": ["rapport", "discovery"], "persona": {"name": "Ms Lee", "role": "buyer"}}')


@dataclass
class Passage:
    """One passage as read: name, tags, metadata, body text and where it starts."""

    name: str
    tags: list
    metadata: dict
    text: str
    path: str
    line: int
    body_line: int = 0
    links: list = field(default_factory=list)  # (text, target, line)


def _unescape(text: str) -> str:
    """Decode Twee escapes: any backslash-escaped character stands for itself."""
    return re.sub(r"\\(.)", r"\1", text)


def _split_header(raw: str) -> tuple[str, str, str]:
    """Split the part after ``::`` into name, tag block and metadata block (unescaped brackets only)."""
    i, n = 0, len(raw)
    while i < n:
        ch = raw[i]
        if ch == "\\":
            i += 2
            continue
        if ch in "[{":
            break
        i += 1
    name, rest = raw[:i], raw[i:]
    tags = ""
    if rest.startswith("["):
        end = rest.find("]")
        if end == -1:
            return name, rest, ""
        tags, rest = rest[1:end], rest[end + 1:].lstrip()
    return name, tags, rest


def parse_twee(text: str, path: str, problems: Problems, warnings: list) -> list[Passage]:
    """Split Twee 3 text into passages; bad metadata warns and is dropped, as the spec recommends."""
    passages: list[Passage] = []
    current: Optional[Passage] = None
    body: list[str] = []

    def close():
        """Finish the current passage (trailing blank lines dropped)."""
        if current is not None:
            while body and not body[-1].strip():
                body.pop()
            current.text = "\n".join(body)
            passages.append(current)

    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("::"):
            close()
            body = []
            name, tags, meta = _split_header(line[2:])
            metadata = {}
            if meta.strip():
                try:
                    metadata = json.loads(meta)
                    if not isinstance(metadata, dict):
                        raise ValueError("not an object")
                except ValueError:
                    warnings.append(f"{path}:{number}: warning: passage metadata is not a JSON object; ignored")
                    metadata = {}
            current = Passage(name=_unescape(name.strip()), tags=[_unescape(t) for t in tags.split()],
                              metadata=metadata, text="", path=path, line=number, body_line=number + 1)
            if not current.name:
                problems.add((path, number), "passage header '::' without a name")
            continue
        if current is None:
            continue  # text before the first header belongs to no passage
        body.append(line[1:] if line.startswith("\\::") else line)
    close()
    return passages


def _parse_link(inner: str) -> tuple[str, str]:
    """Return (shown text, target) of a link's inside, the Twine 2 editor's way."""
    if "->" in inner:
        text, _, target = inner.rpartition("->")
        return text.strip(), target.strip()
    if "<-" in inner:
        target, _, text = inner.partition("<-")
        return text.strip(), target.strip()
    if "|" in inner:
        text, _, target = inner.rpartition("|")
        return text.strip(), target.strip()
    return inner.strip(), inner.strip()


def _scan_body(p: Passage, problems: Problems) -> tuple[str, str]:
    """Collect links, check for story-format macros; return (customer text, feedback line)."""
    macros: list[tuple[str, int]] = []
    lines_out, feedback = [], ""
    # Macro code may contain [[…]] arrays (SugarCube): scan links outside macros only.
    blanked = SUGARCUBE_MACRO_RE.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), p.text)
    for m in SUGARCUBE_MACRO_RE.finditer(p.text):
        macros.append((f"<<{m.group(1)}>>", p.body_line + p.text.count("\n", 0, m.start())))
    for offset, (line, clean) in enumerate(zip(p.text.split("\n"), blanked.split("\n"))):
        number = p.body_line + offset
        for m in HARLOWE_MACRO_RE.finditer(clean):
            macros.append((f"({m.group(1)}:)", number))
        for m in LINK_RE.finditer(clean):
            text, target = _parse_link(m.group(1))
            if re.match(r"^[a-z]+://", target):
                continue  # an external link (Chapbook): not a passage
            p.links.append((text, target, number))
        fb = FEEDBACK_RE.match(clean)
        if fb:
            feedback = fb.group(1).strip()
            continue
        stripped = LINK_RE.sub("", clean).strip()
        if stripped:
            lines_out.append(stripped)
    if macros:
        names = ", ".join(dict.fromkeys(name for name, _ in macros))
        problems.add((p.path, macros[0][1]),
                     f"passage {p.name!r} uses story-format macros ({names}); Rehearse shows passages as plain text "
                     f"and does not run macros: write the customer's line as text and use [[Text->Target]] links")
    return "\n".join(lines_out), feedback


def _move_annotations(p: Passage, problems: Problems) -> tuple[str, dict, dict]:
    """Read technique:/score: tags (the move that leads into this passage); return (technique, score, lines)."""
    technique, score, lines = "", {}, {}
    for tag in p.tags:
        if tag.startswith("technique:"):
            technique = tag.partition(":")[2]
        elif tag.startswith("score:"):
            dim, sep, points = tag.partition(":")[2].partition("=")
            try:
                score[dim] = int(points) if sep else None
                if score[dim] is None:
                    raise ValueError
            except ValueError:
                score.pop(dim, None)
                problems.add((p.path, p.line), f"passage {p.name!r}: tag {tag!r} must look like score:<dimension>=<points>, "
                                               f"e.g. score:rapport=1")
                continue
            lines[dim] = (p.path, p.line)
    return technique, score, lines


def load_twee(
    paths, behaviours: Optional[Iterable[str]] = None, objections: Optional[Iterable[str]] = None,
) -> tuple[ScenarioDef, list[str]]:
    """Read one story from one or more Twee files; return (scenario, warnings) or raise ScenarioProblems."""
    paths = [Path(p) for p in ([paths] if isinstance(paths, (str, Path)) else paths)]
    problems, warnings = Problems(), []
    passages: list[Passage] = []
    for path in paths:
        passages.extend(parse_twee(read_text(path), str(path), problems, warnings))
    first = (str(paths[0]), 1)
    if not passages:
        raise ScenarioProblems([f"{first[0]}:1: no passages: a Twee file is a list of ':: Name' passages"])
    by_name: dict[str, Passage] = {}
    for p in passages:
        if p.name in by_name:
            problems.add((p.path, p.line), f"duplicate passage name {p.name!r} (first at "
                                           f"{by_name[p.name].path}:{by_name[p.name].line})")
        else:
            by_name[p.name] = p

    title_p, data_p = by_name.get("StoryTitle"), by_name.get("StoryData")
    story_data: dict = {}
    if data_p is None:
        problems.add(first, "no StoryData passage: add ':: StoryData' with a JSON object holding "
                            f'"start" and {METADATA_EXAMPLE}')
    else:
        try:
            story_data = json.loads(data_p.text or "{}")
            if not isinstance(story_data, dict):
                raise ValueError("not an object")
        except ValueError as exc:
            problems.add((data_p.path, data_p.line), f"StoryData is not valid JSON ({exc}): fix it, then add "
                                                     f"{METADATA_EXAMPLE}")
            story_data = {}
    meta = story_data.get("rehearse")
    where_meta = (data_p.path, data_p.line) if data_p else first
    if data_p is not None and story_data and not isinstance(meta, dict):
        problems.add(where_meta, f'StoryData has no "rehearse" object: add {METADATA_EXAMPLE}')
    meta = meta if isinstance(meta, dict) else {}
    for key in meta:
        if key not in REHEARSE_KEYS:
            problems.add(where_meta, f'unknown key {key!r} in StoryData "rehearse"{did_you_mean(key, REHEARSE_KEYS)}')

    def meta_text(key, options=None, default=""):
        """Return a text field of the "rehearse" object, checked against ``options``."""
        value = meta.get(key, default)
        if not isinstance(value, str):
            problems.add(where_meta, f'StoryData "rehearse".{key} must be text')
            return default
        if meta and options and value not in options:
            problems.add(where_meta, f'StoryData "rehearse".{key} {value!r} must be one of {", ".join(options)}'
                         if value else f'StoryData "rehearse" needs "{key}" (one of {", ".join(options)})')
        return value

    def meta_list(key):
        """Return a list-of-keys field of the "rehearse" object."""
        value = meta.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            problems.add(where_meta, f'StoryData "rehearse".{key} must be a list of keys')
            return ()
        return tuple(value)

    slug = meta_text("id") or re.sub(r"[^a-z0-9]+", "-", paths[0].stem.lower()).strip("-")
    if meta and not SLUG_RE.match(slug):
        problems.add(where_meta, f"scenario id {slug!r} must be lower-case letters, digits, '-' or '_'")
    persona_raw = meta.get("persona", {})
    if not isinstance(persona_raw, dict) or (meta and not persona_raw.get("name")):
        problems.add(where_meta, 'StoryData "rehearse".persona needs at least a "name"')
        persona_raw = {}
    persona = Persona(**{k: str(persona_raw.get(k, "")) for k in ("name", "role", "company", "mood", "background")})
    rubric = meta_list("rubric")
    if meta and not rubric:
        problems.add(where_meta, 'StoryData "rehearse".rubric must list the scoring dimensions, e.g. ["rapport", "discovery"]')
    title = meta.get("title") or (title_p.text.strip() if title_p else "") or slug
    start = story_data.get("start") or "Start"
    lines: dict = {"top": where_meta, "start": where_meta}

    story = [p for p in passages if p.name not in SPECIAL_PASSAGES and not (set(p.tags) & SKIPPED_TAGS)
             and by_name.get(p.name) is p]
    for p in passages:
        if p not in story and p.name not in ("StoryTitle", "StoryData") and by_name.get(p.name) is p:
            warnings.append(f"{p.path}:{p.line}: warning: passage {p.name!r} is story-format code "
                            f"(special name or tag); skipped")
    bodies = {p.name: _scan_body(p, problems) for p in story}
    moves = {p.name: _move_annotations(p, problems) for p in story}
    if start not in bodies:
        problems.add(where_meta, f"the start passage {start!r} does not exist: add ':: {start}' or set "
                                 f'"start" in StoryData{did_you_mean(start, bodies)}')
    nodes: dict[str, Node] = {}
    for p in story:
        text, _feedback = bodies[p.name]
        lines[("node", p.name)] = (p.path, p.line)
        end_tags = [t.partition(":")[2] for t in p.tags if t.startswith("end:")]
        free_tags = [t.partition(":")[2] for t in p.tags if t.startswith("free:")]
        if end_tags:
            if p.links:
                problems.add((p.path, p.links[0][2]), f"ending passage {p.name!r} must not have links")
            nodes[p.name] = Node(key=p.name, end=end_tags[0], summary=text or end_tags[0])
        elif free_tags:
            expect = tuple(label for tag in free_tags for label in tag.split(",") if label)
            for label in expect:
                if label not in SPIN_LABELS:
                    problems.add((p.path, p.line), f"passage {p.name!r}: tag free:{label} names no SPIN label "
                                                   f"({', '.join(SPIN_LABELS)})")
            routes, label_scores, feedback = {}, {}, {}
            lines[("free_text", p.name)] = (p.path, p.line)
            for label, target, number in p.links:
                if label not in SPIN_LABELS and label != "default":
                    problems.add((p.path, number), f"passage {p.name!r} is a free-text turn: link text {label!r} must be "
                                                   f"a SPIN label or 'default', e.g. [[implication->Deepen]]")
                    continue
                routes[label] = target
                lines[("route", p.name, label)] = (p.path, number)
                if target in moves:
                    label_scores[label] = moves[target][1]
                    for dim in moves[target][1]:
                        lines[("route_score", p.name, label, dim)] = moves[target][2][dim]
                    if bodies[target][1]:
                        feedback[label] = bodies[target][1]
            nodes[p.name] = Node(key=p.name, customer=text, free_text=FreeText(
                expect=expect, routes=routes, label_scores=label_scores, feedback=feedback))
        else:
            if not p.links:
                problems.add((p.path, p.line), f"passage {p.name!r} has no links and is not an ending: add "
                                               f"[[Text->Target]] links, or tag it end:won / end:lost")
            choices = []
            for i, (label, target, number) in enumerate(p.links):
                lines[("choice", p.name, i)] = (p.path, number)
                technique, score, score_lines = moves.get(target, ("", {}, {}))
                for dim, where in score_lines.items():
                    lines[("score", p.name, i, dim)] = where
                choices.append(Choice(text=label, next=target, technique=technique, score=score,
                                      feedback=bodies[target][1] if target in bodies else ""))
            nodes[p.name] = Node(key=p.name, customer=text, choices=tuple(choices))
    scenario = ScenarioDef(
        slug=slug, title=str(title), lang=meta_text("lang", LANGS), kind=meta_text("kind", KINDS),
        tier=meta_text("tier", TIERS, default="new_hire"), persona=persona, rubric=rubric, start=start, nodes=nodes,
        objections=meta_list("objections"), behaviours=meta_list("behaviours"),
        description=str(meta.get("description", "")),
    )
    if nodes:
        _check_twee_graph(scenario, lines, problems)
    check_vocabulary(scenario, lines, problems, behaviours, objections)
    if problems:
        raise ScenarioProblems(list(dict.fromkeys(problems.items)))
    return scenario, warnings


def _check_twee_graph(scenario: ScenarioDef, lines: dict, problems: Problems) -> None:
    """Run the shared graph checks, phrased for Twee (dangling links say which passage to add)."""
    graph = Problems()
    check_graph(scenario, lines, graph)
    for item in graph.items:
        item = item.replace("no 'won' ending: add a node with 'end: won' and a summary",
                            "no 'won' ending: tag the passage where the customer agrees end:won")
        item = re.sub(r"next '([^']*)' names no node", r"link to '\1' names no passage (add ':: \1')", item)
        item = item.replace("node ", "passage ").replace("names no node", "names no passage")
        problems.items.append(item)
