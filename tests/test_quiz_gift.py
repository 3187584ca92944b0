"""The GIFT reader and writer against Moodle's own cases and the shared real files."""

import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.content.gift import (
    GiftAnswer, GiftError, GiftQuestion, dump_gift, extract_metadata, load_gift, parse_gift, write_question,
)

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "gift"
needs_data = pytest.mark.skipif(not DATA.is_dir(), reason="shared/data/gift is not next to the project")


def data_files():
    """Return every GIFT file in the shared data folder (empty when it is absent)."""
    if not DATA.is_dir():
        return []
    return sorted(p for p in DATA.rglob("*") if p.is_file() and p.suffix not in (".json", ".md"))


def cases(name):
    """Return the cases of one JSON case file."""
    return json.loads((DATA / name).read_text(encoding="utf-8")) if DATA.is_dir() else []


def fmt(moodle_format):
    """Map FORMAT_HTML to html."""
    return moodle_format.removeprefix("FORMAT_").lower()


@needs_data
@pytest.mark.parametrize("path", data_files(), ids=lambda p: p.name)
def test_every_shared_file_parses_and_round_trips(path):
    """Every shared GIFT file parses, and export then import gives the same questions."""
    questions = load_gift(path)
    assert questions
    again = parse_gift(dump_gift(questions), "export.gift")
    assert [q.meaning() for q in again] == [q.meaning() for q in questions]


@needs_data
@pytest.mark.parametrize("case", cases("moodle_cases.json"), ids=lambda c: c["name"])
def test_moodle_import_cases(case):
    """Each of Moodle's import tests gives the structure Moodle expects."""
    (q,) = parse_gift(case["gift"], "case.gift")
    exp = case["expected"]
    assert q.name == exp["name"]
    assert q.text == exp["questiontext"]
    assert q.format == fmt(exp["questiontextformat"])
    assert q.general_feedback == exp["generalfeedback"]
    assert q.general_feedback_format == fmt(exp["generalfeedbackformat"])
    assert q.tags == tuple(exp.get("tags", ()))
    assert q.idnumber == exp.get("idnumber", "")
    qtype = exp["qtype"]
    if qtype == "essay":
        assert q.type == "essay" and q.answers == ()
    elif qtype == "match":
        assert q.type == "matching"
        assert [(a.text, a.format) for a in q.answers] == [(s["text"], fmt(s["format"])) for s in exp["subquestions"]]
        assert [a.match for a in q.answers] == exp["subanswers"]
    elif qtype == "multichoice":
        assert q.type == ("multichoice" if exp["single"] else "multiple_answer")
        assert [(a.text, a.format) for a in q.answers] == [(s["text"], fmt(s["format"])) for s in exp["answer"]]
        assert [a.fraction for a in q.answers] == exp["fraction"]
        assert [(a.feedback, a.feedback_format) for a in q.answers] == [
            (f["text"], fmt(f["format"])) for f in exp["feedback"]
        ]
    elif qtype in ("shortanswer", "numerical"):
        assert q.type == qtype
        assert [a.text for a in q.answers] == exp["answer"]
        assert [a.fraction for a in q.answers] == exp["fraction"]
        assert [a.feedback for a in q.answers] == [f["text"] for f in exp["feedback"]]
        if qtype == "numerical":
            assert [a.tolerance for a in q.answers] == [None if t == "" else t for t in exp["tolerance"]]
    elif qtype == "truefalse":
        assert q.type == "truefalse"
        assert q.correct_answer is bool(exp["correctanswer"])
        by_text = {a.text: a for a in q.answers}
        assert by_text["True"].feedback == exp["feedbacktrue"]["text"]
        assert by_text["False"].feedback == exp["feedbackfalse"]["text"]
    else:  # pragma: no cover - a new case type must be mapped here
        pytest.fail(f"unmapped case type {qtype}")


@needs_data
@pytest.mark.parametrize("case", cases("moodle_comment_tag_cases.json"), ids=lambda c: c["name"])
def test_moodle_comment_metadata_cases(case):
    """``[id:…]`` and ``[tag:…]`` come out of comments as Moodle reads them."""
    assert extract_metadata(case["comment"]) == (case["expected_idnumber"], case["expected_tags"])


