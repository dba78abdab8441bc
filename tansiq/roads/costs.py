"""Travel-time model: free-flow driving time plus a delay for each junction and signal entered.

A plain length/maxspeed model underestimates real trips (routers such as OSRM come out about
1.5x higher, mostly from turns and intersections). The three parameters are deliberately few so
they can be calibrated from observed arrivals (predicted against actual, once dispatch records
them): ``speed_factor`` scales every road, ``junction_s`` and ``signals_s`` add fixed delays at
the node an edge enters. Defaults are the car-profile values of common routers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from tansiq.roads.network import RoadNetwork

__all__ = ["CostModel", "EdgeCosts"]


@dataclass(frozen=True)
class CostModel:
    speed_factor: float = 0.8  # share of the limit driven on average (OSRM uses 0.8 on maxspeed)
    junction_s: float = 4.0  # entering a node where three or more roads meet
    signals_s: float = 6.0  # extra, when that node has traffic signals

    def __post_init__(self) -> None:
        if not (0 < self.speed_factor <= 3 and self.junction_s >= 0 and self.signals_s >= 0):
            raise ValueError("speed_factor must be in (0, 3] and delays must not be negative")


@dataclass(frozen=True)
class EdgeCosts:
    """Per directed edge: driving seconds (proportional along the edge) and the delay paid on
    entering its head node. An edge's weight is their sum."""

    drive_s: NDArray[np.float64]
    delay_s: NDArray[np.float64]

    @property
    def weight_s(self) -> NDArray[np.float64]:
        out: NDArray[np.float64] = self.drive_s + self.delay_s
        return out

    @classmethod
    def of(cls, network: RoadNetwork, model: CostModel) -> EdgeCosts:
        speed_ms = network.edge_speed_kmh * (model.speed_factor / 3.6)
        # A positive floor keeps zero-length edges (two OSM nodes at one spot) strictly ordered.
        drive = np.maximum(network.edge_length_m / speed_ms, 1e-3)
        head = network.edge_head
        delay = network.node_junction[head] * model.junction_s + (
            network.node_signals[head] * model.signals_s
        )
        return cls(drive_s=drive, delay_s=delay.astype(np.float64))
