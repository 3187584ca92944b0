"""Import user accounts from a CSV file: validate every row first, then create all or nothing.

The file has a header row. ``email`` and ``name`` are required columns; ``role``,
``tier``, ``team``, ``mentor_email``, ``language`` and ``password`` are optional.
A row's mentor may be an existing user or another row of the same file. Rows
without a password get a generated one, returned to the caller to hand out.
"""

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Callable, Optional

import sqlalchemy as sa

from app.extensions import db
from app.models.people import ROLE_VALUES, TIER_VALUES, MentorPairing, Role, Team, User
from app.services import accounts
from app.services.errors import ImportProblems, ValidationError

REQUIRED_COLUMNS = ("email", "name")
OPTIONAL_COLUMNS = ("role", "tier", "team", "mentor_email", "language", "password")
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS


@dataclass(frozen=True)
class UserRow:
    """One valid row of the file, normalised."""

    line: int
    email: str
    name: str
    role: str
    tier: str
    team: str
    mentor_email: str
    locale: Optional[str]
    password: str  # empty: generate one


@dataclass
class UserImportPlan:
    """What an import would do; built by ``plan_user_import`` and carried out by ``apply_user_import``."""

    source: str
    rows: list[UserRow]
    new_teams: list[str]
    pairings: list[tuple[str, str]]  # (mentor email, mentee email)

    @property
    def generated_passwords(self) -> int:
        """Return how many rows will get a generated password."""
        return sum(1 for row in self.rows if not row.password)


@dataclass
class UserImportResult:
    """What an import did; ``generated`` holds (email, password) for rows that had none."""

    created: int
    new_teams: list[str]
    pairings: int
    generated: list[tuple[str, str]] = field(default_factory=list)


def _decode(data: bytes, source: str, encoding: str) -> str:
    """Return the file's text, or raise ImportProblems naming the line that is not ``encoding``."""
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ImportProblems(
            [f"{source}:{line}: the file is not {encoding} text (save it as UTF-8, or pass --encoding, e.g. gb18030)"]
        )
    except LookupError:
        raise ImportProblems([f"{source}: unknown encoding {encoding!r}"])


def _normalise_key(value: str) -> str:
    """Return a role or tier as stored: lower case, spaces and hyphens as underscores."""
    return value.strip().lower().replace("-", "_").replace(" ", "_")


def _read_records(text: str, source: str, problems: list[str]):
    """Yield (line, cells) for every non-blank record after the header; return the header via StopIteration."""
    reader = csv.reader(io.StringIO(text, newline=""))
    previous_end = 0
    try:
        for cells in reader:
            start, previous_end = previous_end + 1, reader.line_num
            if any(cell.strip() for cell in cells):
                yield start, cells
    except csv.Error as error:
        problems.append(f"{source}:{reader.line_num}: unreadable CSV ({error})")


def _check_header(cells: list[str], line: int, source: str, problems: list[str]) -> list[str]:
    """Return the normalised column names, adding a problem for unknown, missing or repeated ones."""
    header = [c.strip().lower() for c in cells]
    for name in header:
        if name not in COLUMNS:
            problems.append(
                f"{source}:{line}: unknown column {name!r} (columns are: {', '.join(COLUMNS)})"
                if name else f"{source}:{line}: a column has no name"
            )
    for name in sorted({n for n in header if n and header.count(n) > 1}):
        problems.append(f"{source}:{line}: column {name!r} appears more than once")
    for name in REQUIRED_COLUMNS:
        if name not in header:
            problems.append(f"{source}:{line}: missing column {name!r}")
    return header


def _parse_row(line: int, values: dict[str, str], source: str, problems: list[str]) -> Optional[UserRow]:
    """Return the row normalised, or None after adding a problem for each bad cell."""
    before = len(problems)

    def problem(message: str) -> None:
        problems.append(f"{source}:{line}: {message}")

    email = accounts.normalise_email(values.get("email", ""))
    if not email:
        problem("email is empty")
    else:
        try:
            accounts.check_email(email)
        except ValidationError:
            problem(f"{email!r} is not a valid email address")
    name = values.get("name", "").strip()
    if not name:
        problem("name is empty")
    elif len(name) > 120:
        problem("name is longer than 120 characters")
    role = _normalise_key(values.get("role", "")) or Role.LEARNER.value
    if role not in ROLE_VALUES:
        problem(f"unknown role {values['role'].strip()!r} (use one of {', '.join(ROLE_VALUES)})")
    tier = _normalise_key(values.get("tier", "")) or "new_hire"
    if tier not in TIER_VALUES:
        problem(f"unknown tier {values['tier'].strip()!r} (use one of {', '.join(TIER_VALUES)})")
    team = values.get("team", "").strip()
    if len(team) > 120:
        problem("team name is longer than 120 characters")
    locale = values.get("language", "").strip().lower() or None
    if locale is not None and locale not in accounts.LOCALES:
        problem(f"unknown language {locale!r} (use one of {', '.join(accounts.LOCALES)}, or leave it empty)")
    password = values.get("password", "")
    if password and len(password) < accounts.MIN_PASSWORD_LENGTH:
        problem(f"password is shorter than {accounts.MIN_PASSWORD_LENGTH} characters (leave it empty to generate one)")
    mentor_email = accounts.normalise_email(values.get("mentor_email", ""))
    if mentor_email and mentor_email == email:
        problem("a user cannot be their own mentor")
    if len(problems) > before:
        return None
    return UserRow(line, email, name, role, tier, team, mentor_email, locale, password)


