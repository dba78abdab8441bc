"""Fixtures of the analytics tests: a real downtown-Toronto sample and synthetic tables."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tansiq.analytics import History, prepare_events

DATA = Path(__file__).parent / "data"
SAMPLE = DATA / "toronto_mci_downtown_2018h2_2019.parquet"


@pytest.fixture(scope="session")
def sample_path() -> Path:
    return SAMPLE


@pytest.fixture(scope="session")
def sample_events() -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return prepare_events(pd.read_parquet(SAMPLE), timezone="America/Toronto")


@pytest.fixture(scope="session")
def sample_history(sample_events: pd.DataFrame) -> History:
    return History.on_study_grid(sample_events, 150.0, "EPSG:32617")


def projected_frame(
    times: list[str], xy: list[tuple[float, float]], categories: list[str] | None = None
) -> pd.DataFrame:
    """A canonical event frame at given projected points (UTM 17N, near Toronto)."""
    x0, y0 = 630_000.0, 4_833_000.0
    frame = pd.DataFrame(
        {
            "time": pd.to_datetime(times, format="mixed"),
            "x": [x0 + dx for dx, _ in xy],
            "y": [y0 + dy for _, dy in xy],
            "category": categories or ["Assault"] * len(times),
        }
    )
    return prepare_events(frame, time="time", x="x", y="y", timezone="America/Toronto")


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20240601)
