"""`tansiq analytics`: crime-pattern analysis from the command line.

Thin glue: read and validate the events file, build the grid, call the estimators of
:mod:`tansiq.analytics`, write tables or GeoJSON.  Errors from the engine are printed in English
and Arabic and exit with status 2.
"""

from __future__ import annotations

import functools
import inspect
import json
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TypeVar

import pandas as pd
import typer

from tansiq.analytics import (
    DEFAULT_COVERAGES,
    DEFAULT_METHOD,
    METHODS,
    AnalyticsError,
    AnalyticsWarning,
    GetisOrdGiStar,
    History,
    KernelDensity,
    KnoxTest,
    PatrolPlan,
    cell_table,
    evaluate,
    make_methods,
    make_predictor,
    patrol_geojson,
    read_events,
    write_cells,
    write_geojson,
)

app = typer.Typer(
    help="Crime-pattern analytics: hotspots, near-repeat, prediction.", no_args_is_help=True
)

T = TypeVar("T")

EventsOpt = Annotated[Path, typer.Option("--events", help="CSV or Parquet file, one row per event")]
TimeCol = Annotated[str, typer.Option(help="Column with the event time")]
LatCol = Annotated[str, typer.Option(help="Column with WGS84 latitude")]
LonCol = Annotated[str, typer.Option(help="Column with WGS84 longitude")]
XCol = Annotated[str | None, typer.Option(help="Column with projected x (instead of lat/lon)")]
YCol = Annotated[str | None, typer.Option(help="Column with projected y (instead of lat/lon)")]
CatCol = Annotated[str, typer.Option(help="Column with the category; '' for none")]
CrsOpt = Annotated[str, typer.Option("--crs", help="Projected CRS of the grid")]
TzOpt = Annotated[
    str | None,
    typer.Option(help="IANA zone of the local day; naive times are taken as local time"),
]
CellOpt = Annotated[float, typer.Option(help="Cell size in metres")]
CatsOpt = Annotated[
    str | None, typer.Option("--categories", help="Comma-separated categories to keep")
]


@dataclass
class Source:
    """How to read the events: the file, its column mapping, the grid, the categories kept."""

    events: Path
    categories: str | None
    cell_size: float
    crs: str
    time_col: str
    lat_col: str
    lon_col: str
    x_col: str | None
    y_col: str | None
    category_col: str
    timezone: str | None

    def load(self) -> History:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", AnalyticsWarning)
            frame = read_events(
                self.events,
                time=self.time_col,
                lat=self.lat_col,
                lon=self.lon_col,
                x=self.x_col,
                y=self.y_col,
                category=self.category_col or None,
                crs=self.crs,
                timezone=self.timezone,
            )
        for warning in caught:
            typer.echo(f"note: {warning.message}", err=True)
        # The grid covers every event, so maps of one category line up with maps of all.
        history = History.on_study_grid(frame, self.cell_size, self.crs)
        chosen = _split(self.categories)
        return history.with_categories(chosen) if chosen else history


def _source_options(
    events: EventsOpt,
    categories: CatsOpt = None,
    cell_size: CellOpt = 150.0,
    crs: CrsOpt = "EPSG:32617",
    time_col: TimeCol = "occurred_at",
    lat_col: LatCol = "lat",
    lon_col: LonCol = "lon",
    x_col: XCol = None,
    y_col: YCol = None,
    category_col: CatCol = "category",
    timezone: TzOpt = None,
) -> Source:
    """The options every command shares, declared once (see :func:`with_source`)."""
    return Source(**locals())


def with_source(command: Callable[..., T]) -> Callable[..., T]:
    """Give a command taking ``source: Source`` the shared options instead: ``--events`` first,
    then the command's own options, then categories, grid and column mapping (the order
    ``--help`` shows)."""
    shared = list(inspect.signature(_source_options, eval_str=True).parameters.values())
    own = [
        p
        for p in inspect.signature(command, eval_str=True).parameters.values()
        if p.name != "source"
    ]
    params = [
        p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in [shared[0], *own, *shared[1:]]
    ]
    names = [p.name for p in shared]

    @functools.wraps(command)
    def wrapper(**kwargs: Any) -> T:
        source = _source_options(**{name: kwargs.pop(name) for name in names})
        return command(source=source, **kwargs)

    wrapper.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in params}
    return wrapper


