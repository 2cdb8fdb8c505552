"""The panel stays responsive while Run fetches, and Cancel stops within a page.

The emulator runs in its own process with 50 ms added to every answer (a distant server). A
"control edit" is what a user's keystroke costs the kernel: a new value in the panel's ``limit``
box, validated, with the request rebuilt. It is timed with no fetch going on, then while Run
pulls every page of a day in the background thread. Cancel is timed from the click to the end of
the run, against the time one page takes.

    python -m benchmarks.bench_panel
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

LATENCY = 0.05
TARGET_SLOWDOWN = 3.0
TARGET_CANCEL_PAGES = 2.0

_SERVER = f"""
import sys
from ot_magic.emulator import Emulator
emulator = Emulator().start()
emulator.faults.update(latency={LATENCY})
print(emulator.url, flush=True)
sys.stdin.read()
emulator.stop()
"""


def _edit_seconds(panel, edits: int | None = None) -> tuple[float, int]:
    """The 95th percentile of the wall time of one edit of the limit box (validation and
    request included), a few ms apart: ``edits`` of them, or as many as fit while a Run lasts."""
    box = panel.controls["limit"].inputs[0]
    times: list[float] = []
    while (len(times) < edits) if edits else panel.running:
        start = time.perf_counter()
        box.value = str(1 + len(times) % 999)
        panel.request  # noqa: B018 - the rebuilt request is part of the edit
        times.append(time.perf_counter() - start)
        time.sleep(0.003)
    return statistics.quantiles(times, n=20)[-1], len(times)


def measure() -> list[dict]:
    """Rows for the README: edit latency during a fetch, and how fast Cancel stops a pull."""
    from ot_magic.client import OpenTrackerClient
    from ot_magic.emulator import DEMO_LOGIN, DEMO_PASSWORD
    from ot_magic.panel import SessionsPanel
    from ot_magic.request import SessionsRequest

    server = subprocess.Popen(
        [sys.executable, "-c", _SERVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        url = server.stdout.readline().strip()
        with OpenTrackerClient(url, credentials=(DEMO_LOGIN, DEMO_PASSWORD)) as client:
            request = SessionsRequest(date="2011-11-16", limit=200)
            panel = SessionsPanel(request, out="bench_panel", client=client, namespace={})
            panel.all_pages.value = True
            panel.run()  # warm the emulator's day and the client's connection
            warm = panel.wait(120)
            page_s = warm.elapsed / warm.pages

            panel.request = request
            panel.run()
            busy_s, edits = _edit_seconds(panel)
            panel.wait(120)
            idle_s, _ = _edit_seconds(panel, edits)

            panel.request = request
            panel.run()
            while panel.status.value.find("page 1:") < 0 and panel.running:
                time.sleep(0.005)
            clicked = time.perf_counter()
            panel.cancel_button.click()
            cancelled = panel.wait(120)
            cancel_s = time.perf_counter() - clicked
    finally:
        server.stdin.close()
        server.wait(timeout=30)
    slowdown = busy_s / idle_s
    cancel_pages = cancel_s / page_s
    return [
        {
            "figure": f"panel control edit (validate + rebuild the request), 95th percentile of "
            f"{edits} edits while Run fetches {warm.pages} pages in the background",
            "value": round(busy_s * 1000, 3),
            "unit": "ms",
            "baseline": f"{idle_s * 1000:.3f} ms: the same edits with no fetch going on",
            "ratio": round(slowdown, 2),
            "target": f"<= {TARGET_SLOWDOWN:g}x the idle edit",
            "ok": slowdown <= TARGET_SLOWDOWN and edits > 0,
        },
        {
            "figure": f"panel Cancel during a {warm.pages}-page pull: click to rows kept "
            f"({len(cancelled.df)} rows, {cancelled.pages} pages)",
            "value": round(cancel_s, 3),
            "unit": "s",
            "baseline": f"{page_s:.3f} s: one page of the same pull",
            "ratio": round(cancel_pages, 2),
            "target": f"<= {TARGET_CANCEL_PAGES:g} pages",
            "ok": cancel_pages <= TARGET_CANCEL_PAGES and cancelled.pages < warm.pages,
        },
    ]


if __name__ == "__main__":
    for row in measure():
        print(row)
