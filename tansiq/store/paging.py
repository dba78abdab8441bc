"""Opaque cursors for keyset pagination: stable under concurrent inserts, cheap at any depth."""

from __future__ import annotations

import base64
import binascii
from typing import Any

import orjson

from tansiq.errors import Problem


def encode_cursor(*values: Any) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(list(values))).decode().rstrip("=")


def decode_cursor(cursor: str, arity: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = orjson.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise Problem(400, "invalid_cursor") from None
    if not isinstance(values, list) or len(values) != arity:
        raise Problem(400, "invalid_cursor")
    return values