ShiftOpt = Annotated[
    str | None,
    typer.Option(help="Only these local hours, e.g. 22-6 for a night shift (default: whole day)"),
]


def _split(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def _run(action: Callable[[], T]) -> T:
    try:
        return action()
    except AnalyticsError as exc:
        typer.echo(f"error [{exc.code}]: {exc.message_en}", err=True)
        typer.echo(f"خطأ [{exc.code}]: {exc.message_ar}", err=True)
        raise typer.Exit(2) from None


def _format_table(result: dict[str, Any]) -> str:
    cov = [f"{round(c * 100):g}%" for c in DEFAULT_COVERAGES]
    heads = ["method", *[f"HR@{c}" for c in cov], *[f"PAI@{c}" for c in cov], "s/day"]
    lines = [" | ".join(heads), " | ".join("---" for _ in heads)]
    for row in result["methods"]:
        hr, pai = row["hit_rate"], row["pai"]
        cells = [row["method"], *[f"{hr.get(c, float('nan')):.4f}" for c in cov]]
        cells += [f"{pai.get(c, float('nan')):.2f}" for c in cov]
        cells.append(f"{row['seconds_per_day']:.3f}")
        lines.append(" | ".join(cells))
    return "\n".join(f"| {line} |" for line in lines)


@app.command("evaluate")
@with_source
def evaluate_command(
    source: Source,
    methods: Annotated[
        str, typer.Option(help=f"Comma-separated methods; known: {', '.join(METHODS)}")
    ] = "naive,retrospective,prospective,sepp,decay",
    start: Annotated[str, typer.Option(help="First day predicted (YYYY-MM-DD)")] = "2019-09-01",
    days: Annotated[int, typer.Option(help="Number of days predicted")] = 60,
    output_format: Annotated[str, typer.Option("--format", help="table or json")] = "table",
) -> None:
    """Rolling-origin evaluation: hit rate and PAI at 1/5/10 % coverage, seconds per day."""

    def run() -> dict[str, Any]:
        if output_format not in {"table", "json"}:
            raise AnalyticsError(
                "unknown_format",
                f"Unknown --format '{output_format}'; use table or json",
                f"صيغة غير معروفة '{output_format}'؛ استخدم table أو json",
            )
        chosen = make_methods(_split(methods))
        return evaluate(chosen, source.load(), start, days).as_dict()

    result = _run(run)
    if output_format == "json":
        typer.echo(json.dumps(result))
    else:
        typer.echo(
            f"{result['days']} days from {result['start']}, "
            f"{result['study_cells']} study cells of {source.cell_size:g} m"
        )
        typer.echo(_format_table(result))


@app.command("predict")
@with_source
def predict_command(
    source: Source,
    at: Annotated[str, typer.Option(help="Day to predict (YYYY-MM-DD)")],
    out: Annotated[Path, typer.Option(help="Output .csv or .geojson")],
    method: Annotated[str, typer.Option(help=f"One of: {', '.join(METHODS)}")] = DEFAULT_METHOD,
    shift: ShiftOpt = None,
) -> None:
    """Risk per grid cell for one day, from events strictly before it."""

    def run() -> Path:
        predictor = make_predictor(method, shift)
        history = source.load()
        predictor.fit(history, at)
        table = cell_table(history.grid, {"risk": predictor.risk_})
        return write_cells(out, table, history.grid)

    typer.echo(f"wrote {_run(run)}")


@app.command("patrol")
@with_source
def patrol_command(
    source: Source,
    at: Annotated[str, typer.Option(help="Day (shift) to plan (YYYY-MM-DD)")],
    out: Annotated[Path, typer.Option(help="Output .geojson")],
    patrols: Annotated[int, typer.Option(help="Number of patrol areas")] = 5,
    cells_per_patrol: Annotated[int, typer.Option(help="Cells one patrol covers")] = 20,
    patrol_km2: Annotated[
        float | None, typer.Option(help="Area one patrol covers in km² (overrides cells)")
    ] = None,
    method: Annotated[str, typer.Option(help=f"One of: {', '.join(METHODS)}")] = DEFAULT_METHOD,
    shift: ShiftOpt = None,
) -> None:
    """N compact patrol areas from the predicted risk, with the expected share of crime."""

    def run() -> list[dict[str, Any]]:
        history = source.load()
        risk = make_predictor(method, shift).fit(history, at).risk_
        size = cells_per_patrol
        if patrol_km2 is not None:
            # Whole cells only: round to the nearest count, but never below one cell.
            size = max(1, round(patrol_km2 * 1e6 / source.cell_size**2))
        plan = PatrolPlan(patrols, size).fit(risk, history.grid)
        features = patrol_geojson(plan, history.grid)
        write_geojson(out, features)
        return features

    for feature in _run(run):
        props = feature["properties"]
        typer.echo(
            f"patrol {props['patrol']}: {props['cells']} cells, "
            f"expected share {props['expected_share']:.2%}"
        )
    typer.echo(f"wrote {out}")


@app.command("hotspots")
@with_source
def hotspots_command(
    source: Source,
    out: Annotated[Path, typer.Option(help="Output .csv or .geojson")],
    start: Annotated[str | None, typer.Option(help="First day (YYYY-MM-DD)")] = None,
    end: Annotated[str | None, typer.Option(help="Day after the last (YYYY-MM-DD)")] = None,
    bandwidth: Annotated[float, typer.Option(help="Kernel bandwidth in metres")] = 200.0,
    permutations: Annotated[int, typer.Option(help="Gi* permutations")] = 999,
    seed: Annotated[int, typer.Option(help="Random seed")] = 0,
) -> None:
    """Counts, kernel density and Getis-Ord Gi* hot/cold spots per cell over a period."""

    def run() -> tuple[Path, int, int]:
        history = source.load()
        kde = KernelDensity(bandwidth, start=start, end=end).fit(history)
        gi = GetisOrdGiStar(permutations, start=start, end=end, seed=seed).fit(history)
        grid = history.grid
        values = {"count": kde.counts_, "density_km2": kde.density_}
        for name, array in [("gi_z", gi.z_), ("gi_p_sim", gi.p_sim_), ("gi_p_norm", gi.p_norm_)]:
            full = pd.Series(0.0, index=range(grid.n_cells))
            full[gi.cells_] = array
            values[name] = full.to_numpy()
        flags = pd.Series("", index=range(grid.n_cells))
        flags[gi.cells_[gi.hot_]] = "hot"
        flags[gi.cells_[gi.cold_]] = "cold"
        values["gi_spot"] = flags.to_numpy()
        table = cell_table(grid, values).sort_values("gi_z", ascending=False, kind="stable")
        return write_cells(out, table, grid), int(gi.hot_.sum()), int(gi.cold_.sum())

    path, hot, cold = _run(run)
    typer.echo(f"{hot} hot and {cold} cold cells (Gi*, p < 0.05); wrote {path}")


@app.command("knox")
@with_source
def knox_command(
    source: Source,
    start: Annotated[str | None, typer.Option(help="First day (YYYY-MM-DD)")] = None,
    end: Annotated[str | None, typer.Option(help="Day after the last (YYYY-MM-DD)")] = None,
    space_bands: Annotated[
        str, typer.Option(help="Band edges in metres")
    ] = "0,1,200,400,600,800,1000",
    time_bands: Annotated[str, typer.Option(help="Band edges in days")] = "0,7,14,21,28,35",
    permutations: Annotated[int, typer.Option(help="Monte Carlo shuffles")] = 99,
    seed: Annotated[int, typer.Option(help="Random seed")] = 0,
    output_format: Annotated[str, typer.Option("--format", help="table or json")] = "table",
) -> None:
    """Knox near-repeat test over space and time bands (Near Repeat Calculator style)."""

    def numbers(text: str, what: str) -> list[float]:
        try:
            return [float(part) for part in _split(text)]
        except ValueError:
            raise AnalyticsError(
                "bad_bands",
                f"--{what} must be comma-separated numbers, got '{text}'",
                f"يجب أن تكون --{what} أرقاماً مفصولة بفواصل: '{text}'",
            ) from None

    def run() -> pd.DataFrame:
        test = KnoxTest(
            numbers(space_bands, "space-bands"),
            numbers(time_bands, "time-bands"),
            permutations,
            start=start,
            end=end,
            seed=seed,
        )
        return test.fit(source.load()).table_

    table = _run(run)
    if output_format == "json":
        typer.echo(table.to_json(orient="records"))
    else:
        typer.echo(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
        significant = table[table["significant"]]
        typer.echo(f"{len(significant)} band(s) with significant near-repeat risk", file=sys.stdout)
