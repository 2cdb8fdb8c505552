"""Chromium driven by Playwright, kept on loopback, and what a person does in a Lab notebook.

with chromium() as browser:
    page = loopback_page(browser)
    open_notebook(page, lab.url("quickstart.ipynb"))
    run_all_cells(page)
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
CELL_SECONDS = 120
IDLE_STOP_SECONDS = 10


@contextlib.contextmanager
def chromium() -> Iterator:
    """Debian's Chromium, headless, closed on exit (never a browser Playwright downloads)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


def loopback_page(browser, blocked: list[str] | None = None):
    """A page in a fresh context where every request off 127.0.0.1 is aborted (and noted)."""
    context = browser.new_context(viewport={"width": 1280, "height": 1300})

    def only_loopback(route) -> None:
        url = route.request.url
        if urlsplit(url).hostname in LOOPBACK_HOSTS or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            if blocked is not None:
                blocked.append(url)
            route.abort()

    context.route("**/*", only_loopback)
    page = context.new_page()
    page.set_default_timeout(60_000)
    return page


def open_notebook(page, url: str) -> None:
    """Open a notebook and wait until its kernel is idle."""
    page.goto(url)
    page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell", timeout=90_000)
    wait_kernel_idle(page, timeout=90)


def kernel_status(page) -> str:
    """The status bar's kernel state: 'idle', 'busy', 'connecting', ... ('' with no kernel yet).

    The status bar reads "Python 3 (ipykernel) | Idle"; it reads "No Kernel | ..." until the
    session has a kernel (the toolbar's indicator already says idle then, so it is not used).
    """
    item = page.locator(".jp-StatusBar-Item", has_text=re.compile(r" \| "))
    if item.count() == 0:
        return ""
    name, _, state = item.first.inner_text().rpartition(" | ")
    return "" if name.strip() == "No Kernel" else state.strip().lower()


