"""The static version of a result: what nbconvert, GitHub or VS Code without widgets show.

Results come from the real emulator on loopback; the HTML is read back with an HTML parser, as
a viewer would read it.
"""

from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup

from ot_magic.client import OpenTrackerClient
from ot_magic.request import SessionsRequest
from ot_magic.result import SessionsResult
from ot_magic.views import static
from ot_magic.views.columns import headers, shown_columns
from ot_magic.views.map import OFFLINE_COLOR, ONLINE_COLOR, group_places

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
DAY = SessionsRequest(date="2011-11-16", period="3d", limit=200)


@pytest.fixture(scope="module")
def client(emulator):
    from ot_magic.emulator import DEMO_LOGIN, DEMO_PASSWORD

    with OpenTrackerClient(emulator.url, credentials=(DEMO_LOGIN, DEMO_PASSWORD)) as client:
        yield client


@pytest.fixture(scope="module")
def result(client) -> SessionsResult:
    return client.sessions(DAY)


def soup_of(result: SessionsResult) -> BeautifulSoup:
    return BeautifulSoup(result._repr_mimebundle_()["text/html"], "html.parser")


def test_a_results_display_carries_static_html_beside_its_widget_view(result):
    bundle = result._repr_mimebundle_()
    assert WIDGET_VIEW in bundle
    assert bundle["text/plain"] == result.summary()
    page = soup_of(result)
    assert result.summary() in page.get_text()
    assert page.select_one("table.ot-static-table") is not None
    assert page.select_one("svg.ot-static-map") is not None


def test_the_static_table_shows_the_first_rows_under_the_tables_headers(result):
    table = soup_of(result).select_one("table.ot-static-table")
    columns = shown_columns(result.df)
    expected = ["#", *headers(columns, result.df.attrs["labels"])]
    assert [th.get_text() for th in table.select("thead th")] == expected
    rows = table.select("tbody tr")
    assert [row.th.get_text() for row in rows] == [str(i) for i in range(static.STATIC_ROWS)]
    assert f"the first {static.STATIC_ROWS} of 200 rows" in soup_of(result).get_text()


def test_the_static_table_shows_readable_values(result):
    table = soup_of(result).select_one("table.ot-static-table")
    cells = [td.get_text() for td in table.select("tbody td")]
    assert not any(cell.startswith(("http://", "https://")) for cell in cells), "short addresses"
    durations = [c for c in cells if re.fullmatch(r"\d\d:\d\d:\d\d", c)]
    assert durations, "durations as hh:mm:ss"
    assert not any(re.fullmatch(r"\d+\.0", c) for c in cells), "counts without a trailing .0"


def test_every_value_in_the_static_html_is_escaped(result):
    df = result.df.copy()
    column = shown_columns(df)[-1]
    df[column] = df[column].astype(object)
    df.loc[0, column] = "<script>alert('x')</script>"
    df.attrs = result.df.attrs
    page = static.static_html(SessionsResult(df, DAY))
    assert "<script>" not in page
    assert "&lt;script&gt;" in page


def test_the_static_map_draws_each_place_once_coloured_as_the_live_map(result):
    svg = soup_of(result).select_one("svg.ot-static-map")
    places = group_places(result.df)
    circles = svg.select("g.ot-places circle")
    assert len(circles) == len(places)
    online = sum(len(g.select("circle")) for g in svg.select(f'g[fill="{ONLINE_COLOR}"]'))
    offline = sum(len(g.select("circle")) for g in svg.select(f'g[fill="{OFFLINE_COLOR}"]'))
    assert (online, offline) == (int(places.online.sum()), int((~places.online).sum()))
    assert svg.select_one("path")["d"].count("M") > 50, "the country outlines are drawn"


