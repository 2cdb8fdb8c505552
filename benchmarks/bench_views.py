"""The results views on 20,000 emulator sessions, kernel-side, against the obvious ways.

The rows are the emulator's own (a week of ``www.opentracker.net``, read without HTTP and parsed
by ``parse_sessions``). "Built" means constructed (each widget's state produced and its buffers
separated as it opens its comm) *and* that state packed to JSON as the kernel sends it
(jupyter_client's packer): what a notebook waits for before the browser gets anything. Each time is the
median of interleaved runs, after one warm-up build (imports and first-use caches aside).

- map: ``build_map`` (one GeoJSON layer of places) against one ``ipyleaflet.Marker`` per
  located session (``map.layers`` assigned once, not ``add`` in a loop). The Markers are
  measured on the first 2,000 located sessions (20,000 take minutes) and scaled per point to
  20,000: the ratio is that per-point time against ours;
- widgets of the map (every widget its state refers to: layers, controls, layouts, styles;
  the country outlines' layer, shared by every map of a kernel, included), for 100 and for
  20,000 sessions;
- widget state per session: the JSON of the map's point layers (places + selection) over the
  sessions, against one GeoJSON Feature per session with an index and its style (the direct
  encoding) on the same rows; the whole map's state (outlines included) is given in the text;
- table: ``build_table`` (the answer's visible columns, readable) against ``DataGrid(df)`` of the
  raw frame; and the whole display of a result (summary, overview, table, drill-down, map,
  linked).

    python -m benchmarks.bench_views
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from typing import Any

ROWS = 20_000
SMALL = 100
MARKER_POINTS = 2_000
RUNS = 5
TARGET_MAP_S, TARGET_MAP_SPEEDUP = 0.3, 30
TARGET_WIDGETS, TARGET_BYTES = 30, 75
TARGET_TABLE_S = 0.5


def sessions(rows: int = ROWS) -> Any:
    """``rows`` emulator sessions as the typed DataFrame users get."""
    from benchmarks.bench_frame import emulator_answer
    from ot_magic.frame import parse_sessions

    return parse_sessions(emulator_answer(rows)).df


def _widgets() -> dict:
    from tests.widgetstate import live_widgets

    return {widget.model_id: widget for widget in live_widgets()}


def _encoded(widget: Any) -> bytes:
    from tests.widgetstate import sent_state

    return sent_state(widget)[0]


def built(make: Callable[[], Any]) -> tuple[float, Any, list]:
    """Seconds to make a view, plus the JSON packing of every widget it created (the state
    itself was already produced when each widget opened its comm, as in a kernel)."""
    from jupyter_client.session import json_packer

    from tests.widgetstate import split_state

    before = _widgets()
    gc.collect()  # no collection owed by an earlier run lands in this one
    start = time.perf_counter()
    view = make()
    made = time.perf_counter() - start
    new = [w for key, w in _widgets().items() if key not in before]
    states = [split_state(w)[0] for w in new]
    start = time.perf_counter()
    for state in states:
        json_packer(state)
    return made + time.perf_counter() - start, view, new


def timed(make: Callable[[], Any]) -> float:
    """Like :func:`built`, closing what was made (so runs do not pile up widgets) but what
    views share (the outlines' layer, made by a kernel's first map)."""
    from ot_magic.views.tree import SHARED

    seconds, _, new = built(make)
    for widget in new:
        if not getattr(widget, SHARED, False):
            widget.close()
    return seconds


def _median(make: Callable[[], Any], runs: int = RUNS) -> float:
    return statistics.median(timed(make) for _ in range(runs))


def markers(df: Any) -> Any:
    """The baseline: one Marker widget per located session, the layers assigned once."""
    from ipyleaflet import Map, Marker

    m = Map(prefer_canvas=True)
    points = df[["latitude", "longitude"]].dropna().to_numpy()
    m.layers = (*m.layers, *(Marker(location=(float(a), float(b))) for a, b in points))
    return m


def feature_per_session_bytes(df: Any) -> int:
    """The direct encoding: a Point Feature per located session with its row index and style."""
    from jupyter_client.session import json_packer

    from ot_magic.views.map import OFFLINE_COLOR, ONLINE_COLOR, RADII

    located = df[["latitude", "longitude"]].dropna()
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [round(lon, 4), round(lat, 4)]},
            "properties": {
                "i": int(i),
                "style": {
                    "radius": RADII[1],
                    "fillColor": ONLINE_COLOR if i % 9 else OFFLINE_COLOR,
                },
            },
        }
        for i, (lat, lon) in zip(located.index, located.to_numpy(), strict=True)
    ]
    return len(json_packer({"data": {"type": "FeatureCollection", "features": features}}))


def measure() -> list[dict]:
    """Rows for the README: map time, widgets, bytes per session, table time."""
    from ipydatagrid import DataGrid

    from ot_magic.result import SessionsResult
    from ot_magic.views.basemap import outline_layer
    from ot_magic.views.map import build_map
    from ot_magic.views.results import build_view
    from ot_magic.views.table import build_table
    from ot_magic.views.tree import widget_tree

    df = sessions()
    n = len(df)
    small = df.head(SMALL)
    small.attrs = df.attrs
    located = int(df[["latitude", "longitude"]].notna().all(axis=1).sum())

    marker_rows = df[df[["latitude", "longitude"]].notna().all(axis=1)].head(MARKER_POINTS)
    marker_points = len(marker_rows)
    timed(lambda: build_map(small, basemap="offline"))  # warm-up
    timed(lambda: build_table(small))
    timed(lambda: markers(small))

    map_times, marker_times = [], []
    for _ in range(RUNS):  # interleaved, so both see the same machine
        map_times.append(timed(lambda: build_map(df, basemap="offline")))
        marker_times.append(timed(lambda: markers(marker_rows)))
    map_s = statistics.median(map_times)
    outline_layer(filled=True).close()  # as in a fresh kernel: this map makes the outlines
    first_map_s = timed(lambda: build_map(df, basemap="offline"))
    marker_s = statistics.median(marker_times)
    markers_for_all = marker_s / marker_points * located

    _, big_map, big_new = built(lambda: build_map(df, basemap="offline"))
    _, small_map, small_new = built(lambda: build_map(small, basemap="offline"))
    big_widgets, small_widgets = widget_tree(big_map), widget_tree(small_map)
    points_bytes = sum(len(_encoded(layer)) for layer in (big_map.points, big_map.selection))
    whole_bytes = sum(len(_encoded(w)) for w in big_widgets)
    direct_bytes = feature_per_session_bytes(df)

    table_s = _median(lambda: build_table(df))
    display_s = _median(lambda: build_view(SessionsResult(df)))
    raw_grid_s = _median(lambda: DataGrid(df), runs=3)

    return [
        {
            "figure": f"map of {n:,} sessions ({located:,} located, {len(big_map.places):,} places) "
            "built kernel-side (one GeoJSON layer; a kernel's first map, which also makes the "
            f"country outlines: {first_map_s:.3f} s)",
            "value": round(map_s, 3),
            "unit": "s",
            "baseline": f"{markers_for_all:.2f} s: one ipyleaflet Marker per located session "
            f"({marker_s:.2f} s for {marker_points:,}, scaled per point to {located:,})",
            "ratio": round(markers_for_all / map_s, 1),
            "target": f"<= {TARGET_MAP_S} s and >= {TARGET_MAP_SPEEDUP}× faster than Markers",
            "ok": map_s <= TARGET_MAP_S and markers_for_all / map_s >= TARGET_MAP_SPEEDUP,
        },
        {
            "figure": f"widgets of the map (controls included) for {n:,} sessions; new in "
            f"ipywidgets.Widget.widgets per map: {len(big_new)} ({len(small_new)} for {SMALL})",
            "value": len(big_widgets),
            "unit": "widgets",
            "baseline": f"{len(small_widgets)} widgets: the same map of {SMALL} sessions",
            "ratio": round(len(big_widgets) / len(small_widgets), 2),
            "target": f"same as for {SMALL} sessions and <= {TARGET_WIDGETS}",
            "ok": len(big_widgets) == len(small_widgets) <= TARGET_WIDGETS
            and len(big_new) == len(small_new),
        },
        {
            "figure": f"widget state per session of the map's point layers, {n:,} sessions "
            f"(whole map, country outlines included: {whole_bytes / n:.1f} B/session)",
            "value": round(points_bytes / n, 1),
            "unit": "B/session",
            "baseline": f"{direct_bytes / n:.1f} B/session: a GeoJSON Feature per session "
            "with its index and style",
            "ratio": round(points_bytes / direct_bytes, 3),
            "target": f"<= {TARGET_BYTES} B/session",
            "ok": points_bytes / n <= TARGET_BYTES,
        },
        {
            "figure": f"table of {n:,} sessions ready kernel-side (visible columns, readable)",
            "value": round(table_s, 3),
            "unit": "s",
            "baseline": f"{raw_grid_s:.2f} s: DataGrid(df) of the raw frame",
            "ratio": round(raw_grid_s / table_s, 1),
            "target": f"<= {TARGET_TABLE_S} s",
            "ok": table_s <= TARGET_TABLE_S,
        },
        {
            "figure": f"the whole display of {n:,} sessions (summary, overview, table, drill-down, map, "
            "linked): what showing a result costs",
            "value": round(display_s, 3),
            "unit": "s",
            "baseline": f"{raw_grid_s:.2f} s: DataGrid(df) of the raw frame alone",
            "ratio": round(raw_grid_s / display_s, 1),
            "target": f"<= {TARGET_TABLE_S + TARGET_MAP_S} s (table and map targets together)",
            "ok": display_s <= TARGET_TABLE_S + TARGET_MAP_S,
        },
    ]


if __name__ == "__main__":
    for row in measure():
        print(row)