def question_from_export_case(q):
    """Build a GiftQuestion from one of Moodle's export-test question records."""
    opts = q["options"]
    base = dict(name=q["name"], text=q["questiontext"], format=fmt(q["questiontextformat"]),
                general_feedback=q["generalfeedback"], general_feedback_format=fmt(q["generalfeedbackformat"]))
    qtype = q["qtype"]
    if qtype == "match":
        answers = [GiftAnswer(text=s["questiontext"], format=fmt(s["questiontextformat"]), fraction=1.0 if s["questiontext"] else 0.0,
                              match=s["answertext"]) for s in opts["subquestions"].values()]
        return GiftQuestion(type="matching", answers=tuple(answers), **base)
    if qtype == "essay":
        return GiftQuestion(type="essay", **base)
    answers = []
    for a in opts["answers"].values():
        answer_format = fmt(a["answerformat"]) if isinstance(a["answerformat"], str) else "plain"
        tolerance = a.get("tolerance")
        answers.append(GiftAnswer(
            text=a["answer"], fraction=float(a["fraction"]), feedback=a["feedback"], format=answer_format,
            feedback_format=fmt(a["feedbackformat"]), tolerance=None if a["answer"] == "*" else tolerance,
        ))
    if qtype == "multichoice":
        qtype = "multichoice" if opts["single"] else "multiple_answer"
    return GiftQuestion(type=qtype, answers=tuple(answers), **base)


@needs_data
@pytest.mark.parametrize(
    "case", [c for c in cases("moodle_export_cases.json") if "options" in c["question"]], ids=lambda c: c["name"]
)
def test_moodle_export_cases(case):
    """The writer produces Moodle's exact export text."""
    question = question_from_export_case(case["question"])
    assert write_question(question, case["question"]["id"]) == case["expected_gift"]


def test_export_writes_idnumber_and_tags_comment():
    """Tags and the idnumber go in a comment line Moodle reads back."""
    q = GiftQuestion(
        type="truefalse", name="True/false question", text="The answer is true.", format="html",
        answers=(GiftAnswer("True", 1.0, "This is the right answer.", feedback_format="html"),
                 GiftAnswer("False", 0.0, "This is the wrong answer.", feedback_format="html")),
        general_feedback="You should have selected true.", general_feedback_format="html",
        tags=("tag1", "tag2"), idnumber="myid",
    )
    expected = (
        "// question: 7  name: True/false question\n// [id:myid] [tag:tag1] [tag:tag2]\n"
        "::True/false question::[html]The answer is true.{TRUE#This is the wrong answer.#This is the right answer."
        "####You should have selected true.}\n\n"
    )
    assert write_question(q, 7) == expected
    (back,) = parse_gift(expected)
    assert back.meaning() == q.meaning()


def normalise(text):
    """Drop whitespace differences (gift-pegjs collapses lines and pads blanks)."""
    return re.sub(r"\s+", "", text or "")


@needs_data
@pytest.mark.parametrize("expected_file", sorted((DATA / "gift-pegjs").glob("*.expected.json")) if DATA.is_dir() else [],
                         ids=lambda p: p.name)
def test_gift_pegjs_cases(expected_file):
    """The gift-pegjs expectations agree (except its positional true/false feedback, where Moodle wins)."""
    expected = json.loads(expected_file.read_text(encoding="utf-8"))
    questions = load_gift(expected_file.with_name(expected_file.name.replace(".expected.json", ".gift")))
    assert len(questions) == len(expected)
    kinds = {"TF": "truefalse", "MC": None, "Matching": "matching", "Numerical": "numerical",
             "Description": "description", "Short": "shortanswer", "Essay": "essay"}
    for q, e in zip(questions, expected):
        if kinds[e["type"]]:
            assert q.type == kinds[e["type"]]
        assert normalise(q.text) == normalise(e["stem"]["text"])
        assert q.format == e["stem"]["format"]
        if e.get("title"):
            assert q.name == e["title"]
        if e.get("globalFeedback"):
            assert normalise(q.general_feedback) == normalise(e["globalFeedback"]["text"])
        if e["type"] == "TF":
            assert q.correct_answer is e["isTrue"]
        if e["type"] == "MC":
            assert [normalise(a.text) for a in q.answers] == [normalise(c["text"]["text"]) for c in e["choices"]]
            assert [a.fraction == 1 for a in q.answers] == [c["isCorrect"] for c in e["choices"]]
            assert [normalise(a.feedback) for a in q.answers] == [
                normalise((c["feedback"] or {}).get("text")) for c in e["choices"]
            ]
        if e["type"] == "Matching":
            assert [(a.text, a.match) for a in q.answers] == [
                (p["subquestion"]["text"], p["subanswer"]) for p in e["matchPairs"]
            ]
        if e["type"] == "Numerical" and isinstance(e["choices"], dict):
            c = e["choices"]
            (a,) = q.answers
            value = float(a.text)
            if c["type"] == "simple":
                assert (value, a.tolerance) == (c["number"], 0)
            elif c["type"] == "range":
                assert (value, a.tolerance) == (c["number"], c["range"])
            else:
                assert value - a.tolerance == pytest.approx(c["numberLow"])
                assert value + a.tolerance == pytest.approx(c["numberHigh"])


