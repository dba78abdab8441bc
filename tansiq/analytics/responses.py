"""Shaping analysis results for the API, and the gate that bounds how many run at once.

Cells leave as a GeoJSON FeatureCollection (WGS84 squares, what GIS tools and web maps take) or
as plain JSON rows; both carry the same metadata so a client can tell what was counted.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

import numpy as np
import pandas as pd
from fastapi.responses import JSONResponse

from tansiq.analytics.export import cell_features
from tansiq.analytics.grid import Grid
from tansiq.errors import Problem

__all__ = ["GATE", "Format", "cells_response", "clean", "geojson_response", "running"]

Format = Literal["geojson", "json"]
GEOJSON = "application/geo+json"

#: Analyses are CPU-bound numpy work; two at a time per server process keep the cores for
#: dispatching.  A request that finds both slots busy waits briefly, then gets 429.
GATE = threading.BoundedSemaphore(2)
GATE_WAIT_SECONDS = 5.0
RETRY_AFTER_SECONDS = 10


@contextmanager
def running() -> Iterator[None]:
    if not GATE.acquire(timeout=GATE_WAIT_SECONDS):
        raise Problem(
            429,
            "analytics_busy",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            seconds=RETRY_AFTER_SECONDS,
        )
    try:
        yield
    finally:
        GATE.release()


def clean(value: Any) -> Any:
    """JSON-safe: numpy scalars to Python, NaN and infinities to null."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _records(table: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): clean(v) for k, v in row.items()} for row in table.to_dict("records")]


def geojson_response(features: list[dict[str, Any]], meta: dict[str, Any]) -> JSONResponse:
    # Foreign members beside "features" are allowed by RFC 7946 and ignored by GIS tools.
    body = {"type": "FeatureCollection", **meta, "features": features}
    return JSONResponse(body, media_type=GEOJSON)


def cells_response(
    grid: Grid, table: pd.DataFrame, meta: dict[str, Any], fmt: Format
) -> JSONResponse:
    """One feature (or row) per cell of ``table`` (a :func:`~tansiq.analytics.cell_table`)."""
    if fmt == "json":
        return JSONResponse({**meta, "cells": _records(table)})
    features = cell_features(grid, table)
    for feature in features:
        feature["properties"] = {k: clean(v) for k, v in feature["properties"].items()}
    return geojson_response(features, meta)
