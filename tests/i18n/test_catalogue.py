"""Every message exists in Arabic and English, and every error code used has a message."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tansiq.i18n.catalogue import catalogue, load

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


def test_a_key_defined_in_two_files_fails_at_load(tmp_path):
    (tmp_path / "messages.json").write_text(json.dumps({"a.b": {"en": "x", "ar": "س"}}))
    (tmp_path / "messages").mkdir()
    (tmp_path / "messages" / "dup.json").write_text(json.dumps({"a.b": {"en": "y", "ar": "ص"}}))
    with pytest.raises(ValueError, match=r"a\.b"):
        load(tmp_path)


def test_domain_files_are_merged(tmp_path):
    (tmp_path / "messages.json").write_text(json.dumps({"a.b": {"en": "x", "ar": "س"}}))
    (tmp_path / "messages").mkdir()
    (tmp_path / "messages" / "more.json").write_text(json.dumps({"c.d": {"en": "y", "ar": "ص"}}))
    assert set(load(tmp_path)) == {"a.b", "c.d"}
