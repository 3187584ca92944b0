"""GIFT, Moodle's question text format: a reader and a writer.

The reader follows Moodle's importer (question/format/gift/format.php) rule for
rule, so that banks written for Moodle load with the same meaning; see
shared/data/gift/SPEC-NOTES.md. Where Moodle silently produces a broken
question (an unclosed title, a second answer section swallowed into the text, a
number that is not a number) this reader refuses with ``FILE:LINE: message``.

Two extensions, both seen in real files: ``####feedback`` written after the
closing brace is general feedback, and ``~=answer`` marks a right answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Iterable, Optional

from app.services.errors import ImportProblems

#: The question type names of DESIGN.md §3.
TYPES = (
    "multichoice", "multiple_answer", "truefalse", "shortanswer", "numerical", "matching", "essay", "description",
)
#: Text formats GIFT can name in a ``[format]`` prefix.
FORMATS = ("moodle", "html", "plain", "markdown")

# PHP's trim() set: Moodle never strips other Unicode spaces (e.g. the ideographic space).
_WS = " \t\n\r\0\x0b"
_SPECIALS = {":": "colon", "#": "hash", "=": "equals", "{": "lbrace", "}": "rbrace", "~": "tilde", "n": "newline"}
_LITERAL = {"colon": ":", "hash": "#", "equals": "=", "lbrace": "{", "rbrace": "}", "tilde": "~", "newline": "\n"}
_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")
_WEIGHT = re.compile(r"^%(-?\d+(?:\.\d*)?)%")
_META = re.compile(r"\[(id|tag):((?:\\.|[^\]\\\n])*)\]")
_CLOZE = re.compile(r"^\d*:(MC|MCV|MCH|MR|MRH|SA|SHORTANSWER|NM|NUMERICAL|MULTICHOICE\w*|MULTIRESPONSE\w*):")
_TAGS = re.compile(r"<[^>]*>")
_TF = {"T": True, "TRUE": True, "F": False, "FALSE": False}


class GiftError(ImportProblems, ValueError):
    """A GIFT file that cannot be read; ``problems`` holds every "FILE:LINE: message"."""


@dataclass(frozen=True)
class GiftAnswer:
    """One answer: a choice, an accepted text or number, or a matching pair."""

    text: str
    fraction: float
    feedback: str = ""
    format: str = "moodle"
    feedback_format: str = "moodle"
    tolerance: Optional[float] = None  # numerical only; None for the catch-all "*"
    match: Optional[str] = None  # matching only: the right-hand side

    def to_dict(self, qtype: str) -> dict:
        """Return the answer in the ``--json`` shape of DESIGN.md §3."""
        data = {"text": self.text, "fraction": self.fraction, "feedback": self.feedback}
        if qtype == "numerical":
            data["tolerance"] = self.tolerance
        if qtype == "matching":
            data["match"] = self.match
        return data


@dataclass(frozen=True)
class GiftQuestion:
    """A question read from (or to be written to) a GIFT file."""

    type: str
    name: str
    text: str
    format: str = "moodle"
    answers: tuple[GiftAnswer, ...] = ()
    general_feedback: str = ""
    general_feedback_format: str = "moodle"
    category: Optional[str] = None
    tags: tuple[str, ...] = ()
    idnumber: str = ""
    line: int = 0

    @property
    def correct_answer(self) -> Optional[bool]:
        """For true/false questions, the right answer."""
        if self.type != "truefalse":
            return None
        return next((a.text == "True" for a in self.answers if a.fraction >= 1), False)

    def to_dict(self) -> dict:
        """Return the question in the ``--json`` shape of DESIGN.md §3."""
        return {
            "type": self.type,
            "name": self.name,
            "text": self.text,
            "format": self.format,
            "answers": [a.to_dict(self.type) for a in self.answers],
            "general_feedback": self.general_feedback,
            "category": self.category,
            "tags": list(self.tags),
            "idnumber": self.idnumber,
            "line": self.line,
        }

    def meaning(self) -> tuple:
        """Return what the question means, without where it came from (for comparisons)."""
        return replace(self, line=0)


@dataclass
class _Block:
    """One question block: processed text with escapes turned into placeholders."""

    filename: str
    text: str
    lines: list[int]  # source line of every character of ``text``
    literal: dict[str, str] = field(default_factory=dict)  # placeholder -> literal character
    first_line: int = 0
    first_text_line: int = 0  # the first line that is not a comment

    def line_at(self, index: int) -> int:
        """Return the source line of the character at ``index``."""
        if not self.lines:
            return self.first_line
        return self.lines[max(0, min(index, len(self.lines) - 1))]

    def restore(self, text: str) -> str:
        """Turn placeholders back into the literal characters they stand for."""
        for placeholder, char in self.literal.items():
            text = text.replace(placeholder, char)
        return text


class _Problem(Exception):
    """A problem in one block, at a source line."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


