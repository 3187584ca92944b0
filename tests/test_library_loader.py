"""The content/ loader: pure functions that return dataclasses or name every problem as FILE:LINE."""

import shutil

import pytest

from app.content.library import ContentProblems, check_library, load_library, split_front_matter
from tests.factories_library import GOOD_LIBRARY, SCENARIOS


@pytest.fixture
def library(tmp_path):
    """Return a writable copy of the good fixture library."""
    target = tmp_path / "content"
    shutil.copytree(GOOD_LIBRARY, target)
    return target


def problems_of(folder, scenarios=SCENARIOS):
    """Return the problems of a content folder."""
    return check_library(folder, scenarios)


def test_good_library_loads_into_frozen_dataclasses():
    """Courses come back in tier order with lessons, quiz paths and certifications."""
    lib = load_library(GOOD_LIBRARY, SCENARIOS)
    assert [c.slug for c in lib.courses] == ["basics", "basics-en", "negotiation", "coaching"]
    basics = lib.courses[0]
    assert basics.tier == "new_hire" and basics.lang == "zh" and basics.minutes == 20
    assert basics.behaviours == ("needs_discovery",) and basics.tags == ("入门", "SPIN")
    assert [l.key for l in basics.lessons] == ["01-why-ask", "02-listen"]
    assert basics.lessons[0].title == "为什么要提问" and basics.lessons[0].body.startswith("# 为什么要提问")
    assert lib.certifications[0].quizzes == (("basics", 0.8),)
    assert lib.certifications[0].scenarios == (("budget-objection", 0.6),)
    with pytest.raises(AttributeError):
        basics.slug = "other"  # frozen


def test_the_bundled_content_folder_is_valid():
    """The bundled content passes the library check."""
    from config import BASE_DIR

    assert check_library(BASE_DIR / "content", BASE_DIR / "scenarios") == []


@pytest.mark.parametrize(
    "relative, old, new, line, message",
    [
        ("new_hire/basics/course.yaml", "minutes: 20", "minutes: 20\ncolour: red", 7, "unknown key 'colour'"),
        ("new_hire/basics/course.yaml", "tier: new_hire", "tier: expert", 3, "unknown tier 'expert'"),
        ("new_hire/basics/course.yaml", "behaviours: [needs_discovery]", "behaviours:\n  - needs_discovery\n  - juggling",
         11, "unknown behaviour 'juggling'"),
        ("new_hire/basics/course.yaml", "title: 销售基础\n", "", 1, "missing required key 'title'"),
        ("core/negotiation/course.yaml", "prerequisites: [basics]", "prerequisites: [nothing-here]", 7,
         "prerequisite 'nothing-here' names no course"),
        ("new_hire/basics/course.yaml", "minutes: 20", "minutes: twenty", 6, "'minutes' must be a whole number"),
        ("new_hire/basics/course.yaml", "summary: 新人第一课：提问与倾听。", "summary: [unclosed", 6, "invalid YAML"),
        ("new_hire/basics/02-listen.md", "minutes: 12", "minutes: 12\nauthor: me", 4, "unknown key 'author'"),
        ("new_hire/basics/02-listen.md", "title: 倾听\n", "", 2, "missing required key 'title'"),
        ("certifications.yaml", "course: basics,", "course: nosuch,", 6, "course 'nosuch' does not exist"),
        ("certifications.yaml", "scenario: budget-objection", "scenario: ghost", 8, "scenario 'ghost' does not exist"),
        ("certifications.yaml", "pass: 0.8", "pass: 80", 6, "pass must be a number from 0 to 1"),
    ],
)
def test_each_problem_names_file_and_line(library, relative, old, new, line, message):
    """A broken file gives FILE:LINE: message pointing at the offending line."""
    path = library / relative
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    problems = problems_of(library)
    matching = [p for p in problems if message in p]
    assert matching, problems
    assert matching[0].startswith(f"{path}:{line}: ") or f"{relative}:{line}: " in matching[0], matching


def test_duplicate_slugs_are_refused(library):
    """Two folders claiming one slug name both places."""
    shutil.copytree(library / "new_hire" / "basics", library / "new_hire" / "basics-copy")
    problems = problems_of(library)
    assert any("duplicate slug 'basics'" in p and "basics-copy/course.yaml:1:" in p for p in problems), problems


def test_lesson_without_front_matter_and_stray_files(library):
    """Lessons need front matter; unexpected files and badly named lessons are named."""
    (library / "new_hire" / "basics" / "03-no-front.md").write_text("# Just text\n", encoding="utf-8")
    (library / "new_hire" / "basics" / "notes.txt").write_text("x", encoding="utf-8")
    (library / "new_hire" / "basics" / "Lesson Three.md").write_text("---\ntitle: x\nminutes: 1\n---\nx\n")
    problems = problems_of(library)
    assert any("03-no-front.md:1: a lesson starts with front matter" in p for p in problems)
    assert any("notes.txt:1: unexpected file" in p for p in problems)
    assert any("Lesson Three.md:1: a lesson file is named NN-name.md" in p for p in problems)


def test_every_problem_is_reported_at_once(library):
    """One run lists the problems of every file, not just the first."""
    (library / "core" / "negotiation" / "course.yaml").write_text("slug: negotiation\n", encoding="utf-8")
    (library / "manager" / "coaching" / "01-one-on-one.md").write_text("---\ntitle: [\n---\nx\n", encoding="utf-8")
    problems = problems_of(library)
    assert sum("negotiation/course.yaml" in p for p in problems) >= 4  # title, tier, lang, summary, minutes
    assert any("coaching/01-one-on-one.md:" in p and "invalid YAML" in p for p in problems)
    with pytest.raises(ContentProblems) as error:
        load_library(library, SCENARIOS)
    assert error.value.problems == problems


def test_tier_folder_must_match_and_be_known(library):
    """A course in the wrong tier folder, and an unknown tier folder, are both named."""
    shutil.move(library / "core" / "negotiation", library / "manager" / "negotiation")
    (library / "experts").mkdir()
    problems = problems_of(library)
    assert any("tier 'core' does not match the folder manager/" in p for p in problems)
    assert any("experts:1: unknown tier folder" in p for p in problems)


def test_missing_directory_is_a_problem_not_a_crash(tmp_path):
    """A content folder that does not exist gives one clear problem."""
    assert problems_of(tmp_path / "nope") == [f"{tmp_path / 'nope'}:1: no such content directory"]


def test_front_matter_split():
    """Front matter is the block between the first two --- lines."""
    assert split_front_matter("---\ntitle: a\n---\n\nBody\n") == ("title: a\n", "Body\n", 2)
    assert split_front_matter("Body only\n") == (None, "Body only\n", 1)
