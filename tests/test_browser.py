"""What a person sees in JupyterLab: the examples run in headless Chromium, driven by Playwright.

JupyterLab is started on 127.0.0.1 by the test (fresh config, token); the browser can reach
nothing but loopback. Widgets render only from a live kernel, so every notebook is run in the
browser (Run → Run All Cells), never opened pre-executed.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
from pathlib import Path

import nbformat
import numpy as np
import pytest
from browser.lab import JupyterLab
from browser.ui import (
    CHROMIUM,
    chart,
    chart_bar,
    chromium,
    click_bar,
    grid_row_position,
    grid_rows_with_text,
    grid_signature,
    loopback_page,
    map_pixels,
    open_notebook,
    run_all_cells,
    screenshot,
    seconds_until_grid_redrawn,
    wait_until,
)
from conftest import IN_CI

from ot_magic.views.map import OFFLINE_COLOR, ONLINE_COLOR, SELECTED_COLOR

pytestmark = pytest.mark.browser
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
# The colours the map draws with: sessions offline and online, the ring of selected rows.
POINT_COLORS = (OFFLINE_COLOR, ONLINE_COLOR)


def _browser_missing() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (bash scripts/setup.sh installs Debian's chromium)"
    if importlib.util.find_spec("playwright") is None:
        return "python playwright is missing (pip install -e '.[test]')"
    return None


@pytest.fixture(scope="module")
def browser():
    missing = _browser_missing()
    if missing:
        if IN_CI:
            pytest.fail(f"CI=true and {missing}")
        pytest.skip(missing)
    with chromium() as running:
        yield running


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    root = tmp_path_factory.mktemp("lab")
    for name in ("quickstart", "panel"):
        shutil.copy(EXAMPLES / f"{name}.ipynb", root)
    with JupyterLab(root, env={"OT_API_URL": "demo"}) as server:
        yield server


def _write_notebook(path, *sources: str) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    nbformat.write(nb, path)


def test_lab_renders_a_leaflet_map_and_a_button_click_reaches_the_kernel(lab, browser):
    """The harness itself: Lab, Chromium and the widget extensions work together here."""
    _write_notebook(
        lab.root_dir / "smoke.ipynb",
        "import ipyleaflet, ipywidgets\n"
        "m = ipyleaflet.Map(center=(52, 5), zoom=3)\n"
        "m.add(ipyleaflet.CircleMarker(location=(52, 5)))\n"
        "m",
        "label = ipywidgets.Label('not clicked')\n"
        "button = ipywidgets.Button(description='Click me')\n"
        "button.on_click(lambda _: setattr(label, 'value', 'clicked in the kernel'))\n"
        "ipywidgets.VBox([button, label])",
    )
    page = loopback_page(browser)
    open_notebook(page, lab.url("smoke.ipynb"))
    run_all_cells(page)

    leaflet = page.locator(".leaflet-container").first
    leaflet.wait_for(state="visible")
    assert leaflet.locator("path.leaflet-interactive").count() >= 1, "the circle marker is drawn"

    page.locator("button.jupyter-button", has_text="Click me").click()
    page.locator(".widget-label", has_text="clicked in the kernel").wait_for()
    page.context.close()


def _output_of(page, cell_text: str):
    """The output area of the first code cell whose text contains ``cell_text``."""
    cell = page.locator(".jp-CodeCell").filter(has_text=cell_text).first
    return cell.locator(".jp-Cell-outputArea").first


def _first_located_row(notebook: Path, cell_text: str) -> int:
    """The first row with coordinates in what the notebook's cell fetches (the emulator's data
    is a pure function of the request, so the test process sees the kernel's rows)."""
    from ot_magic import OpenTrackerClient, SessionsRequest

    cells = nbformat.read(notebook, as_version=4).cells
    cell = next(c for c in cells if c.cell_type == "code" and cell_text in c.source)
    df = OpenTrackerClient("demo").sessions(SessionsRequest.from_cell(cell.source)).df
    return int(df.latitude.notna().to_numpy().argmax())