def test_the_static_map_puts_places_where_they_are(client):
    df = client.sessions(DAY.replace(includeCountryCode=("US", "GB"))).df
    svg = BeautifulSoup(static.map_svg(df), "html.parser").svg
    width = int(svg["width"])
    spots = {(int(c["cx"]), int(c["cy"])) for c in svg.select("circle")}
    west = [x for x, _ in spots if x < width / 2]
    east = [x for x, _ in spots if x >= width / 2]
    assert west and east, "the US on the left, Great Britain on the right"
    us_y = [y for x, y in spots if x < width / 2]
    gb_y = [y for x, y in spots if x >= width / 2]
    assert max(gb_y) < max(us_y), "Great Britain lies north of the southern US"


def test_ten_thousand_sessions_keep_the_static_html_light(client):
    many = client.sessions(DAY.replace(limit=1000), all_pages=True, max_rows=10_000)
    page = static.static_html(many)
    assert len(many.df) > 5000
    assert len(page.encode()) < 150_000
    circles = BeautifulSoup(page, "html.parser").select("svg circle")
    assert 0 < len(circles) <= static.STATIC_PLACES


def test_the_static_html_never_holds_a_credential(result):
    from ot_magic.emulator import DEMO_PASSWORD

    bundle = result._repr_mimebundle_()
    assert DEMO_PASSWORD not in bundle["text/html"] + bundle["text/plain"]


def test_a_section_added_by_another_view_shows_under_the_map_once(result):
    def chart(result: SessionsResult) -> str:
        return f'<svg class="chart"><text>{len(result.df)} sessions</text></svg>'

    static.add_section(chart)
    static.add_section(chart)
    try:
        page = static.static_html(result)
    finally:
        static.SECTIONS.remove(chart)
    assert page.count('class="chart"') == 1
    assert page.index("ot-static-map") < page.index('class="chart"')


def test_no_display_and_empty_results_stay_one_line_of_html(result):
    quiet = SessionsResult(result.df, DAY, show_views=False)
    assert WIDGET_VIEW not in quiet._repr_mimebundle_()
    empty = SessionsResult(result.df.iloc[:0], DAY)
    bundle = empty._repr_mimebundle_()
    assert WIDGET_VIEW not in bundle and "No sessions matched" in bundle["text/html"]


def test_in_a_notebook_the_static_version_is_an_output_of_its_own_after_the_widgets(ip):
    """nbconvert draws a widget view whenever the widgets' state was saved: the static copy
    must be a separate output to show there."""
    from IPython.utils.capture import capture_output

    with capture_output() as shown:
        ip.run_cell("%%otsessions --demo --out visits\ndate = 2011-11-16\nlimit = 50\n")
    live, still = (output.data for output in shown.outputs)
    assert WIDGET_VIEW in live and "text/html" not in live
    assert live["text/plain"].startswith("50 sessions · ")
    assert set(still) == {"text/html"}
    page = BeautifulSoup(still["text/html"], "html.parser")
    assert len(page.select("table.ot-static-table tbody tr")) == static.STATIC_ROWS
    assert page.select("svg.ot-static-map circle")
    assert static.HIDE_WHEN_LIVE in page.style.get_text(), "hidden where the live view rendered"
    assert static.LIVE_CLASS in ip.user_ns["_"].view._dom_classes


def test_the_maps_outlines_are_one_light_image_spanning_web_mercator():
    """A saved notebook keeps every widget's state: GeoJSON outlines weighed 866 KB there."""
    import numpy as np

    from ot_magic.views.basemap import MERCATOR_LIMIT, mercator_y, outline_image

    url, bounds = outline_image(filled=True)
    assert len(url) < 60_000
    assert bounds[0] == (-MERCATOR_LIMIT, -180.0) and bounds[1][0] == MERCATOR_LIMIT
    assert bounds[1][1] > 180, "Russia's and Fiji's rings unwrapped past the antimeridian"
    edges = mercator_y(np.array([MERCATOR_LIMIT, 0.0, -MERCATOR_LIMIT]))
    assert np.allclose(edges, [-0.5, 0.0, 0.5])
