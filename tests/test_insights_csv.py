"""Reading deals.csv and activities.csv: dialects, outcomes, validation with FILE:LINE."""

import pytest

from app.content.deals_csv import LOST, OPEN, WON, load_deals, parse_activities, parse_deals, parse_outcome
from app.services.errors import ImportProblems
from tests.factories_insights import write_csv

HEADER = "deal_id,outcome,owner_email,amount,created_at,closed_at,lead_grade,channel,demos,visits\n"


@pytest.mark.parametrize("value, expected", [
    ("won", WON), ("Closed Won", WON), ("closedwon", WON), ("closed_won", WON), ("YES", WON), ("1", WON),
    ("true", WON), ("lost", LOST), ("Closed Lost", LOST), ("closed_lost", LOST), ("no", LOST), ("0", LOST),
    ("False", LOST), ("", OPEN), ("open", OPEN), ("Negotiation", OPEN), ("Proposal sent", OPEN),
    ("2", None), ("-1", None),
])
def test_outcome_spellings(value, expected):
    """CRM spellings map to won/lost; blank and other stages are open; other numbers are errors."""
    assert parse_outcome(value) == expected


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_dialects_and_bom_are_read(tmp_path, delimiter):
    """Comma, semicolon and tab files, with a byte-order mark, read the same."""
    rows = [["deal_id", "outcome", "demos", "Needs Confirmation Call"], ["A", "Closed Won", "2", "1"],
            ["B", "lost", "0", ""], ["C", "Negotiation", "1", "0"]]
    text = "\n".join(delimiter.join(r) for r in rows) + "\n"
    path = write_csv(tmp_path, "\ufeff" + text)
    deals = load_deals(path)
    assert deals.behaviours == ("demos", "needs_confirmation_call")
    assert [(d.deal_id, d.outcome) for d in deals.deals] == [("A", WON), ("B", LOST), ("C", OPEN)]
    assert deals.deals[1].behaviours == {"demos": 0.0, "needs_confirmation_call": 0.0}
    assert [d.deal_id for d in deals.closed] == ["A", "B"]


def test_optional_columns_are_parsed():
    """Owner email is lower-cased; amounts, dates, grade and channel are typed."""
    text = HEADER + "A,won,Ann@Example.com,\"1,250.50\",2026-01-05,2026-02-01T10:00:00Z,b,partner,2,1\n"
    deal = parse_deals(text).deals[0]
    assert deal.owner_email == "ann@example.com"
    assert deal.amount == 1250.5
    assert deal.created_at.isoformat() == "2026-01-05T00:00:00+00:00"
    assert deal.closed_at.isoformat() == "2026-02-01T10:00:00+00:00"
    assert (deal.lead_grade, deal.channel) == ("B", "partner")


def test_decimal_comma_in_semicolon_files():
    """A semicolon file may write amounts with a decimal comma."""
    deal = parse_deals("deal_id;outcome;amount;demos\nA;won;1234,5;1\n").deals[0]
    assert deal.amount == 1234.5


def test_text_columns_are_not_behaviours():
    """A non-numeric extra column is ignored and reported, not counted."""
    deals = parse_deals("deal_id,outcome,region,demos\nA,won,North,1\nB,lost,South,0\n")
    assert deals.behaviours == ("demos",)
    assert deals.ignored_columns == ("region",)


