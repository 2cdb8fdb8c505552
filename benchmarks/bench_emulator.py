"""The emulator's speed and memory, each against a baseline measured in the same run.

- a 1000-row answer over a 90-day period, warm (its day already generated, as for every request
  after the first on a day) and cold (a fresh server), against a 40-row 1-day answer;
- requests per second of 40-row pages from 8 concurrent keep-alive clients (2000 requests, light
  ``http.client`` clients so that the figure is the server's), against one client alone; every
  answer must be a complete 40-row answer; the server's CPU time per request is shown too;
- resident memory after a query that reads every session of a year of www.opentracker.de (and
  of a month of the four times busier www.opentracker.net), with a search that matches nothing,
  against the same query over one day, each in a fresh process;
- generation: microseconds a row to make every session of a day of www.opentracker.net (all 69
  values of each, in the form the emulator keeps them: its 69 columns of texts, every value of
  each then read once, where ``BASELINE`` made a tuple a row; CPU time, median of 10 days, tables
  already loaded), against
  the generator of ``BASELINE`` (the code before vectorisation, checked out of git with
  ``git archive`` into a temporary directory: no copy of it is kept), each in a fresh process;
- ``--demo --all`` pulls through the client (``limit=1000``, the client's day split) of 30 and of
  365 days, the demo emulator in its own process, in a fresh "kernel" process each, against the
  same 30-day pull with ``BASELINE``'s in-kernel emulator (for 365 days the baseline is that
  30-day figure scaled by rows: the in-kernel year pull takes over five minutes). The kernel's
  peak memory is its own (the emulator's process is not counted).

The server runs in its own process, so the clients' work does not share its interpreter.

    python -m benchmarks.bench_emulator
    python -m benchmarks.bench_emulator generation pulls     # only those parts
"""

from __future__ import annotations

import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import requests

SESSIONS = "views/c_view_session.jsp"
CLIENTS = 8
REQUESTS = 2000
REPEATS = 15

_SERVER = """
import sys
from ot_magic.emulator import Emulator
emulator = Emulator(workers=16).start()
print(emulator.url, flush=True)
sys.stdin.read()
emulator.stop()
"""

_MEMORY = """
import json, sys, psutil, requests
from ot_magic.emulator import Emulator, DEMO_LOGIN, DEMO_PASSWORD
with Emulator() as emu:
    answer = requests.post(emu.url + "views/c_view_session.jsp", timeout=600, data={
        "login": DEMO_LOGIN, "password": DEMO_PASSWORD, "site": sys.argv[2],
        "date": "2011-12-31", "period": sys.argv[1], "search": "no-such-word", "limit": "40"})
    assert answer.json()["rows"] == 0, answer.text[:200]
    print(json.dumps({"rss": psutil.Process().memory_info().rss}))
"""


class _Server:
    """An emulator in a child process, for as long as the ``with`` block lasts."""

    def __enter__(self) -> _Server:
        self.process = subprocess.Popen([sys.executable, "-c", _SERVER], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True)  # fmt: skip
        self.url = self.process.stdout.readline().strip()
        return self

    def cpu_seconds(self) -> float:
        """CPU time the server process has used so far."""
        import psutil

        times = psutil.Process(self.process.pid).cpu_times()
        return times.user + times.system

    def __exit__(self, *exc: object) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)


def _params(**more: str) -> dict[str, str]:
    from ot_magic.emulator import DEMO_LOGIN, DEMO_PASSWORD

    return {"login": DEMO_LOGIN, "password": DEMO_PASSWORD, **more}


def _time(session: requests.Session, url: str, params: dict, rows: int) -> float:
    started = time.perf_counter()
    answer = session.post(url + SESSIONS, data=params, timeout=60)
    elapsed = time.perf_counter() - started
    assert answer.json()["rows"] == rows, answer.text[:200]
    return elapsed


