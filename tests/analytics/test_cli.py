"""`tansiq analytics` commands on the committed downtown-Toronto sample."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from tansiq.cli.analytics import app

runner = CliRunner()


def run(*args: str | Path) -> tuple[int, str, str]:
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def test_predict_writes_one_row_per_cell_with_snapped_centres(
    sample_path: Path, tmp_path: Path
) -> None:
    out = tmp_path / "risk.csv"
    code, _stdout, stderr = run(
        "predict",
        "--events",
        sample_path,
        "--at",
        "2019-09-01",
        "--cell-size",
        "150",
        "--crs",
        "EPSG:32617",
        "--out",
        out,
    )
    assert code == 0, stderr
    assert "no time zone" in stderr  # the documented assumption is shown
    table = pd.read_csv(out)
    assert {"x", "y", "lat", "lon", "risk"} <= set(table.columns)
    # Centres sit half a cell from an origin that is a multiple of the cell size.
    assert np.allclose((table["x"] - 75) % 150, 0) and np.allclose((table["y"] - 75) % 150, 0)
    assert table["lat"].between(43.6, 43.7).all() and table["lon"].between(-79.45, -79.35).all()
    assert table["risk"].is_monotonic_decreasing and table["risk"].iloc[0] > 0


def test_predict_writes_geojson_for_gis_tools(sample_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "risk.geojson"
    code, _, stderr = run(
        "predict",
        "--events",
        sample_path,
        "--at",
        "2019-09-01",
        "--method",
        "sepp",
        "--out",
        out,
        "--timezone",
        "America/Toronto",
    )
    assert code == 0, stderr
    collection = json.loads(out.read_text())
    feature = collection["features"][0]
    assert feature["geometry"]["type"] == "Polygon"
    assert {"x", "y", "lat", "lon", "risk", "rank"} <= set(feature["properties"])


def test_evaluate_prints_json_with_hit_rates_and_pai(sample_path: Path) -> None:
    code, stdout, stderr = run(
        "evaluate",
        "--events",
        sample_path,
        "--methods",
        "naive,decay",
        "--start",
        "2019-09-01",
        "--days",
        "3",
        "--format",
        "json",
        "--timezone",
        "America/Toronto",
    )
    assert code == 0, stderr
    result = json.loads(stdout)
    assert [m["method"] for m in result["methods"]] == ["naive", "decay"]
    assert set(result["methods"][0]["pai"]) == {"1%", "5%", "10%"}


def test_evaluate_prints_a_table_by_default(sample_path: Path) -> None:
    code, stdout, _ = run("evaluate", "--events", sample_path, "--methods", "naive", "--days", "2")
    assert code == 0
    assert "| naive |" in stdout and "HR@1%" in stdout


def test_an_unknown_method_fails_in_english_and_arabic(sample_path: Path) -> None:
    code, _, stderr = run("evaluate", "--events", sample_path, "--methods", "naive,oracle")
    assert code == 2
    assert "Unknown method 'oracle'" in stderr and "طريقة غير معروفة" in stderr


def test_an_unknown_column_mapping_fails_naming_the_column(
    sample_path: Path, tmp_path: Path
) -> None:
    code, _, stderr = run(
        "predict",
        "--events",
        sample_path,
        "--at",
        "2019-09-01",
        "--time-col",
        "reported",
        "--out",
        tmp_path / "x.csv",
    )
    assert code == 2
    assert "time='reported'" in stderr


def test_patrol_writes_areas_with_their_expected_share(sample_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "patrols.geojson"
    code, _stdout, stderr = run(
        "patrol",
        "--events",
        sample_path,
        "--at",
        "2019-09-01",
        "--patrols",
        "3",
        "--cells-per-patrol",
        "6",
        "--out",
        out,
    )
    assert code == 0, stderr
    features = json.loads(out.read_text())["features"]
    assert [f["properties"]["patrol"] for f in features] == [1, 2, 3]
    shares = [f["properties"]["expected_share"] for f in features]
    assert all(0 < s < 1 for s in shares) and shares == sorted(shares, reverse=True)


def test_hotspots_and_knox_run_on_a_period(sample_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "hot.csv"
    code, stdout, stderr = run(
        "hotspots",
        "--events",
        sample_path,
        "--start",
        "2019-01-01",
        "--end",
        "2019-07-01",
        "--permutations",
        "99",
        "--out",
        out,
    )
    assert code == 0, stderr
    table = pd.read_csv(out)
    assert {"count", "density_km2", "gi_z", "gi_p_sim", "gi_spot"} <= set(table.columns)
    code, stdout, stderr = run(
        "knox",
        "--events",
        sample_path,
        "--start",
        "2019-01-01",
        "--end",
        "2019-04-01",
        "--permutations",
        "19",
        "--format",
        "json",
    )
    assert code == 0, stderr
    assert {"observed", "expected", "p_value"} <= set(json.loads(stdout)[0])


def test_predict_for_a_night_shift_scales_the_day_by_night_shares(
    sample_path: Path, tmp_path: Path
) -> None:
    day, night = tmp_path / "day.csv", tmp_path / "night.csv"
    common = ["predict", "--events", sample_path, "--at", "2019-09-01"]
    assert run(*common, "--out", day)[0] == 0
    code, _, stderr = run(*common, "--shift", "22-6", "--out", night)
    assert code == 0, stderr
    both = pd.read_csv(day).merge(pd.read_csv(night), on="cell", suffixes=("_day", "_night"))
    assert (both["risk_night"] < both["risk_day"]).all()
    code, _, stderr = run(*common, "--shift", "night", "--out", night)
    assert code == 2 and "22-6" in stderr


def test_patrol_size_can_be_given_as_an_area(sample_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "patrols.geojson"
    code, _, stderr = run(
        "patrol",
        "--events",
        sample_path,
        "--at",
        "2019-09-01",
        "--patrols",
        "2",
        "--patrol-km2",
        "0.2",
        "--out",
        out,
    )
    assert code == 0, stderr
    # 0.2 km² at 150 m cells (0.0225 km² each) is 9 cells.
    assert [f["properties"]["cells"] for f in json.loads(out.read_text())["features"]] == [9, 9]


def test_every_command_takes_the_shared_event_and_grid_options() -> None:
    shared = ["--events", "--categories", "--cell-size", "--crs", "--time-col", "--lat-col"]
    shared += ["--lon-col", "--x-col", "--y-col", "--category-col", "--timezone"]
    for command in ["evaluate", "predict", "patrol", "hotspots", "knox"]:
        code, stdout, _ = run(command, "--help")
        assert code == 0
        # --events comes first, the shared grid and mapping options last, as before.
        positions = [stdout.index(option) for option in shared]
        assert positions[1:] == sorted(positions[1:]) and positions[0] < positions[1], command


def test_categories_narrow_hotspots_as_they_narrow_predictions(
    sample_path: Path, tmp_path: Path
) -> None:
    out = tmp_path / "robbery.csv"
    code, _, stderr = run(
        "hotspots",
        "--events",
        sample_path,
        "--categories",
        "Robbery",
        "--out",
        out,
        "--permutations",
        "9",
    )
    assert code == 0, stderr
    robbery = pd.read_parquet(sample_path).query("category == 'Robbery'")
    assert pd.read_csv(out)["count"].sum() == len(robbery)
    code, _, stderr = run("knox", "--events", sample_path, "--categories", "Nothing")
    assert code == 2 and "unknown_category" in stderr
