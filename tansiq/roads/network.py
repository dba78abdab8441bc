"""The built road network as flat numpy arrays, and its compact serialisation.

Nodes are intersections and dead ends only; the shape of the road between two of them is a
*link* (a polyline, stored once). Each link carries one directed edge per direction a car may
drive it, so a two-way street is two edges sharing one geometry (``edge_twin`` pairs them).

The arrays are what the server needs and nothing more: loading is ``np.load`` of one
compressed archive, a few seconds for a country.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
from numpy.typing import NDArray

from tansiq.roads.errors import RoadsError

__all__ = ["FORMAT_VERSION", "RoadNetwork"]

FORMAT_VERSION = 1
F64 = NDArray[np.float64]
I32 = NDArray[np.int32]
I64 = NDArray[np.int64]
B = NDArray[np.bool_]


@dataclass(eq=False)
class RoadNetwork:
    """A directed drivable graph (every node reaches every other: one strongly connected part)."""

    node_lon: F64
    node_lat: F64
    node_junction: B  # three or more roads meet: entering it costs the junction delay
    node_signals: B  # traffic signals at the node
    edge_tail: I32
    edge_head: I32
    edge_link: I32
    edge_reversed: B  # drives the link against its geometry's order
    edge_twin: I32  # the edge of the same link in the other direction, or -1
    edge_speed_kmh: F64
    link_length_m: F64
    link_start: I64  # link i's points are coords[link_start[i] : link_end[i] + 1]
    link_end: I64
    coord_lon: F64
    coord_lat: F64
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def node_count(self) -> int:
        return int(self.node_lon.size)

    @property
    def edge_count(self) -> int:
        return int(self.edge_tail.size)

    @property
    def edge_length_m(self) -> F64:
        return self.link_length_m[self.edge_link]

    def link_coords(self, link: int) -> tuple[F64, F64]:
        s, e = int(self.link_start[link]), int(self.link_end[link]) + 1
        return self.coord_lon[s:e], self.coord_lat[s:e]

    def edge_coords(self, edge: int) -> tuple[F64, F64]:
        """The edge's points (lon, lat) in driving order."""
        lon, lat = self.link_coords(int(self.edge_link[edge]))
        return (lon[::-1], lat[::-1]) if self.edge_reversed[edge] else (lon, lat)

    def bbox(self) -> tuple[float, float, float, float]:
        return (
            float(self.coord_lon.min()),
            float(self.coord_lat.min()),
            float(self.coord_lon.max()),
            float(self.coord_lat.max()),
        )

    def to_bytes(self) -> bytes:
        arrays = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "meta"}
        buf = io.BytesIO()
        meta = np.frombuffer(json.dumps(self.meta).encode(), dtype=np.uint8)
        np.savez_compressed(buf, format_version=np.int32(FORMAT_VERSION), meta=meta, **arrays)
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> RoadNetwork:
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as archive:
                version = int(archive["format_version"])
                if version != FORMAT_VERSION:
                    raise RoadsError(
                        "roads_network_unreadable", reason=f"format {version}, expected 1"
                    )
                values = {f.name: archive[f.name] for f in fields(cls) if f.name != "meta"}
                meta = json.loads(archive["meta"].tobytes().decode())
        except RoadsError:
            raise
        except (OSError, ValueError, KeyError, EOFError) as exc:
            raise RoadsError("roads_network_unreadable", reason=type(exc).__name__) from exc
        return cls(**values, meta=meta)

    def sha256(self, data: bytes | None = None) -> str:
        return hashlib.sha256(data if data is not None else self.to_bytes()).hexdigest()
