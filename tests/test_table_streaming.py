"""The streaming table at a million sessions, kernel-side: every row held, none in the widget
state, sorting and filtering by the grid's transforms, the overview's filter, the column chooser
and selections working on the whole frame.

The million rows are the emulator's 1,000 sessions of a day (its real HTTP server on loopback),
repeated: the same columns, types and value spread as an answer.
"""

from __future__ import annotations

import numpy as np
import pytest
from widgetstate import sent_bytes  # tests/ is on sys.path

from ot_magic import OpenTrackerClient, SessionsRequest
from ot_magic.emulator import DEMO_LOGIN, DEMO_PASSWORD
from ot_magic.views.table import build_table
from ot_magic.views.tree import widget_tree

MILLION = 1_000_000


@pytest.fixture(scope="module")
def day(emulator):
    with OpenTrackerClient(emulator.url, credentials=(DEMO_LOGIN, DEMO_PASSWORD)) as client:
        return client.sessions(SessionsRequest(date="2011-11-16", limit=1000)).df


@pytest.fixture(scope="module")
def million(day):
    big = day.iloc[np.resize(np.arange(len(day)), MILLION)].reset_index(drop=True)
    big.attrs = day.attrs
    return big


@pytest.fixture(scope="module")
def table(million):
    return build_table(million)


def state_bytes(table) -> int:
    """Every widget of the table: its state as the kernel packs it, plus its binary buffers."""
    return sent_bytes(widget_tree(table))


def test_a_million_sessions_are_all_in_the_table_and_none_in_its_widget_state(table, day):
    assert len(table.grid.data) == MILLION
    assert table.grid.data.index[-1] == MILLION - 1
    assert "1,000,000 sessions · select a row" in table.info.value
    assert "showing the first" not in table.info.value
    big, small = state_bytes(table), state_bytes(build_table(day))
    assert big <= 2**20, f"{big:,} bytes of widget state"
    assert big <= 1.05 * small  # the state does not grow with the rows


def test_a_header_click_sorts_the_million_rows_kernel_side(table, million):
    table.grid.transform([{"type": "sort", "column": "page views", "desc": True}])
    try:
        order = table.grid.view_index()
        assert len(order) == MILLION
        assert million["pageviews"].iloc[order].fillna(-1).is_monotonic_decreasing
        table.grid.selections = [{"r1": 0, "c1": 0, "r2": 0, "c2": 0}]
        assert million["pageviews"].iloc[table.selected[0]] == million["pageviews"].max()
    finally:
        table.grid.transform([])
        table.grid.selections = []


def test_a_grid_filter_keeps_matching_rows_and_a_row_at_the_end_maps_back(table, million):
    country = table.grid.data["country"]
    wanted = country.iloc[0]
    table.grid.transform(
        [{"type": "filter", "column": "country", "operator": "=", "value": wanted}]
    )
    try:
        view = table.grid.view_index()
        assert len(view) == int(country.eq(wanted).sum())
        last = len(view) - 1
        table.grid.selections = [{"r1": last, "c1": 0, "r2": last, "c2": 0}]
        assert table.selected == [int(view[-1])]
        assert table.selected[0] > MILLION - len(million) // 1000  # a row near the end of df
    finally:
        table.grid.transform([])
        table.grid.selections = []


def test_the_overviews_filter_shows_every_matching_row_with_no_cap(million):
    table = build_table(million)
    us = million["country_code"].eq("US").to_numpy()
    table.grid.transform([{"type": "sort", "column": "started", "desc": False}])
    table.show_rows(us)
    assert len(table.grid.data) == int(us.sum()) > 20_000
    assert f"{int(us.sum()):,} of 1,000,000 sessions (the overview's filter)" in table.info.value
    view = table.grid.view_index()
    assert len(view) == int(us.sum()) and us[view].all()
    started = million["session_start_unix_timestamp"].iloc[view]
    assert started.is_monotonic_increasing  # the sort was kept
    table.select_rows([int(view[-1])])
    assert table.grid.selections == [
        {"r1": len(view) - 1, "c1": 0, "r2": len(view) - 1, "c2": len(table.columns) - 1}
    ]
    table.show_rows(None)
    assert len(table.grid.view_index()) == MILLION


def test_choosing_columns_and_raw_names_keep_the_sort_and_the_selection(million):
    table = build_table(million)
    table.grid.transform([{"type": "sort", "column": "page views", "desc": True}])
    order = table.grid.view_index().copy()
    table.select_rows([int(order[3])])
    table.chooser.value = [*table.chooser.value, "city"]
    assert table.headers[-1] == "city" and len(table.grid.data) == MILLION
    assert table.grid.transforms == [{"type": "sort", "column": "page views", "desc": True}]
    assert (table.grid.view_index() == order).all()
    assert table.selected == [int(order[3])]
    table.raw_names.value = True
    assert table.grid.transforms[0]["column"] == "pageviews"
    assert (table.grid.view_index() == order).all()
