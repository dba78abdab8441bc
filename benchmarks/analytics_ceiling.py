"""How far can ranking by long-term counts go?  An oracle that is *allowed to see the future*.

For every day of the window, cells are ranked by their event count over a window centred on
that day (``--half-width`` days before and after, the day itself excluded), i.e. by an
estimate of each cell's long-term rate that uses the future.  This is not a predictor; it
bounds what any method built on persistent per-cell rates can reach under the protocol.

Usage::

    python benchmarks/analytics_ceiling.py --events data/toronto_mci_2014_2019.parquet

The last printed line is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import warnings

import numpy as np
import pandas as pd

from tansiq.analytics import History, hits_at_coverage, read_events

COVERAGES = (0.01, 0.05, 0.10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", default=os.environ.get("TANSIQ_ANALYTICS_EVENTS"))
    parser.add_argument("--start", default="2019-09-01")
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--half-width", type=int, nargs="+", default=[182, 365])
    args = parser.parse_args()
    if not args.events:
        parser.error("give --events or set TANSIQ_ANALYTICS_EVENTS")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        history = History.on_study_grid(read_events(args.events), 150.0, "EPSG:32617")
    cells = history.grid.study_cells
    ks = [math.floor(c * len(cells)) for c in COVERAGES]
    summary: dict[str, object] = {"benchmark": "analytics_ceiling", "start": args.start}
    for half in args.half_width:
        rates = []
        for offset in range(args.days):
            day = pd.Timestamp(args.start) + pd.Timedelta(days=offset)
            today = history.on_day(day).in_study_area()
            if len(today) == 0:
                continue
            around = history.between(day - pd.Timedelta(days=half), day + pd.Timedelta(days=half))
            risk = (around.cell_counts() - today.cell_counts())[cells]
            observed = today.cell_counts()[cells]
            rates.append([hits_at_coverage(risk, observed, k) / len(today) for k in ks])
        mean = np.mean(rates, axis=0)
        label = f"centred_{2 * half}_days"
        summary[label] = {
            f"{round(c * 100)}%": round(float(v), 4) for c, v in zip(COVERAGES, mean, strict=True)
        }
        print(label, summary[label])
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
