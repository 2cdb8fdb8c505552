"""The transport's bounds against hostile answers, each against a baseline of the same run.

- memory: a 400 MB body and a gzip bomb (200 MB of zeros in 200 KB), read with the default
  ``max_bytes`` (64 MB), must grow the process's peak RSS by less than twice the cap; the
  baseline is the growth for a legitimate 32 MB answer read whole;
- time: a server that drips a byte every 0.2 s must be given up at the deadline (``timeout``
  2 s), not later; the baseline is the deadline itself;
- scrubbing every answer of every encoding of the secret, per MB, against ``json.loads`` of the
  same answer (what reading it costs anyway).

Each memory figure comes from a fresh process (its own peak, ``VmHWM``, before and after one
request).

    python -m benchmarks.bench_transport
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

CAP = 64 << 20
TIMEOUT = 2.0
ROOT = str(Path(__file__).resolve().parent.parent)


def _bomb(megabytes: int) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    chunk = bytes(1 << 20)
    return b"".join(packer.compress(chunk) for _ in range(megabytes)) + packer.flush()


class _Hostile(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    bomb = b""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        kind = self.path.rsplit("/", 1)[-1]
        try:
            if kind == "huge" or kind == "legit":
                megabytes = 400 if kind == "huge" else 32
                self._head(megabytes << 20)
                row = b'["x"],' * ((1 << 20) // 6)
                for _ in range(megabytes):
                    self.wfile.write(row.ljust(1 << 20))
            elif kind == "bomb":
                self._head(len(self.bomb), "Content-Encoding: gzip")
                self.wfile.write(self.bomb)
            else:  # drip
                self._head(100_000)
                for _ in range(100_000):
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(0.2)
        except OSError:
            pass  # the client hung up, as it should

    def _head(self, length: int, *extra: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(length))
        for line in extra:
            name, _, value = line.partition(": ")
            self.send_header(name, value)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients that hang up on a hostile answer are the point


_PROBE = textwrap.dedent(
    """
    import sys
    from ot_magic.credentials import Credentials
    from ot_magic.transport import Transport

    def peak():  # VmHWM: this process's own peak (ru_maxrss can carry a parent's over exec)
        with open("/proc/self/status") as status:
            line = next(line for line in status if line.startswith("VmHWM:"))
        return int(line.split()[1]) * 1024

    transport = Transport(sys.argv[1], timeout=120, retries=0, max_bytes=int(sys.argv[3]))
    account = Credentials("me@example.org", "pw-Ca!n#a&r y-é9")
    before = peak()
    try:
        body = transport.post(sys.argv[2], {}, account)
        said = f"read {len(body) >> 20} MB"
    except Exception as error:
        said = str(error)
    print(peak() - before)
    print(said)
    """
)


def _rss_growth(url: str, path: str) -> tuple[int, str]:
    probe = subprocess.run(
        [sys.executable, "-c", _PROBE, url, path, str(CAP)],
        capture_output=True, text=True, timeout=300, env={**os.environ, "PYTHONPATH": ROOT},
    )  # fmt: skip
    growth, said = probe.stdout.strip().split("\n", 1)
    return int(growth), said


def _scrub_per_mb() -> tuple[float, float, float, int]:
    from ot_magic import demo
    from ot_magic.transport import Transport, scrub_bytes

    transport = Transport(demo.url())
    params = {"date": "2011-11-16", "period": "3d", "limit": "1000", "dataType": "json"}
    body = transport.post("views/c_view_session.jsp", params, demo.credentials())
    secret, ascii_secret = "pw-Ca!n#a&r y-é9", "pw-Ca!n#a&r y-e9"  # Python's re; RE2 first
    best_scrub = best_ascii = best_json = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        scrub_bytes(body, [secret])
        best_scrub = min(best_scrub, time.perf_counter() - started)
        started = time.perf_counter()
        scrub_bytes(body, [ascii_secret])
        best_ascii = min(best_ascii, time.perf_counter() - started)
        started = time.perf_counter()
        json.loads(body)
        best_json = min(best_json, time.perf_counter() - started)
    return best_scrub, best_ascii, best_json, len(body)


def measure() -> list[dict]:
    _Hostile.bomb = _bomb(200)
    server = _QuietServer(("127.0.0.1", 0), _Hostile)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/api/"
    try:
        legit, legit_said = _rss_growth(url, "legit")
        rows = []
        for kind, what in (("huge", "a 400 MB body"), ("bomb", "a gzip bomb (200 MB of zeros)")):
            growth, said = _rss_growth(url, kind)
            refused = "larger than 64 MB" in said
            rows.append(
                {
                    "figure": f"peak RSS growth reading {what}, max_bytes 64 MB"
                    + (", refused in one line" if refused else f" ({said[:80]})"),
                    "value": round(growth / 2**20, 1),
                    "unit": "MB",
                    "baseline": f"{legit / 2**20:.1f} MB: a 32 MB answer read whole ({legit_said})",
                    "ratio": round(growth / CAP, 2),
                    "target": "< 2x the cap, one line",
                    "ok": refused and growth < 2 * CAP,
                }
            )
        from ot_magic.credentials import Credentials
        from ot_magic.errors import TransportError
        from ot_magic.transport import Transport

        transport = Transport(url, timeout=TIMEOUT, retries=0)
        started = time.perf_counter()
        try:
            transport.post("drip", {}, Credentials("me@example.org", "pw-123456"))
            said = "answered"
        except TransportError as error:
            said = str(error)
        waited = time.perf_counter() - started
        rows.append(
            {
                "figure": "a server dripping a byte every 0.2 s is given up at the deadline",
                "value": round(waited, 2),
                "unit": "s",
                "baseline": f"{TIMEOUT:g} s: the configured timeout",
                "ratio": round(waited / TIMEOUT, 2),
                "target": "<= 1.25x the timeout, one line",
                "ok": waited <= 1.25 * TIMEOUT and "within" in said and "\n" not in said,
            }
        )
    finally:
        server.shutdown()
    scrub_s, ascii_s, json_s, size = _scrub_per_mb()
    rows.append(
        {
            "figure": f"scrubbing every encoding of a secret from a {size / 2**20:.1f} MB answer "
            f"(a secret with é; an ASCII one, looked through by RE2 first: {ascii_s * 1000:.1f} ms)",
            "value": round(scrub_s * 1000, 1),
            "unit": "ms",
            "baseline": f"{json_s * 1000:.1f} ms: json.loads of the same answer",
            "ratio": round(scrub_s / json_s, 2),
            "target": "<= 2x json.loads",
            "ok": scrub_s <= 2 * json_s,
        }
    )
    return rows


if __name__ == "__main__":
    for row in measure():
        print(row)
