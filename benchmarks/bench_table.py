"""The streaming table on a million sessions, in JupyterLab and headless Chromium, against a
plain ipydatagrid ``DataGrid`` of the same columns.

The million rows are a day of demo sessions (1,000, the located ones kept) repeated: the same
columns, types and value spread as an answer. Each grid is shown by the last cell of its own
notebook, run in the browser (Run All), on a fresh kernel:

- rows visible: from the start of that cell (``time.time()`` printed by the kernel) to the
  first frame the browser draws with ten rows of text in the grid (``Date.now()``; one clock,
  one machine). Streaming: ``build_table(big)`` (readable columns made kernel-side, the rows
  in view fetched by the browser). Baseline: ``DataGrid(frame)`` of the same readable frame,
  made beforehand (its rows all cross to the browser in the widget's state);
- scroll to the end: Ctrl+↓ in the streaming grid until the last rows are drawn;
- kernel state: every widget of the table (grid, renderers, chooser, ...): its state as the
  kernel packs it plus its binary buffers, for a million sessions against 1,000.

    python -m benchmarks.bench_table
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

MILLION = 1_000_000
TARGET_VISIBLE_S, TARGET_SPEEDUP, TARGET_SCROLL_S, TARGET_STATE_B = 1.5, 5, 0.5, 2**20
TESTS = Path(__file__).resolve().parents[1] / "tests"

SETUP = (
    "%load_ext ot_magic",
    "%%otsessions --demo --no-display --out day\ndate = 2011-11-16\nlimit = 1000",
    "import time, numpy as np\n"
    "from ipydatagrid import DataGrid\n"
    "from ot_magic.views.table import build_table\n"
    "located = day[day.latitude.notna()].reset_index(drop=True)\n"
    f"big = located.iloc[np.resize(np.arange(len(located)), {MILLION})].reset_index(drop=True)\n"
    "big.attrs = day.attrs\n"
    "frame = build_table(big).grid.data  # the readable columns, for the plain grid",
)
SHOW = {
    "streaming": "print(time.time())\ntable = build_table(big)\nprint(time.time())\ntable",
    "plain": "print(time.time())\nDataGrid(frame)",
}

_ROWS_DRAWN_AT = """
async ([rows, timeoutMs]) => {
  const count = new Function('return ' + %s)();
  const start = performance.now();
  while (performance.now() - start < timeoutMs) {
    for (const grid of document.querySelectorAll('.jp-Cell-outputArea .lm-DataGrid')) {
      if (grid.querySelector('canvas') && count([grid, 20, 20, 56]) >= rows) return Date.now();
    }
    await new Promise(requestAnimationFrame);
  }
  return null;
}
"""


def _write(path: Path, *sources: str) -> None:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nb.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    nbformat.write(nb, path)


def browser_figures() -> dict[str, float]:
    """Seconds to rows visible for each grid, and to the last row drawn after Ctrl+↓."""
    sys.path.insert(0, str(TESTS))
    import json

    from browser.lab import JupyterLab
    from browser.ui import (
        body_rows_with_text_script,
        chromium,
        grid_row_position,
        grid_signature,
        loopback_page,
        open_notebook,
        seconds_until_grid_redrawn,
        wait_all_run,
    )

    figures: dict[str, float] = {}
    root = Path(tempfile.mkdtemp(prefix="bench-table-"))
    for name, show in SHOW.items():
        _write(root / f"{name}.ipynb", *SETUP, show)
    with JupyterLab(root, env={"OT_API_URL": "demo"}) as lab, chromium() as browser:
        for name in SHOW:
            page = loopback_page(browser)
            open_notebook(page, lab.url(f"{name}.ipynb"))
            page.locator(".jp-NotebookPanel .jp-Notebook").first.click(position={"x": 5, "y": 5})
            page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
            page.locator(".lm-Menu-item", has_text="Run All Cells").first.click()
            script = _ROWS_DRAWN_AT % json.dumps(body_rows_with_text_script())
            drawn_ms = page.evaluate(script, [10, 600_000])
            wait_all_run(page, 600)
            last = page.locator(".jp-CodeCell").last
            printed = last.locator(".jp-OutputArea-output").first.inner_text().split()
            started = float(printed[0])
            figures[name] = drawn_ms / 1000 - started
            if len(printed) > 1:  # the streaming cell also tells when its table was built
                figures[f"{name}_kernel"] = float(printed[1]) - started
            if name == "streaming":
                grid = last.locator(".lm-DataGrid").first
                grid.scroll_into_view_if_needed()
                page.mouse.click(*grid_row_position(grid, 0))
                page.wait_for_timeout(500)
                before = grid_signature(grid)
                page.keyboard.press("Control+ArrowDown")
                figures["scroll"] = seconds_until_grid_redrawn(grid, before)
            page.context.close()
    return figures


def state_bytes(table: object) -> int:
    """Every widget of ``table``: its state packed as the kernel sends it, plus its buffers."""
    from ot_magic.views.tree import widget_tree
    from tests.widgetstate import sent_bytes

    return sent_bytes(widget_tree(table))


def kernel_figures() -> dict[str, float]:
    """Kernel-side: seconds to build the table of a million sessions, and the table's state
    for a million sessions and for 1,000."""
    import time

    import numpy as np

    from ot_magic import OpenTrackerClient, SessionsRequest
    from ot_magic.views.table import build_table

    day = (
        OpenTrackerClient("demo")
        .sessions(SessionsRequest.from_cell("date = 2011-11-16\nlimit = 1000"))
        .df
    )
    located = day[day.latitude.notna()].reset_index(drop=True)
    big = located.iloc[np.resize(np.arange(len(located)), MILLION)].reset_index(drop=True)
    big.attrs = day.attrs
    small_state = state_bytes(build_table(day))
    start = time.perf_counter()
    table = build_table(big)
    built = time.perf_counter() - start
    return {"build": built, "state": state_bytes(table), "small_state": small_state}


def measure() -> list[dict]:
    """Rows for the README: rows visible, scroll to the end, kernel state."""
    kernel = kernel_figures()
    seen = browser_figures()
    visible, plain = seen["streaming"], seen["plain"]
    return [
        {
            "figure": f"table of {MILLION:,} sessions: cell run to rows visible in Chromium "
            f"(streaming; built kernel-side in {seen['streaming_kernel']:.2f} s, "
            f"{kernel['build']:.2f} s alone)",
            "value": round(visible, 2),
            "unit": "s",
            "baseline": f"{plain:.1f} s: DataGrid of the same readable columns",
            "ratio": round(plain / visible, 1),
            "target": f"<= {TARGET_VISIBLE_S} s and >= {TARGET_SPEEDUP}x faster",
            "ok": visible <= TARGET_VISIBLE_S and plain / visible >= TARGET_SPEEDUP,
        },
        {
            "figure": f"Ctrl+↓ in the table of {MILLION:,} sessions to its last rows drawn",
            "value": round(seen["scroll"], 3),
            "unit": "s",
            "baseline": f"{visible:.2f} s: the first rows shown",
            "ratio": round(seen["scroll"] / visible, 2),
            "target": f"<= {TARGET_SCROLL_S} s",
            "ok": seen["scroll"] <= TARGET_SCROLL_S,
        },
        {
            "figure": f"kernel state of the table (every widget, packed, buffers included), "
            f"{MILLION:,} sessions",
            "value": round(kernel["state"] / 1024, 1),
            "unit": "KiB",
            "baseline": f"{kernel['small_state'] / 1024:.1f} KiB: the table of 1,000 sessions",
            "ratio": round(kernel["state"] / kernel["small_state"], 2),
            "target": "<= 1 MiB",
            "ok": kernel["state"] <= TARGET_STATE_B,
        },
    ]


if __name__ == "__main__":
    for row in measure():
        print(row)
