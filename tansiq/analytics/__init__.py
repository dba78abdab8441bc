"""Crime-pattern analytics: hot spots, near-repeat analysis, next-day risk and patrol plans.

Pure numpy/scipy/pandas/pyproj; the engine imports nothing else of Tansiq, so it runs in a
notebook on any event table.  The platform's side (``incidents``, ``problems``, ``responses``,
``api``: the routes under ``/api/v1/analytics``) imports the engine, never the reverse, and is
not imported here.  Estimators follow the PySAL/scikit-learn convention:
configuration in ``__init__``, ``fit(...)`` returns ``self``, results end with ``_``.
"""

from tansiq.analytics.baselines import NaiveCounting, ProspectiveHotspot, RetrospectiveHotspot
from tansiq.analytics.errors import AnalyticsError, AnalyticsWarning
from tansiq.analytics.evaluation import DEFAULT_COVERAGES, Evaluation, evaluate, hits_at_coverage
from tansiq.analytics.events import prepare_events, read_events, to_lonlat
from tansiq.analytics.export import cell_table, patrol_geojson, write_cells, write_geojson
from tansiq.analytics.gistar import GetisOrdGiStar, contiguity_weights, gi_star
from tansiq.analytics.grid import Grid
from tansiq.analytics.history import History
from tansiq.analytics.hotspots import GridCounts, KernelDensity
from tansiq.analytics.knox import KnoxTest
from tansiq.analytics.longterm import DecayedCounts, Ensemble
from tansiq.analytics.methods import (
    DEFAULT_METHOD,
    METHODS,
    make_method,
    make_methods,
    make_predictor,
)
from tansiq.analytics.patrol import PatrolPlan
from tansiq.analytics.predictor import Predictor
from tansiq.analytics.sepp import GridSEPP
from tansiq.analytics.shift import ShiftRisk

__all__ = [
    "DEFAULT_COVERAGES",
    "DEFAULT_METHOD",
    "METHODS",
    "AnalyticsError",
    "AnalyticsWarning",
    "DecayedCounts",
    "Ensemble",
    "Evaluation",
    "GetisOrdGiStar",
    "Grid",
    "GridCounts",
    "GridSEPP",
    "History",
    "KernelDensity",
    "KnoxTest",
    "NaiveCounting",
    "PatrolPlan",
    "Predictor",
    "ProspectiveHotspot",
    "RetrospectiveHotspot",
    "ShiftRisk",
    "cell_table",
    "contiguity_weights",
    "evaluate",
    "gi_star",
    "hits_at_coverage",
    "make_method",
    "make_methods",
    "make_predictor",
    "patrol_geojson",
    "prepare_events",
    "read_events",
    "to_lonlat",
    "write_cells",
    "write_geojson",
]