# --- reading -------------------------------------------------------------------


def load_gift(path) -> list[GiftQuestion]:
    """Read a GIFT file; raise GiftError naming FILE:LINE for every problem."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise GiftError([f"{path}:0: cannot read the file ({exc.strerror or exc})"]) from None
    return parse_gift_bytes(data, str(path))


def parse_gift_bytes(data: bytes, filename: str = "<gift>") -> list[GiftQuestion]:
    """Decode UTF-8 bytes and parse them; UTF-16 and other encodings are refused clearly."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise GiftError([f"{filename}:1: the file is UTF-16; save it as UTF-8"])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise GiftError([f"{filename}:{line}: the file is not UTF-8 (byte {exc.start}); save it as UTF-8"]) from None
    return parse_gift(text, filename)


def parse_gift(text: str, filename: str = "<gift>") -> list[GiftQuestion]:
    """Parse GIFT text into questions; raise GiftError listing every problem."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    questions: list[GiftQuestion] = []
    problems: list[str] = []
    category: Optional[str] = None
    for first_line, block_lines in _blocks(text.split("\n")):
        try:
            result = _read_block(filename, first_line, block_lines, category)
        except _Problem as problem:
            problems.append(f"{filename}:{problem.line}: {problem.message}")
            continue
        if result is None:
            continue
        if isinstance(result, str):
            category = result
        else:
            questions.append(result)
    if problems:
        raise GiftError(problems)
    return questions


def _blocks(lines: list[str]) -> Iterable[tuple[int, list[str]]]:
    """Yield (first line number, lines) for each run of non-blank lines."""
    current: list[str] = []
    start = 0
    for number, line in enumerate(lines, start=1):
        if line.strip(_WS) == "":
            if current:
                yield start, current
                current = []
        else:
            if not current:
                start = number
            current.append(line)
    if current:
        yield start, current


def extract_metadata(comments: str) -> tuple[str, list[str]]:
    """Return (idnumber, tags) from comment text: ``[id:X]`` (first wins) and ``[tag:Y]`` items."""
    idnumber, tags = "", []
    for kind, raw in _META.findall(comments):
        value = raw.replace("\\]", "]").strip(_WS)
        if kind == "id":
            idnumber = idnumber or value
        elif value and value not in tags:
            tags.append(value)
    return idnumber, tags


def _read_block(filename: str, first_line: int, raw_lines: list[str], category: Optional[str]):
    """Read one block: return a GiftQuestion, a category path (str) or None for comments only."""
    comments = []
    kept: list[tuple[int, str]] = []
    for offset, line in enumerate(raw_lines):
        if line.strip(_WS).startswith("//"):
            comments.append(line.strip(_WS))
            kept.append((first_line + offset, " "))
        else:
            kept.append((first_line + offset, line))
    block = _escape(filename, kept)
    if block.text == "":
        return None
    idnumber, tags = extract_metadata("\n".join(comments))
    text, base = block.text, 0
    if text.startswith("$CATEGORY:"):
        rest = text[len("$CATEGORY:"):]
        path, _, after = rest.partition("\n")
        if after.strip(_WS):
            raise _Problem(block.line_at(len("$CATEGORY:") + len(path) + 1),
                           "put a blank line between the $CATEGORY: line and the next question")
        path = block.restore(path).strip(_WS)
        if not path:
            raise _Problem(block.first_line, "$CATEGORY: needs a category path")
        return clean_category(path)

    name = None
    if text.startswith("::"):
        end = text.find("::", 2)
        if end < 0:
            raise _Problem(block.line_at(0), "the title opened with :: is not closed (write \\: for a colon)")
        name = _clean_name(block.restore(text[2:end]))
        base = end + 2
        while base < len(text) and text[base] in _WS:
            base += 1
        text = text[base:]

    start, finish = text.find("{"), text.find("}")
    description = start < 0 and finish < 0
    if description:
        answer_text, answer_base, question_text = "", 0, text
    elif start < 0:
        raise _Problem(block.line_at(base + finish), "a closing } without an opening { (write \\} for a brace)")
    elif finish < 0:
        raise _Problem(block.line_at(base + start), "the answer section opened with { is not closed by }")
    elif finish < start:
        raise _Problem(block.line_at(base + finish), "a closing } comes before the opening { (write \\} for a brace)")
    else:
        raw_answers = text[start + 1:finish]
        lead = len(raw_answers) - len(raw_answers.lstrip(_WS))
        answer_text, answer_base = raw_answers.strip(_WS), base + start + 1 + lead
        trailing = text[finish + 1:]
        if "{" in trailing:
            raise _Problem(block.line_at(base + finish + 1 + trailing.find("{")),
                           "a second answer section in the same question; separate questions with a blank line")
        trailing_feedback = None
        if trailing.strip(_WS).startswith("####") and "####" not in answer_text:
            trailing_feedback = trailing.strip(_WS)[4:]
            trailing = ""
        if trailing == "":
            question_text = text[:start]
        else:
            question_text = text[:start] + "_____" + trailing
        if trailing_feedback is not None:
            answer_text = answer_text + "####" + trailing_feedback

    general_feedback = ""
    separator = answer_text.rfind("####")
    if separator >= 0:
        general_feedback = answer_text[separator + 4:]
        answer_text = answer_text[:separator].strip(_WS)

    qtext, qformat = _with_format(block, question_text, "moodle")
    gf_text, gf_format = _with_format(block, general_feedback, qformat)
    if name is None:
        name = _default_name(qtext)
    common = dict(
        name=name, text=qtext, format=qformat, general_feedback=gf_text, general_feedback_format=gf_format,
        category=category, tags=tuple(tags), idnumber=idnumber, line=block.first_text_line,
    )
    if description:
        if not qtext:
            return None
        return GiftQuestion(type="description", **common)
    where = block.line_at(answer_base)
    if answer_text == "":
        return GiftQuestion(type="essay", **common)
    if _CLOZE.match(answer_text):
        raise _Problem(where, "this is Moodle's Cloze (embedded answers) syntax, not GIFT")
    if answer_text[0] == "#":
        qtype, answers = "numerical", _numerical(block, answer_text, answer_base, qformat)
    elif "~" in answer_text:
        qtype, answers = _multichoice(block, answer_text, answer_base, qformat)
    elif "=" in answer_text and "->" in answer_text:
        qtype, answers = "matching", _matching(block, answer_text, answer_base, qformat)
    elif _tf_word(answer_text) in _TF:
        qtype, answers = "truefalse", _truefalse(block, answer_text, qformat)
    else:
        qtype, answers = "shortanswer", _shortanswer(block, answer_text, answer_base, qformat)
    question = GiftQuestion(type=qtype, answers=tuple(answers), **common)
    problems = validate_question(question)
    if problems:
        raise _Problem(where, problems[0])
    return question


def _escape(filename: str, kept: list[tuple[int, str]]) -> _Block:
    """Join the lines, trim, and replace escaped specials by placeholders absent from the text."""
    raw = "\n".join(line for _, line in kept)
    raw_lines: list[int] = []
    for number, line in kept:
        raw_lines.extend([number] * (len(line) + 1))
    used = set(raw)
    placeholders: dict[str, str] = {}
    code = 0xE000
    for name in _LITERAL:
        while chr(code) in used:
            code += 1
        placeholders[name] = chr(code)
        code += 1
    out: list[str] = []
    lines: list[int] = []
    i = 0
    while i < len(raw):
        char = raw[i]
        if char == "\\" and i + 1 < len(raw):
            nxt = raw[i + 1]
            if nxt == "\\":
                out.append("\\")
                lines.append(raw_lines[i])
                i += 2
                continue
            if nxt in _SPECIALS:
                out.append(placeholders[_SPECIALS[nxt]])
                lines.append(raw_lines[i])
                i += 2
                continue
        out.append(char)
        lines.append(raw_lines[i])
        i += 1
    text = "".join(out)
    lead = len(text) - len(text.lstrip(_WS))
    text_trimmed = text.strip(_WS)
    block = _Block(
        filename=filename, text=text_trimmed, lines=lines[lead:lead + len(text_trimmed)],
        literal={p: _LITERAL[n] for n, p in placeholders.items()}, first_line=kept[0][0],
        first_text_line=next((number for number, line in kept if line.strip(_WS)), kept[0][0]),
    )
    return block


def _with_format(block: _Block, text: str, default: str) -> tuple[str, str]:
    """Split a ``[format]`` prefix off ``text``; return (text with escapes restored, format)."""
    text = text.strip(_WS)
    fmt = default
    if text.startswith("["):
        end = text.find("]")
        if end > 0 and text[1:end] in FORMATS:
            fmt = text[1:end]
            text = text[end + 1:]
    return block.restore(text).strip(_WS), fmt


def _tf_word(answer_text: str) -> str:
    """Return the answer text before any feedback, as Moodle checks it for T/TRUE/F/FALSE."""
    hash_at = answer_text.find("#")
    return answer_text[:hash_at].strip(_WS) if hash_at > 0 else answer_text


def _pieces(answer_text: str, base: int, markers: str) -> list[tuple[int, str]]:
    """Split at marker characters; a piece starting with '=' keeps its '='. Return (offset, piece)."""
    pieces: list[tuple[int, str]] = []
    start = 0
    for index, char in enumerate(answer_text):
        if char in markers:
            pieces.append((start, answer_text[start:index]))
            start = index + 1 if char == "~" else index
    pieces.append((start, answer_text[start:]))
    result = []
    for number, (offset, piece) in enumerate(pieces):
        lead = len(piece) - len(piece.lstrip(_WS))
        stripped = piece.strip(_WS)
        if number == 0 and stripped == "":
            continue
        result.append((base + offset + lead, stripped))
    return result


def _weight(block: _Block, piece: str, at: int) -> tuple[Optional[float], str]:
    """Read a leading ``%weight%``; return (fraction or None, rest)."""
    match = _WEIGHT.match(piece)
    if not match:
        return None, piece
    value = Decimal(match.group(1))
    if value > 100 or value < -100:
        raise _Problem(block.line_at(at), f"the weight {match.group(1)}% is outside -100%..100%")
    return float(value / 100), piece[match.end():]


def _comment(block: _Block, piece: str, default: str) -> tuple[tuple[str, str], tuple[str, str]]:
    """Split ``answer#feedback``; return ((text, format), (feedback, format))."""
    answer, sep, feedback = piece.partition("#")
    return _with_format(block, answer, default), (_with_format(block, feedback, default) if sep else ("", default))


