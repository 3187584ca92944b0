"""`flask users import`: every problem reported as FILE:LINE, all or nothing, dry run, generated passwords."""

import csv
import os
import stat

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.people import MentorPairing, Team, User
from app.services.errors import ImportProblems
from app.services.user_import import apply_user_import, plan_user_import
from tests.factories import make_team, make_user

GOOD = """email,name,role,tier,team,mentor_email
chen@example.com,陈明 Chen Ming,mentor,core,East,
wang@example.com,王芳 Wang Fang,learner,new_hire,East,chen@example.com
leo@example.com,Leo Learner,,,,boss@example.com

lin@example.com,Lin,learner,New hire,North,chen@example.com
"""


def write(tmp_path, text: str, name: str = "people.csv", encoding: str = "utf-8") -> str:
    """Write ``text`` to a CSV file and return its path."""
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return str(path)


def count(model) -> int:
    """Return how many rows a table has."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_import_creates_users_teams_and_pairings(runner, tmp_path):
    """Mentors may be defined later in the file or exist already; blank lines are skipped."""
    make_user(role="mentor", email="boss@example.com")
    make_team("East")
    result = runner.invoke(args=["users", "import", write(tmp_path, GOOD)])
    assert result.exit_code == 0, result.output
    assert "Imported 4 users, 1 new team (North), 3 mentor pairings" in result.output
    wang = db.session.scalar(sa.select(User).where(User.email == "wang@example.com"))
    assert (wang.name, wang.role, wang.tier, wang.team.name) == ("王芳 Wang Fang", "learner", "new_hire", "East")
    leo = db.session.scalar(sa.select(User).where(User.email == "leo@example.com"))
    assert (leo.role, leo.tier, leo.team) == ("learner", "new_hire", None)
    pairs = {(p.mentor.email, p.mentee.email) for p in db.session.scalars(sa.select(MentorPairing))}
    assert pairs == {("chen@example.com", "wang@example.com"), ("boss@example.com", "leo@example.com"),
                     ("chen@example.com", "lin@example.com")}
    assert count(Team) == 2


def test_generated_passwords_are_printed_once_and_work(runner, tmp_path):
    """Rows without a password get a generated one, printed in a table; given passwords are kept."""
    text = "email,name,password\na@example.com,A,given-password\nb@example.com,B,\n"
    result = runner.invoke(args=["users", "import", write(tmp_path, text)])
    assert result.exit_code == 0, result.output
    line = next(line for line in result.output.splitlines() if "b@example.com" in line)
    password = line.split()[-1]
    users = {u.email: u for u in db.session.scalars(sa.select(User))}
    assert users["b@example.com"].check_password(password)
    assert users["a@example.com"].check_password("given-password")
    assert "given-password" not in result.output


def test_passwords_file_is_private(runner, tmp_path):
    """--passwords-file writes the generated passwords to a 0600 CSV instead of the terminal."""
    out = tmp_path / "passwords.csv"
    result = runner.invoke(args=["users", "import", write(tmp_path, "email,name\nc@example.com,C\n"),
                                 "--passwords-file", str(out)])
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    rows = list(csv.reader(out.read_text(encoding="utf-8").splitlines()))
    assert rows[0] == ["email", "password"] and rows[1][0] == "c@example.com"
    assert rows[1][1] not in result.output
    assert db.session.scalar(sa.select(User)).check_password(rows[1][1])


def test_dry_run_changes_nothing(runner, tmp_path):
    """--dry-run validates and reports what would happen, and creates nothing."""
    make_user(role="mentor", email="boss@example.com")
    result = runner.invoke(args=["users", "import", "--dry-run", write(tmp_path, GOOD)])
    assert result.exit_code == 0, result.output
    assert "Would create 4 users" in result.output and "Nothing was changed" in result.output
    assert count(User) == 1 and count(Team) == 0


def test_every_problem_is_reported_and_nothing_is_imported(runner, tmp_path):
    """Each bad row is named FILE:LINE; the good rows are not imported either."""
    make_user(email="taken@example.com")
    make_user(role="learner", email="plain@example.com")
    text = (
        "email,name,role,tier,team,mentor_email\n"
        "ok@example.com,Ok,learner,core,,\n"
        "not-an-email,Bad,learner,core,,\n"
        "x@example.com,,boss,expert,,\n"
        "taken@example.com,Taken,learner,core,,\n"
        "ok@example.com,Again,learner,core,,\n"
        "y@example.com,Y,learner,core,,ghost@example.com\n"
        "z@example.com,Z,learner,core,,ok@example.com\n"
        "w@example.com,W,learner,core,,plain@example.com\n"
        "short@example.com,Short,learner\n"
    )
    path = write(tmp_path, text)
    result = runner.invoke(args=["users", "import", path])
    assert result.exit_code == 1
    expected = [
        f"{path}:3: 'not-an-email' is not a valid email address",
        f"{path}:4: name is empty",
        f"{path}:4: unknown role 'boss'",
        f"{path}:4: unknown tier 'expert'",
        f"{path}:6: duplicate email ok@example.com (first on line 2)",
        f"{path}:10: expected 6 fields, found 3",
    ]
    for message in expected:
        assert message in result.output, result.output
    assert "nothing was imported" in result.output
    assert count(User) == 2
    # Once the file itself is clean, the database checks report the rest.
    fixed = text.replace("not-an-email", "n@example.com").replace("x@example.com,,boss,expert", "x@example.com,X,learner,core")
    fixed = fixed.replace("ok@example.com,Again", "ok2@example.com,Again").replace("short@example.com,Short,learner\n", "")
    result = runner.invoke(args=["users", "import", write(tmp_path, fixed)])
    assert result.exit_code == 1
    for message in (":5: taken@example.com already has an account",
                    ":7: mentor ghost@example.com is neither in the file nor a user",
                    ":8: mentor ok@example.com is a learner on line 2",
                    ":9: mentor plain@example.com is a learner"):
        assert message in result.output, result.output
    assert count(User) == 2


@pytest.mark.parametrize(
    "text, message",
    [
        ("email,name,region\na@example.com,A,East\n", "people.csv:1: unknown column 'region'"),
        ("email,role\na@example.com,learner\n", "people.csv:1: missing column 'name'"),
        ("email,name,email\na@example.com,A,b@example.com\n", "people.csv:1: column 'email' appears more than once"),
        ("", "people.csv:1: the file is empty"),
        ("email,name,language\na@example.com,A,fr\n", "people.csv:2: unknown language 'fr'"),
        ("email,name,password\na@example.com,A,short\n", "people.csv:2: password is shorter than 8"),
        ("email,name,mentor_email\na@example.com,A,a@example.com\n", "people.csv:2: a user cannot be their own mentor"),
    ],
)
def test_file_level_problems(runner, tmp_path, text, message):
    """Header and cell problems name the file and line and exit non-zero."""
    result = runner.invoke(args=["users", "import", write(tmp_path, text)])
    assert result.exit_code == 1
    assert message in result.output
    assert count(User) == 0


def test_bom_header_case_and_crlf_are_accepted(runner, tmp_path):
    """A UTF-8 BOM (Excel), upper-case headers and Windows line ends are fine."""
    text = "\ufeffEmail,Name,Role\r\nA@Example.com,A,Mentor\r\n"
    result = runner.invoke(args=["users", "import", write(tmp_path, text)])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User))
    assert (user.email, user.role) == ("a@example.com", "mentor")


def test_other_encodings_need_encoding_option(runner, tmp_path):
    """A GB18030 file is refused with its line and a hint, and imports with --encoding."""
    path = write(tmp_path, "email,name\na@example.com,Anna\nb@example.com,王芳\n", encoding="gb18030")
    result = runner.invoke(args=["users", "import", path])
    assert result.exit_code == 1
    assert f"{path}:3: the file is not utf-8-sig text" in result.output
    result = runner.invoke(args=["users", "import", "--encoding", "gb18030", path])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(User.name).where(User.email == "b@example.com")) == "王芳"


def test_multiline_quoted_cells_keep_line_numbers(tmp_path):
    """A quoted cell spanning lines does not shift the line numbers of later rows."""
    text = 'email,name\na@example.com,"Anna\nSecond line"\nbad,B\n'
    with pytest.raises(ImportProblems) as error:
        plan_user_import(text.encode(), "f.csv")
    assert error.value.problems == ["f.csv:4: 'bad' is not a valid email address"]


def test_service_reports_progress_once_per_user(app):
    """apply_user_import calls on_progress once per created user."""
    plan = plan_user_import(b"email,name\na@example.com,A\nb@example.com,B\n", "f.csv")
    ticks = []
    result = apply_user_import(plan, on_progress=ticks.append)
    assert ticks == [1, 1] and result.created == 2 and len(result.generated) == 2


def test_unwritable_passwords_file_stops_before_importing(runner, tmp_path):
    """A passwords file that cannot be written aborts before any user is created."""
    result = runner.invoke(args=["users", "import", write(tmp_path, "email,name\nc@example.com,C\n"),
                                 "--passwords-file", str(tmp_path / "missing" / "p.csv")])
    assert result.exit_code == 1 and "cannot write" in result.output
    assert count(User) == 0


def test_create_one_user_from_the_command_line(runner):
    """`flask users create` makes e.g. the first admin, with a typed (hidden, confirmed) password."""
    result = runner.invoke(args=["users", "create", "Boss@Example.com", "--name", "Boss", "--role", "admin"],
                           input="first-admin-pw\nfirst-admin-pw\n")
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User))
    assert (user.email, user.role) == ("boss@example.com", "admin") and user.check_password("first-admin-pw")
    again = runner.invoke(args=["users", "create", "boss@example.com", "--name", "B", "--generate-password"])
    assert again.exit_code == 1 and "already used" in again.output


def test_create_with_a_generated_password(runner):
    """--generate-password prints a working password once."""
    result = runner.invoke(args=["users", "create", "t@example.com", "--name", "T", "--role", "trainer",
                                 "--generate-password"])
    assert result.exit_code == 0, result.output
    password = result.output.split("shown once): ")[1].strip()
    assert db.session.scalar(sa.select(User)).check_password(password)