@pytest.fixture(scope="module")
def quickstart(lab, browser):
    """The quickstart, run in the browser: (page, the output of its first %%otsessions cell)."""
    page = loopback_page(browser)
    open_notebook(page, lab.url("quickstart.ipynb"))
    run_all_cells(page)
    errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    assert errors.count() == 0, errors.all_inner_texts()
    output = _output_of(page, "--out visits")
    output.locator(".leaflet-container").first.wait_for(state="visible")
    yield page, output
    page.context.close()


def test_quickstart_map_draws_the_sessions_as_points(quickstart):
    _, output = quickstart
    leaflet = output.locator(".leaflet-container").first
    leaflet.scroll_into_view_if_needed()
    points = wait_until(
        lambda: map_pixels(leaflet, *POINT_COLORS)["count"] > 200, what="points on the map"
    )
    assert points
    screenshot(output, "quickstart")


def test_quickstart_table_shows_rows_of_sessions(quickstart):
    _, output = quickstart
    grid = output.locator(".lm-DataGrid").first
    grid.scroll_into_view_if_needed()
    assert output.get_by_text("200 sessions · select a row").count() == 1
    rows = wait_until(lambda: grid_rows_with_text(grid) >= 10, what="rows of text in the grid")
    assert rows


def test_clicking_a_table_row_highlights_its_place_on_the_map(quickstart):
    page, output = quickstart
    grid = output.locator(".lm-DataGrid").first
    leaflet = output.locator(".leaflet-container").first
    grid.scroll_into_view_if_needed()
    row = _first_located_row(EXAMPLES / "quickstart.ipynb", "--out visits")
    assert map_pixels(leaflet, SELECTED_COLOR)["count"] == 0
    page.mouse.click(*grid_row_position(grid, row))
    output.get_by_text(f"row {row}", exact=False).first.wait_for()
    leaflet.scroll_into_view_if_needed()
    wait_until(lambda: map_pixels(leaflet, SELECTED_COLOR)["count"] > 20, what="the highlight ring")
    screenshot(output, "quickstart-row-highlighted")


def test_clicking_a_point_shows_its_session_in_the_info_panel(quickstart):
    page, output = quickstart
    leaflet = output.locator(".leaflet-container").first
    leaflet.scroll_into_view_if_needed()
    info = leaflet.locator(".leaflet-top.leaflet-right .widget-html").first
    target = wait_until(
        lambda: map_pixels(leaflet, *POINT_COLORS)["target"], what="a point to click"
    )
    page.mouse.click(*target)
    wait_until(lambda: " session" in info.inner_text(), what="a session in the info panel")
    assert "hover or click" not in info.inner_text()
    screenshot(leaflet, "quickstart-point-clicked")


def test_panel_run_with_a_new_date_shows_new_results_and_copies_as_cell(lab, browser):
    page = loopback_page(browser)
    open_notebook(page, lab.url("panel.ipynb"))
    run_all_cells(page)
    output = _output_of(page, "%otpanel --demo --out visits")
    date = output.locator("input[type=date]").first
    date.wait_for(state="visible")
    assert output.locator(".leaflet-container, .lm-DataGrid").count() == 0, "no results before Run"

    date.fill("2011-11-18")
    date.press("Tab")
    output.locator("button.jupyter-button").filter(has_text=re.compile(r"^\s*Run\s*$")).click()
    output.locator(".leaflet-container").first.wait_for(state="visible")
    output.locator(".lm-DataGrid").first.wait_for(state="visible")
    assert output.get_by_text(re.compile(r"\d+ sessions.* → visits")).count() == 1
    leaflet = output.locator(".leaflet-container").first
    wait_until(
        lambda: map_pixels(leaflet, *POINT_COLORS)["count"] > 50, what="points on the panel's map"
    )

    output.locator("button.jupyter-button").filter(has_text="Copy as cell").click()
    cell_text = output.locator("textarea").first
    wait_until(lambda: "date = 2011-11-18" in cell_text.input_value(), what="the copied cell")
    assert cell_text.input_value().startswith("%%otsessions --out visits --demo\n")
    screenshot(output, "panel")
    page.context.close()