def _multichoice(block: _Block, answer_text: str, base: int, qformat: str):
    """Read ``{=right ~wrong ~%50%half}``: single choice when some answer uses '='."""
    single = "=" in answer_text
    answers = []
    for at, piece in _pieces(answer_text, base, "~="):
        if piece == "":
            continue  # "~=" writes a right answer as an empty "~" piece and an "=" piece
        if piece.startswith("="):
            fraction, rest = _weight(block, piece[1:].lstrip(_WS), at)
            fraction, piece = (1.0 if fraction is None else fraction), rest
        else:
            fraction, piece = _weight(block, piece, at)
            fraction = fraction or 0.0
        (text, fmt), (feedback, ffmt) = _comment(block, piece, qformat)
        answers.append(GiftAnswer(text=text, fraction=fraction, feedback=feedback, format=fmt, feedback_format=ffmt))
    if len(answers) < 2:
        raise _Problem(block.line_at(base), "a multiple-choice question needs at least 2 answers")
    return ("multichoice" if single else "multiple_answer"), answers


def _matching(block: _Block, answer_text: str, base: int, qformat: str) -> list[GiftAnswer]:
    """Read ``{=left -> right ...}``; an empty left side is a distractor."""
    answers = []
    for at, piece in _pieces(answer_text, base, "="):
        piece = piece[1:] if piece.startswith("=") else piece
        if "->" not in piece:
            raise _Problem(block.line_at(at), f"a matching pair needs '->' between its sides: {block.restore(piece)!r}")
        left, _, right = piece.partition("->")
        text, fmt = _with_format(block, left, qformat)
        right = block.restore(right).strip(_WS)
        answers.append(GiftAnswer(text=text, fraction=1.0 if text else 0.0, format=fmt, match=right))
    return answers


