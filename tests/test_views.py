"""The results views, kernel-side: what a user would check in the table, on the map, between
them, in the drill-down and in the summary line, on real answers of the emulator."""

from __future__ import annotations

import datetime as dt
import itertools

import ipywidgets as widgets
import numpy as np
import pandas as pd
import pytest
from ipyleaflet import AttributionControl, GeoJSON, Heatmap, TileLayer, ZoomControl
from widgetstate import live_widgets, sent_text  # tests/ is on sys.path

from ot_magic.client import OpenTrackerClient
from ot_magic.emulator import DEMO_LOGIN, DEMO_PASSWORD, Emulator
from ot_magic.params import PARAMS
from ot_magic.request import SessionsRequest
from ot_magic.result import SessionsResult
from ot_magic.views.basemap import base_layers, world_outlines
from ot_magic.views.columns import short_url
from ot_magic.views.map import PLACE_DECIMALS, build_map
from ot_magic.views.table import DATETIME_FORMAT, build_table
from ot_magic.views.tree import widget_tree

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


@pytest.fixture(scope="module")
def evening_emulator():
    """An emulator whose clock reads 18:00 UTC on the day asked for, so the latest visitors
    are still online."""
    evening = dt.datetime(2011, 11, 16, 18, 0, tzinfo=dt.timezone.utc).timestamp()
    with Emulator(clock=lambda: evening) as emulator:
        yield emulator


@pytest.fixture(scope="module")
def client(evening_emulator):
    credentials = (DEMO_LOGIN, DEMO_PASSWORD)
    with OpenTrackerClient(evening_emulator.url, credentials=credentials) as client:
        yield client


@pytest.fixture(scope="module")
def result(client):
    return client.sessions(SessionsRequest(date="2011-11-16", limit=1000))


@pytest.fixture
def view(result):
    """A fresh linked display of the result (the result's own ``view`` is built only once)."""
    from ot_magic.views.results import build_view

    fresh = SessionsResult(
        result.df, result.request, result.next_token, result.pages, result.elapsed,
        client=result.client,
    )  # fmt: skip
    return build_view(fresh, namespace={})


def widget_count() -> int:
    return len(live_widgets())


def located_rows(df) -> set[int]:
    return set(np.flatnonzero(df["latitude"].notna() & df["longitude"].notna()).tolist())


def click(layer: GeoJSON, lat: float, lon: float, event: str = "click") -> None:
    """What the browser sends when a point of ``layer`` at (lat, lon) is clicked or hovered."""
    for feature in layer.data["features"]:
        if [lon, lat] in feature["geometry"]["coordinates"]:
            content = {
                "event": event,
                "feature": feature,
                "properties": feature["properties"],
                "coordinates": [lat + 0.001, lon - 0.001],
            }
            layer._handle_mouse_events(None, content, None)
            return
    raise AssertionError(f"no point at {lat}, {lon}")


def place_of(df, row: int) -> tuple[float, float]:
    return (
        float(np.round(df["latitude"].iloc[row], PLACE_DECIMALS)),
        float(np.round(df["longitude"].iloc[row], PLACE_DECIMALS)),
    )


def shared_place_rows(df) -> list[int]:
    """The rows of the first place where several sessions were, per the frame itself."""
    keys = df[["latitude", "longitude"]].round(PLACE_DECIMALS)
    sizes = keys.dropna().groupby(["latitude", "longitude"]).size()
    lat, lon = sizes[sizes > 1].index[0]
    return np.flatnonzero((keys["latitude"] == lat) & (keys["longitude"] == lon)).tolist()


# --- table -------------------------------------------------------------------------------------


def test_table_starts_with_the_session_start_then_shows_the_answers_visible_columns(result):
    df = result.df
    table = build_table(result)
    hidden = set(df.attrs["hidden"]) | {"visits", "pageviews"}
    visible = [c for c in df.columns if c not in hidden]
    pages_at = visible.index("visits_pageviews")
    expected = [
        "session_start_unix_timestamp",
        *visible[:pages_at],
        "visits",
        "pageviews",
        *visible[pages_at + 1 :],
    ]
    assert table.columns == expected
    assert "latitude" not in table.columns and "visit_id" not in table.columns
    labels = df.attrs["labels"]
    renamed = {
        "session_start_unix_timestamp": "started",
        "flag": "country",
        "visits": "visits",
        "pageviews": "page views",
    }
    assert table.headers == [renamed.get(c) or labels[c] for c in expected]
    assert table.headers[:2] == ["started", "last event"]
    assert "current page (exit page)" in table.headers