def test_the_panels_time_zone_box_offers_the_zones_matching_what_is_typed(lab, browser):
    """The box's list follows the typing (refreshed by the kernel at each keystroke), a few
    common zones while it is empty; the zone typed goes into the panel's cell."""
    _write_notebook(lab.root_dir / "zones.ipynb", "%load_ext ot_magic", "%otpanel --demo --out z")
    page = loopback_page(browser)
    open_notebook(page, lab.url("zones.ipynb"))
    run_all_cells(page)
    output = _output_of(page, "%otpanel --demo --out z")
    output.get_by_text("Advanced", exact=True).click()
    row = output.locator(".widget-inline-hbox").filter(has=page.get_by_text("timeZone", exact=True))
    box = row.locator("input[list]").first
    box.wait_for(state="visible")
    listed = page.locator(f"datalist[id='{box.get_attribute('list')}'] option")

    def offered() -> list[str]:
        return listed.evaluate_all("options => options.map(o => o.value)")

    assert "Europe/Amsterdam" in offered() and len(offered()) < 30
    box.press_sequentially("amster")
    wait_until(lambda: offered() == ["Europe/Amsterdam"], what="only Amsterdam offered")
    box.fill("Europe/Amsterdam")
    output.locator("button.jupyter-button").filter(has_text="Copy as cell").click()
    cell_text = output.locator("textarea").first
    wait_until(lambda: "timeZone = Europe/Amsterdam" in cell_text.input_value(), what="the cell")
    page.context.close()


OVERVIEW_CELL = "%%otsessions --demo --out visits\ndate = 2011-11-16\nlimit = 400"


def _busy_row(df, visible: int = 12) -> int:
    """Of the rows the grid shows without scrolling, the session with the most pages."""
    return int(df.pages_viewed.head(visible).fillna(0).to_numpy().argmax())


def test_clicking_a_country_bar_filters_the_table_and_the_map(lab, browser):
    """The overview's crossfilter end to end: a click on the US bar reaches the kernel, and the
    table and the map then show the US sessions only; the chip's × brings them all back."""
    from ot_magic import OpenTrackerClient, SessionsRequest

    df = OpenTrackerClient("demo").sessions(SessionsRequest.from_cell(OVERVIEW_CELL)).df
    us = int(df.country_code.eq("US").sum())
    assert 0 < us < len(df)
    _write_notebook(lab.root_dir / "overview.ipynb", "%load_ext ot_magic", OVERVIEW_CELL)
    page = loopback_page(browser)
    open_notebook(page, lab.url("overview.ipynb"))
    run_all_cells(page)
    output = _output_of(page, "--out visits")
    leaflet = output.locator(".leaflet-container").first
    leaflet.wait_for(state="visible")
    leaflet.scroll_into_view_if_needed()

    def points() -> int:
        return map_pixels(leaflet, *POINT_COLORS)["count"]

    wait_until(lambda: points() > 200, what="points on the map")
    before = points()
    all_rows = f"{len(df):,} sessions · select a row"
    assert output.get_by_text(all_rows).count() == 1

    countries = chart(output, "Countries")
    countries.scroll_into_view_if_needed()
    click_bar(chart_bar(countries, 0))  # the most frequent country: the United States
    output.get_by_text(f"{us:,} of {len(df):,} sessions (the overview's filter)").wait_for()
    chip = output.locator("button.jupyter-button", has_text="United States")
    assert chip.count() == 1
    assert output.get_by_text('df[df.country_code.eq("US")]').count() == 1
    leaflet.scroll_into_view_if_needed()
    wait_until(lambda: 0 < points() < 0.9 * before, what="fewer points on the map")
    screenshot(output, "overview-filtered")

    chip.click()
    output.get_by_text(all_rows).wait_for()
    leaflet.scroll_into_view_if_needed()
    wait_until(lambda: points() > 0.9 * before, what="every point back on the map")

    # The drill-down of a session: its page views as a path and a table, its visitor's journey.
    row = _busy_row(df)
    grid = output.locator(".lm-DataGrid").first
    grid.scroll_into_view_if_needed()
    page.mouse.click(*grid_row_position(grid, row))
    output.get_by_text(f"row {row}", exact=False).first.wait_for()
    output.locator("button.jupyter-button", has_text="Page views").click()
    pages = int(df.pages_viewed.iloc[row])
    output.get_by_text(f"{pages} page views of the visit of row {row}").wait_for()
    drill = output.locator(".widget-vbox").filter(has=page.locator("b", has_text="entry")).last
    assert drill.get_by_text("entry").count() >= 1 and drill.get_by_text("exit").count() >= 1
    screenshot(drill, "drilldown-page-views")
    returning = np.flatnonzero(df.number_visits.gt(1).to_numpy())
    visitors = chart(output, "New or returning")
    visitors.scroll_into_view_if_needed()
    click_bar(chart_bar(visitors, 1))  # keep the returning visitors' sessions
    output.get_by_text(f"{len(returning)} of {len(df):,} sessions").wait_for()
    grid.scroll_into_view_if_needed()
    page.mouse.click(*grid_row_position(grid, 0))
    output.get_by_text(f"row {returning[0]}", exact=False).first.wait_for()
    output.locator("button.jupyter-button", has_text="Visitor's sessions").click()
    journey = chart(output, "The visitor's")
    journey.wait_for()
    assert journey.locator("path.line, .dot, path.dot").count() >= 1
    screenshot(journey.locator("xpath=..").locator("xpath=.."), "drilldown-journey")
    page.context.close()


