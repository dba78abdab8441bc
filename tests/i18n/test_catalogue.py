"""Every message exists in Arabic and English, and every error code used has a message."""

from __future__ import annotations

import re
from pathlib import Path

from tansiq.i18n.catalogue import catalogue

ROOT = Path(__file__).resolve().parents[2] / "tansiq"


def test_every_entry_has_arabic_and_english():
    for key, entry in catalogue().items():
        assert set(entry) == {"ar", "en"}, key
        assert entry["en"].strip() and entry["ar"].strip(), key
        assert re.search("[\u0600-\u06ff]", entry["ar"]), f"{key} has no Arabic text"


def test_every_problem_code_raised_in_the_code_has_a_message():
    used = set()
    for path in ROOT.rglob("*.py"):
        used |= set(re.findall(r'Problem\(\s*\d{3},\s*"([a-z_]+)"', path.read_text()))
    assert used, "no Problem codes found: the pattern is stale"
    missing = sorted(c for c in used if f"error.{c}" not in catalogue())
    assert missing == []


def test_placeholders_match_between_languages():
    for key, entry in catalogue().items():
        en = set(re.findall(r"{(\w+)}", entry["en"]))
        ar = {p.removesuffix("_ar") for p in re.findall(r"{(\w+)}", entry["ar"])}
        assert en == ar, key
