"""Reading and validating event tables.

Every estimator works on one canonical frame: ``time`` (local wall-clock time, timezone-naive, so
that "a day" is the local calendar day the police count in), ``x``/``y`` in metres of a projected
CRS, and ``category``.  All input checks live here so that the estimators can trust their input
and every bad row is reported once, by its label, in English and Arabic.
"""

from __future__ import annotations

import warnings
import zoneinfo
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from tansiq.analytics.errors import AnalyticsError, AnalyticsWarning, describe_rows

__all__ = ["EVENT_COLUMNS", "prepare_events", "read_events", "to_lonlat"]

EVENT_COLUMNS = ("time", "x", "y", "category")


def read_events(path: str | Path, **mapping: object) -> pd.DataFrame:
    """Read a CSV or Parquet file and validate it with :func:`prepare_events`.

    Keyword arguments are passed on to :func:`prepare_events` (column mapping, CRS, zone).
    """
    path = Path(path)
    if not path.is_file():
        raise AnalyticsError(
            "file_not_found", f"Events file not found: {path}", f"ملف الأحداث غير موجود: {path}"
        )
    suffix = path.suffix.lower()
    if suffix in {".parquet", ".pq"}:
        frame = pd.read_parquet(path)
    elif suffix in {".csv", ".txt"}:
        frame = pd.read_csv(path)
    else:
        raise AnalyticsError(
            "unknown_format",
            f"Cannot read '{suffix}' files; use .csv or .parquet",
            f"لا يمكن قراءة ملفات '{suffix}'؛ استخدم ‎.csv أو ‎.parquet",
        )
    return prepare_events(frame, **mapping)  # type: ignore[arg-type]


def _require_columns(frame: pd.DataFrame, wanted: dict[str, str | None]) -> None:
    missing = [f"{role}='{name}'" for role, name in wanted.items() if name and name not in frame]
    if missing:
        available = ", ".join(map(str, frame.columns))
        raise AnalyticsError(
            "unknown_column",
            f"Column mapping names missing column(s) {', '.join(missing)}; available: {available}",
            f"ربط الأعمدة يشير إلى أعمدة غير موجودة {', '.join(missing)}؛ المتاح: {available}",
        )


