"""Reading an OpenStreetMap PBF extract with pyosmium (libosmium).

libosmium streams the file on its own threads, keeps node locations in its own index and drops
everything without a ``highway`` key before Python sees it; a truncated or corrupt block raises
instead of yielding half a network. Turn restrictions are counted, not applied (see
docs/roads.md).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from tansiq.roads import tags as osm_tags
from tansiq.roads.build import RawWays, build_network
from tansiq.roads.errors import RoadsError
from tansiq.roads.network import RoadNetwork

__all__ = ["import_pbf", "read_pbf"]

Progress = Callable[[str, int], None]  # (step, objects so far)
_REPORT_EVERY = 20_000


def _check_readable(path: Path) -> None:
    if not path.is_file():
        raise RoadsError("roads_file_unreadable", path=str(path), reason="no such file")
    if not os.access(path, os.R_OK):
        raise RoadsError("roads_file_unreadable", path=str(path), reason="permission denied")


def read_pbf(path: Path, progress: Progress | None = None) -> RawWays:
    """The drivable ways of `path`, cut into runs of located nodes."""
    import osmium

    _check_readable(path)
    ids: list[int] = []
    lons: list[float] = []
    lats: list[float] = []
    run_ptr = [0]
    fwd: list[bool] = []
    bwd: list[bool] = []
    sp_f: list[float] = []
    sp_b: list[float] = []
    signals: list[int] = []
    restrictions = 0
    ways = 0

    def close_run(attrs: tuple[bool, bool, float, float]) -> None:
        if len(ids) - run_ptr[-1] >= 2:
            run_ptr.append(len(ids))
            fwd.append(attrs[0])
            bwd.append(attrs[1])
            sp_f.append(attrs[2])
            sp_b.append(attrs[3])
        else:  # a lone located node is no road
            del ids[run_ptr[-1] :], lons[run_ptr[-1] :], lats[run_ptr[-1] :]

    highway = osmium.filter.KeyFilter("highway")
    highway.enable_for(osmium.osm.NODE | osmium.osm.WAY)  # relations pass: restrictions counted
    processor = (
        osmium.FileProcessor(osmium.io.File(str(path), "pbf")).with_locations().with_filter(highway)
    )
    try:
        for obj in processor:
            if isinstance(obj, osmium.osm.Node):
                if obj.tags.get("highway") == "traffic_signals":
                    signals.append(obj.id)
                continue
            if isinstance(obj, osmium.osm.Relation):
                restrictions += obj.tags.get("type") == "restriction"
                continue
            if not isinstance(obj, osmium.osm.Way):
                continue
            tag_map = {t.k: t.v for t in obj.tags}
            if not osm_tags.is_drivable(tag_map):
                continue
            attrs = (*osm_tags.direction(tag_map), *osm_tags.way_speeds(tag_map))
            for ref in obj.nodes:
                loc = ref.location
                if loc.valid():
                    ids.append(ref.ref)
                    lons.append(loc.lon)
                    lats.append(loc.lat)
                else:
                    close_run(attrs)
            close_run(attrs)
            ways += 1
            if progress is not None and ways % _REPORT_EVERY == 0:
                progress("ways", ways)
    except RuntimeError as exc:  # libosmium's errors: bad header, truncated blob, bad zlib…
        raise RoadsError("roads_pbf_invalid", path=str(path), reason=str(exc)) from exc
    if progress is not None:
        progress("ways", ways)
    return RawWays(
        node_id=np.asarray(ids, dtype=np.int64),
        lon=np.asarray(lons, dtype=np.float64),
        lat=np.asarray(lats, dtype=np.float64),
        run_ptr=np.asarray(run_ptr, dtype=np.int64),
        forward=np.asarray(fwd, dtype=bool),
        backward=np.asarray(bwd, dtype=bool),
        speed_forward=np.asarray(sp_f, dtype=np.float64),
        speed_backward=np.asarray(sp_b, dtype=np.float64),
        signals=np.asarray(signals, dtype=np.int64),
        restrictions=restrictions,
    )


def import_pbf(path: Path, progress: Progress | None = None) -> RoadNetwork:
    """Read and build; refuses a file with no drivable road."""
    raw = read_pbf(path, progress)
    if progress is not None:
        progress("build", 0)
    network = build_network(raw, source=path.name)
    if network is None:
        raise RoadsError("roads_no_drivable_roads", path=str(path))
    return network