def as_browser_shows(wall_clock_ms: float) -> str:
    """A datetime cell as the browser draws it: the table's renderer formats the wall-clock
    milliseconds with ``utcFormat(cell.value, DATETIME_FORMAT)``."""
    return f"{pd.Timestamp(int(wall_clock_ms), unit='ms'):%Y-%m-%d %H:%M:%S}"


def test_the_first_column_and_the_rows_order_agree_newest_start_first(result):
    assert build_table(result).grid.data["started"].is_monotonic_decreasing


def test_last_event_is_a_datetime_that_sorts_as_time(result):
    df = result.df
    grid = build_table(result).grid
    shown = grid.data["last event"]
    assert (
        as_browser_shows(shown.iloc[0]) == f"{df['eventUnixTimestamp'].iloc[0]:%Y-%m-%d %H:%M:%S}"
    )
    renderer = grid.renderers["last event"]
    assert renderer is grid.renderers["started"]
    assert f"utcFormat(cell.value, '{DATETIME_FORMAT}')" in renderer.text_value.value
    assert DATETIME_FORMAT == "%Y-%m-%d %H:%M:%S"
    # the values are the times' own order (the browser shows them in the answer's zone)
    assert [as_browser_shows(v) for v in sorted(shown)] == [
        f"{t:%Y-%m-%d %H:%M:%S}" for t in df["eventUnixTimestamp"].sort_values()
    ]
    # sorted kernel-side (a click on the header), the latest event comes first
    grid.transform([{"type": "sort", "column": "last event", "desc": True}])
    assert df["eventUnixTimestamp"].iloc[grid.view_index()[0]] == df["eventUnixTimestamp"].max()


def test_status_reads_online_or_offline_in_colour(result):
    df = result.df
    table = build_table(result)
    status = table.grid.data["status"]
    online = df["user_status"].eq("online").to_numpy()
    assert online.any() and not online.all()
    assert set(status[online]) == {"● online"} and set(status[~online]) == {"○ offline"}
    assert not status.str.contains("puppet").any()
    colour = table.grid.renderers["status"].text_color
    assert "online" in colour.value and "#" in colour.value


def test_country_is_a_flag_and_a_name(result):
    df = result.df
    country = build_table(result).grid.data["country"]
    row = int(np.flatnonzero(df["country_code"].eq("US").fillna(False).to_numpy())[0])
    assert country.iloc[row] == "\U0001f1fa\U0001f1f8 United States"
    assert not country.str.fullmatch(r"[a-z]{2}").any()


def test_a_subset_keeping_every_category_shows_only_its_own_values(result):
    df = result.df
    us = df[df["country_code"].eq("US").fillna(False)].reset_index(drop=True)
    us.attrs = df.attrs
    assert len(us.country_code.cat.categories) > 1  # the other countries are unused categories
    shown = build_table(us).grid.data
    assert set(shown["country"]) == {"\U0001f1fa\U0001f1f8 United States"}
    rowwise = short_url(us["currentPage"].astype(object)).tolist()  # each row on its own
    assert shown["current page (exit page)"].tolist() == rowwise


def test_single_page_visits_read_single_page_and_counts_have_separators(result):
    df = result.df
    table = build_table(result)
    duration = table.grid.data["duration"]
    single = df["single_event"].to_numpy(dtype=bool)
    assert single.any()
    assert set(duration[single]) == {"single page"}
    assert not duration.eq("").any()
    number = table.grid.renderers["visits"]
    assert number.format == ",d" and table.grid.renderers["page views"] is number


def test_counts_in_lines_are_plural_only_when_more_than_one(result):
    one = result.df.iloc[[0]]
    one.attrs = result.df.attrs
    assert "1 session ·" in build_table(one).info.value
    assert f"{len(result.df):,} sessions ·" in build_table(result).info.value


