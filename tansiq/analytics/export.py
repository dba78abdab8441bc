"""Exports for GIS tools: per-cell tables (CSV) and GeoJSON of cells and patrol areas."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import box, mapping
from shapely.ops import unary_union

from tansiq.analytics.errors import AnalyticsError
from tansiq.analytics.events import to_lonlat
from tansiq.analytics.grid import Grid
from tansiq.analytics.patrol import PatrolPlan

__all__ = ["cell_table", "patrol_geojson", "write_cells", "write_geojson"]


def cell_table(grid: Grid, values: dict[str, np.ndarray]) -> pd.DataFrame:
    """One row per study cell: ``cell``, centre ``x``, ``y`` (grid CRS), ``lat``, ``lon`` and
    one column per entry of ``values`` (arrays per flat cell), riskiest first if ``risk`` is
    among them."""
    cells = grid.study_cells
    xs, ys = grid.centres()
    lon, lat = to_lonlat(xs[cells], ys[cells], grid.crs)
    table = pd.DataFrame({"cell": cells, "x": xs[cells], "y": ys[cells], "lat": lat, "lon": lon})
    for name, array in values.items():
        table[name] = np.asarray(array)[cells]
    if "risk" in table:
        table = table.sort_values("risk", ascending=False, kind="stable")
        table.insert(1, "rank", np.arange(1, len(table) + 1))
    return table.reset_index(drop=True)


def _cell_polygon(grid: Grid, cell: int) -> Any:
    row, col = divmod(int(cell), grid.nx)
    x0 = grid.x0 + col * grid.cell_size
    y0 = grid.y0 + row * grid.cell_size
    return box(x0, y0, x0 + grid.cell_size, y0 + grid.cell_size)


def _to_wgs84(grid: Grid) -> Any:
    def project(coords: np.ndarray) -> np.ndarray:
        lon, lat = to_lonlat(coords[:, 0], coords[:, 1], grid.crs)
        return np.column_stack([lon, lat])

    return lambda geom: shapely.transform(geom, project)


def write_geojson(path: Path, features: list[dict[str, Any]]) -> None:
    collection = {"type": "FeatureCollection", "features": features}
    path.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")


def cell_features(grid: Grid, table: pd.DataFrame) -> list[dict[str, Any]]:
    """GeoJSON features (cells as WGS84 quadrilaterals) for the rows of a :func:`cell_table`."""
    cells = table["cell"].to_numpy(dtype=np.int64)
    row, col = np.divmod(cells, grid.nx)
    # Project all corners at once: one pyproj call instead of one per cell.
    corners = [(0, 0), (1, 0), (1, 1), (0, 1), (0, 0)]
    xs = np.concatenate([grid.x0 + (col + dx) * grid.cell_size for dx, _ in corners])
    ys = np.concatenate([grid.y0 + (row + dy) * grid.cell_size for _, dy in corners])
    lon, lat = to_lonlat(xs, ys, grid.crs)
    ring = np.stack([lon.reshape(5, -1), lat.reshape(5, -1)], axis=-1)  # corner, cell, xy
    features = []
    for i, record in enumerate(table.to_dict("records")):
        props = {k: (v.item() if isinstance(v, np.generic) else v) for k, v in record.items()}
        geometry = {"type": "Polygon", "coordinates": [ring[:, i, :].round(7).tolist()]}
        features.append({"type": "Feature", "geometry": geometry, "properties": props})
    return features


def write_cells(path: str | Path, table: pd.DataFrame, grid: Grid) -> Path:
    """Write a cell table as ``.csv`` or ``.geojson``/``.json`` (chosen by the suffix)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        table.to_csv(path, index=False)
    elif suffix in {".geojson", ".json"}:
        write_geojson(path, cell_features(grid, table))
    else:
        raise AnalyticsError(
            "unknown_format",
            f"Cannot write '{suffix}'; use .csv or .geojson",
            f"لا يمكن الكتابة بصيغة '{suffix}'؛ استخدم ‎.csv أو ‎.geojson",
        )
    return path


def patrol_geojson(plan: PatrolPlan, grid: Grid) -> list[dict[str, Any]]:
    """One WGS84 (multi)polygon feature per patrol area with its expected share of crime."""
    to_wgs84 = _to_wgs84(grid)
    features = []
    for number, (cells, share, expected) in enumerate(
        zip(plan.areas_, plan.expected_share_, plan.expected_events_, strict=True), start=1
    ):
        shape = unary_union([_cell_polygon(grid, c) for c in cells])
        features.append(
            {
                "type": "Feature",
                "geometry": mapping(to_wgs84(shape)),
                "properties": {
                    "patrol": number,
                    "cells": len(cells),
                    "area_km2": round(shape.area / 1e6, 4),
                    "expected_share": round(float(share), 5),
                    "expected_events": round(float(expected), 4),
                },
            }
        )
    return features
