"""Read CRM exports: deals.csv and activities.csv (DESIGN.md §6) into frozen dataclasses.

Every row is checked; problems are collected as ``FILE:LINE: message`` and raised
together (``ImportProblems``) so that nothing is imported from a file with errors.
"""

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from pathlib import Path
from typing import Optional

from app.services.errors import ImportProblems

WON, LOST, OPEN = "won", "lost", "open"
KNOWN_COLUMNS = ("deal_id", "outcome", "owner_email", "amount", "created_at", "closed_at", "lead_grade", "channel")
ACTIVITY_COLUMNS = ("deal_id", "activity", "occurred_at")
LEAD_GRADES = ("A", "B", "C")
MAX_PROBLEMS = 50

# Outcome spellings, compared after lower-casing and dropping spaces, "_" and "-".
WON_SPELLINGS = frozenset({"won", "win", "yes", "y", "1", "true", "t", "closedwon", "closedwin", "success"})
LOST_SPELLINGS = frozenset({"lost", "lose", "loss", "no", "n", "0", "false", "f", "closedlost", "failure"})
OPEN_SPELLINGS = frozenset({"", "open", "pending", "inprogress"})


@dataclass(frozen=True)
class DealRow:
    """One deal as read from deals.csv (behaviours include counts derived from activities)."""

    line: int
    deal_id: str
    outcome: str  # won | lost | open
    stage: str  # the outcome cell as written, e.g. "Closed Won" or "Negotiation"
    owner_email: Optional[str] = None
    amount: Optional[float] = None
    created_at: Optional[datetime] = None
    closed_at: Optional[datetime] = None
    lead_grade: Optional[str] = None
    channel: Optional[str] = None
    behaviours: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ActivityRow:
    """One activity as read from activities.csv."""

    line: int
    deal_id: str
    activity: str
    occurred_at: datetime


@dataclass(frozen=True)
class DealsFile:
    """A validated deals file: rows, behaviour names and what the reader noticed."""

    name: str
    deals: tuple
    behaviours: tuple
    activities: tuple = ()
    ignored_columns: tuple = ()
    notes: tuple = ()

    @property
    def closed(self) -> list:
        """Return the won and lost deals (the ones a model learns from)."""
        return [d for d in self.deals if d.outcome != OPEN]


def column_key(header: str) -> str:
    """Return a header as a behaviour key: lower case, runs of other characters as "_"."""
    return re.sub(r"[^0-9a-z]+", "_", header.strip().lower()).strip("_")


def parse_outcome(value: str) -> Optional[str]:
    """Return won, lost or open for an outcome cell; None for a number that is not 0 or 1."""
    number = parse_number(value)
    if number is not None:
        return {1.0: WON, 0.0: LOST}.get(number)
    squashed = re.sub(r"[\s_\-]+", "", value.strip().lower())
    if squashed in WON_SPELLINGS:
        return WON
    if squashed in LOST_SPELLINGS:
        return LOST
    if squashed in OPEN_SPELLINGS:
        return OPEN
    if "won" in squashed:
        return WON
    if "lost" in squashed:
        return LOST
    return OPEN  # any other CRM stage ("Negotiation", "Proposal sent") is a deal still open


def parse_number(value: str, delimiter: str = ",") -> Optional[float]:
    """Return a number from a cell ("1,234.5", "1234,5" in semicolon files, "€ 900"); None if not one."""
    text = re.sub(r"[\s_'€$£¥]", "", value.strip())
    if not text:
        return None
    if "," in text and "." in text:
        text = text.replace("," if text.rfind(",") < text.rfind(".") else ".", "")
        text = text.replace(",", ".")
    elif "," in text:
        decimal_comma = delimiter != "," and re.fullmatch(r"[+-]?\d+,\d+", text)
        text = text.replace(",", ".") if decimal_comma else text.replace(",", "")
    try:
        number = float(text)
    except ValueError:
        return None
    return number if number == number and abs(number) != float("inf") else None


def parse_when(value: str) -> Optional[datetime]:
    """Return an aware UTC datetime for an ISO date or date-time cell; None if not one."""
    text = value.strip()
    if re.fullmatch(r"\d{4}/\d{1,2}/\d{1,2}.*", text):
        text = text.replace("/", "-", 2)
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            when = datetime.combine(date.fromisoformat(text), time())
        except ValueError:
            return None
    return when.replace(tzinfo=timezone.utc) if when.tzinfo is None else when.astimezone(timezone.utc)