def test_hidden_columns_are_shown_through_the_chooser(result):
    table = build_table(result)
    assert "city" in table.chooser.allowed_tags and "city" not in table.columns
    table.chooser.value = [*table.chooser.value, "city", "user_status"]
    shown = table.grid.data
    assert list(shown.columns[-2:]) == ["city", "status (user_status)"]  # two "status" labels
    assert shown["city"].tolist() == result.df["city"].astype(object).fillna("").tolist()


def test_table_shows_durations_datetimes_and_short_urls_readably(result):
    df = result.df
    table = build_table(result)
    shown = table.grid.data
    row = int(np.flatnonzero(df["duration"].notna())[0])
    seconds = int(df["duration"].iloc[row].total_seconds())
    expected = f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    assert shown["duration"].iloc[row] == expected
    started = df["session_start_unix_timestamp"].iloc[0]
    assert as_browser_shows(shown["started"].iloc[0]) == f"{started:%Y-%m-%d %H:%M:%S}"
    page = shown["current page (exit page)"]
    assert not page.str.startswith("http").any()
    assert page.str.len().max() <= 48


def test_selecting_a_row_shows_its_full_addresses_in_the_info_line(result):
    table = build_table(result)
    table.grid.selections = [{"r1": 5, "c1": 0, "r2": 5, "c2": 3}]
    assert table.selected == [5]
    assert result.df["currentPage"].iloc[5] in table.info.value


def test_grid_selection_in_a_sorted_view_maps_back_to_the_frames_rows(result):
    df = result.df
    table = build_table(result)
    # A click on the "page views" header sorts kernel-side, most pages first.
    table.grid.transform([{"type": "sort", "column": "page views", "desc": True}])
    order = table.grid.view_index().tolist()
    assert df["pageviews"].iloc[order].is_monotonic_decreasing
    table.grid.selections = [{"r1": 0, "c1": 0, "r2": 1, "c2": 0}]
    assert table.selected == order[:2]
    assert df["pageviews"].iloc[table.selected[0]] == df["pageviews"].max()
    table.select_rows([order[10]])
    assert table.grid.selections == [{"r1": 10, "c1": 0, "r2": 10, "c2": len(table.columns) - 1}]


def test_rows_hidden_by_the_grids_filters_are_told_not_silently_unselected(result):
    table = build_table(result)
    # the grid filtered (kernel-side) down to the rows of one country
    country = table.grid.data["country"]
    table.grid.transform([{"type": "filter", "column": "country", "operator": "=",
                           "value": country.iloc[1]}])  # fmt: skip
    other = np.flatnonzero(country.to_numpy() != country.iloc[1])[:2].tolist()
    table.select_rows([1, *other])
    assert table.selected == [1]
    assert "2 more hidden by the table's filters" in table.info.value


# --- map ---------------------------------------------------------------------------------------


def test_one_geojson_layer_holds_exactly_the_located_sessions(result):
    df = result.df
    m = build_map(result, basemap="offline")
    point_layers = [
        layer
        for layer in m.layers
        if isinstance(layer, GeoJSON)
        and any(f["geometry"]["type"].endswith("Point") for f in layer.data.get("features", []))
    ]
    assert point_layers == [m.points]
    drawn = {tuple(c) for f in m.points.data["features"] for c in f["geometry"]["coordinates"]}
    expected = {place_of(df, r)[::-1] for r in located_rows(df)}
    assert drawn == expected
    rows = {int(r) for p in range(len(m.places)) for r in m.places.sessions(p)}
    assert rows == located_rows(df)


def test_sessions_without_a_location_are_counted_on_the_map(result):
    df = result.df
    m = build_map(result, basemap="offline")
    missing = len(df) - len(located_rows(df))
    assert missing > 0 and m.missing == missing
    assert f"<b>{missing:,}</b> without a location" in m.legend.value


def test_sessions_at_the_same_place_are_one_point_listing_them_all(result):
    df = result.df
    m = build_map(result, basemap="offline")
    rows = shared_place_rows(df)
    lat, lon = place_of(df, rows[0])
    click(m.points, lat, lon)
    assert m.picked == rows
    assert f"{len(rows)} sessions" in m.info.value