def test_chinese_text_categories_and_formats():
    """UTF-8 text, categories, [markdown] and escapes survive parsing and the round trip."""
    text = (
        "$CATEGORY: $course$/top/销售/异议处理\n\n"
        "// [tag:预算] [id:q-1]\n"
        "::预算异议::[markdown]客户说**太贵了**，先做什么？{\n"
        "  =先认同再澄清#对！\n  ~马上打折#过早让价\\: 不要。\n  ~%-50%[plain]结束对话\n"
        "####先理解真实原因。}\n\n"
        "::率::折扣率是多少（%）？{#10..20}\n\n"
        "说明：以下题目不计分。\n"
    )
    questions = parse_gift(text, "zh.gift")
    assert [q.type for q in questions] == ["multichoice", "numerical", "description"]
    q = questions[0]
    assert (q.category, q.tags, q.idnumber, q.format) == ("销售/异议处理", ("预算",), "q-1", "markdown")
    assert q.answers[1].feedback == "过早让价: 不要。"
    assert (q.answers[2].fraction, q.answers[2].format) == (-0.5, "plain")
    assert q.general_feedback == "先理解真实原因。"
    assert (questions[1].answers[0].text, questions[1].answers[0].tolerance) == ("15", 5.0)
    again = parse_gift(dump_gift(questions))
    assert [a.meaning() for a in again] == [a.meaning() for a in questions]


@pytest.mark.parametrize(
    "text, line, message",
    [
        ("Q1 {=a ~b}\n\nQ2 {=a\n~b", 3, "not closed"),
        ("\n\n::Name:: a } b {=x}", 3, "before the opening"),
        ("Q {=a ~b}\n\n\nQ {#abc}", 4, "not a number"),
        ("Q {\n=a -> b\n=c\n}", 3, "needs '->'"),
        ("Q {#5..1}", 1, "runs backwards"),
        ("Q {~a ~b}", 1, "no answer earns credit"),
        ("Q {=only}\nR {=other}", 2, "second answer section"),
        ("::Unclosed title {=a}", 1, "title"),
        ("Q {~%150%a ~b}", 1, "outside"),
        ("Q {1:MC:~=a~b}", 1, "Cloze"),
        ("$CATEGORY: x\n::Q:: q {T}", 2, "blank line"),
    ],
)
def test_errors_name_file_and_line(text, line, message):
    """Bad input gives FILE:LINE: message, for every bad question."""
    with pytest.raises(GiftError) as info:
        parse_gift(text, "bank.gift")
    first = info.value.problems[0]
    assert first.startswith(f"bank.gift:{line}: "), first
    assert message in first


def test_every_bad_question_is_reported():
    """All problems are listed, not only the first."""
    with pytest.raises(GiftError) as info:
        parse_gift("A {=x ~y}\n\nB {#zz}\n\nC {=a -> }\n\nD {T}\n\nE {#1..}", "f.gift")
    assert [p.split(":")[1] for p in info.value.problems] == ["3", "5", "9"]


def test_encodings_are_checked(tmp_path):
    """UTF-16 and Latin-1 files are refused with a clear message."""
    from app.content.gift import parse_gift_bytes

    with pytest.raises(GiftError, match="UTF-16"):
        parse_gift_bytes("Q {T}".encode("utf-16"), "u16.gift")
    with pytest.raises(GiftError, match=r"latin\.gift:3: the file is not UTF-8"):
        parse_gift_bytes("Q {T}\n\nCaf\xe9 {T}".encode("latin-1"), "latin.gift")
    assert parse_gift_bytes("\ufeffQ {T}\r\n".encode("utf-8"))[0].type == "truefalse"
    with pytest.raises(GiftError, match="cannot read"):
        load_gift(tmp_path / "missing.gift")


GIFT_ALPHABET = st.sampled_from(list("{}~=#:%->.\\/$[]\n\t TFRUEAL0123456789abc汉字") + ["//", "::", "####", "->", "\n\n"])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=200), st.lists(GIFT_ALPHABET, max_size=80).map("".join)))
def test_arbitrary_text_parses_or_fails_cleanly(text):
    """Any text either parses (and round-trips) or fails with FILE:LINE: messages, never another exception."""
    try:
        questions = parse_gift(text, "fuzz.gift")
    except GiftError as error:
        assert error.problems
        for problem in error.problems:
            assert re.match(r"^fuzz\.gift:\d+: \S", problem), problem
        return
    again = parse_gift(dump_gift(questions), "again.gift")
    assert [q.meaning() for q in again] == [q.meaning() for q in questions]