def wait_kernel_idle(page, timeout: float = CELL_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    while kernel_status(page) != "idle":
        if time.monotonic() > deadline:
            raise TimeoutError(f"kernel still {kernel_status(page)!r} after {timeout} s")
        page.wait_for_timeout(200)


def run_all_cells(page, timeout: float = CELL_SECONDS * 3) -> None:
    """Run → Run All Cells from the menu bar, then wait until every code cell has run."""
    page.locator(".jp-NotebookPanel .jp-Notebook").first.click(position={"x": 5, "y": 5})
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-item", has_text="Run All Cells").first.click()
    wait_all_run(page, timeout)


def wait_all_run(page, timeout: float, is_idle: Callable[[], bool] | None = None) -> None:
    """Wait until every code cell shows an execution count (not ``[*]``) and the kernel idles
    (``is_idle``: the front end's own test of that; JupyterLab's status bar by default).

    A run that stops early (an error stops Run All) is reported with the notebook's errors as
    soon as the kernel has stayed idle for a while with cells left unrun.
    """
    is_idle = is_idle or (lambda: kernel_status(page) == "idle")
    deadline = time.monotonic() + timeout
    prompts = page.locator(".jp-CodeCell .jp-InputArea-prompt")
    stopped_since = None
    while True:
        texts = [text.strip() for text in prompts.all_inner_texts()]
        done = texts and all(text.startswith("[") and text[1:2].isdigit() for text in texts)
        idle = is_idle()
        if done and idle:
            return
        # An error stops Run All: the cells left unrun go back to "[ ]" (never "[*]").
        stopped = idle and "[*]:" not in texts
        stopped_since = (stopped_since or time.monotonic()) if stopped else None
        if stopped_since and time.monotonic() - stopped_since > IDLE_STOP_SECONDS:
            raise RuntimeError(f"Run All stopped at {texts}; errors: {error_outputs(page)}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"cells still running after {timeout} s: {texts}")
        page.wait_for_timeout(300)


def error_outputs(page) -> list[str]:
    """The text of every error output in the notebook (tracebacks, stderr of UsageError)."""
    return page.locator(
        ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
    ).all_inner_texts()


def screenshot(locator, name: str) -> Path:
    """Save a PNG of ``locator`` as ``<name>.png`` under tests/artifacts/screenshots/, or under
    $OT_SCREENSHOTS (``OT_SCREENSHOTS=docs/screenshots`` refreshes the README's pictures)."""
    default = Path(__file__).parents[1] / "artifacts" / "screenshots"
    folder = Path(os.environ.get("OT_SCREENSHOTS") or default)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page = locator.page
    viewport = page.viewport_size
    box = locator.bounding_box()
    # Lab scrolls the notebook inside the page: a tall output is only drawn where the window
    # shows it, so the window grows to show the whole output while it is taken.
    if viewport and box and box["height"] + 200 > viewport["height"]:
        page.set_viewport_size({"width": viewport["width"], "height": int(box["height"]) + 200})
    try:
        locator.scroll_into_view_if_needed()
        page.mouse.move(0, 0)  # no hover effect (a chart's toolbar) in the picture
        page.wait_for_timeout(300)
        locator.screenshot(path=str(path))
    finally:
        if viewport:
            page.set_viewport_size(viewport)
    return path


# The map draws with ``prefer_canvas``: its points are pixels, not elements. A pixel "is" a colour
# when it is within COLOR_DISTANCE of it (discs are drawn at 0.8 opacity over pale land and sea).
COLOR_DISTANCE = 70
_CANVAS_PIXELS = """
([root, colors, distance]) => {
  const box = root.getBoundingClientRect();
  const match = (r, g, b) => colors.some(([R, G, B]) => Math.hypot(r - R, g - G, b - B) <= distance);
  let count = 0, target = null;
  for (const canvas of root.querySelectorAll('.leaflet-overlay-pane canvas')) {
    const rect = canvas.getBoundingClientRect();
    const w = canvas.width, h = canvas.height;
    const data = canvas.getContext('2d').getImageData(0, 0, w, h).data;
    const hit = (x, y) => {
      if (x < 0 || y < 0 || x >= w || y >= h) return false;
      const i = 4 * (y * w + x);
      return data[i + 3] > 200 && match(data[i], data[i + 1], data[i + 2]);
    };
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        if (!hit(x, y)) continue;
        const px = rect.left + (x + 0.5) * rect.width / w, py = rect.top + (y + 0.5) * rect.height / h;
        if (px < box.left || px > box.right || py < box.top || py > box.bottom) continue;
        count++;
        // A click target: the middle of a disc (its neighbours match too), not under a control.
        if (!target && [[-2, 0], [2, 0], [0, -2], [0, 2]].every(([dx, dy]) => hit(x + dx, y + dy))
            && document.elementFromPoint(px, py) === canvas) {
          target = [px, py];
        }
      }
    }
  }
  return {count, target};
}
"""


def map_pixels(leaflet, *colors: str) -> dict:
    """``{"count": n, "target": [x, y] | None}``: the visible pixels of a ``.leaflet-container``
    drawn in one of ``colors`` ('#3182bd', ...), and a page position to click one of them."""
    rgb = [[int(color[i : i + 2], 16) for i in (1, 3, 5)] for color in colors]
    return leaflet.page.evaluate(_CANVAS_PIXELS, [leaflet.element_handle(), rgb, COLOR_DISTANCE])


def grid_row_position(grid, row: int) -> tuple[float, float]:
    """The page position of the middle of a body row of an ipydatagrid (first data column)."""
    box = grid.bounding_box()
    header, row_height, row_header = (
        20,
        20,
        56,
    )  # ipydatagrid's defaults; row header set by the view
    return box["x"] + row_header + 40, box["y"] + header + row_height * row + row_height / 2


def wait_until(check, timeout: float = 30, what: str = "condition"):
    """Poll ``check()`` until it returns something truthy; that value, or TimeoutError."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not seen within {timeout} s")
        time.sleep(0.25)


_GRID_ROWS_WITH_TEXT = """
([grid, header, rowHeight]) => {
  const canvas = grid.querySelector('canvas');
  const scale = canvas.width / canvas.getBoundingClientRect().width;
  const ctx = canvas.getContext('2d');
  let rows = 0;
  for (let top = header; (top + rowHeight) * scale <= canvas.height; top += rowHeight) {
    const band = ctx.getImageData(0, top * scale, canvas.width, rowHeight * scale).data;
    let dark = 0;
    for (let i = 0; i < band.length; i += 4) {
      if (band[i + 3] > 200 && band[i] < 110 && band[i + 1] < 110 && band[i + 2] < 110) dark++;
    }
    if (dark > 20) rows++;
  }
  return rows;
}
"""


def grid_rows_with_text(grid) -> int:
    """How many body rows of an ipydatagrid show text (its cells are drawn on a canvas)."""
    return grid.page.evaluate(_GRID_ROWS_WITH_TEXT, [grid.element_handle(), 20, 20])


def chart(root, title: str):
    """The bqplot figure under ``root`` whose title starts with ``title`` (an SVG element)."""
    return (
        root.locator(".bqplot.figure")
        .filter(has=root.page.locator("text.mainheading", has_text=title))
        .first
    )


def chart_bar(figure, index: int):
    """Bar ``index`` (in the data's order) of a bqplot ``Bars`` mark of ``figure``."""
    return figure.locator("g.bargroup").nth(index).locator("rect.bar").first


def click_bar(bar) -> None:
    """Click a bar near its base: its count label, drawn past its end, must not take the click."""
    bar.scroll_into_view_if_needed()
    box = bar.bounding_box()
    bar.page.mouse.click(box["x"] + min(4, box["width"] / 2), box["y"] + box["height"] / 2)


_GRID_SIGNATURE = """
(grid) => {
  const canvas = grid.querySelector('canvas');
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let hash = 0;
  for (let i = 0; i < data.length; i += 4) hash = (hash * 31 + data[i] + 7 * data[i + 1]) | 0;
  return hash;
}
"""


def grid_signature(grid) -> int:
    """A number that changes when an ipydatagrid's canvas shows other pixels (rows scrolled in)."""
    return grid.page.evaluate(_GRID_SIGNATURE, grid.element_handle())


_GRID_BODY_ROWS_WITH_TEXT = """
([grid, header, rowHeight, rowHeader]) => {
  const canvas = grid.querySelector('canvas');
  const scale = canvas.width / canvas.getBoundingClientRect().width;
  const ctx = canvas.getContext('2d');
  const left = Math.round(rowHeader * scale);
  let rows = 0;
  for (let top = header; (top + rowHeight) * scale <= canvas.height; top += rowHeight) {
    const band = ctx.getImageData(left, top * scale, canvas.width - left, rowHeight * scale).data;
    let dark = 0;
    for (let i = 0; i < band.length; i += 4) {
      if (band[i + 3] > 200 && band[i] < 110 && band[i + 1] < 110 && band[i + 2] < 110) dark++;
    }
    if (dark > 20) rows++;
  }
  return rows;
}
"""
ROW_HEADER_PX = 56  # the row header's width, as SessionsTable sets it


_GRID_REDRAWN = """
async ([grid, before, rows, timeoutMs, header, rowHeight, rowHeader, rowsWithText, signature]) => {
  const count = new Function('return ' + rowsWithText)();
  const sign = new Function('return ' + signature)();
  const bottom = (part) => grid.querySelector(`.lm-ScrollBar.vertical .lm-ScrollBar-${part}`)
    .getBoundingClientRect().bottom;
  const atEnd = () => !grid.querySelector('.lm-ScrollBar.vertical .lm-ScrollBar-thumb')
    || bottom('thumb') >= bottom('track') - 1;
  const start = performance.now();
  while (performance.now() - start < timeoutMs) {
    if (sign(grid) !== before && atEnd() && count([grid, header, rowHeight, rowHeader]) >= rows) {
      return performance.now() - start;
    }
    await new Promise(requestAnimationFrame);
  }
  return null;
}
"""


def seconds_until_grid_redrawn(grid, before: int, rows: int = 10, timeout: float = 10) -> float:
    """Seconds until an ipydatagrid, scrolled to its end, has a canvas that differs from
    ``before`` (a :func:`grid_signature`) and shows at least ``rows`` rows with text in their
    cells (the row header's numbers are not
    counted: a streaming grid draws them before its rows arrive), checked at every frame the
    browser draws; TimeoutError if it does not within ``timeout``."""
    elapsed = grid.page.evaluate(
        _GRID_REDRAWN,
        [grid.element_handle(), before, rows, timeout * 1000, 20, 20, ROW_HEADER_PX,
         _GRID_BODY_ROWS_WITH_TEXT.strip(), _GRID_SIGNATURE.strip()],
    )  # fmt: skip
    if elapsed is None:
        raise TimeoutError(f"the grid was not redrawn with {rows} rows within {timeout} s")
    return elapsed / 1000


def body_rows_with_text_script() -> str:
    """The JavaScript function ``([grid, header, rowHeight, rowHeader]) => rows``: how many
    body rows of an ipydatagrid have text in their cells (row header left out)."""
    return _GRID_BODY_ROWS_WITH_TEXT.strip()
