"""Named prediction methods, as the CLI and the evaluation table know them.

Defaults are the configurations measured in ``docs/analytics.md``: the open_cp settings for the
baselines, and for ``decay`` the setting chosen on validation windows before the test window.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from tansiq.analytics.baselines import NaiveCounting, ProspectiveHotspot, RetrospectiveHotspot
from tansiq.analytics.errors import AnalyticsError
from tansiq.analytics.longterm import DecayedCounts, Ensemble
from tansiq.analytics.predictor import Predictor
from tansiq.analytics.sepp import GridSEPP
from tansiq.analytics.shift import ShiftRisk

__all__ = ["DEFAULT_METHOD", "METHODS", "make_method", "make_methods", "make_predictor"]

METHODS: dict[str, Callable[[], Predictor]] = {
    "decay": DecayedCounts,
    "naive": NaiveCounting,
    "naive730": lambda: NaiveCounting(days=730),
    "retrospective": RetrospectiveHotspot,
    "prospective": ProspectiveHotspot,
    "sepp": GridSEPP,
    "decay+sepp": lambda: Ensemble([DecayedCounts(), GridSEPP()], [0.8, 0.2]),
}

#: What ``tansiq analytics predict`` uses without ``--method``.
DEFAULT_METHOD = "decay"


def make_method(name: str) -> Predictor:
    """A fresh predictor for a method name."""
    try:
        factory = METHODS[name]
    except KeyError:
        known = ", ".join(METHODS)
        raise AnalyticsError(
            "unknown_method",
            f"Unknown method '{name}'; choose one of: {known}",
            f"طريقة غير معروفة '{name}'؛ اختر إحدى: {known}",
        ) from None
    return factory()


def make_methods(names: Sequence[str]) -> dict[str, Predictor]:
    """Predictors for several names, checking them all before any work starts."""
    return {name: make_method(name) for name in names}


def make_predictor(name: str, shift: str | None = None) -> Predictor:
    """A method's predictor, restricted to a shift's local hours (``"22-6"``) when given."""
    predictor = make_method(name)
    if not shift:
        return predictor
    try:
        start, end = (int(part) for part in shift.split("-"))
    except ValueError:
        raise AnalyticsError(
            "bad_shift",
            f"A shift must look like 22-6 (start-end hours), got '{shift}'",
            f"يجب أن تكون المناوبة على شكل 22-6 (ساعة البداية-النهاية): '{shift}'",
        ) from None
    return ShiftRisk(predictor, start, end)
