"""A 30-day ``--all`` pull: the concurrent day split against sequential ``nextToken`` paging.

The emulator stands for a distant server: 50 ms added to every answer, served by two emulator
processes sharing one port (``SO_REUSEPORT``: the kernel spreads the connections), so that, as a
real backend would, it answers concurrent requests in parallel instead of queueing them behind
one Python interpreter; both are warmed by untimed pulls first (their day caches enlarged to hold
the period), so that the figure measures paging rather than the emulator's first generation of
each day's sessions. Both pulls ask for the same request; the
split must give the very same rows, in the same order, as the sequential pull.

    python -m benchmarks.bench_paging
"""

from __future__ import annotations

import subprocess
import sys
import time

LATENCY = 0.05
REQUEST = {"date": "2011-11-30", "period": "30d", "limit": 100}
TARGET_SPEEDUP = 3.0

SERVER_PROCESSES = 2
_SERVER = f"""
import sys
from ot_magic.emulator import Emulator, dataset, server
dataset.DAY_CACHE_SIZE = 64  # hold the whole period: both pulls then measure paging, not generation
server._PooledServer.allow_reuse_port = True  # several processes share one port, like a server farm
emulator = Emulator(port=int(sys.argv[1]), workers=32).start()
emulator.faults.update(latency={LATENCY})
print(emulator.url, flush=True)
sys.stdin.read()
emulator.stop()
"""


def _start_emulators() -> tuple[str, list[subprocess.Popen]]:
    """``SERVER_PROCESSES`` emulators sharing one port (the kernel spreads connections)."""
    processes: list[subprocess.Popen] = []
    url, port = "", 0
    for _ in range(SERVER_PROCESSES):
        process = subprocess.Popen(
            [sys.executable, "-c", _SERVER, str(port)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        processes.append(process)
        url = process.stdout.readline().strip()
        port = int(url.rsplit(":", 1)[1].split("/")[0])
    return url, processes


def _timed_pull(client, request, concurrency: int | None):
    """One ``--all`` pull; ``concurrency=None`` is the client's default (what the magic uses)."""
    options = {} if concurrency is None else {"concurrency": concurrency}
    start = time.perf_counter()
    result = client.sessions(request, all_pages=True, **options)
    return time.perf_counter() - start, result


def _default_concurrency() -> int:
    import inspect

    from ot_magic.client import OpenTrackerClient

    return inspect.signature(OpenTrackerClient.sessions).parameters["concurrency"].default


def measure() -> list[dict]:
    """Rows for the README: wall time of the split pull against the sequential one."""
    from ot_magic.client import OpenTrackerClient
    from ot_magic.emulator import DEMO_LOGIN, DEMO_PASSWORD
    from ot_magic.request import SessionsRequest

    url, emulators = _start_emulators()
    try:
        request = SessionsRequest(**REQUEST)
        with OpenTrackerClient(url, credentials=(DEMO_LOGIN, DEMO_PASSWORD)) as client:
            for _ in range(SERVER_PROCESSES):  # warm every emulator's day cache
                _timed_pull(client, request, None)
            sequential_s, sequential = _timed_pull(client, request, 1)
            split_s, split = _timed_pull(client, request, None)
    finally:
        for process in emulators:
            process.stdin.close()
            process.wait(timeout=30)
    same = split.df["session_id"].tolist() == sequential.df["session_id"].tolist()
    speedup = sequential_s / split_s
    return [
        {
            "figure": (
                f"30-day --all pull, {len(split.df):,} rows, {LATENCY * 1000:.0f} ms latency: "
                f"day split ({_default_concurrency()} days at once, {split.pages} pages)"
            ),
            "value": round(split_s, 2),
            "unit": "s",
            "baseline": f"{sequential_s:.2f} s: sequential nextToken paging ({sequential.pages} pages)",
            "ratio": round(speedup, 2),
            "target": f">= {TARGET_SPEEDUP:g}x faster",
            "ok": speedup >= TARGET_SPEEDUP and same,
        },
        {
            "figure": "rows of the day split identical to sequential paging (same session_ids, same order)",
            "value": same,
            "unit": "",
            "baseline": f"{len(sequential.df):,} rows of sequential paging",
            "ratio": 1.0 if same else 0.0,
            "target": "identical",
            "ok": same,
        },
    ]


if __name__ == "__main__":
    for row in measure():
        print(row)