def test_hovering_a_point_shows_the_profile_of_its_session(result):
    df = result.df
    m = build_map(result, basemap="offline")
    keys = df[["latitude", "longitude"]].round(PLACE_DECIMALS)
    alone = keys.dropna().drop_duplicates(keep=False).index
    row = int(df.index.get_loc(alone[0]))
    click(m.points, *place_of(df, row), event="mouseover")
    assert df["city"].iloc[row] in m.info.value
    assert "browser" in m.info.value and str(df["browser"].iloc[row]) in m.info.value
    assert m.picked == []  # hovering selects nothing


def test_points_are_styled_by_status_and_sized_by_pages(result):
    m = build_map(result, basemap="offline")
    styles = {
        (f["properties"]["online"], f["properties"]["size"]): f["properties"]["style"]
        for f in m.points.data["features"]
    }
    assert {online for online, _ in styles} == {True, False}
    assert len({s["fillColor"] for s in styles.values()}) == 2
    by_size = sorted((size, s["radius"]) for (_, size), s in styles.items())
    assert [r for _, r in by_size] == sorted(r for _, r in by_size)
    assert "online" in m.legend.value and "offline" in m.legend.value


def test_a_frame_without_coordinates_maps_no_point_and_counts_every_session(result):
    df = result.df.drop(columns=["latitude", "longitude"])
    m = build_map(df, basemap="offline")
    assert m.points.data["features"] == [] and m.missing == len(df)
    assert f"<b>{len(df):,}</b> without a location" in m.legend.value


def test_view_is_fitted_to_the_sessions(result):
    one = min(located_rows(result.df))
    m = build_map(result.df.iloc[[one]], basemap="offline")
    assert m.center == pytest.approx(list(place_of(result.df, one)))
    assert m.zoom >= 4
    everywhere = build_map(result, basemap="offline")
    lats, lons = everywhere.places.lat, everywhere.places.lon
    assert everywhere.zoom <= 3  # sessions from several continents
    assert lats.min() <= everywhere.center[0] <= lats.max()
    assert lons.min() <= everywhere.center[1] <= lons.max()


def test_widget_count_is_the_same_for_100_and_all_sessions(result):
    build_map(result.df.head(10), basemap="offline")  # the layouts and layer maps share, made once
    counts = []
    for df in (result.df.head(100), result.df):
        before = widget_count()
        m = build_map(df, basemap="offline")
        counts.append((len(widget_tree(m)), widget_count() - before))
    assert counts[0] == counts[1]
    assert counts[1][0] <= 30


def test_outlines_draw_no_line_across_the_world():
    """A ring that jumps 360° twice crosses the antimeridian: Leaflet would draw it across the
    map (Antarctica's one jump is its closing edge along the bottom)."""
    for feature in world_outlines()["features"]:
        geometry = feature["geometry"]
        polygons = geometry["coordinates"]
        for polygon in polygons if geometry["type"] == "MultiPolygon" else [polygons]:
            for ring in polygon:
                jumps = sum(abs(a[0] - b[0]) > 180 for a, b in itertools.pairwise(ring))
                assert jumps <= 1, feature["properties"]["name"]


def test_map_has_one_zoom_control(result):
    m = build_map(result, basemap="offline")
    assert sum(isinstance(c, ZoomControl) for c in m.controls) == 1
    assert sum(isinstance(c, AttributionControl) for c in m.controls) == 1


def test_maps_share_one_outlines_layer_that_closing_a_view_keeps(result):
    from ot_magic.views.tree import close_tree

    first, second = (build_map(result, basemap="offline") for _ in range(2))
    assert first.layers[0] is second.layers[0]
    close_tree(first)
    assert first.comm is None and first.points.comm is None
    assert second.layers[0].comm is not None