def _latency() -> list[dict]:
    big = _params(date="2011-11-16", period="90d", limit="1000")
    small = _params(date="2011-11-16", limit="40")
    with _Server() as server, requests.Session() as session:
        url = server.url
        cold = _time(session, url, big, 1000)
        warm = statistics.median(_time(session, url, big, 1000) for _ in range(REPEATS))
        base = statistics.median(_time(session, url, small, 40) for _ in range(REPEATS))
    return [
        {
            "figure": "emulator: 1000-row answer over a 90-day period (warm day, median of 15, over HTTP)",
            "value": round(warm * 1000, 1), "unit": "ms",
            "baseline": f"{base * 1000:.1f} ms: 40-row 1-day answer",
            "ratio": round(warm / base, 2), "target": "<= 100 ms", "ok": warm <= 0.1,
        },
        {
            "figure": "emulator: the same answer from a fresh server (generates the day's rows)",
            "value": round(cold * 1000, 1), "unit": "ms",
            "baseline": f"{warm * 1000:.1f} ms: the same answer warm",
            "ratio": round(cold / warm, 2), "target": "<= 1000 ms (first request of a day)",
            "ok": cold <= 1.0,
        },
    ]  # fmt: skip


class _Client:
    """A light keep-alive HTTP client (http.client), so the figure measures the server."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.path = parts.path + SESSIONS
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)

    def page(self, date: str) -> None:
        body = urlencode(_params(date=date, limit="40"))
        self.connection.request("POST", self.path, body,
                                {"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
        answer = self.connection.getresponse()
        data = answer.read()
        if answer.status != 200 or json.loads(data)["rows"] != 40:
            raise AssertionError(f"{answer.status}: {data[:100]!r}")


def _throughput() -> list[dict]:
    dates = [f"2011-11-{day:02d}" for day in range(9, 17)]
    with _Server() as server:
        alone_client = _Client(server.url)
        for date in dates:  # warm every day the clients read
            alone_client.page(date)
        started = time.perf_counter()
        for i in range(200):
            alone_client.page(dates[i % len(dates)])
        alone = 200 / (time.perf_counter() - started)
        alone_client.connection.close()
        errors: list[str] = []
        counter = iter(range(REQUESTS))
        lock = threading.Lock()

        def client() -> None:
            own = _Client(server.url)
            while True:
                with lock:
                    n = next(counter, None)
                if n is None:
                    own.connection.close()
                    return
                try:
                    own.page(dates[n % len(dates)])
                except Exception as error:
                    errors.append(repr(error))
                    own = _Client(server.url)

        threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
        started, cpu = time.perf_counter(), server.cpu_seconds()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        rate = REQUESTS / (time.perf_counter() - started)
        cpu_ms = (server.cpu_seconds() - cpu) / REQUESTS * 1000
    return [
        {
            "figure": f"emulator: 40-row pages/s, {CLIENTS} concurrent clients, {REQUESTS} requests, "
                      f"{len(errors)} errors (server CPU {cpu_ms:.2f} ms a request)",
            "value": round(rate), "unit": "req/s",
            "baseline": f"{alone:.0f} req/s: one client alone",
            "ratio": round(rate / alone, 2), "target": ">= 200 req/s, 0 errors",
            "ok": rate >= 200 and not errors,
        }
    ]  # fmt: skip


def _rss(period: str, site: str) -> tuple[int, float]:
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", _MEMORY, period, site], capture_output=True,
                         text=True, check=True, timeout=900).stdout  # fmt: skip
    return json.loads(out.splitlines()[-1])["rss"], time.perf_counter() - started


def _memory() -> list[dict]:
    rows = []
    for site, long in (("www.opentracker.de", "12m"), ("www.opentracker.net", "1m")):
        day, day_s = _rss("1d", site)
        whole, whole_s = _rss(long, site)
        mib = 2**20
        rows.append({
            "figure": f"emulator: RSS after reading every session of {long} of {site} "
                      f"({whole_s:.0f} s; a search matching none)",
            "value": round(whole / mib, 1), "unit": "MiB",
            "baseline": f"{day / mib:.1f} MiB: the same query over 1 day ({day_s:.0f} s)",
            "ratio": round(whole / day, 2), "target": "<= 2x", "ok": whole <= 2 * day,
        })  # fmt: skip
    return rows


ROOT = Path(__file__).resolve().parents[1]
BASELINE = "4d42ada"  # main before the vectorised generator and the out-of-process demo

_GENERATION = """
import collections, datetime as dt, json, statistics, time
from ot_magic.emulator import dataset, world
world.preload()
def values_of(day):  # every value of every session of the day, as the emulator keeps them
    made = dataset.Day("www.opentracker.net", day)
    if hasattr(made, "columns"):  # kept as 69 columns of texts
        columns = made.columns()
        assert len(columns) == 69 and all(len(column) == len(made) for column in columns)
        for column in columns:
            collections.deque(column, maxlen=0)  # every value of the column read, in C
        return columns, len(made)
    if hasattr(made, "build"):  # row tuples, the whole day made at once
        made.build()
    return [made.row(i) for i in range(len(made))], len(made)  # row tuples, made as read
