"""The canonical encoding of an audit entry and the hash that links it to the one before.

hash(n) = SHA-256( hash(n-1) || "\\n" || canonical(n) ), where canonical(n) is the entry's fields
(sequence number and time included) as JSON with sorted keys and no insignificant whitespace.
Changing, removing, inserting or reordering any entry changes every hash after it.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import orjson

FIELDS = (
    "seq",
    "at",
    "actor",
    "actor_id",
    "agency",
    "role",
    "action",
    "record_type",
    "record_id",
    "before",
    "after",
    "request_id",
    "client",
)


def _time(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(entry: dict[str, Any]) -> bytes:
    body = {k: entry.get(k) for k in FIELDS}
    body["at"] = _time(entry["at"])
    return orjson.dumps(body, option=orjson.OPT_SORT_KEYS)


def link(prev_hash: str, entry: dict[str, Any]) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + b"\n" + canonical(entry)).hexdigest()
