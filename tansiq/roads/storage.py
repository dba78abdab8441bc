"""Saving and loading the road network in the database.

An import deletes the old row and inserts the new one in one transaction (a reader sees one
network or the other), with an audit entry that records the summary but not the blob.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, delete, func, insert, select

from tansiq.roads.errors import RoadsError
from tansiq.roads.models import RoadNetworkRow
from tansiq.roads.network import FORMAT_VERSION, RoadNetwork
from tansiq.store.base import utcnow
from tansiq.store.db import Store

__all__ = ["StoredNetwork", "load_network", "save_network", "stored_version"]

_table = cast(Table, RoadNetworkRow.__table__)


@dataclass(frozen=True)
class StoredNetwork:
    id: int
    sha256: str
    summary: dict[str, Any]
    network: RoadNetwork


def save_network(store: Store, network: RoadNetwork) -> int:
    """Replace the stored network; returns the new row's id (its version)."""
    data = network.to_bytes()
    summary = dict(network.meta, bytes=len(data))
    with store.write() as uow:
        # Core statements: the row holds a large blob that the change capture must not copy.
        # Ids only grow (SQLite would reuse 1 after the delete): servers poll them for changes.
        new_id = (uow.session.scalar(select(func.max(_table.c.id))) or 0) + 1
        uow.session.execute(delete(_table))
        uow.session.execute(
            insert(_table).values(
                id=new_id,
                source=str(network.meta.get("source", ""))[:255],
                imported_at=utcnow(),
                format_version=FORMAT_VERSION,
                sha256=network.sha256(data),
                summary=summary,
                data=data,
            )
        )
        uow.audit(
            "road_network.imported", record_type="road_network", record_id=new_id, after=summary
        )
    return int(new_id)


def stored_version(store: Store) -> tuple[int, str] | None:
    """(id, sha256) of the stored network, cheap enough to poll for a re-import."""
    with store.read() as session:
        row = session.execute(select(_table.c.id, _table.c.sha256)).first()
    return (int(row.id), str(row.sha256)) if row else None


def load_network(store: Store) -> StoredNetwork:
    """The stored network; :class:`RoadsError` ``roads_not_loaded`` when there is none."""
    with store.read() as session:
        row = session.execute(
            select(_table.c.id, _table.c.sha256, _table.c.summary, _table.c.data)
        ).first()
    if row is None:
        raise RoadsError("roads_not_loaded")
    return StoredNetwork(
        int(row.id), str(row.sha256), dict(row.summary), RoadNetwork.from_bytes(bytes(row.data))
    )