def test_every_bad_row_is_reported_with_file_and_line(tmp_path):
    """All problems come back at once as FILE:LINE: message, and nothing is returned."""
    text = HEADER + "\n".join([
        "A,won,a@example.com,100,2026-01-05,2026-02-01,A,web,1,1",
        "A,lost,,,,,,,0,0",
        ",lost,,,,,,,0,0",
        "C,7,,,,,,,0,0",
        "D,won,not-an-email,-5,2026-13-01,,Z,,1,1",
        "E,won,,,2026-03-01,2026-02-01,,,x,-1",
    ]) + "\n"
    path = write_csv(tmp_path, text)
    with pytest.raises(ImportProblems) as caught:
        load_deals(path)
    problems = caught.value.problems
    assert f"{path}:3: deal_id 'A' already appears on line 2" in problems
    assert f"{path}:4: deal_id is empty" in problems
    assert any(p.startswith(f"{path}:5: outcome '7'") for p in problems)
    for text_part in ("owner_email 'not-an-email'", "amount '-5'", "created_at '2026-13-01'", "lead_grade 'Z'"):
        assert any(p.startswith(f"{path}:6: {text_part}") for p in problems), text_part
    assert f"{path}:7: closed_at is before created_at" in problems
    assert f"{path}:7: demos 'x' is not a count ≥ 0" in problems
    assert f"{path}:7: visits '-1' is not a count ≥ 0" in problems


@pytest.mark.parametrize("text, message", [
    ("", ":1: the file is empty"),
    ("deal_id,demos\nA,1\n", ":1: missing required column(s): outcome"),
    ("deal_id,outcome,demos,Demos\nA,won,1,1\n", ":1: column 'Demos' appears twice"),
    ("deal_id,outcome\n", ":2: no deals"),
    ("deal_id,outcome,demos\nA,won,1,9\n", ":2: 4 cells but the header has 3 columns"),
])
def test_broken_files_name_the_place(text, message):
    """Empty files, missing or repeated columns and ragged rows are errors with a line."""
    with pytest.raises(ImportProblems) as caught:
        parse_deals(text, "in.csv")
    assert any(p.startswith("in.csv" + message) for p in caught.value.problems), caught.value.problems


def test_unreadable_encoding_is_an_error(tmp_path):
    """A file that is not UTF-8 is refused with its name."""
    path = tmp_path / "deals.csv"
    path.write_bytes("deal_id,outcome\nA,gewonnen\xff\n".encode("latin-1"))
    with pytest.raises(ImportProblems) as caught:
        load_deals(path)
    assert caught.value.problems[0].startswith(f"{path}:1: not UTF-8")


def test_activities_count_only_before_the_close():
    """Activities on or after closed_at are not counted; open deals count everything."""
    deals = parse_deals("deal_id,outcome,closed_at,demos\nA,won,2026-03-01,5\nB,open,,0\n")
    activities = "\n".join([
        "deal_id,activity,occurred_at",
        "A,Needs confirmation call,2026-02-01",
        "A,needs_confirmation_call,2026-02-28T23:59:00",
        "A,needs_confirmation_call,2026-03-01",
        "A,demos,2026-02-15",
        "B,needs_confirmation_call,2027-01-01",
    ]) + "\n"
    merged = parse_activities(activities, deals)
    by_id = {d.deal_id: d.behaviours for d in merged.deals}
    assert by_id["A"] == {"demos": 1.0, "needs_confirmation_call": 2.0}
    assert by_id["B"] == {"demos": 0.0, "needs_confirmation_call": 1.0}
    assert merged.behaviours == ("demos", "needs_confirmation_call")
    assert len(merged.activities) == 5
    assert any("1 activities on or after" in n for n in merged.notes)
    assert any("replace the column(s): demos" in n for n in merged.notes)


def test_activities_for_unknown_deals_are_errors():
    """An activity must belong to a deal in the deals file, with a readable date."""
    deals = parse_deals("deal_id,outcome\nA,won\n")
    with pytest.raises(ImportProblems) as caught:
        parse_activities("deal_id,activity,occurred_at\nZ,demos,2026-01-01\nA,,yesterday\n", deals, "act.csv")
    assert caught.value.problems == [
        "act.csv:2: deal_id 'Z' is not in deals.csv",
        "act.csv:3: activity is empty",
        "act.csv:3: occurred_at 'yesterday' is not a date (use YYYY-MM-DD or ISO 8601)",
    ]
