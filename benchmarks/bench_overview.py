"""The overview on a million sessions, kernel-side, against counting each chart with pandas.

The million rows are 20,000 emulator sessions (a week of ``www.opentracker.net``, parsed by
``parse_sessions``) repeated 50 times: the same columns, types and value spread as an answer.

- build: ``build_overview`` (every chart's codes, counts and bqplot widgets, their state packed
  as the kernel sends it) against the obvious way, a ``value_counts`` per chart on the columns
  each chart shows (the browser's family and the hour taken with pandas' own string and time
  methods, durations with ``pd.cut``);
- click: a bar clicked with the table and the map linked, until all three show the filtered
  sessions (the grid's and the map's new state packed as sent), against the obvious way of
  re-filtering: ``df[mask]`` and the ``value_counts`` of every chart again;
- widget state: the packed state of every widget of the overview, a million sessions against
  20,000 (it must not grow with the sessions).

    python -m benchmarks.bench_overview
"""

from __future__ import annotations

import statistics
import time
from typing import Any

REPEAT = 50
RUNS = 3
TARGET_BUILD_S, TARGET_CLICK_S = 1.0, 0.3
CLICKS = (["US"], ["GB"], ["IN"], ["CA"])


def million() -> Any:
    """20,000 emulator sessions repeated to a million rows (the answer's attrs kept)."""
    import numpy as np

    from benchmarks.bench_views import sessions

    base = sessions()
    big = base.iloc[np.tile(np.arange(len(base)), REPEAT)].reset_index(drop=True)
    big.attrs = base.attrs
    return base, big


def value_counts_per_chart(df: Any) -> list:
    """The baseline: each chart's numbers with pandas, one ``value_counts`` a chart."""
    import numpy as np
    import pandas as pd

    edges = [0, 10, 30, 60, 180, 600, 1800, 3600, np.inf]
    return [
        df.session_start_unix_timestamp.dt.floor("h").value_counts(),
        df.country_code.value_counts(),
        df.session_referrer_hostname.value_counts(dropna=False),
        df.session_search.value_counts(),
        df.entryPage.value_counts(),
        df.browser.str.split(" ").str[0].value_counts(),
        df.platform.value_counts(),
        (df.number_visits > 1).value_counts(),
        pd.cut(df.duration.dt.total_seconds(), edges, right=False).value_counts(dropna=False),
    ]


def _packed(widgets: list) -> int:
    from tests.widgetstate import sent_state

    return sum(len(sent_state(w)[0]) for w in widgets)


def measure() -> list[dict]:
    """Rows for the README: build time, click time, widget state."""
    from benchmarks.bench_views import built, timed
    from ot_magic.views.linking import crossfilter
    from ot_magic.views.map import build_map
    from ot_magic.views.overview import build_overview
    from ot_magic.views.table import build_table
    from ot_magic.views.tree import widget_tree

    base, df = million()
    n = len(df)
    timed(lambda: build_overview(base))  # warm-up: imports, first-use caches

    build_times, baseline_times = [], []
    for _ in range(RUNS):  # interleaved, so both see the same machine
        build_times.append(timed(lambda: build_overview(df)))
        start = time.perf_counter()
        value_counts_per_chart(df)
        baseline_times.append(time.perf_counter() - start)
    build_s, baseline_s = statistics.median(build_times), statistics.median(baseline_times)

    _, overview, _ = built(lambda: build_overview(df))
    table, map_ = build_table(df), build_map(df, basemap="offline")
    crossfilter(overview, table, map_)
    click_times, naive_times, matching = [], [], []
    for values in CLICKS * 2:
        start = time.perf_counter()
        overview.select("country", values)
        _packed([table.grid, map_.points])
        click_times.append(time.perf_counter() - start)
        matching.append(table.matching)
        start = time.perf_counter()
        value_counts_per_chart(df[df.country_code.isin(values)])
        naive_times.append(time.perf_counter() - start)
    click_s, naive_s = statistics.median(click_times), statistics.median(naive_times)
    held = len(table.rows)

    small_state = _packed(widget_tree(build_overview(base)))
    big_state = _packed(widget_tree(overview))
    charts = len(overview.bars)
    return [
        {
            "figure": f"overview of {n:,} sessions ({charts} charts) built kernel-side, "
            "widget state packed",
            "value": round(build_s, 3),
            "unit": "s",
            "baseline": f"{baseline_s:.2f} s: a pandas value_counts per chart",
            "ratio": round(baseline_s / build_s, 2),
            "target": f"<= {TARGET_BUILD_S} s",
            "ok": build_s <= TARGET_BUILD_S,
        },
        {
            "figure": f"a bar clicked on the overview of {n:,} sessions: charts, table (holds "
            f"the first {held:,} of {min(matching):,}–{max(matching):,}) and map re-filtered, "
            "their state packed",
            "value": round(click_s, 3),
            "unit": "s",
            "baseline": f"{naive_s:.2f} s: df[mask] and a pandas value_counts per chart "
            "(charts only)",
            "ratio": round(naive_s / click_s, 2),
            "target": f"<= {TARGET_CLICK_S} s",
            "ok": click_s <= TARGET_CLICK_S,
        },
        {
            "figure": f"widget state of the overview (every widget, packed), {n:,} sessions",
            "value": round(big_state / 1024, 1),
            "unit": "KiB",
            "baseline": f"{small_state / 1024:.1f} KiB: the same overview of {len(base):,} sessions",
            "ratio": round(big_state / small_state, 3),
            "target": "<= 1.05 × the state for 20,000 sessions",
            "ok": big_state <= 1.05 * small_state,
        },
    ]


if __name__ == "__main__":
    for row in measure():
        print(row)
