"""What a person sees in JupyterLab: the examples run in headless Chromium, driven by Playwright.

JupyterLab is started on 127.0.0.1 by the test (fresh config, token); the browser can reach
nothing but loopback. Widgets render only from a live kernel, so every notebook is run in the
browser (Run → Run All Cells), never opened pre-executed.
"""

from __future__ import annotations

import importlib.util

import nbformat
import pytest
from browser.lab import JupyterLab
from browser.ui import CHROMIUM, chromium, loopback_page, open_notebook, run_all_cells
from conftest import IN_CI

pytestmark = pytest.mark.browser


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
    blocked: list[str] = []
    page = loopback_page(browser, blocked)
    open_notebook(page, lab.url("smoke.ipynb"))
    run_all_cells(page)

    leaflet = page.locator(".leaflet-container").first
    leaflet.wait_for(state="visible")
    assert leaflet.locator("path.leaflet-interactive").count() >= 1, "the circle marker is drawn"

    page.locator("button.jupyter-button", has_text="Click me").click()
    page.locator(".widget-label", has_text="clicked in the kernel").wait_for()
    page.context.close()