def _truefalse(block: _Block, answer_text: str, qformat: str) -> list[GiftAnswer]:
    """Read ``{TRUE#feedback if wrong#feedback if right}``."""
    parts = answer_text.split("#", 2)
    correct = _TF[parts[0].strip(_WS)]
    wrong = _with_format(block, parts[1], qformat) if len(parts) > 1 else ("", qformat)
    right = _with_format(block, parts[2], qformat) if len(parts) > 2 else ("", qformat)
    true_fb, false_fb = (right, wrong) if correct else (wrong, right)
    return [
        GiftAnswer(text="True", fraction=1.0 if correct else 0.0, feedback=true_fb[0], feedback_format=true_fb[1]),
        GiftAnswer(text="False", fraction=0.0 if correct else 1.0, feedback=false_fb[0], feedback_format=false_fb[1]),
    ]


def _shortanswer(block: _Block, answer_text: str, base: int, qformat: str) -> list[GiftAnswer]:
    """Read ``{=answer =%50%partial =%0%*#anything else}``."""
    answers = []
    for at, piece in _pieces(answer_text, base, "="):
        piece = piece[1:].lstrip(_WS) if piece.startswith("=") else piece
        fraction, piece = _weight(block, piece, at)
        (text, _fmt), (feedback, ffmt) = _comment(block, piece, qformat)
        if text == "":
            raise _Problem(block.line_at(at), "an accepted answer is empty")
        answers.append(GiftAnswer(text=text, fraction=1.0 if fraction is None else fraction,
                                  feedback=feedback, format="plain", feedback_format=ffmt))
    if not answers:
        raise _Problem(block.line_at(base), "a short-answer question needs at least 1 answer")
    return answers