values_of(dt.date(2011, 10, 31))  # pools of regulars, tables
per_row = []
for day in range(1, 11):
    started = time.process_time()  # CPU time: the machine's other work does not count
    values, rows = values_of(dt.date(2011, 11, day))
    per_row.append((time.process_time() - started) / rows * 1e6)
print(json.dumps({"us": statistics.median(per_row), "rows": rows}))
"""

_PULL = """
import json, os, resource, sys, time
import psutil
from ot_magic import OpenTrackerClient, SessionsRequest, schema
UNIQUE = getattr(schema, "UNIQUE_TEXT_FIELDS", ())  # the text that does not repeat
days = int(sys.argv[1])
client = OpenTrackerClient("demo")  # starts the demo emulator (in its own process, or in-kernel)
kernel = psutil.Process()
server = ([c for c in kernel.children() if "ot_magic.emulator" in " ".join(c.cmdline())]
          or [None])[0]
cpu = lambda p: 0.0 if p is None else sum(p.cpu_times()[:2])
request = SessionsRequest(date="2011-12-31", period=f"{days}d", limit=1000)
before = (cpu(kernel), cpu(server))
started = time.perf_counter()
result = client.sessions(request, all_pages=True)
elapsed = time.perf_counter() - started
print(json.dumps({"s": elapsed, "rows": len(result.df), "pages": result.pages,
                  "kernel_cpu": cpu(kernel) - before[0], "server_cpu": cpu(server) - before[1],
                  "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
                  "frame": int(result.df.memory_usage(deep=True).sum()),
                  "unique_text": int(result.df[[c for c in result.df if c in UNIQUE]]
                                     .memory_usage(deep=True, index=False).sum()),
                  "unique_columns": sum(c in UNIQUE for c in result.df)}))
"""


def _baseline_tree() -> tempfile.TemporaryDirectory:
    """``BASELINE``'s ot_magic in a temporary directory (to put first on PYTHONPATH)."""
    tree = tempfile.TemporaryDirectory(prefix="ot-baseline-")
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", BASELINE, "ot_magic"],
                             capture_output=True, check=True).stdout  # fmt: skip
    subprocess.run(["tar", "-x", "-C", tree.name], input=archive, check=True)
    return tree


def _run(script: str, code_root: Path | str, *args: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(code_root)}
    # In code_root: ``python -c`` puts the working directory first on sys.path.
    out = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True,
                         check=True, timeout=3600, env=env, cwd=code_root).stdout  # fmt: skip
    return json.loads(out.splitlines()[-1])