def test_displays_share_the_layouts_they_never_change_and_closing_one_keeps_them(view, result):
    """Each widget's own layout would be a model of about 1 KB more in a saved notebook."""
    from ot_magic.views.results import build_view
    from ot_magic.views.tree import close_tree, widget_tree

    layouts = [w for w in widget_tree(view) if isinstance(w, widgets.Layout)]
    assert len(layouts) <= 16, len(layouts)  # 32 when each widget had its own
    charts = [fig for fig in view.overview.children[-1].children]
    assert len(charts) > 3 and len({id(fig.layout) for fig in charts}) == 1
    assert len({id(fig.scale_x) for fig in charts} | {id(fig.scale_y) for fig in charts}) == 1
    # the views a user may restyle keep layouts of their own
    own = (view, view.overview, view.table, view.table.grid, view.map)
    assert len({id(w.layout) for w in own}) == len(own)
    other = build_view(SessionsResult(result.df, result.request), namespace={})
    assert other.summary.layout is view.summary.layout
    close_tree(view)
    assert view.summary.comm is None and other.summary.layout.comm is not None
    assert charts[0].layout.comm is not None


def test_heatmap_is_built_on_first_toggle_and_removed_when_off(result):
    m = build_map(result, basemap="offline")
    assert m.heatmap is None and not any(isinstance(layer, Heatmap) for layer in m.layers)
    m.heatmap_toggle.value = True
    assert isinstance(m.heatmap, Heatmap) and m.heatmap in m.layers
    assert sum(int(n) for _, _, n in m.heatmap.locations) == len(located_rows(result.df))
    m.heatmap_toggle.value = False
    assert m.heatmap not in m.layers


def test_offline_basemap_is_country_outlines_without_tiles(result, monkeypatch):
    layers = base_layers("offline")
    assert len(layers) == 1 and layers[0].url.startswith("data:image/svg+xml,")
    assert layers[0].url.count("M") > 170, "a ring a country at least"
    assert len(world_outlines()["features"]) > 170
    monkeypatch.delenv("OT_BASEMAP", raising=False)
    m = build_map(result)  # the default asks no tile server
    assert not any(isinstance(layer, TileLayer) for layer in m.layers)
    assert 'fill="%23f4f1ea"' in m.layers[0].url  # land
    tiles, lines = base_layers("tiles")  # with internet: tiles under unfilled outlines
    assert isinstance(tiles, TileLayer) and "openstreetmap" in tiles.url
    assert 'fill="none"' in lines.url
    with pytest.raises(ValueError, match="basemap: expected one of auto, offline, tiles"):
        build_map(result, basemap="satellite")


def test_the_default_basemap_opens_no_connection_unless_ot_basemap_asks_for_tiles(
    result, monkeypatch
):
    def no_connection(*args, **kwargs):
        raise AssertionError(f"a map opened a connection to {args[0]}")

    monkeypatch.setattr("socket.create_connection", no_connection)
    monkeypatch.delenv("OT_BASEMAP", raising=False)
    assert not any(isinstance(layer, TileLayer) for layer in build_map(result).layers)
    monkeypatch.setenv("OT_BASEMAP", "tiles")
    assert isinstance(build_map(result).layers[0], TileLayer)


# --- linking -----------------------------------------------------------------------------------


def test_selecting_rows_in_the_table_rings_their_places_and_fits_the_map(view, result):
    df = result.df
    rows = sorted(located_rows(df))[:2]
    view.table.grid.selections = [{"r1": r, "c1": 0, "r2": r, "c2": 0} for r in rows]
    ringed = {
        tuple(c) for f in view.map.selection.data["features"] for c in f["geometry"]["coordinates"]
    }
    assert ringed == {place_of(df, r)[::-1] for r in rows}
    lats = [place_of(df, r)[0] for r in rows]
    assert min(lats) <= view.map.center[0] <= max(lats)
    view.table.grid.selections = []
    assert view.map.selection.data["features"] == []
    nowhere = min(set(range(len(df))) - located_rows(df))
    view.table.select_rows([nowhere])
    assert view.map.selection.data["features"] == []
    assert "1 of the 1 selected session has no location" in view.map.info.value


