"""Reading a batch of position reports: the request body straight to fixes.

A batch is thousands of rows a second, so its usual case, every row well-formed, is one pass of
pydantic's JSON validator over the raw body (no intermediate Python objects from a separate JSON
parse). When that fails the body is read again row by row, so that one bad row is reported by
its index and cannot sink the others; only a body that is not a batch at all is refused whole.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter, ValidationError

from tansiq.errors import Problem, field_error, validation_error
from tansiq.units.models import BatchFix, PositionBatch, PositionRows, RowRejection
from tansiq.units.positions import Fix, check_time

JSON_TYPES = ("application/json",)
_BODY = TypeAdapter(PositionRows)
_SHAPE = TypeAdapter(PositionBatch)
_ROW = TypeAdapter(BatchFix)
_ROWS = TypeAdapter(list[BatchFix])

Parsed = tuple[list[Fix], list[int], list[RowRejection]]


def body_schema() -> dict[str, Any]:
    """The request body's JSON schema, self-contained, for the OpenAPI document."""
    schema = PositionRows.model_json_schema()
    row = schema.pop("$defs")["BatchFix"]
    schema["properties"]["positions"]["items"] = row
    return schema


def check_media_type(content_type: str | None) -> None:
    """JSON, or no type at all (some tracker gateways send none)."""
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind and kind not in JSON_TYPES and not kind.endswith("+json"):
        raise Problem(415, "unsupported_media_type", expected=", ".join(JSON_TYPES))


def parse_batch(body: bytes, now: datetime) -> Parsed:
    """(fixes, their row indexes, rejected rows) of a request body."""
    try:
        rows: Sequence[BatchFix] = _BODY.validate_json(body).positions
    except ValidationError:
        return parse_rows(_rows_of(body), now)
    return _fixes(list(rows), now)


def _rows_of(body: bytes) -> list[Any]:
    """The rows of a body that failed the fast path; a body that is no batch is refused whole."""
    try:  # the standard library's parser, which reads NaN: such a row is rejected on its own
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise Problem(
            422,
            "validation_failed",
            errors=[validation_error({"type": "json_invalid", "loc": ("body",)})],
        ) from None
    try:
        return _SHAPE.validate_python(data).positions
    except ValidationError as exc:
        errors = [validation_error(dict(e)) for e in exc.errors()]
        for error in errors:
            error["loc"] = ["body", *error["loc"]]
        raise Problem(422, "validation_failed", errors=errors) from None


def parse_rows(rows: Sequence[Any], now: datetime) -> Parsed:
    """Check each row on its own: one call into the validator for all rows, and row by row
    only when that call fails."""
    try:
        items: list[BatchFix | None] = list(_ROWS.validate_python(rows))
    except ValidationError:
        items = [None] * len(rows)
    rejected: list[RowRejection] = []
    for index, row in enumerate(rows):
        if items[index] is not None:
            continue
        try:
            items[index] = _ROW.validate_python(row)
        except ValidationError as exc:
            errors = [validation_error(dict(e)) for e in exc.errors()]
            for error in errors:
                error["loc"] = ["body", "positions", index, *error["loc"]]
            rejected.append(RowRejection(index=index, errors=errors))
    fixes, indexes, late = _fixes(items, now)
    return fixes, indexes, sorted(rejected + late, key=lambda r: r.index)


def _fixes(items: Sequence[BatchFix | None], now: datetime) -> Parsed:
    fixes: list[Fix] = []
    indexes: list[int] = []
    rejected: list[RowRejection] = []
    for index, item in enumerate(items):
        if item is None:
            continue
        at, wrong = check_time(item.at, now)
        if wrong is not None or at is None:
            rejected.append(rejection(index, "at", wrong or "default"))
            continue
        fixes.append(Fix(item.unit_id, item.lat, item.lon, at, item.heading, item.speed))
        indexes.append(index)
    return fixes, indexes, rejected


def rejection(index: int, field: str, kind: str) -> RowRejection:
    return RowRejection(
        index=index, errors=[field_error(["body", "positions", index, field], kind)]
    )
