"""The Chinese catalogue is complete: every marked string is in it, translated, with matching placeholders.

If this fails for new strings, run `make update-messages`, fill the msgstr lines in
app/translations/zh/LC_MESSAGES/messages.po and run `make translations`.
"""

import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "app" / "translations" / "zh" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "lazy_ngettext": (1, 2)}
PLACEHOLDER = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[sdifr]|%[-#0 +]*\d*(?:\.\d+)?[sdifr]")


@pytest.fixture(scope="module")
def catalogue():
    """Return the zh catalogue."""
    with CATALOGUE.open("rb") as handle:
        return read_po(handle, locale="zh")


def message_key(msgid) -> str:
    """Return the singular msgid of a message (plural ids are tuples)."""
    return msgid[0] if isinstance(msgid, (tuple, list)) else msgid


def source_msgids() -> dict[str, str]:
    """Return {msgid: "file:line"} of every string the source marks for translation (as `make extract-messages`)."""
    with (ROOT / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    found = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        key = message_key(message)
        if key:
            found.setdefault(key, f"{filename}:{lineno}")
    return found


def placeholders(text: str) -> list[str]:
    """Return the sorted printf-style placeholders of a string."""
    text = (text or "").replace("%%", "")  # an escaped percent sign is no placeholder
    return sorted(m.group(0) if m.group(1) is None else m.group(1) for m in PLACEHOLDER.finditer(text))


def test_every_marked_string_is_in_the_catalogue(catalogue):
    """Extracting the source gives no msgid that the zh catalogue lacks."""
    known = {message_key(m.id) for m in catalogue if m.id}
    missing = {msgid: where for msgid, where in source_msgids().items() if msgid not in known}
    assert not missing, "run `make update-messages`; missing from messages.po:\n" + "\n".join(
        f"  {where}: {msgid!r}" for msgid, where in sorted(missing.items(), key=lambda kv: kv[1])
    )


def test_every_message_is_translated_and_not_fuzzy(catalogue):
    """Each msgid has a non-empty msgstr (every plural form) and no fuzzy flag."""
    bad = []
    for message in catalogue:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, (tuple, list)) else (message.string,)
        if message.fuzzy or not all(s and s.strip() for s in strings):
            where = message.locations[0] if message.locations else ("?", 0)
            bad.append(f"  {where[0]}:{where[1]}: {message_key(message.id)!r}{' (fuzzy)' if message.fuzzy else ''}")
    assert not bad, f"{len(bad)} untranslated messages in {CATALOGUE.name}:\n" + "\n".join(bad)


def test_placeholders_match(catalogue):
    """A translation uses exactly the placeholders of its msgid, so formatting cannot fail at run time."""
    bad = []
    for message in catalogue:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, (tuple, list)) else (message.id,)
        strings = message.string if isinstance(message.string, (tuple, list)) else (message.string,)
        expected = sorted(set().union(*(placeholders(i) for i in ids))) if len(ids) > 1 else placeholders(ids[0])
        for text in strings:
            if not text:
                continue  # reported by the test above
            got = sorted(set(placeholders(text))) if len(ids) > 1 else placeholders(text)
            if got != expected:
                bad.append(f"  {message_key(message.id)!r}: {expected} != {got} in {text!r}")
    assert not bad, "placeholders differ:\n" + "\n".join(bad)


def has_lone_percent(text: str) -> bool:
    """Return True when ``text`` has a % that is neither a placeholder nor an escaped %%."""
    return "%" in PLACEHOLDER.sub("", (text or "").replace("%%", ""))


def test_no_stray_percent_signs(catalogue):
    """A lone % in a translation breaks %-formatting (templates always format): write %% instead."""
    bad = []
    for message in catalogue:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, (tuple, list)) else (message.id,)
        strings = message.string if isinstance(message.string, (tuple, list)) else (message.string,)
        if any(has_lone_percent(i) for i in ids):
            continue  # the source itself is not %-formatted
        bad += [f"  {message_key(message.id)!r}: {text!r}" for text in strings if has_lone_percent(text)]
    assert not bad, "lone % in translations (use %%):\n" + "\n".join(bad)


def test_placeholder_check_catches_a_typo():
    """The placeholder comparison sees a renamed or dropped placeholder."""
    assert placeholders("Welcome, %(name)s") == ["name"]
    assert placeholders("欢迎，%(nmae)s") != placeholders("Welcome, %(name)s")
    assert placeholders("%(n)d of %(total)d, 60 %%") == ["n", "total"]
    assert has_lone_percent("60 % of %(name)s") and not has_lone_percent("60 %% of %(name)s")
