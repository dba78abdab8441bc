"""The console's offline basemap: Natural Earth outlines and the imported road network.

Country outlines are Natural Earth's 1:110m "admin 0 countries" (public domain) as shipped by
the installed `pyogrio` package (`naturalearth_lowres`); the coastline is the outline of their
union. Nothing is fetched from the internet. Roads are the links of the network the server
routes on (`tansiq roads import`), cut to the map's view and capped, longest first.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray

from tansiq.roads.network import RoadNetwork

NATURAL_EARTH = "tests/fixtures/naturalearth_lowres/naturalearth_lowres.shp"
ROADS_MAX = 20_000  # links in one answer; the console asks again for a smaller view
COORD_DECIMALS = 5  # about one metre: enough for a screen, a third of the bytes of full floats


def natural_earth_path() -> str:
    return str(resources.files("pyogrio").joinpath(NATURAL_EARTH))


@cache
def outlines() -> dict[str, Any]:
    """Countries (with their English name and ISO code) and the coastline, as GeoJSON."""
    import pyogrio.raw  # type: ignore[import-untyped]

    meta, _, wkb, columns = pyogrio.raw.read(natural_earth_path())
    names = list(meta["fields"])
    geoms = shapely.from_wkb(wkb)
    features: list[dict[str, Any]] = [
        {
            "type": "Feature",
            "properties": {
                "kind": "country",
                "name": str(columns[names.index("name")][i]),
                "iso_a3": str(columns[names.index("iso_a3")][i]),
            },
            "geometry": shapely.geometry.mapping(geoms[i]),
        }
        for i in range(len(geoms))
    ]
    coast = shapely.union_all(geoms).boundary
    features.append(
        {
            "type": "Feature",
            "properties": {"kind": "coastline"},
            "geometry": shapely.geometry.mapping(coast),
        }
    )
    return {
        "type": "FeatureCollection",
        "source": "Natural Earth 1:110m admin 0 countries (public domain)",
        "features": features,
    }


@dataclass(frozen=True)
class LinkIndex:
    """Each link's bounding box, computed once per loaded network."""

    min_lon: NDArray[np.float64]
    min_lat: NDArray[np.float64]
    max_lon: NDArray[np.float64]
    max_lat: NDArray[np.float64]

    @classmethod
    def of(cls, net: RoadNetwork) -> LinkIndex:
        starts = net.link_start
        return cls(
            np.minimum.reduceat(net.coord_lon, starts),
            np.minimum.reduceat(net.coord_lat, starts),
            np.maximum.reduceat(net.coord_lon, starts),
            np.maximum.reduceat(net.coord_lat, starts),
        )


_indexes: dict[int, tuple[RoadNetwork, LinkIndex]] = {}


def _index(net: RoadNetwork) -> LinkIndex:
    held = _indexes.get(id(net))
    if held is None or held[0] is not net:
        _indexes.clear()  # one network is in use at a time; drop the replaced one's index
        held = (net, LinkIndex.of(net))
        _indexes[id(net)] = held
    return held[1]


def roads(
    net: RoadNetwork | None, bbox: tuple[float, float, float, float], limit: int = ROADS_MAX
) -> dict[str, Any]:
    """The road links crossing `bbox` (min_lon, min_lat, max_lon, max_lat) as GeoJSON lines;
    `truncated` says whether only the `limit` longest were kept."""
    if net is None:
        return {"type": "FeatureCollection", "features": [], "truncated": False, "loaded": False}
    ix = _index(net)
    min_lon, min_lat, max_lon, max_lat = bbox
    hit = np.flatnonzero(
        (ix.max_lon >= min_lon)
        & (ix.min_lon <= max_lon)
        & (ix.max_lat >= min_lat)
        & (ix.min_lat <= max_lat)
    )
    truncated = hit.size > limit
    if truncated:
        longest = np.argsort(net.link_length_m[hit])[::-1][:limit]
        hit = np.sort(hit[longest])
    features = []
    for link in hit.tolist():
        s, e = int(net.link_start[link]), int(net.link_end[link]) + 1
        features.append(
            {
                "type": "Feature",
                "properties": {"link": link},
                "geometry": {
                    "type": "LineString",
                    "coordinates": np.round(
                        np.column_stack([net.coord_lon[s:e], net.coord_lat[s:e]]), COORD_DECIMALS
                    ).tolist(),
                },
            }
        )
    return {
        "type": "FeatureCollection",
        "features": features,
        "truncated": bool(truncated),
        "loaded": True,
    }