def test_clicking_a_point_selects_its_rows_in_the_table(view, result):
    df = result.df
    rows = shared_place_rows(df)
    view.table.grid.transform([{"type": "sort", "column": "started", "desc": False}])
    order = view.table.grid.view_index().tolist()  # the grid sorted oldest first
    assert order != list(range(len(df)))
    click(view.map.points, *place_of(df, rows[0]))
    assert sorted(view.table.selected) == rows
    selected_view_rows = {
        r for rect in view.table.grid.selections for r in range(rect["r1"], rect["r2"] + 1)
    }
    assert {order[r] for r in selected_view_rows} == set(rows)


# --- drill-down --------------------------------------------------------------------------------


def test_page_views_of_the_selected_session_come_from_the_emulator(view, result):
    drill = view.drilldown
    assert drill.page_views_button.disabled  # nothing selected yet
    view.table.select_rows([3])
    assert not drill.page_views_button.disabled
    drill.page_views_button.click()
    visit = result.df["visit_id"].iloc[3]
    assert len(drill.result.df) >= 1
    assert set(drill.result.df["visit_id"]) == {visit}
    assert drill.result_view in drill.children
    assert drill.result_view.table.data.shape[0] == len(drill.result.df)
    views = len(drill.result.df)
    counted = f"{views} page view{'s' * (views != 1)} of the visit of row 3"  # "1 page view"
    assert counted in drill.status.value
    assert drill.save("clicks") == f"saved as clicks ({len(drill.result.df)} rows)"
    assert drill.namespace["clicks"] is drill.result.df


def test_visitors_sessions_of_the_selected_session_come_from_the_emulator(view, result):
    drill = view.drilldown
    view.table.select_rows([7])
    drill.visitor_button.click()
    visitor = result.df["machine_idx"].iloc[7]
    assert len(drill.result.df) >= 1
    assert set(drill.result.df["machine_idx"]) == {visitor}
    assert drill.save_name.value == "ot_visitor_sessions"
    drill.save_button.click()
    assert drill.namespace["ot_visitor_sessions"] is drill.result.df


def test_page_views_show_a_page_view_table_and_the_path_of_the_visit(view, result):
    df = result.df
    row = int(np.flatnonzero(df["pages_viewed"].fillna(0).to_numpy() >= 4)[0])
    view.table.select_rows([row])
    view.drilldown.page_views_button.click()
    pages = view.drilldown.result.df.sort_values("eventUnixTimestamp")
    shown = view.drilldown.result_view
    assert list(shown.table.data.columns) == ["time", "page", "title", "time on page", "referrer"]
    assert shown.table.data["time"].tolist() == [
        f"{t:%Y-%m-%d %H:%M:%S}" for t in pages["eventUnixTimestamp"]
    ]
    assert shown.table.data["title"].tolist() == pages["currentTitle"].tolist()
    assert shown.table.data["page"].iloc[0] in short_page(pages["currentPage"].iloc[0])
    referrer = pages["session_referrer"].iloc[0]
    assert set(shown.table.data["referrer"]) == {"" if pd.isna(referrer) else short_page(referrer)}
    path = shown.path.value
    assert path.index("<b>entry</b>") < path.index("<b>2</b>") < path.index("<b>exit</b>")
    assert path.count(" → ") == len(pages) - 1
    assert f"{len(pages)} page views" in shown.line.value
    assert "sessions" not in shown.line.value  # not the sessions table's footer


def short_page(url: str) -> str:
    return short_url(pd.Series([url]), width=60).iloc[0]


def test_visitors_sessions_show_the_journey_on_a_time_axis(view, result):
    from bqplot import DateScale

    df = result.df
    returning = int(np.flatnonzero(df["number_visits"].fillna(0).to_numpy() > 2)[0])
    view.table.select_rows([returning])
    view.drilldown.visitor_button.click()
    sessions = view.drilldown.result.df
    journey = view.drilldown.result_view
    assert isinstance(journey.segments.scales["x"], DateScale)
    starts = sessions["session_start_unix_timestamp"].dt.tz_localize(None).sort_values()
    assert [pd.Timestamp(x) for x in journey.points.x] == starts.dt.floor("ms").tolist()
    assert len(journey.segments.x) == len(sessions)
    assert f"{len(sessions)} sessions" in journey.figure.title
    assert journey.table.grid.data.shape[0] == len(sessions)