def _number(block: _Block, text: str, at: int, what: str) -> Decimal:
    """Parse a number as PHP's is_numeric would, refusing anything else."""
    text = text.strip(_WS)
    if not _NUMBER.match(text):
        raise _Problem(block.line_at(at), f"the {what} {text!r} is not a number")
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern only lets numbers through
        raise _Problem(block.line_at(at), f"the {what} {text!r} is not a number") from None


def _numerical(block: _Block, answer_text: str, base: int, qformat: str) -> list[GiftAnswer]:
    """Read ``{#value}``, ``{#value:tolerance}``, ``{#min..max}`` and ``{# =%w%v:t#fb ~#other}``."""
    body, body_base = answer_text[1:], base + 1
    wrong = None
    tilde = body.find("~")
    if tilde >= 0:
        wrong, body = body[tilde:], body[:tilde]
    answers = []
    for at, piece in _pieces(body, body_base, "="):
        piece = piece[1:].lstrip(_WS) if piece.startswith("=") else piece
        fraction, piece = _weight(block, piece, at)
        (value_text, _fmt), (feedback, ffmt) = _comment(block, piece, qformat)
        tolerance: Optional[Decimal]
        if value_text == "*":
            value, tolerance = None, None
        elif value_text.find("..", 1) > 0:
            cut = value_text.find("..", 1)
            low = _number(block, value_text[:cut], at, "minimum")
            high = _number(block, value_text[cut + 2:], at, "maximum")
            if low > high:
                raise _Problem(block.line_at(at), f"the range {value_text} runs backwards (write min..max)")
            value = (low + high) / 2
            tolerance = high - value
        elif value_text.find(":", 1) > 0:
            cut = value_text.find(":", 1)
            value = _number(block, value_text[:cut], at, "value")
            tolerance = _number(block, value_text[cut + 1:], at, "tolerance")
        else:
            value, tolerance = _number(block, value_text, at, "value"), Decimal(0)
        if tolerance is not None and tolerance < 0:
            raise _Problem(block.line_at(at), "a tolerance cannot be negative")
        answers.append(GiftAnswer(
            text="*" if value is None else format_number(value), fraction=1.0 if fraction is None else fraction,
            feedback=feedback, feedback_format=ffmt, format="plain",
            tolerance=None if tolerance is None else float(tolerance),
        ))
    if not answers:
        raise _Problem(block.line_at(base), "a numerical question needs at least one number")
    if wrong is not None:
        _unused, (feedback, ffmt) = _comment(block, wrong[1:], qformat)
        answers.append(GiftAnswer(text="*", fraction=0.0, feedback=feedback, feedback_format=ffmt, format="plain"))
    return answers


