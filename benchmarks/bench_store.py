"""Pulls that outgrow memory: memory of a 90-day ``--to`` pull, and a repeated cell from the cache.

- memory: a fresh process pulls 90 days of www.opentracker.net (``limit = 1000``) to a Parquet
  dataset with :func:`ot_magic.bulk.pull_to` (what ``--to`` runs); its peak resident memory
  growth (``VmHWM`` restarted just before) is compared with one day's frame of the same pull,
  measured in the same process (``DataFrame.memory_usage(deep=True)``), after a warm-up that
  wrote that day to disk (imports and allocator pools are not counted). The figure is the
  median of ``MEMORY_RUNS`` fresh processes, the spread beside it: how much a process's
  allocators keep of memory already freed varies from run to run.
- cache: a real IPython shell runs the same ``%%otsessions --all --no-display`` cell (30 days)
  twice, the day cache in a fresh folder; the first fetches and stores the days, the second
  reads them from disk. The emulator's request count says how many requests each made.

The emulator runs in its own process with 50 ms added to every answer, as a distant API would;
it is warmed first (an untimed pull of the same days), so that the first cell measures fetching
rather than the emulator's first generation of each day.

    python -m benchmarks.bench_store
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time

LATENCY = 0.05
MEMORY_DAYS = 90
MEMORY_RUNS = 3
CACHE_CELL = "date = 2011-11-30\nperiod = 30d\nlimit = 1000\n"
TARGET_MEMORY_RATIO = 3.0
TARGET_SPEEDUP = 10.0

_SERVER = f"""
import sys
from ot_magic.emulator import Emulator
emulator = Emulator(workers=16).start()
emulator.faults.update(latency={LATENCY})
print(emulator.url, flush=True)
for line in sys.stdin:  # each line asks how many requests were answered so far
    print(len(emulator.requests), flush=True)
emulator.stop()
"""

_MEMORY_PROBE = """
import gc, json, re, sys, time
from pathlib import Path
from ot_magic.bulk import PullReport, pull_to
from ot_magic.client import OpenTrackerClient
from ot_magic.emulator import DEMO_LOGIN, DEMO_PASSWORD
from ot_magic.request import SessionsRequest

def resident(key):
    status = Path("/proc/self/status").read_text()
    return int(re.search(key + r":\\s+(\\d+) kB", status).group(1)) * 1024

url, folder, days = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
client = OpenTrackerClient(url, credentials=(DEMO_LOGIN, DEMO_PASSWORD))
whole = SessionsRequest(date="2011-11-30", period=f"{days}d", limit=1000)
one_day = whole.replace(period="1d")
frame = client.sessions(one_day, all_pages=True).df
day_bytes = int(frame.memory_usage(deep=True).sum())
day_rows = len(frame)
pull_to(client, one_day, folder / "warm")
del frame
gc.collect()
Path("/proc/self/clear_refs").write_text("5")  # restart the peak (VmHWM) from now
before = resident("VmRSS")
started = time.perf_counter()
report = PullReport()
dataset = pull_to(client, whole, folder / "visits", report=report)
seconds = time.perf_counter() - started
print(json.dumps({"growth": resident("VmHWM") - before, "day_bytes": day_bytes,
                  "day_rows": day_rows, "rows": dataset.rows(), "days": len(report.written),
                  "seconds": seconds}))
"""


class _Emulator:
    """The emulator in its own process; ``requests()`` asks it how many it has answered."""

    def __enter__(self) -> _Emulator:
        self.process = subprocess.Popen(
            [sys.executable, "-c", _SERVER],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        self.url = self.process.stdout.readline().strip()
        return self

    def requests(self) -> int:
        self.process.stdin.write("count\n")
        self.process.stdin.flush()
        return int(self.process.stdout.readline())

    def __exit__(self, *exc: object) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)


def _memory(url: str) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        done = subprocess.run(
            [sys.executable, "-c", _MEMORY_PROBE, url, folder, str(MEMORY_DAYS)],
            capture_output=True, text=True, check=True, timeout=1200,
        )  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def _cells(emulator: _Emulator) -> dict:
    """The same cell twice in a real IPython shell, the cache in a fresh folder."""
    from IPython.testing.globalipapp import start_ipython

    from ot_magic.emulator import DEMO_LOGIN, DEMO_PASSWORD

    shell = start_ipython()
    shell.run_line_magic("load_ext", "ot_magic")
    shell.run_line_magic("config", f"OTMagic.api_url = {emulator.url!r}")
    cell = f"%%otsessions --all --no-display --out visits\n{CACHE_CELL}"
    saved = dict(os.environ)
    os.environ.update(OT_LOGIN=DEMO_LOGIN, OT_PASSWORD=DEMO_PASSWORD)
    try:
        with tempfile.TemporaryDirectory() as warm, tempfile.TemporaryDirectory() as folder:
            os.environ["OT_CACHE_DIR"] = warm
            shell.run_cell(cell).raise_error()  # the emulator generates the days once
            os.environ["OT_CACHE_DIR"] = folder
            runs = []
            for _ in range(2):
                asked, started = emulator.requests(), time.perf_counter()
                shell.run_cell(cell).raise_error()
                runs.append((time.perf_counter() - started, emulator.requests() - asked))
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return {"first": runs[0], "second": runs[1], "rows": len(shell.user_ns["visits"])}


def _growth(memory: dict) -> float:
    return memory["growth"] / memory["day_bytes"]


def measure() -> list[dict]:
    """Rows for the README: memory of a 90-day pull to disk, and a repeated cell's time."""
    with _Emulator() as emulator:
        runs = sorted((_memory(emulator.url) for _ in range(MEMORY_RUNS)), key=_growth)
        cells = _cells(emulator)
    memory = runs[len(runs) // 2]
    mb = 1024 * 1024
    ratio = _growth(memory)
    spread = f"{_growth(runs[0]):.2f}x to {_growth(runs[-1]):.2f}x"
    (first_s, first_n), (second_s, second_n) = cells["first"], cells["second"]
    speedup = first_s / second_s
    return [
        {
            "figure": (
                f"peak resident memory growth of a {memory['days']}-day --to pull to Parquet "
                f"({memory['rows']:,} sessions, {memory['seconds']:.0f} s; median of "
                f"{len(runs)} fresh processes, {spread})"
            ),
            "value": round(memory["growth"] / mb, 1),
            "unit": "MiB",
            "baseline": (
                f"{memory['day_bytes'] / mb:.1f} MiB: one day's frame "
                f"({memory['day_rows']:,} sessions)"
            ),
            "ratio": round(ratio, 2),
            "target": f"<= {TARGET_MEMORY_RATIO:g}x one day's frame",
            "ok": ratio <= TARGET_MEMORY_RATIO,
        },
        {
            "figure": (
                f"a second identical --all cell (30 days, {cells['rows']:,} sessions) "
                f"from the day cache; {second_n} requests"
            ),
            "value": round(second_s, 3),
            "unit": "s",
            "baseline": f"{first_s:.2f} s: the first run ({first_n} requests, {LATENCY * 1000:.0f} ms latency)",
            "ratio": round(speedup, 1),
            "target": f"0 requests and >= {TARGET_SPEEDUP:g}x faster",
            "ok": second_n == 0 and speedup >= TARGET_SPEEDUP,
        },
    ]


if __name__ == "__main__":
    for row in measure():
        print(row)