def _generation() -> list[dict]:
    with _baseline_tree() as old:
        rounds = [(_run(_GENERATION, old)["us"], _run(_GENERATION, ROOT)["us"]) for _ in range(3)]
    before = statistics.median(r[0] for r in rounds)
    now = statistics.median(r[1] for r in rounds)
    return [
        {
            "figure": "emulator: generating a day of www.opentracker.net (every value of every "
                      "session as the emulator keeps it: 69 columns of texts, each value then "
                      f"read once; {BASELINE}: a tuple a row; median of 10 days, of 3 fresh "
                      "processes)",
            "value": round(now, 2), "unit": "µs/row",
            "baseline": f"{before:.1f} µs/row: the generator of {BASELINE} (git archive), same run",
            "ratio": round(now / before, 3), "target": "<= 0.1 × baseline (>= 10x faster)",
            "ok": now <= before / 10,
        }
    ]  # fmt: skip


def _pulls() -> list[dict]:
    with _baseline_tree() as old:
        before = _run(_PULL, old, "30")
    rows = []
    for days, target in ((30, 5.0), (365, 60.0)):
        now = _run(_PULL, ROOT, str(days))
        scaled = before["s"] * now["rows"] / before["rows"]
        how = "in-kernel emulator, same run" if days == 30 else "its 30-day pull scaled by rows"
        rows.append({
            "figure": f"--demo --all pull of {days} days through the client ({now['rows']:,} rows, "
                      f"{now['pages']} pages, limit=1000), demo emulator in its own process "
                      f"(CPU: emulator {now['server_cpu']:.1f} s, kernel "
                      f"{now['kernel_cpu']:.1f} s); kernel peak {now['peak'] / 2**30:.2f} GiB "
                      f"for a {now['frame'] / 2**30:.2f} GiB frame",
            "value": round(now["s"], 1), "unit": "s",
            "baseline": f"{scaled:.1f} s: {BASELINE}'s {how} (CPU {before['kernel_cpu']:.1f} s "
                        f"for 30 days, all in the kernel; kernel peak "
                        f"{before['peak'] / 2**30:.2f} GiB)",
            "ratio": round(now["s"] / scaled, 3), "target": f"<= {target:.0f} s",
            "ok": now["s"] <= target,
        })  # fmt: skip
    per_session, peak = now["frame"] / now["rows"], now["peak"] / now["frame"]
    rows += [
        {
            "figure": f"frame of the {days}-day pull: df.memory_usage(deep=True) per session "
                      "(repeated text as categoricals; ids, referrer links, IPs as strings: "
                      f"{now['unique_columns']} columns of them alone take "
                      f"{now['unique_text'] / now['rows']:.0f} B/session)",
            "value": round(per_session), "unit": "B/session",
            "baseline": f"{before['frame'] / before['rows']:.0f} B/session: {BASELINE}'s frame "
                        "of the 30-day pull (every text column a string)",
            "ratio": round(per_session / (before["frame"] / before["rows"]), 3),
            "target": "<= 500 B/session", "ok": per_session <= 500,
        },
        {
            "figure": f"kernel peak RSS of the {days}-day pull ({now['peak'] / 2**30:.2f} GiB, "
                      "interpreter and imports included) over its final frame",
            "value": round(peak, 2), "unit": "x frame",
            "baseline": f"{before['peak'] / before['frame']:.2f}x: {BASELINE}'s 30-day pull",
            "ratio": round(peak / (before["peak"] / before["frame"]), 3),
            "target": "<= 2x the frame", "ok": peak <= 2,
        },
    ]  # fmt: skip
    return rows


PARTS = {"latency": _latency, "throughput": _throughput, "memory": _memory,
         "generation": _generation, "pulls": _pulls}  # fmt: skip


def measure(parts: list[str] | None = None) -> list[dict]:
    """Rows for the README table (see the module docstring)."""
    return [row for name in parts or PARTS for row in PARTS[name]()]


if __name__ == "__main__":
    for row in measure(sys.argv[1:]):
        print(row)