def sniff_rows(text: str) -> tuple[list[list[str]], str]:
    """Split CSV text into rows, guessing the delimiter (comma, semicolon or tab)."""
    text = text.lstrip("\ufeff")
    sample = text[:20000]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
        delimiter = dialect.delimiter
    except csv.Error:
        first = sample.splitlines()[0] if sample else ""
        delimiter = max(",;\t", key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"', skipinitialspace=True)
    return list(reader), delimiter


def read_text(path) -> str:
    """Return a file's text, BOM removed; raise ImportProblems for unreadable files."""
    try:
        return Path(path).read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportProblems([f"{path}:1: not UTF-8 text ({error.reason} at byte {error.start})"]) from None
    except OSError as error:
        raise ImportProblems([f"{path}: cannot read: {error.strerror}"]) from None


class _Problems:
    """Collect "FILE:LINE: message" strings, up to a limit."""

    def __init__(self, name: str):
        self.name = name
        self.items: list[str] = []
        self.more = 0

    def add(self, line: int, message: str) -> None:
        """Record a problem at a line."""
        if len(self.items) < MAX_PROBLEMS:
            self.items.append(f"{self.name}:{line}: {message}")
        else:
            self.more += 1

    def raise_if_any(self) -> None:
        """Raise ImportProblems with every problem seen."""
        if self.items:
            extra = [f"{self.name}: … and {self.more} more problems"] if self.more else []
            raise ImportProblems(self.items + extra)


def _header(rows, name, required, problems) -> dict[str, int]:
    """Return {key: column index} for the header row, reporting missing and repeated columns."""
    if not rows or not any(cell.strip() for cell in rows[0]):
        problems.add(1, "the file is empty: expected a header row")
        problems.raise_if_any()
    index: dict[str, int] = {}
    for i, cell in enumerate(rows[0]):
        key = column_key(cell)
        if not key:
            problems.add(1, f"column {i + 1} has no name")
        elif key in index:
            problems.add(1, f"column {cell.strip()!r} appears twice")
        else:
            index[key] = i
    missing = [c for c in required if c not in index]
    if missing:
        problems.add(1, f"missing required column(s): {', '.join(missing)} (found: {', '.join(index) or 'none'})")
    problems.raise_if_any()
    return index


def _data_rows(rows):
    """Yield (line number, cells) for the non-blank rows after the header."""
    for number, cells in enumerate(rows[1:], start=2):
        if any(cell.strip() for cell in cells):
            yield number, cells


def _behaviour_columns(rows, index, delimiter) -> tuple[list[str], list[str]]:
    """Split the non-standard columns into behaviour counts (mostly numeric) and ignored ones."""
    behaviours, ignored = [], []
    for key, i in index.items():
        if key in KNOWN_COLUMNS:
            continue
        cells = [c[i] for _, c in _data_rows(rows) if i < len(c) and c[i].strip()]
        numeric = sum(parse_number(c, delimiter) is not None for c in cells)
        # A column that is mostly numeric is a behaviour; its stray non-numbers are then
        # reported as errors rather than silently dropping the whole column.
        (behaviours if cells and numeric > 0.5 * len(cells) else ignored).append(key)
    return behaviours, ignored


def parse_deals(text: str, name: str = "deals.csv") -> DealsFile:
    """Validate deals CSV text; raise ImportProblems listing every bad row."""
    problems = _Problems(name)
    rows, delimiter = sniff_rows(text)
    index = _header(rows, name, ("deal_id", "outcome"), problems)
    behaviour_keys, ignored = _behaviour_columns(rows, index, delimiter)
    width = len(rows[0])
    seen: dict[str, int] = {}
    deals = []
    for line, cells in _data_rows(rows):
        if len(cells) > width and any(c.strip() for c in cells[width:]):
            problems.add(line, f"{len(cells)} cells but the header has {width} columns")
            continue
        cell = lambda key: cells[index[key]].strip() if key in index and index[key] < len(cells) else ""  # noqa: E731
        deal = _parse_deal(line, cell, behaviour_keys, delimiter, seen, problems)
        if deal is not None:
            deals.append(deal)
    if not deals and not problems.items:
        problems.add(2, "no deals: the file has a header but no rows")
    problems.raise_if_any()
    notes = [f"ignored non-numeric column(s): {', '.join(ignored)}"] if ignored else []
    return DealsFile(name=name, deals=tuple(deals), behaviours=tuple(behaviour_keys),
                     ignored_columns=tuple(ignored), notes=tuple(notes))


def _parse_deal(line, cell, behaviour_keys, delimiter, seen, problems) -> Optional[DealRow]:
    """Return one validated deal, or None after recording its problems."""
    before = len(problems.items) + problems.more
    deal_id = cell("deal_id")
    if not deal_id:
        problems.add(line, "deal_id is empty")
    elif len(deal_id) > 64:
        problems.add(line, "deal_id is longer than 64 characters")
    elif deal_id in seen:
        problems.add(line, f"deal_id {deal_id!r} already appears on line {seen[deal_id]}")
    else:
        seen[deal_id] = line
    raw_outcome = cell("outcome")
    outcome = parse_outcome(raw_outcome)
    if outcome is None:
        problems.add(line, f"outcome {raw_outcome!r} is a number other than 1 (won) or 0 (lost)")
    email = cell("owner_email").lower() or None
    if email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        problems.add(line, f"owner_email {email!r} is not an email address")
    amount = None
    if cell("amount"):
        amount = parse_number(cell("amount"), delimiter)
        if amount is None or amount < 0:
            problems.add(line, f"amount {cell('amount')!r} is not a number ≥ 0")
    when = {}
    for key in ("created_at", "closed_at"):
        when[key] = parse_when(cell(key)) if cell(key) else None
        if cell(key) and when[key] is None:
            problems.add(line, f"{key} {cell(key)!r} is not a date (use YYYY-MM-DD or ISO 8601)")
    if when["created_at"] and when["closed_at"] and when["closed_at"] < when["created_at"]:
        problems.add(line, "closed_at is before created_at")
    grade = cell("lead_grade").upper() or None
    if grade and grade not in LEAD_GRADES:
        problems.add(line, f"lead_grade {cell('lead_grade')!r} is not A, B or C")
    channel = cell("channel") or None
    if channel and len(channel) > 64:
        problems.add(line, "channel is longer than 64 characters")
    counts = {}
    for key in behaviour_keys:
        raw = cell(key)
        value = parse_number(raw, delimiter) if raw else 0.0
        if value is None or value < 0:
            problems.add(line, f"{key} {raw!r} is not a count ≥ 0")
        else:
            counts[key] = value
    if len(problems.items) + problems.more > before:
        return None
    return DealRow(line=line, deal_id=deal_id, outcome=outcome, stage=raw_outcome[:64], owner_email=email,
                   amount=amount, created_at=when["created_at"], closed_at=when["closed_at"],
                   lead_grade=grade, channel=channel, behaviours=counts)


def parse_activities(text: str, deals: DealsFile, name: str = "activities.csv") -> DealsFile:
    """Validate activities CSV text and return ``deals`` with counts derived from it.

    Only activities strictly before a deal's ``closed_at`` are counted (what
    happened after the close cannot have caused it); a count derived here
    replaces a deals.csv column of the same name for every deal.
    """
    problems = _Problems(name)
    rows, _ = sniff_rows(text)
    index = _header(rows, name, ACTIVITY_COLUMNS, problems)
    by_id = {d.deal_id: d for d in deals.deals}
    activities = []
    for line, cells in _data_rows(rows):
        cell = lambda key: cells[index[key]].strip() if index[key] < len(cells) else ""  # noqa: E731
        deal_id, activity, raw_when = cell("deal_id"), column_key(cell("activity")), cell("occurred_at")
        when = parse_when(raw_when) if raw_when else None
        if deal_id not in by_id:
            problems.add(line, f"deal_id {deal_id!r} is not in {deals.name}" if deal_id else "deal_id is empty")
        if not activity:
            problems.add(line, "activity is empty")
        elif len(activity) > 64:
            problems.add(line, "activity is longer than 64 characters")
        if when is None:
            problems.add(line, f"occurred_at {raw_when!r} is not a date (use YYYY-MM-DD or ISO 8601)")
        if deal_id in by_id and activity and len(activity) <= 64 and when is not None:
            activities.append(ActivityRow(line=line, deal_id=deal_id, activity=activity, occurred_at=when))
    problems.raise_if_any()
    return derive_counts(deals, activities)


def derive_counts(deals: DealsFile, activities: list) -> DealsFile:
    """Return ``deals`` whose behaviour counts include the activities before each close."""
    keys = sorted({a.activity for a in activities})
    counts = {d.deal_id: dict.fromkeys(keys, 0.0) for d in deals.deals}
    closes = {d.deal_id: d.closed_at for d in deals.deals}
    after_close = 0
    for a in activities:
        closed_at = closes[a.deal_id]
        if closed_at is not None and a.occurred_at >= closed_at:
            after_close += 1
            continue
        counts[a.deal_id][a.activity] += 1
    rows = tuple(
        DealRow(**{**d.__dict__, "behaviours": {**d.behaviours, **counts[d.deal_id]}}) for d in deals.deals
    )
    notes = list(deals.notes)
    if after_close:
        notes.append(f"{after_close} activities on or after their deal's close were not counted")
    undated = sum(1 for d in deals.closed if d.closed_at is None)
    if activities and undated:
        notes.append(f"{undated} closed deals have no closed_at: all their activities were counted")
    replaced = sorted(set(keys) & set(deals.behaviours))
    if replaced:
        notes.append(f"counts from activities replace the column(s): {', '.join(replaced)}")
    behaviours = tuple(dict.fromkeys([*deals.behaviours, *keys]))
    return DealsFile(name=deals.name, deals=rows, behaviours=behaviours, activities=tuple(activities),
                     ignored_columns=deals.ignored_columns, notes=tuple(notes))


def load_deals(path, activities_path=None) -> DealsFile:
    """Read and validate deals.csv (and optionally activities.csv) from disk."""
    deals = parse_deals(read_text(path), name=str(path))
    if activities_path is not None:
        deals = parse_activities(read_text(activities_path), deals, name=str(activities_path))
    return deals
