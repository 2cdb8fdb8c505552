"""Jupyter Notebook 7 and Voila, served on 127.0.0.1 like the tests' JupyterLab, and what a
person does in them.

    with Notebook7(root_dir, env={"OT_API_URL": "demo"}) as server:
        page = loopback_page(browser)
        open_classic(page, server.url("quickstart.ipynb"))   # /notebooks/quickstart.ipynb
        run_all(page)
        page.goto(server.voila_url("dashboard.ipynb"))       # the same server renders Voila

Notebook 7 is built from JupyterLab's parts (the same cells, outputs and menus) but has no status
bar, so a run is judged finished by its prompts. Voila is the ``voila`` server extension of the
same server (``/voila/render/...``): the page Voila's own command serves, code hidden.
"""

from __future__ import annotations

import time

from .lab import JupyterLab
from .ui import CELL_SECONDS, wait_all_run

START_ATTEMPTS, START_SECONDS = 3, 10


class Notebook7(JupyterLab):
    """Jupyter Notebook 7 (``python -m notebook``) with fresh config, on loopback, with a token."""

    app_module = "notebook"

    def url(self, path: str) -> str:
        """The notebook ``path`` (relative to ``root_dir``) in Notebook 7's single-document page."""
        return f"{self.base}/notebooks/{path}?token={self.token}"

    def voila_url(self, path: str) -> str:
        """The notebook ``path`` rendered by Voila: its outputs and widgets, no code."""
        return f"{self.base}/voila/render/{path}?token={self.token}"


def open_classic(page, url: str) -> None:
    """Open a notebook in Notebook 7 and wait until its cells are drawn and its kernel is up."""
    page.goto(url)
    page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell", timeout=90_000)
    page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").first.wait_for(
        state="attached", timeout=90_000
    )


def run_all(page, timeout: float = CELL_SECONDS * 3) -> None:
    """Run → Run All Cells from Notebook 7's menu bar, then wait for every code cell's count."""
    prompts = page.locator(".jp-CodeCell .jp-InputArea-prompt")
    # A kernel still connecting drops the command: try again (a few times) until cells start.
    for _attempt in range(START_ATTEMPTS):
        page.locator(".jp-NotebookPanel .jp-Notebook").first.click(position={"x": 5, "y": 5})
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(".lm-Menu-item", has_text="Run All Cells").first.click()
        started = time.monotonic() + START_SECONDS
        while time.monotonic() < started:
            if any(text.strip() != "[ ]:" for text in prompts.all_inner_texts()):
                break
            page.wait_for_timeout(250)
        else:
            continue
        break
    idle = page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']")
    wait_all_run(page, timeout, is_idle=lambda: idle.count() > 0)
