"""Benchmark: the issue's rolling-origin evaluation of the next-day predictors.

Usage::

    python benchmarks/analytics_evaluate.py --events data/toronto_mci_2014_2019.parquet

(or set ``TANSIQ_ANALYTICS_EVENTS``).  Prints the table, then, as the last line, one JSON object
with every method's figures, the open_cp reference figures and the default method's gain over the
best of them.
"""

from __future__ import annotations

import argparse
import json
import os
import time
import warnings

from tansiq.analytics import DEFAULT_METHOD, History, evaluate, make_methods, read_events

# open_cp figures of the issue (same protocol, 60 days from 2019-09-01, all categories).
OPEN_CP_BEST = {"hit_rate_1%": 0.144, "hit_rate_5%": 0.361, "hit_rate_10%": 0.491, "pai_1%": 14.43}
METHODS = "naive,naive730,retrospective,prospective,sepp,decay+sepp,decay"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", default=os.environ.get("TANSIQ_ANALYTICS_EVENTS"))
    parser.add_argument("--start", default="2019-09-01")
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--methods", default=METHODS)
    args = parser.parse_args()
    if not args.events:
        parser.error("give --events or set TANSIQ_ANALYTICS_EVENTS")
    began = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = read_events(args.events)
    history = History.on_study_grid(frame, 150.0, "EPSG:32617")
    result = evaluate(make_methods(args.methods.split(",")), history, args.start, args.days)
    table = result.as_dict()
    print(f"{args.days} days from {args.start}; {table['study_cells']} study cells")
    print("method | HR@1% | HR@5% | HR@10% | PAI@1% | s/day")
    for row in table["methods"]:  # type: ignore[attr-defined]
        hr, pai = row["hit_rate"], row["pai"]
        print(
            f"{row['method']} | {hr['1%']:.4f} | {hr['5%']:.4f} | {hr['10%']:.4f} | "
            f"{pai['1%']:.2f} | {row['seconds_per_day']:.3f}"
        )
    summary: dict[str, object] = {"benchmark": "analytics_evaluate", **table}
    if DEFAULT_METHOD in result.scores:
        score = result.scores[DEFAULT_METHOD]
        mine = {
            "hit_rate_1%": score.hit_rate[0.01],
            "hit_rate_5%": score.hit_rate[0.05],
            "hit_rate_10%": score.hit_rate[0.10],
            "pai_1%": score.pai[0.01],
        }
        summary["default_method"] = DEFAULT_METHOD
        summary["open_cp_best"] = OPEN_CP_BEST
        summary["gain_over_open_cp_best"] = {
            k: round(v / OPEN_CP_BEST[k] - 1, 4) for k, v in mine.items()
        }
    summary["wall_seconds"] = round(time.perf_counter() - began, 1)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
