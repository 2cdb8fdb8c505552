"""The emulator as its own process under load: 8 concurrent clients, no error, flat memory; and
requests no client should send (oversized, malformed, not UTF-8, cut off) refused cleanly while it
keeps serving everyone else.
"""

from __future__ import annotations

import itertools
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import psutil
import pytest
import requests

from ot_magic.client import OpenTrackerClient
from ot_magic.emulator import DEMO_LOGIN, DEMO_PASSWORD
from ot_magic.request import SessionsRequest

CLIENTS = 8
REQUESTS_EACH = 25
DEADLINE_SECONDS = 60
RSS_GROWTH_LIMIT = 24 * 2**20  # bytes the server may grow by after its caches are warm
SESSIONS = "views/c_view_session.jsp"
AUTH = {"login": DEMO_LOGIN, "password": DEMO_PASSWORD}

# A fixed mix of requests (days, pages, filters); repeated, they must not make the server grow.
MIX = [
    SessionsRequest(date=f"2011-11-{day}", limit=limit, **extra)
    for day, limit, extra in itertools.product(
        (14, 15, 16),
        (10, 200),
        ({}, {"includeCountryCode": "US, GB"}, {"search": "*google*"}, {"orderCriteria": "duration desc"}),
    )
]  # fmt: skip


@pytest.fixture(scope="module")
def server():
    """``python -m ot_magic.emulator`` on a free loopback port: (its URL, its process)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "ot_magic.emulator", "--host", "127.0.0.1", "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    try:
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), process.stderr.read()
        yield url, psutil.Process(process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    assert process.stderr.read() == "", "the emulator printed errors"


def fetch_mix(url: str, offset: int, count: int, errors: list, done: list) -> None:
    started = time.monotonic()
    with OpenTrackerClient(url, credentials=(DEMO_LOGIN, DEMO_PASSWORD), retries=0) as client:
        for n in range(count):
            if time.monotonic() - started > DEADLINE_SECONDS:
                errors.append("deadline passed")
                return
            request = MIX[(offset + n) % len(MIX)]
            try:
                result = client.sessions(request)
                assert 0 < len(result.df) <= request.params["limit"]
            except Exception as error:
                errors.append(f"{request!r}: {type(error).__name__}: {error}")
            else:
                done.append(1)


def test_eight_concurrent_clients_get_every_answer_and_the_server_stays_flat(server):
    url, process = server
    errors: list[str] = []
    done: list[int] = []
    fetch_mix(url, 0, len(MIX), errors, done)  # warm: every day and answer of the mix once
    before = process.memory_info().rss
    threads = [
        threading.Thread(target=fetch_mix, args=(url, i * 5, REQUESTS_EACH, errors, done))
        for i in range(CLIENTS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(DEADLINE_SECONDS + 10)
    after = process.memory_info().rss
    assert errors == []
    assert len(done) == len(MIX) + CLIENTS * REQUESTS_EACH
    assert after - before < RSS_GROWTH_LIMIT, f"grew {(after - before) / 2**20:.1f} MB"


def raw_answer(url: str, data: bytes) -> bytes:
    """Send ``data`` on a fresh connection; the first bytes the server answers (b"" when it hung
    up without a word, or reset the connection because ``data`` was too much to read)."""
    host, port = url.split("//")[1].split("/")[0].split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        try:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
            return sock.recv(256)
        except OSError:  # reset or closed before all was sent: the server refused to read it
            return b""


def post_head(length: str, extra: str = "") -> bytes:
    return (
        f"POST /api/{SESSIONS} HTTP/1.1\r\nHost: x\r\n"
        f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {length}\r\n{extra}\r\n"
    ).encode("latin-1")  # as HTTP headers are read


REFUSED = b"HTTP/1.1 400"
# What is sent, and the answers that refuse it cleanly. An answer of b"" is a hang-up: right for
# a request that never ends, and allowed for one too big to read (the reset may beat the answer).
MALFORMED = {
    "a body over the limit": (post_head(str(50 * 2**20)) + b"x" * 4096, (b"HTTP/1.1 413", b"")),
    "a content length that is no number": (post_head("abc") + b"limit=1", (REFUSED,)),
    "a negative content length": (post_head("-5") + b"limit=1", (REFUSED,)),
    "a content length in other digits": (post_head("\u00b2") + b"ab", (REFUSED,)),
    "two content lengths": (post_head("3", "Content-Length: 9\r\n") + b"limit=1", (REFUSED,)),
    "garbage bytes": (bytes(range(256)) * 4 + b"\r\n\r\n", (REFUSED, b"<!DOCTYPE HTML>")),
    "a request line of 100 kB": (b"GET /api/" + b"a" * 100_000 + b" HTTP/1.1\r\n\r\n", (b"HTTP/1.1 414", b"")),
    "a header of 100 kB": (b"GET /api/ HTTP/1.1\r\nX: " + b"a" * 100_000 + b"\r\n\r\n", (b"HTTP/1.1 431", b"")),
    # http.server reads headers cut off by the end of the stream as they stand: any plain answer
    "headers cut off": (b"POST /api/" + SESSIONS.encode() + b" HTTP/1.1\r\nHost: x\r\nContent-Le", (b"HTTP/1.1 ", b"")),
    "a body cut off": (post_head("500") + b"login=demo", (REFUSED,)),
    "a chunked body": (
        b"POST /api/" + SESSIONS.encode() + b" HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"7\r\nlimit=1\r\n0\r\n\r\n", (b"HTTP/1.1 411",),
    ),
    "a chunked body with a content length": (
        post_head("7", "Transfer-Encoding: chunked\r\n") + b"7\r\nlimit=1\r\n0\r\n\r\n", (REFUSED,),
    ),
    "a body that is not UTF-8": (
        post_head("40") + b"login=\xff\xfe\xfd&password=\xc3\x28&limit=\x80\x81".ljust(40, b"&"),
        (b"HTTP/1.1 200",),
    ),
}  # fmt: skip


@pytest.mark.parametrize("what", list(MALFORMED))
def test_a_malformed_request_is_refused_cleanly_and_the_server_keeps_serving(server, what):
    url, process = server
    data, refusals = MALFORMED[what]
    answer = raw_answer(url, data)
    assert any(answer.startswith(r) if r else answer == r for r in refusals), answer[:120]
    if b"400" in refusals[0]:
        assert (
            b"400" in answer
        )  # http.server answers a request line it cannot read without a status line
    good = requests.post(
        url + SESSIONS, data={**AUTH, "date": "2011-11-16", "limit": "3"}, timeout=10
    )
    assert good.status_code == 200 and good.json()["rows"] == 3
    assert process.is_running()


def test_a_flood_of_silent_connections_gets_a_prompt_503_not_a_hang(server):
    """Past its queue (5 x 16 connections) the server says 503 at once; when the flood is gone,
    it serves again."""
    url, _ = server
    host, port = url.split("//")[1].split("/")[0].split(":")
    ask = {**AUTH, "date": "2011-11-16", "limit": "3"}
    idle = [socket.create_connection((host, int(port)), timeout=10) for _ in range(90)]
    try:
        started = time.monotonic()
        assert requests.post(url + SESSIONS, data=ask, timeout=30).status_code == 503
        assert time.monotonic() - started < 3
    finally:
        for sock in idle:
            sock.close()
    assert requests.post(url + SESSIONS, data=ask, timeout=30).json()["rows"] == 3
