"""The overview, kernel-side: every chart's numbers against pandas on the same frame, and the
crossfilter a user drives by clicking bars, brushing the time chart and removing chips."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from widgetstate import sent_state  # tests/ is on sys.path

from ot_magic.client import OpenTrackerClient
from ot_magic.emulator import DEMO_LOGIN, DEMO_PASSWORD
from ot_magic.request import SessionsRequest
from ot_magic.result import SessionsResult
from ot_magic.views.crossfilter import TOP, Crossfilter
from ot_magic.views.map import PLACE_DECIMALS
from ot_magic.views.overview import build_overview
from ot_magic.views.results import build_view
from ot_magic.views.tree import widget_tree

DURATION_EDGES = [0, 10, 30, 60, 180, 600, 1800, 3600, np.inf]


@pytest.fixture(scope="module")
def client(emulator):
    with OpenTrackerClient(emulator.url, credentials=(DEMO_LOGIN, DEMO_PASSWORD)) as client:
        yield client


@pytest.fixture(scope="module")
def result(client):
    return client.sessions(SessionsRequest(date="2011-11-16", limit=1000))


@pytest.fixture(scope="module")
def df(result):
    return result.df


@pytest.fixture(scope="module")
def week(client):
    """Sessions of two days five days apart: a range the overview bins by the day."""
    frames = [
        client.sessions(SessionsRequest(date=d, limit=300)).df for d in ("2011-11-11", "2011-11-16")
    ]
    both = pd.concat(frames, ignore_index=True)
    both.attrs = frames[0].attrs
    return both


@pytest.fixture
def view(result):
    fresh = SessionsResult(result.df, result.request, client=result.client)
    return build_view(fresh, namespace={})


def counted(cf: Crossfilter, name: str) -> dict:
    """Chart ``name``'s sessions per value, every bar (not only the ones drawn)."""
    facet = cf.facets[name]
    return {
        value: int(n)
        for value, n in zip(facet.values, cf.counts(name, shown=False), strict=True)
        if n
    }


def as_dict(counts: pd.Series) -> dict:
    return {(None if pd.isna(k) else k): int(v) for k, v in counts.items() if v}


# --- each chart against pandas -------------------------------------------------------------------


def test_sessions_by_hour_match_pandas_in_the_answers_zone(df):
    cf = Crossfilter(df)
    facet = cf.facets["time"]
    assert facet.title == "Sessions by hour (EST)"
    expected = df.session_start_unix_timestamp.dt.floor("h").value_counts()
    got = counted(cf, "time")
    assert {pd.Timestamp(k).tz_localize(None): v for k, v in got.items()} == {
        k.tz_localize(None): int(v) for k, v in expected.items()
    }
    assert str(df.session_start_unix_timestamp.dt.tz) == "UTC-05:00"


def test_a_range_over_three_days_is_binned_by_the_day(week):
    cf = Crossfilter(week)
    assert cf.facets["time"].title.startswith("Sessions by day")
    expected = week.session_start_unix_timestamp.dt.floor("D").value_counts()
    assert {pd.Timestamp(k).date(): v for k, v in counted(cf, "time").items()} == {
        k.date(): int(v) for k, v in expected.items()
    }
    assert len(cf.facets["time"]) == 6  # every day from the first to the last, empty ones too


@pytest.mark.parametrize(
    ("chart", "reference"),
    [
        ("country", lambda df: df.country_code.value_counts()),
        ("referrer", lambda df: df.session_referrer_hostname.value_counts(dropna=False)),
        ("search", lambda df: df.session_search.value_counts()),
        ("entry", lambda df: df.entryPage.value_counts()),
        ("browser", lambda df: df.browser.str.split(" ").str[0].value_counts()),
        ("platform", lambda df: df.platform.value_counts()),
    ],
)
def test_each_category_chart_counts_what_value_counts_does(df, chart, reference):
    cf = Crossfilter(df)
    assert counted(cf, chart) == as_dict(reference(df))
    facet = cf.facets[chart]
    drawn = cf.counts(chart)
    others = np.delete(cf.counts(chart, shown=False), facet.shown)
    assert len(drawn) == min(TOP, len(counted(cf, chart)))
    assert list(drawn) == sorted(drawn, reverse=True)  # the most frequent first
    assert not len(others) or drawn.min() >= others.max()


def test_country_bars_read_flag_and_name(df):
    facet = Crossfilter(df).facets["country"]
    us = facet.values.index("US")
    assert facet.labels[us] == "\U0001f1fa\U0001f1f8 United States"


