"""The engine's errors as the API's problem+json answers.

The engine carries its own bilingual messages (it must not import the platform); behind the API
each of its codes the API can reach becomes a catalogue code, so clients match on one stable set.
Anything else the engine refuses still leaves as a 422 with the engine's own English and Arabic
text rather than as a server error.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tansiq.analytics.errors import AnalyticsError
from tansiq.errors import Problem

__all__ = ["ENGINE_CODES", "engine_problems"]

#: Engine code -> API problem code (all 422: the request was understood but cannot be analysed).
ENGINE_CODES = {
    "no_events": "analytics_no_incidents",
    "empty_training_window": "analytics_no_incidents",
    "constant_values": "analytics_one_cell",
    "too_few_events": "analytics_too_few_incidents",
    "no_risk": "analytics_no_incidents",
    "unknown_method": "analytics_unknown_method",
    "bad_bands": "analytics_invalid_bands",
    "bad_shift": "analytics_invalid_shift",
    "unknown_crs": "analytics_invalid_crs",
    "crs_not_projected": "analytics_invalid_crs",
    "outside_crs_area": "analytics_outside_crs",
    "grid_too_large": "analytics_area_too_large",
}


@contextmanager
def engine_problems(**params: Any) -> Iterator[None]:
    """Turn an :class:`AnalyticsError` raised inside the block into a :class:`Problem`;
    ``params`` fill the catalogue message's placeholders."""
    try:
        yield
    except AnalyticsError as exc:
        code = ENGINE_CODES.get(exc.code)
        if code is None:
            raise Problem(
                422,
                "analytics_rejected",
                reason=exc.code,
                detail=exc.message_en,
                detail_ar=exc.message_ar,
            ) from exc
        raise Problem(422, code, **params) from exc