def validate_question(question: GiftQuestion) -> list[str]:
    """Return what makes a question unusable (empty when it is fine); used by the reader and the editor."""
    problems = []
    answers = question.answers
    if question.type not in TYPES:
        return [f"unknown question type {question.type!r}"]
    if question.type in ("multichoice", "multiple_answer") and len(answers) < 2:
        problems.append("a multiple-choice question needs at least 2 answers")
    if question.type in ("multichoice", "multiple_answer", "shortanswer", "numerical") and answers:
        if max(a.fraction for a in answers) <= 0:
            problems.append("no answer earns credit: mark a right answer with = or a positive %weight%")
    if question.type == "multichoice" and answers and max(a.fraction for a in answers) < 1:
        problems.append("a single-choice question needs a 100% answer")
    if question.type == "shortanswer" and not answers:
        problems.append("a short-answer question needs at least 1 answer")
    if question.type == "numerical":
        if not answers:
            problems.append("a numerical question needs at least one number")
        for a in answers:
            if a.text != "*" and not _NUMBER.match(a.text or ""):
                problems.append(f"the value {a.text!r} is not a number")
    if question.type == "matching":
        pairs = [a for a in answers if a.text]
        if len(pairs) < 2:
            problems.append("a matching question needs at least 2 pairs")
        if any(not (a.match or "").strip(_WS) for a in answers):
            problems.append("every matching pair needs a right-hand side")
    if question.type == "truefalse" and sorted(a.text for a in answers) != ["False", "True"]:
        problems.append("a true/false question has the answers True and False")
    if any(a.fraction < -1 or a.fraction > 1 for a in answers):
        problems.append("weights lie between -100% and 100%")
    if question.type not in ("description",) and not question.text and question.type != "essay":
        problems.append("the question has no text")
    return problems


def clean_category(path: str) -> str:
    """Return a Moodle category path without its context prefix: "$course$/top/A/B" -> "A/B"."""
    path = path.strip(_WS)
    path = re.sub(r"^\$(course|system|module|cat\d*|coursecategory)\$/", "", path)
    path = re.sub(r"^top(/|$)", "", path)
    return path.strip("/") or "Default"


def _clean_name(name: str) -> str:
    """Return a question name as Moodle cleans it: no tags, trimmed, at most 255 characters."""
    name = " ".join(_TAGS.sub("", name).split())
    return name[:255]


def _default_name(text: str) -> str:
    """Build a name from the start of the question text, as Moodle does for untitled questions."""
    name = _clean_name(text)
    if len(name) > 80:
        cut = name[:80].rsplit(" ", 1)[0] or name[:80]
        name = cut + "..."
    return name or "Question"


def format_number(value) -> str:
    """Write a number as PHP would (14 significant digits, no trailing zeros)."""
    if isinstance(value, Decimal):
        value = value.normalize()
        if value == value.to_integral_value():
            return str(value.quantize(Decimal(1)))
        return format(value, "f")
    text = format(float(value), ".14g")
    if "e" in text:
        text = format(Decimal(text), "f")
    return text


# --- writing -------------------------------------------------------------------


def escape(text: str) -> str:
    """Escape GIFT's specials as Moodle's exporter does (``\\ # = ~ { } :`` and newlines)."""
    out = text.replace("\\", "\\\\")
    for char in "#=~{}:":
        out = out.replace(char, "\\" + char)
    return out.replace("\r", "").replace("\n", "\\n")