def test_drill_down_save_refuses_a_name_that_is_not_python(view):
    drill = view.drilldown
    view.table.select_rows([0])
    drill.page_views_button.click()
    assert "is not a Python name" in drill.save("2 bad")
    assert "is not a Python name" in drill.save("class")
    assert drill.namespace == {}


def test_drill_down_replaces_its_table_instead_of_piling_widgets(view):
    drill = view.drilldown
    view.table.select_rows([1])
    drill.page_views_button.click()
    before = widget_count()
    for _ in range(3):
        drill.page_views_button.click()
    assert widget_count() == before


def test_drill_down_shows_an_api_error_in_one_line(view, evening_emulator):
    view.table.select_rows([4])
    evening_emulator.faults.update(error_text=True)  # the API answers "Error: <exception>: ..."
    try:
        view.drilldown.page_views_button.click()
    finally:
        evening_emulator.faults.reset()
    status = view.drilldown.status.value
    assert "color:#b00" in status and "\n" not in status and "Traceback" not in status
    assert view.drilldown.result is None and not view.drilldown.page_views_button.disabled


def test_drill_down_needs_a_client(result):
    from ot_magic.views.results import build_view

    detached = SessionsResult(result.df)
    view = build_view(detached, namespace={})
    view.table.select_rows([0])
    assert view.drilldown.page_views_button.disabled
    assert "no client" in view.drilldown.page_views_button.tooltip


# --- the result's display ----------------------------------------------------------------------


def test_summary_line_tells_sessions_dates_site_zone_pages_and_missing_locations(result):
    df = result.df
    line = result.summary()
    missing = len(df) - len(located_rows(df))
    started = df["session_start_unix_timestamp"]
    assert line.startswith(f"{len(df):,} sessions · {started.min():%Y-%m-%d %H:%M} – ")
    assert "www.opentracker.net" in line and f"time zone {PARAMS['timeZone'].default}" in line
    assert f"1 page in {result.elapsed:.2f} s" in line
    assert f"{missing:,} without a location" in line


def test_display_is_summary_then_overview_linked_table_drilldown_and_map_built_once(result):
    bundle = result._repr_mimebundle_()
    assert bundle["text/plain"] == result.summary()
    assert bundle[WIDGET_MIME]["model_id"] == result.view.model_id
    assert result.view.children == (
        result.view.summary,
        result.overview,
        result.table,
        result.view.drilldown,
        result.map,
    )
    assert result._repr_mimebundle_()[WIDGET_MIME]["model_id"] == result.view.model_id


def test_a_result_without_sessions_shows_a_line_and_no_widgets(result):
    empty = result.df.iloc[:0]
    empty.attrs = result.df.attrs
    before = widget_count()
    bundle = SessionsResult(empty)._repr_mimebundle_()
    assert WIDGET_MIME not in bundle
    assert "No sessions matched" in bundle["text/plain"]
    assert widget_count() == before


def test_no_credential_in_any_widget_state(view, client):
    view.table.select_rows([2])
    view.drilldown.page_views_button.click()
    view.map.heatmap_toggle.value = True
    ticket = client.login_ticket()
    every = live_widgets()
    assert len(every) > 30
    for widget in every:
        text = sent_text(widget)
        assert DEMO_PASSWORD not in text
        assert ticket not in text


def test_the_magics_result_shows_linked_views_and_saves_into_the_shells_namespace(ip):
    cell = ip.run_cell("%%otsessions --demo --out visits\ndate = 2011-11-16\nlimit = 200\n")
    result = cell.result
    bundle = result._repr_mimebundle_()
    assert bundle["text/plain"].startswith("200 sessions · ")
    assert bundle[WIDGET_MIME]["model_id"] == result.view.model_id
    result.view.table.select_rows([0])
    result.view.drilldown.visitor_button.click()
    assert result.view.drilldown.save("first_visitor").startswith("saved as first_visitor")
    assert ip.user_ns["first_visitor"] is result.view.drilldown.result.df
    assert set(ip.user_ns["first_visitor"]["machine_idx"]) == {ip.user_ns["visits"].machine_idx[0]}