def _parse_times(raw: pd.Series, column: str, timezone: str | None) -> pd.Series:
    if isinstance(raw.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(raw):
        parsed = raw
    else:
        # utc=True accepts strings with mixed offsets; naive strings are re-read below.
        text = raw.astype("string")
        has_zone = text.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$", regex=True, na=False)
        if has_zone.any() and not has_zone[raw.notna()].all():
            rows = describe_rows(list(raw.index[raw.notna() & ~has_zone]))
            raise AnalyticsError(
                "mixed_timezones",
                f"Column '{column}' mixes times with and without a zone offset; {rows}",
                f"العمود '{column}' يخلط أوقاتاً بمنطقة زمنية وأخرى بدونها؛ {rows}",
            )
        parsed = pd.to_datetime(text, errors="coerce", utc=bool(has_zone.any()), format="mixed")
    bad = parsed.isna()
    if bad.any():
        rows = describe_rows(list(raw.index[bad]))
        raise AnalyticsError(
            "unparseable_time",
            f"Missing or unparseable time in column '{column}': {rows}",
            f"وقت مفقود أو غير قابل للقراءة في العمود '{column}': {rows}",
        )
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        # Aware times are shown as wall-clock time of the requested zone (or their own zone).
        if timezone is not None:
            parsed = parsed.dt.tz_convert(timezone)
        local: pd.Series = parsed.dt.tz_localize(None).astype("datetime64[ns]")
        return local
    if timezone is None:
        warnings.warn(
            AnalyticsWarning(
                "naive_time_assumed_local",
                f"Times in column '{column}' have no time zone; they are taken as local wall-clock "
                "time of the study area and days are cut at local midnight",
                f"الأوقات في العمود '{column}' بلا منطقة زمنية؛ تُعامل كتوقيت محلي لمنطقة الدراسة "
                "ويبدأ اليوم عند منتصف الليل المحلي",
            ),
            stacklevel=3,
        )
    return parsed.astype("datetime64[ns]")


def _check_timezone(timezone: str | None) -> None:
    if timezone is None:
        return
    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise AnalyticsError(
            "unknown_timezone",
            f"Unknown time zone '{timezone}'; use an IANA name such as 'Asia/Kuwait'",
            f"منطقة زمنية غير معروفة '{timezone}'؛ استخدم اسماً مثل 'Asia/Kuwait'",
        ) from exc


def _numeric(frame: pd.DataFrame, columns: Sequence[str]) -> list[np.ndarray]:
    values = [pd.to_numeric(frame[c], errors="coerce").to_numpy(dtype=float) for c in columns]
    bad = ~np.all([np.isfinite(v) for v in values], axis=0)
    if bad.any():
        rows = describe_rows(list(frame.index[bad]))
        names = "/".join(columns)
        raise AnalyticsError(
            "unparseable_coordinates",
            f"Missing or unparseable coordinates in {names}: {rows}",
            f"إحداثيات مفقودة أو غير قابلة للقراءة في {names}: {rows}",
        )
    return values


def _crs(crs: str) -> CRS:
    try:
        parsed = CRS.from_user_input(crs)
    except CRSError as exc:
        raise AnalyticsError(
            "unknown_crs", f"Unknown CRS '{crs}': {exc}", f"نظام إحداثيات غير معروف '{crs}'"
        ) from exc
    if not parsed.is_projected:
        raise AnalyticsError(
            "crs_not_projected",
            f"CRS '{crs}' is not projected; grids need metres (e.g. a UTM zone)",
            f"نظام الإحداثيات '{crs}' غير مُسقَط؛ الشبكات تحتاج إلى الأمتار (مثل نطاق UTM)",
        )
    return parsed


def _check_area_of_use(index: pd.Index, lon: np.ndarray, lat: np.ndarray, crs: CRS) -> None:
    area = crs.area_of_use
    outside = (np.abs(lat) > 90) | (np.abs(lon) > 180)
    if area is not None:
        outside |= (lon < area.west) | (lon > area.east) | (lat < area.south) | (lat > area.north)
    if outside.any():
        rows = describe_rows(list(index[outside]))
        where = f" ({area.west}..{area.east} E, {area.south}..{area.north} N)" if area else ""
        raise AnalyticsError(
            "outside_crs_area",
            f"Events outside the valid area of {crs.to_string()}{where}: {rows}",
            f"أحداث خارج النطاق الصالح لنظام الإحداثيات {crs.to_string()}{where}: {rows}",
        )


def prepare_events(
    frame: pd.DataFrame,
    *,
    time: str = "occurred_at",
    lat: str | None = "lat",
    lon: str | None = "lon",
    x: str | None = None,
    y: str | None = None,
    category: str | None = "category",
    crs: str = "EPSG:32617",
    timezone: str | None = None,
) -> pd.DataFrame:
    """Validate an event table and return the canonical frame.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per event.
    time : str
        Column with the time of the event.  Timezone-aware times are converted to ``timezone``
        (or kept in their own zone) and then used as wall-clock time.  Naive times are taken as
        local wall-clock time of the study area; an :class:`AnalyticsWarning` says so unless
        ``timezone`` is given to confirm it.
    lat, lon : str
        WGS84 columns, projected to ``crs``.  Ignored when ``x`` and ``y`` are given.
    x, y : str, optional
        Columns already in metres of ``crs``.
    category : str, optional
        Category column; ``None`` puts every event in one category ``"all"``.
    crs : str
        Projected CRS of the analysis grid (EPSG:32617, UTM 17N, for Toronto).
    timezone : str, optional
        IANA zone of the local day, e.g. ``"America/Toronto"`` or ``"Asia/Kuwait"``.

    Returns
    -------
    pandas.DataFrame
        Columns ``time``, ``x``, ``y``, ``category``, ``lon``, ``lat``, sorted by time, with the
        input's index labels kept so that later messages can still name rows.

    Raises
    ------
    AnalyticsError
        On an unknown column, an unparseable time or coordinate, or an event outside the CRS's
        area of use.  The message names the offending rows.
    """
    projected = x is not None and y is not None
    wanted = {"time": time, "category": category}
    wanted |= {"x": x, "y": y} if projected else {"lat": lat, "lon": lon}
    if not projected and (lat is None or lon is None):
        raise AnalyticsError(
            "unknown_column",
            "Give either lat and lon columns or x and y columns",
            "حدّد عمودي خط العرض وخط الطول أو عمودي x و y",
        )
    _require_columns(frame, wanted)
    _check_timezone(timezone)
    target = _crs(crs)
    times = _parse_times(frame[time], time, timezone)
    to_xy = Transformer.from_crs("EPSG:4326", target, always_xy=True)
    if projected:
        xs, ys = _numeric(frame, [str(x), str(y)])
        lons, lats = to_xy.transform(xs, ys, direction="INVERSE")
    else:
        lats, lons = _numeric(frame, [str(lat), str(lon)])
    _check_area_of_use(frame.index, np.asarray(lons), np.asarray(lats), target)
    if not projected:
        xs, ys = to_xy.transform(lons, lats)
    cats = frame[category].astype("string").fillna("unknown") if category else "all"
    out = pd.DataFrame(
        {"time": times, "x": xs, "y": ys, "category": cats, "lon": lons, "lat": lats},
        index=frame.index,
    )
    out["category"] = out["category"].astype(str)
    return out.sort_values("time", kind="stable")


def to_lonlat(x: np.ndarray, y: np.ndarray, crs: str) -> tuple[np.ndarray, np.ndarray]:
    """Project metres of ``crs`` back to WGS84 longitude and latitude."""
    back = Transformer.from_crs(_crs(crs), "EPSG:4326", always_xy=True)
    lon, lat = back.transform(x, y)
    return np.asarray(lon), np.asarray(lat)