MILLION = 1_000_000
# A day of demo sessions with a location, repeated to a million rows, in a linked table and map.
MILLION_CELLS = (
    "%load_ext ot_magic",
    "%%otsessions --demo --no-display --out day\ndate = 2011-11-16\nlimit = 1000",
    "import ipywidgets, numpy as np\n"
    "from ot_magic.views.linking import link\n"
    "from ot_magic.views.map import build_map\n"
    "from ot_magic.views.table import build_table\n"
    "located = day[day.latitude.notna()].reset_index(drop=True)\n"
    f"big = located.iloc[np.resize(np.arange(len(located)), {MILLION})].reset_index(drop=True)\n"
    "big.attrs = day.attrs\n"
    "table, places = build_table(big), build_map(big, basemap='offline')\n"
    "link(table, places)\n"
    "ipywidgets.VBox([table, places])",
)


def test_a_million_row_table_scrolls_to_its_last_row_and_a_clicked_row_is_ringed_on_the_map(
    lab, browser
):
    """The streaming table: a million sessions shown, the end reached with Ctrl+↓ (the rows
    there drawn within half a second), a row clicked there is the kernel's row and its place
    is ringed on the map."""
    _write_notebook(lab.root_dir / "million.ipynb", *MILLION_CELLS)
    page = loopback_page(browser)
    open_notebook(page, lab.url("million.ipynb"))
    run_all_cells(page)
    output = _output_of(page, "big = ")
    grid = output.locator(".lm-DataGrid").first
    grid.wait_for(state="visible")
    output.get_by_text(f"{MILLION:,} sessions · select a row").wait_for()
    grid.scroll_into_view_if_needed()
    wait_until(lambda: grid_rows_with_text(grid) >= 10, what="rows of text in the grid")

    page.mouse.click(*grid_row_position(grid, 0))  # the grid takes the keyboard
    output.get_by_text("row 0", exact=True).wait_for()
    before = grid_signature(grid)
    page.keyboard.press("Control+ArrowDown")  # the last row, selected and scrolled to
    assert seconds_until_grid_redrawn(grid, before) <= 0.5
    output.get_by_text(f"row {MILLION - 1}", exact=True).wait_for()
    screenshot(output.locator(".lm-DataGrid").first, "million-rows-end")

    leaflet = output.locator(".leaflet-container").first
    page.keyboard.press("Escape")  # nothing selected, nothing ringed
    output.get_by_text(f"{MILLION:,} sessions · select a row").wait_for()
    leaflet.scroll_into_view_if_needed()
    wait_until(lambda: map_pixels(leaflet, SELECTED_COLOR)["count"] == 0, what="no ring")

    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 96, box["y"] + box["height"] - 50)  # a row near the end
    picked = output.get_by_text(re.compile(rf"^row {MILLION // 1000 - 1}\d\d\d$"))
    picked.wait_for()
    row = int(picked.inner_text().split()[1])
    assert MILLION - 5 <= row < MILLION - 1
    leaflet.scroll_into_view_if_needed()
    wait_until(lambda: map_pixels(leaflet, SELECTED_COLOR)["count"] > 20, what="the ring")
    screenshot(output, "million-rows-row-ringed")
    page.context.close()