def read_user_rows(data: bytes, source: str, encoding: str = "utf-8-sig") -> list[UserRow]:
    """Parse and check the rows of a users CSV on their own; raise ImportProblems listing every problem."""
    problems: list[str] = []
    text = _decode(data, source, encoding).lstrip("\ufeff")
    records = _read_records(text, source, problems)
    first = next(records, None)
    if first is None:
        empty = f"{source}:1: the file is empty (expected a header row: {', '.join(COLUMNS)})"
        raise ImportProblems(problems or [empty])
    header_line, header_cells = first
    header = _check_header(header_cells, header_line, source, problems)
    if problems:
        raise ImportProblems(problems)
    rows: list[UserRow] = []
    first_line: dict[str, int] = {}
    for line, cells in records:
        if len(cells) != len(header):
            problems.append(f"{source}:{line}: expected {len(header)} fields, found {len(cells)}")
            continue
        row = _parse_row(line, dict(zip(header, cells)), source, problems)
        if row is None:
            continue
        if row.email in first_line:
            problems.append(f"{source}:{line}: duplicate email {row.email} (first on line {first_line[row.email]})")
            continue
        first_line[row.email] = line
        rows.append(row)
    if problems:
        raise ImportProblems(problems)
    return rows


def plan_user_import(data: bytes, source: str, encoding: str = "utf-8-sig") -> UserImportPlan:
    """Check a users CSV against itself and the database; return the plan or raise ImportProblems."""
    rows = read_user_rows(data, source, encoding)
    problems: list[str] = []
    emails = [row.email for row in rows] + [row.mentor_email for row in rows if row.mentor_email]
    existing = {u.email: u for u in db.session.scalars(sa.select(User).where(User.email.in_(set(emails))))}
    in_file = {row.email: row for row in rows}
    pairings: list[tuple[str, str]] = []
    for row in rows:
        if row.email in existing:
            problems.append(f"{source}:{row.line}: {row.email} already has an account")
        if not row.mentor_email:
            continue
        mentor_row, mentor_user = in_file.get(row.mentor_email), existing.get(row.mentor_email)
        if mentor_row is None and mentor_user is None:
            problems.append(f"{source}:{row.line}: mentor {row.mentor_email} is neither in the file nor a user")
        elif mentor_row is not None and mentor_row.role not in accounts.MENTOR_ROLES:
            problems.append(
                f"{source}:{row.line}: mentor {row.mentor_email} is a {mentor_row.role} on line {mentor_row.line}; "
                "a mentor must be a mentor, trainer or admin"
            )
        elif mentor_row is None and mentor_user.role not in accounts.MENTOR_ROLES:
            problems.append(
                f"{source}:{row.line}: mentor {row.mentor_email} is a {mentor_user.role}; "
                "a mentor must be a mentor, trainer or admin"
            )
        elif mentor_row is None and not mentor_user.active:
            problems.append(f"{source}:{row.line}: mentor {row.mentor_email} is deactivated")
        else:
            pairings.append((row.mentor_email, row.email))
    if problems:
        raise ImportProblems(problems)
    teams = {row.team for row in rows if row.team}
    known = set(db.session.scalars(sa.select(Team.name).where(Team.name.in_(teams))))
    return UserImportPlan(source, rows, sorted(teams - known), pairings)


def apply_user_import(
    plan: UserImportPlan, on_progress: Callable[[int], object] = lambda n: None, today: Optional[date] = None
) -> UserImportResult:
    """Create the plan's teams, users and pairings in one commit; call ``on_progress(1)`` per user."""
    teams = {name: accounts.get_or_create_team(name) for name in {row.team for row in plan.rows if row.team}}
    users: dict[str, User] = {}
    generated: list[tuple[str, str]] = []
    for row in plan.rows:
        password = row.password or accounts.generate_password()
        if not row.password:
            generated.append((row.email, password))
        user = User(
            email=row.email, name=row.name, role=row.role, tier=row.tier, team=teams.get(row.team), locale=row.locale
        )
        user.set_password(password)  # the slow part: a deliberately costly hash
        db.session.add(user)
        users[row.email] = user
        on_progress(1)
    mentors = {u.email: u for u in db.session.scalars(
        sa.select(User).where(User.email.in_({m for m, _ in plan.pairings} - set(users)))
    )}
    for mentor_email, mentee_email in plan.pairings:
        db.session.add(
            MentorPairing(
                mentor=users.get(mentor_email) or mentors[mentor_email], mentee=users[mentee_email],
                start_date=today or date.today(), goal="",
            )
        )
    db.session.commit()
    return UserImportResult(len(users), plan.new_teams, len(plan.pairings), generated)


def import_users_file(path: Path, encoding: str = "utf-8-sig") -> UserImportResult:
    """Plan and apply an import from a file path in one go (no progress report)."""
    plan = plan_user_import(Path(path).read_bytes(), str(path), encoding)
    return apply_user_import(plan)
