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
from collections.abc import Iterator
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
    context = browser.new_context(viewport={"width": 1280, "height": 900})

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


def wait_all_run(page, timeout: float) -> None:
    """Wait until every code cell shows an execution count (not ``[*]``) and the kernel idles."""
    deadline = time.monotonic() + timeout
    prompts = page.locator(".jp-CodeCell .jp-InputArea-prompt")
    while True:
        texts = [text.strip() for text in prompts.all_inner_texts()]
        done = texts and all(text.startswith("[") and text[1:2].isdigit() for text in texts)
        if done and kernel_status(page) == "idle":
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"cells still running after {timeout} s: {texts}")
        page.wait_for_timeout(300)


def error_outputs(page) -> list[str]:
    """The text of every error output in the notebook (tracebacks, stderr of UsageError)."""
    return page.locator(
        ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
    ).all_inner_texts()


def screenshot(locator, name: str) -> Path:
    """Save a PNG of ``locator`` under docs/screenshots/ (or $OT_SCREENSHOTS) and return its path."""
    folder = Path(
        os.environ.get("OT_SCREENSHOTS", Path(__file__).parents[2] / "docs" / "screenshots")
    )
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    locator.screenshot(path=str(path))
    return path
