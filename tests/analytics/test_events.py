"""Reading and validating event tables: every bad input gets a clear, bilingual error."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tansiq.analytics import AnalyticsError, AnalyticsWarning, prepare_events, read_events


def frame(**overrides: object) -> pd.DataFrame:
    base: dict[str, object] = {
        "occurred_at": ["2019-01-01 10:00", "2019-01-02 11:00", "2019-01-03 12:00"],
        "lat": [43.65, 43.66, 43.67],
        "lon": [-79.38, -79.39, -79.40],
        "category": ["Assault", "Robbery", "Assault"],
    }
    base.update(overrides)
    return pd.DataFrame(base, index=[10, 11, 12])


def test_naive_times_are_taken_as_local_time_and_a_warning_says_so() -> None:
    with pytest.warns(AnalyticsWarning, match="local wall-clock time") as caught:
        events = prepare_events(frame())
    assert caught[0].message.code == "naive_time_assumed_local"  # type: ignore[union-attr]
    assert events["time"].iloc[0] == pd.Timestamp("2019-01-01 10:00")


def test_giving_the_zone_silences_the_naive_time_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        prepare_events(frame(), timezone="America/Toronto")


def test_aware_times_are_converted_to_the_local_day_of_the_given_zone() -> None:
    times = ["2019-01-01T03:00:00Z", "2019-01-02T12:00:00Z", "2019-01-03T23:30:00+00:00"]
    events = prepare_events(frame(occurred_at=times), timezone="America/Toronto")
    # 03:00 UTC on 1 January is 22:00 on 31 December in Toronto (UTC-5).
    assert events["time"].iloc[0] == pd.Timestamp("2018-12-31 22:00")


def test_unparseable_times_name_the_rows() -> None:
    bad = frame(occurred_at=["2019-01-01", "yesterday", None])
    with pytest.raises(AnalyticsError) as info:
        prepare_events(bad, timezone="UTC")
    assert info.value.code == "unparseable_time"
    assert "11, 12" in info.value.message_en and "11, 12" in info.value.message_ar


def test_mixing_zoned_and_naive_times_is_refused() -> None:
    bad = frame(occurred_at=["2019-01-01T10:00Z", "2019-01-01 10:00", "2019-01-01T10:00Z"])
    with pytest.raises(AnalyticsError, match="row\\(s\\): 11") as info:
        prepare_events(bad)
    assert info.value.code == "mixed_timezones"


def test_missing_or_unparseable_coordinates_name_the_rows() -> None:
    bad = frame(lat=[43.65, "north", np.nan])
    with pytest.raises(AnalyticsError) as info:
        prepare_events(bad, timezone="UTC")
    assert info.value.code == "unparseable_coordinates"
    assert "2 row(s): 11, 12" in str(info.value)


def test_events_outside_the_crs_area_of_use_are_refused() -> None:
    # Kuwait City is far outside UTM zone 17N (84°W to 78°W).
    bad = frame(lat=[43.65, 29.37, 43.67], lon=[-79.38, 47.98, -79.40])
    with pytest.raises(AnalyticsError) as info:
        prepare_events(bad, timezone="UTC")
    assert info.value.code == "outside_crs_area"
    assert "1 row(s): 11" in info.value.message_en


def test_an_unknown_column_mapping_lists_the_available_columns() -> None:
    with pytest.raises(AnalyticsError) as info:
        prepare_events(frame(), time="when", timezone="UTC")
    assert info.value.code == "unknown_column"
    assert "time='when'" in info.value.message_en and "occurred_at" in info.value.message_en


def test_a_geographic_crs_is_refused_because_grids_need_metres() -> None:
    with pytest.raises(AnalyticsError) as info:
        prepare_events(frame(), crs="EPSG:4326", timezone="UTC")
    assert info.value.code == "crs_not_projected"


def test_projected_columns_are_used_as_given() -> None:
    data = pd.DataFrame({"t": ["2019-01-01"], "e": [630_010.0], "n": [4_833_020.0]})
    events = prepare_events(data, time="t", x="e", y="n", category=None, timezone="UTC")
    assert events[["x", "y"]].iloc[0].tolist() == [630_010.0, 4_833_020.0]
    assert events["category"].iloc[0] == "all"
    assert 43.6 < events["lat"].iloc[0] < 43.7


def test_read_events_refuses_unknown_formats_and_missing_files(tmp_path: Path) -> None:
    with pytest.raises(AnalyticsError) as info:
        read_events(tmp_path / "missing.csv")
    assert info.value.code == "file_not_found"
    (tmp_path / "events.xlsx").write_text("x")
    with pytest.raises(AnalyticsError) as info:
        read_events(tmp_path / "events.xlsx")
    assert info.value.code == "unknown_format"


def test_read_events_reads_csv_with_the_default_column_names(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    frame().to_csv(path, index=False)
    events = read_events(path, timezone="America/Toronto")
    assert len(events) == 3 and set(events["category"]) == {"Assault", "Robbery"}


def test_an_unknown_time_zone_is_refused() -> None:
    with pytest.raises(AnalyticsError) as info:
        prepare_events(frame(), timezone="Mars/Olympus_Mons")
    assert info.value.code == "unknown_timezone"
