"""The other places a result is read: Jupyter Notebook 7, a Voila dashboard, nbconvert's HTML
without JavaScript, and the panel's Copy as cell in JupyterLab, all in headless Chromium.

Servers run on 127.0.0.1 with a token and fresh config; the browser reaches nothing else.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from browser.lab import JupyterLab
from browser.notebook7 import Notebook7, open_classic, run_all
from browser.ui import (
    LOOPBACK_HOSTS,
    error_outputs,
    grid_rows_with_text,
    loopback_page,
    map_pixels,
    open_notebook,
    run_all_cells,
    screenshot,
    wait_until,
)
from nbclient import NotebookClient
from test_browser import POINT_COLORS, browser  # noqa: F401  (the module's Chromium)

from ot_magic.views.static import STATIC_ROWS

pytestmark = pytest.mark.browser
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
RUN = re.compile(r"^\s*Run\s*$")


@pytest.fixture(scope="module")
def notebook7(tmp_path_factory):
    root = tmp_path_factory.mktemp("nb7")
    for name in ("quickstart", "dashboard"):
        shutil.copy(EXAMPLES / f"{name}.ipynb", root)
    with Notebook7(root, env={"OT_API_URL": "demo"}) as server:
        yield server


def test_notebook7_runs_the_quickstart_and_shows_its_table_and_map(notebook7, browser):  # noqa: F811
    page = loopback_page(browser)
    open_classic(page, notebook7.url("quickstart.ipynb"))
    run_all(page)
    assert error_outputs(page) == []
    output = page.locator(".jp-CodeCell").filter(has_text="--out visits").first
    grid = output.locator(".lm-DataGrid").first
    grid.scroll_into_view_if_needed()
    wait_until(lambda: grid_rows_with_text(grid) >= 10, what="rows of text in the grid")
    leaflet = output.locator(".leaflet-container").first
    leaflet.scroll_into_view_if_needed()
    wait_until(lambda: map_pixels(leaflet, *POINT_COLORS)["count"] > 200, what="places")
    static = output.locator(".ot-static").first
    assert static.count() == 1 and not static.is_visible(), (
        "the static copy hides beside live views"
    )
    screenshot(output, "notebook7-quickstart")
    page.context.close()


def test_voila_serves_the_dashboard_without_code_and_a_run_shows_new_rows(notebook7, browser):  # noqa: F811
    page = loopback_page(browser)
    page.goto(notebook7.voila_url("dashboard.ipynb"))
    grid = page.locator(".lm-DataGrid").first
    grid.wait_for(state="visible", timeout=120_000)
    assert page.get_by_text("Who visits www.opentracker.net?").count() == 1
    assert page.get_by_text("SessionsPanel.from_request").count() == 0, "no code in the page"
    assert page.get_by_text("200 sessions, 1 page").count() == 1, "the first results"
    wait_until(lambda: grid_rows_with_text(grid) >= 10, what="the first rows")

    page.locator(".jupyter-widget-Collapse-header", has_text="Filters").first.click()
    tags = page.locator(".jupyter-widget-tagsinput input").first
    tags.fill("gb")
    tags.press("Enter")
    page.locator(".jupyter-widget-tag", has_text="GB").first.wait_for()
    header = page.locator(".jupyter-widget-Collapse-header", has_text="Filters (1 set")
    header.first.wait_for()
    date = page.locator("input[type=date]").first
    date.fill("2011-11-18")
    date.press("Tab")
    limit = page.locator(".widget-text", has=page.locator("label", has_text=re.compile("^limit$")))
    limit.locator("input").fill("20")
    limit.locator("input").press("Tab")
    page.locator("button.jupyter-button").filter(has_text=RUN).click()
    page.get_by_text(re.compile(r"^20 sessions, 1 page, .* → visits · more rows exist")).wait_for()
    grid = page.locator(".lm-DataGrid").first
    grid.wait_for(state="visible")
    wait_until(lambda: grid_rows_with_text(grid) >= 10, what="rows of the new run")
    screenshot(page.locator("body"), "voila-dashboard")
    page.context.close()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    root = tmp_path_factory.mktemp("lab")
    shutil.copy(EXAMPLES / "panel.ipynb", root)
    with JupyterLab(root, env={"OT_API_URL": "demo"}) as server:
        yield server


def test_copy_as_cell_in_jupyterlab_puts_the_cell_on_the_clipboard_with_a_tag_left_typed(
    lab,
    browser,  # noqa: F811
):
    page = loopback_page(browser)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=lab.base)
    open_notebook(page, lab.url("panel.ipynb"))
    run_all_cells(page)
    output = page.locator(".jp-CodeCell").filter(has_text="%otpanel --demo --out visits").first
    output.locator(".jupyter-widget-Collapse-header", has_text="Filters").first.click()
    tags = output.locator(".jupyter-widget-tagsinput input").first
    tags.fill("nl")  # typed, never confirmed with Enter
    output.locator("button.jupyter-button", has_text="Copy as cell").click()
    output.get_by_text("copied: paste it into a new cell").wait_for()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("%%otsessions --out visits --demo\n")
    assert "includeCountryCode = NL" in copied
    assert output.locator(".jupyter-widget-Collapse-header", has_text="Filters (1 set").count()
    page.context.close()


def test_nbconvert_html_of_the_executed_quickstart_shows_table_and_map_without_javascript(
    tmp_path,
    browser,  # noqa: F811
    monkeypatch,
):
    monkeypatch.setenv("OT_API_URL", "demo")
    nb = nbformat.read(EXAMPLES / "quickstart.ipynb", as_version=4)
    NotebookClient(nb, timeout=120, resources={"metadata": {"path": str(tmp_path)}}).execute()
    assert nb.metadata["widgets"], "saved with the widgets' state, as nbconvert --execute does"
    executed = tmp_path / "quickstart.ipynb"
    nbformat.write(nb, executed)
    subprocess.run(
        [sys.executable, "-m", "nbconvert", "--to", "html", str(executed)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    exported = tmp_path / "quickstart.html"

    context = browser.new_context(java_script_enabled=False)
    context.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith("file:")
            or re.match(r"https?://([^/:]+)", route.request.url).group(1) in LOOPBACK_HOSTS
            else route.abort()
        ),
    )
    page = context.new_page()
    page.goto(exported.as_uri())
    cell = page.locator(".jp-CodeCell").filter(has_text="--out visits").first
    table = cell.locator("table.ot-static-table").first
    assert table.is_visible()
    assert table.locator("tbody tr").count() == STATIC_ROWS
    assert "opentracker.net" in table.inner_text()
    places = cell.locator("svg.ot-static-map circle")
    assert places.count() > 100 and places.first.is_visible()
    screenshot(cell, "nbconvert-static")
    context.close()