def test_referrers_mark_search_engines_and_count_direct_visits(df):
    facet = Crossfilter(df).facets["referrer"]
    google = facet.values.index("google")
    assert facet.labels[google] == "google (search)"
    assert facet.labels[facet.values.index(None)] == "(direct)"
    searched = set(df.session_referrer_hostname[df.session_search.notna()].dropna())
    marked = {v for v, label in zip(facet.values, facet.labels, strict=True) if "(search)" in label}
    assert marked == searched


def test_new_and_returning_visitors_match_pandas(df):
    cf = Crossfilter(df)
    returning = int((df.number_visits > 1).sum())
    assert counted(cf, "visitors") == {"new": len(df) - returning, "returning": returning}


def test_duration_histogram_matches_pandas_with_single_page_visits_as_their_own_bar(df):
    cf = Crossfilter(df)
    facet = cf.facets["duration"]
    single = df.single_event  # s.e.: 0 s, flagged by the frame
    seconds = df.duration.dt.total_seconds()[~single]
    binned = pd.cut(seconds, DURATION_EDGES, right=False).value_counts(sort=False)
    assert facet.labels[0] == "single page"
    assert list(cf.counts("duration")) == [int(single.sum()), *binned.astype(int).tolist()]
    assert cf.counts("duration").sum() == len(df)


# --- the crossfilter ---------------------------------------------------------------------------


def test_a_filter_counts_every_other_chart_on_the_filtered_sessions(df):
    cf = Crossfilter(df)
    before = counted(cf, "country")
    cf.select("country", ["US"])
    us = df[df.country_code.eq("US").fillna(False)]
    assert counted(cf, "platform") == as_dict(us.platform.value_counts())
    assert counted(cf, "referrer") == as_dict(
        us.session_referrer_hostname.value_counts(dropna=False)
    )
    assert counted(cf, "country") == before  # its own bars stay, to add others
    cf.select("browser", ["Firefox"])
    both = us[us.browser.str.startswith("Firefox")]
    assert counted(cf, "platform") == as_dict(both.platform.value_counts())
    assert counted(cf, "country") == as_dict(
        df[df.browser.str.startswith("Firefox")].country_code.value_counts()
    )
    assert cf.filtered.index.equals(both.index)


def test_the_expression_gives_the_filtered_frame(df):
    cf = Crossfilter(df)
    cf.select("country", ["US", "GB"])
    cf.select("referrer", ["google", None])
    cf.choose("duration", [0, 1, 2, 5])
    cf.select("visitors", ["new"])
    cf.choose("time", [0, 1])
    expression = cf.expression
    assert expression.startswith('df[df.country_code.isin(["US", "GB"]) & ')
    assert "df.single_event" in expression and "pd.Timestamp(" in expression
    selected = eval(expression, {"df": df, "pd": pd})
    assert len(selected) > 0
    assert selected.index.equals(cf.filtered.index)


def test_one_value_reads_as_eq(df):
    cf = Crossfilter(df)
    cf.select("country", ["US"])
    assert cf.expression == 'df[df.country_code.eq("US")]'


def test_clicking_a_bar_filters_the_table_and_the_map_and_its_chip_restores_them(view, df):
    overview, table, m = view.overview, view.table, view.map
    assert len(table.rows) == len(df) and overview.chips.children == ()
    all_points = {tuple(c) for f in m.points.data["features"] for c in f["geometry"]["coordinates"]}
    bars = overview.bars["country"]
    us = overview.facets["country"].values.index("US")
    bars.selected = [list(overview.facets["country"].shown).index(us)]  # what a click sends

    us_rows = np.flatnonzero(df.country_code.eq("US").fillna(False).to_numpy())
    assert table.rows.tolist() == us_rows.tolist()
    assert table.grid.data.shape[0] == len(us_rows)
    assert f"{len(us_rows):,} of {len(df):,} sessions" in table.info.value
    located = df.iloc[us_rows][["latitude", "longitude"]].dropna().round(PLACE_DECIMALS)
    points = {tuple(c) for f in m.points.data["features"] for c in f["geometry"]["coordinates"]}
    assert points == {(lon, lat) for lat, lon in located.itertuples(index=False)}
    assert points < all_points
    assert f"{len(located):,} sessions" in m.legend.value
    assert result_of(view).filtered.index.equals(df.index[us_rows])

    (chip,) = overview.chips.children
    assert "United States" in chip.description
    assert 'df.country_code.eq("US")' in overview.line.value
    chip.click()
    assert overview.chips.children == () and bars.selected is None
    assert len(table.rows) == len(df)
    restored = {tuple(c) for f in m.points.data["features"] for c in f["geometry"]["coordinates"]}
    assert restored == all_points


