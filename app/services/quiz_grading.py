"""How each question type grades a response; pure functions, no database.

Responses are small dicts stored as JSON on the attempt item:
``{"choice": id}`` (single choice, true/false), ``{"choices": [id, …]}``
(multiple answer), ``{"text": "…"}`` (short answer, numerical, essay) and
``{"pairs": {"<answer id>": "<right side>"}}`` (matching).
"""

import math
import re
from dataclasses import dataclass
from typing import Optional

# Float noise must not fail a learner who typed exactly the edge of the tolerance.
_EPSILON = 1e-9


@dataclass(frozen=True)
class Grade:
    """The mark of one response: ``fraction`` (0..1, None when a person must grade) and matched answers."""

    fraction: Optional[float]
    matched: tuple[int, ...] = ()


def _clamp(value: float) -> float:
    """Keep a mark between 0 and 1."""
    return max(0.0, min(1.0, value))


def normalise_text(text: str) -> str:
    """Trim, collapse spaces and ignore case, as short answers are compared."""
    return " ".join((text or "").split()).casefold()


def _pattern(answer_text: str) -> re.Pattern:
    """Return a regex for a short-answer text where ``*`` matches anything."""
    parts = [re.escape(p) for p in normalise_text(answer_text).split("*")]
    return re.compile(".*".join(parts), re.DOTALL)


def parse_number(text: str) -> Optional[float]:
    """Read a typed number, accepting a decimal comma; None when it is not a number."""
    text = (text or "").strip().replace(" ", "")
    if "," in text and "." not in text:
        text = text.replace(",", ".")
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def grade(question, response: Optional[dict]) -> Grade:
    """Grade ``response`` for a question (any object with ``type`` and ``answers``)."""
    response = response or {}
    kind = question.type
    answers = list(question.answers)
    if kind == "description":
        return Grade(None)
    if kind == "essay":
        return Grade(None)
    if kind in ("multichoice", "truefalse"):
        chosen = next((a for a in answers if a.id == response.get("choice")), None)
        return Grade(_clamp(chosen.fraction), (chosen.id,)) if chosen else Grade(0.0)
    if kind == "multiple_answer":
        ids = set(response.get("choices") or ())
        chosen = [a for a in answers if a.id in ids]
        return Grade(_clamp(sum(a.fraction for a in chosen)), tuple(a.id for a in chosen))
    if kind == "shortanswer":
        typed = normalise_text(response.get("text", ""))
        if not typed:
            return Grade(0.0)
        for a in sorted(answers, key=lambda a: -a.fraction):
            if _pattern(a.text).fullmatch(typed):
                return Grade(_clamp(a.fraction), (a.id,))
        return Grade(0.0)
    if kind == "numerical":
        value = parse_number(response.get("text", ""))
        if value is None:
            return Grade(0.0)
        for a in sorted(answers, key=lambda a: -a.fraction):
            if a.text == "*":
                return Grade(_clamp(a.fraction), (a.id,))
            target = parse_number(a.text)
            if target is not None and abs(value - target) <= (a.tolerance or 0.0) + _EPSILON:
                return Grade(_clamp(a.fraction), (a.id,))
        return Grade(0.0)
    if kind == "matching":
        pairs = response.get("pairs") or {}
        real = [a for a in answers if a.text]
        if not real:
            return Grade(0.0)
        right = [a for a in real if normalise_text(pairs.get(str(a.id), "")) == normalise_text(a.match_text or "")]
        return Grade(len(right) / len(real), tuple(a.id for a in right))
    return Grade(0.0)


def is_answered(question, response: Optional[dict]) -> bool:
    """Return True when the learner gave some answer."""
    response = response or {}
    return bool(response.get("choice") or response.get("choices") or (response.get("text") or "").strip()
                or any((v or "").strip() for v in (response.get("pairs") or {}).values()))


def right_answer_summary(question) -> list[str]:
    """Return the right answer(s) in words, for the review page."""
    answers = list(question.answers)
    if question.type in ("multichoice", "truefalse"):
        best = max((a.fraction for a in answers), default=0)
        return [a.text for a in answers if a.fraction == best and best > 0]
    if question.type == "multiple_answer":
        return [a.text for a in answers if a.fraction > 0]
    if question.type in ("shortanswer", "numerical"):
        shown = []
        for a in answers:
            if a.fraction >= 1 and a.text != "*":
                shown.append(a.text + (f" ± {a.tolerance:g}" if question.type == "numerical" and a.tolerance else ""))
        return shown
    if question.type == "matching":
        return [f"{a.text} → {a.match_text}" for a in answers if a.text]
    return []
