"""Rolling-origin evaluation of next-day predictors: hit rate and PAI at fixed coverages.

The protocol is fixed so that figures are comparable with published ones: for each day of the
window every method is fitted on events strictly before that day and scored against all events
of the day; the top ``floor(c * N)`` study cells are "selected", ties at the threshold are
broken by expected value (a tie group contributes hits in proportion to the share of it that
fits); hit rate is the share of the day's events in the selected cells and PAI = hit rate / c.
Days without events are skipped.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from tansiq.analytics.errors import AnalyticsError
from tansiq.analytics.history import History, as_day
from tansiq.analytics.predictor import Predictor

__all__ = ["DEFAULT_COVERAGES", "Evaluation", "MethodScore", "evaluate", "hits_at_coverage"]

DEFAULT_COVERAGES = (0.01, 0.05, 0.10)


def hits_at_coverage(risk: np.ndarray, events: np.ndarray, k: int) -> float:
    """Expected number of events in the ``k`` highest-risk cells, ties by expected value.

    Parameters
    ----------
    risk, events : numpy.ndarray
        Risk and observed event count of each study cell (same order).
    k : int
        Number of cells that may be selected.
    """
    if k <= 0:
        return 0.0
    if k >= len(risk):
        return float(events.sum())
    # The k-th largest risk is the threshold; everything above it is selected outright.
    threshold = np.partition(risk, len(risk) - k)[len(risk) - k]
    above = risk > threshold
    tied = risk == threshold
    n_above = int(above.sum())
    share = (k - n_above) / int(tied.sum())
    return float(events[above].sum() + share * events[tied].sum())


@dataclass
class MethodScore:
    """Daily hit rates of one method and their averages."""

    name: str
    coverages: tuple[float, ...]
    hit_rates: list[list[float]] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)

    @property
    def hit_rate(self) -> dict[float, float]:
        rates = np.asarray(self.hit_rates)
        return {c: float(rates[:, i].mean()) for i, c in enumerate(self.coverages)}

    @property
    def pai(self) -> dict[float, float]:
        return {c: hr / c for c, hr in self.hit_rate.items()}

    @property
    def seconds_per_day(self) -> float:
        return float(np.mean(self.seconds))

    def as_dict(self) -> dict[str, object]:
        def key(c: float) -> str:
            return f"{round(c * 100, 3):g}%"

        return {
            "method": self.name,
            "days": len(self.hit_rates),
            "hit_rate": {key(c): round(v, 4) for c, v in self.hit_rate.items()},
            "pai": {key(c): round(v, 3) for c, v in self.pai.items()},
            "seconds_per_day": round(self.seconds_per_day, 3),
        }


@dataclass
class Evaluation:
    """Result of :func:`evaluate`: one :class:`MethodScore` per method."""

    start: pd.Timestamp
    days: int
    n_study_cells: int
    scores: dict[str, MethodScore]

    def as_dict(self) -> dict[str, object]:
        return {
            "start": self.start.date().isoformat(),
            "days": self.days,
            "study_cells": self.n_study_cells,
            "methods": [s.as_dict() for s in self.scores.values()],
        }


def evaluate(
    methods: Mapping[str, Predictor],
    events: History,
    start: object,
    days: int,
    coverages: Sequence[float] = DEFAULT_COVERAGES,
) -> Evaluation:
    """Run the rolling-origin protocol over ``days`` days from ``start``.

    Parameters
    ----------
    methods : mapping of str to Predictor
        The predictors to compare; each is refitted every day.
    events : History
        All events, binned to the grid whose study area defines the cells.
    start : date-like
        First day predicted.
    days : int
        Number of consecutive days.
    coverages : sequence of float
        Shares of the study area, each in (0, 1].

    Raises
    ------
    AnalyticsError
        If a coverage selects no cell in this study area, or no day of the window has events.
    """
    first = as_day(start)
    if not methods:
        raise AnalyticsError(
            "no_methods",
            "Name at least one method to evaluate",
            "حدّد طريقة واحدة على الأقل للتقييم",
        )
    if days < 1:
        raise AnalyticsError(
            "bad_days",
            f"The window needs at least one day, got {days}",
            f"يجب أن تضم النافذة يوماً واحداً على الأقل، القيمة: {days}",
        )
    cells = events.grid.study_cells
    n = len(cells)
    bad = [c for c in coverages if not 0 < c <= 1 or math.floor(c * n) == 0]
    if bad:
        raise AnalyticsError(
            "coverage_too_small",
            f"Coverage {bad} selects no cell of a study area of {n} cell(s); "
            "use a larger area, smaller cells or a larger coverage",
            f"التغطية {bad} لا تختار أي خلية من منطقة دراسة من {n} خلية",
        )
    ks = [math.floor(c * n) for c in coverages]
    scores = {name: MethodScore(name, tuple(coverages)) for name in methods}
    for offset in range(days):
        day = first + pd.Timedelta(days=offset)
        observed = events.on_day(day).in_study_area()
        if len(observed) == 0:
            continue
        counts = np.bincount(observed.cell, minlength=events.grid.n_cells)[cells]
        for name, method in methods.items():
            began = time.perf_counter()
            risk = method.fit(events, day).risk_[cells]
            scores[name].seconds.append(time.perf_counter() - began)
            scores[name].hit_rates.append(
                [hits_at_coverage(risk, counts, k) / len(observed) for k in ks]
            )
    if all(not s.hit_rates for s in scores.values()):
        raise AnalyticsError(
            "no_events_in_window",
            f"No events in the {days} day(s) from {first.date()}; nothing to score",
            f"لا توجد أحداث في {days} يوم ابتداءً من {first.date()}؛ لا شيء للتقييم",
        )
    return Evaluation(first, days, n, scores)