def result_of(view):
    """A result whose overview is the view's (as the magic's result is its own view's)."""
    fresh = SessionsResult(view.overview.df)
    fresh.__dict__["overview"] = view.overview
    return fresh


def test_brushing_the_time_chart_keeps_the_sessions_of_the_span(view, df):
    overview = view.overview
    local = df.session_start_unix_timestamp.dt.tz_localize(None)
    start = local.min().floor("h") + pd.Timedelta("1h10min")
    end = start + pd.Timedelta("1h30min")
    overview.brush.brushing = True
    overview.brush.selected = np.array([start, end], dtype="datetime64[ms]")
    assert overview.crossfilter.chosen == {}  # nothing while the brush moves
    overview.brush.brushing = False
    expected = df[(local >= start.floor("h")) & (local < end.floor("h") + pd.Timedelta("1h"))]
    assert view.table.rows.tolist() == [df.index.get_loc(i) for i in expected.index]
    assert overview.filtered.index.equals(expected.index)
    first, last = f"{start.floor('h'):%Y-%m-%d %H:%M}", f"{end.floor('h'):%Y-%m-%d %H:%M}"
    assert len(expected) > 0
    chip = overview.chips.children[0].description
    assert chip.startswith(f"Sessions by hour: {first} – {last}")
    overview.clear()
    assert overview.brush.selected is None and len(view.table.rows) == len(df)


def test_two_filters_show_a_clear_all_chip(view):
    overview = view.overview
    overview.select("browser", ["Chrome"])
    overview.select("visitors", ["returning"])
    assert [c.description for c in overview.chips.children][-1] == "clear all"
    overview.chips.children[-1].click()
    assert overview.chips.children == () and overview.expression == "df"


def test_the_result_has_its_overview_and_its_filtered_frame(result):
    fresh = SessionsResult(result.df, result.request)
    assert fresh.filtered is fresh.df  # no overview built, nothing filtered
    fresh.overview.select("platform", ["Windows 7"])
    assert fresh.filtered.platform.eq("Windows 7").all()
    assert len(fresh.filtered) == int(result.df.platform.eq("Windows 7").sum())


def test_overview_state_does_not_grow_with_the_sessions(df):
    """The same sessions twenty times over: the same widgets, the same state but for digits."""
    many = df.iloc[np.tile(np.arange(len(df)), 20)].reset_index(drop=True)
    many.attrs = df.attrs
    sizes = []
    for frame in (df, many):
        tree = widget_tree(build_overview(frame))
        state = b"".join(sent_state(w)[0] for w in tree)
        sizes.append((len(tree), len(state)))
    assert sizes[0][0] == sizes[1][0]
    assert abs(sizes[1][1] - sizes[0][1]) < 400  # counts have a digit or two more


def test_an_overview_of_some_charts_only(df):
    overview = build_overview(df, charts=["search"])
    assert list(overview.bars) == ["search"]
    assert list(overview.bars["search"].y) == df.session_search.value_counts().head(TOP).tolist()
    with pytest.raises(ValueError, match="charts: expected some of time, country"):
        build_overview(df, charts=["hours"])


def test_a_row_selected_in_the_filtered_table_is_its_row_of_the_frame(view, df):
    view.overview.select("country", ["GB"])
    gb = np.flatnonzero(df.country_code.eq("GB").fillna(False).to_numpy())
    view.table.grid.selections = [{"r1": 1, "c1": 0, "r2": 1, "c2": 0}]  # the grid's 2nd row
    assert view.table.selected == [int(gb[1])]
    assert view.drilldown.session_row() == int(gb[1])


def test_a_single_event_column_marks_single_page_visits_when_the_frame_has_one(df):
    marked = df.assign(single_event=df.duration.isna() & df.pages_viewed.le(1).fillna(False))
    cf = Crossfilter(marked)
    assert cf.counts("duration")[0] == int(marked.single_event.sum())
    cf.choose("duration", [0, 2])
    assert "df.single_event" in cf.expression
    selected = eval(cf.expression, {"df": marked, "pd": pd})
    assert selected.index.equals(cf.filtered.index)