def _written(text: str, fmt: str, default: str) -> str:
    """Write a text with a ``[format]`` prefix only when it differs from the question's."""
    prefix = f"[{fmt}]" if text != "" and fmt != default else ""
    return prefix + escape(text)


def _general_feedback(question: GiftQuestion, indent: str = "\t") -> str:
    """Write ``####feedback`` (the last thing before the closing brace)."""
    written = _written(question.general_feedback, question.general_feedback_format, question.format)
    if not written:
        return ""
    return f"{indent}####{written}\n" if indent else f"####{written}"


def _weight_text(fraction: float) -> str:
    """Write a fraction as a Moodle weight in percent."""
    return format_number(Decimal(repr(fraction)) * 100)


def write_question(question: GiftQuestion, question_id: int = 0) -> str:
    """Write one question (with Moodle's header comment and a blank line after it)."""
    q = question
    out = f"// question: {question_id}  name: {q.name}\n"
    if q.idnumber or q.tags:
        meta = ([f"[id:{q.idnumber.replace(']', chr(92) + ']')}]"] if q.idnumber else [])
        meta += [f"[tag:{t.replace(']', chr(92) + ']')}]" for t in q.tags]
        out += "// " + " ".join(meta) + "\n"
    out += f"::{escape(q.name)}::" + _written(q.text, q.format, "moodle")
    if q.type == "description":
        out += "\n"
    elif q.type == "essay":
        out += "{" + _general_feedback(q, "") + "}\n"
    elif q.type == "truefalse":
        correct = q.correct_answer
        by_text = {a.text: a for a in q.answers}
        right, wrong = (by_text.get("True"), by_text.get("False")) if correct else (by_text.get("False"), by_text.get("True"))
        right_fb = _written(right.feedback, right.feedback_format, q.format) if right else ""
        wrong_fb = _written(wrong.feedback, wrong.feedback_format, q.format) if wrong else ""
        out += "{" + ("TRUE" if correct else "FALSE")
        if wrong_fb:
            out += "#" + wrong_fb
        elif right_fb:
            out += "#"
        if right_fb:
            out += "#" + right_fb
        out += _general_feedback(q, "") + "}\n"
    else:
        out += ("{#\n" if q.type == "numerical" else "{\n") + "".join(_answer_lines(q)) + _general_feedback(q) + "}\n"
    return out + "\n"


def _answer_lines(q: GiftQuestion) -> Iterable[str]:
    """Yield the tab-indented answer lines of a question with an answer list."""
    for a in q.answers:
        feedback = _written(a.feedback, a.feedback_format, q.format)
        if q.type in ("multichoice", "multiple_answer"):
            if a.fraction == 1 and q.type == "multichoice":
                marker = "="
            elif a.fraction == 0:
                marker = "~"
            else:
                marker = f"~%{_weight_text(a.fraction)}%"
            yield "\t" + marker + _written(a.text, a.format, q.format) + (f"#{feedback}" if a.feedback else "") + "\n"
        elif q.type == "shortanswer":
            yield f"\t=%{_weight_text(a.fraction)}%{escape(a.text)}#{feedback}\n"
        elif q.type == "numerical":
            if a.text in ("", "*"):
                yield f"\t~#{feedback}\n"
            else:
                tolerance = format_number(a.tolerance or 0)
                yield f"\t=%{_weight_text(a.fraction)}%{a.text}:{tolerance}#{feedback}\n"
        elif q.type == "matching":
            yield "\t=" + _written(a.text, a.format, q.format) + " -> " + escape(a.match or "") + "\n"


def dump_gift(questions: Iterable[GiftQuestion], ids: Optional[Iterable[int]] = None) -> str:
    """Write questions as a GIFT file, with a ``$CATEGORY:`` line whenever the category changes."""
    out = []
    category = None
    id_list = list(ids) if ids is not None else None
    for index, q in enumerate(questions):
        if q.category and q.category != category:
            out.append(f"// question: 0  name: Switch category to $course$/top/{q.category}\n"
                       f"$CATEGORY: $course$/top/{q.category}\n\n")
            category = q.category
        out.append(write_question(q, id_list[index] if id_list is not None else index + 1))
    return "".join(out)
