"""The emulator as a server: faults, loopback-only binding, bounds, the command line, demo_url."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest
import requests

from ot_magic.emulator import DEMO_LOGIN, DEMO_PASSWORD, Emulator, demo_url

SESSIONS = "views/c_view_session.jsp"
AUTH = {"login": DEMO_LOGIN, "password": DEMO_PASSWORD, "date": "2011-11-16", "limit": "2"}
NOW = 1321508700.0


@pytest.fixture()
def emu():
    with Emulator(clock=lambda: NOW) as running:
        yield running


def ask(emu: Emulator, **extra) -> requests.Response:
    return requests.post(emu.url + SESSIONS, data={**AUTH, **extra}, timeout=10)


def test_faults_are_off_by_default(emu):
    assert ask(emu).json()["rows"] == 2
    assert emu.faults.latency == 0 and emu.faults.fail_nth == {}


def test_latency_delays_every_answer(emu):
    emu.faults.update(latency=0.3)
    started = time.perf_counter()
    assert ask(emu).status_code == 200
    assert time.perf_counter() - started >= 0.3


def test_the_nth_request_fails_with_the_chosen_status(emu):
    emu.faults.update(fail_nth={2: 503, 3: 502})
    statuses = [ask(emu).status_code for _ in range(4)]
    assert statuses == [200, 503, 502, 200]
    assert [r.status for r in emu.requests[-4:]] == statuses
    emu.faults.update(fail_nth={1: 500})  # counting restarts at each update
    assert ask(emu).status_code == 500


def test_connection_reset_and_a_body_cut_short_break_the_transfer(emu):
    emu.faults.update(connection_reset=True)
    with pytest.raises(requests.ConnectionError):
        ask(emu)
    emu.faults.reset()
    emu.faults.update(truncate=True)
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        ask(emu)


@pytest.mark.parametrize(
    ("fault", "looks_like"),
    [
        ("html_error", lambda text: text.startswith("<html>") and "HTTP Status 500" in text),
        ("error_text", lambda text: text.startswith("Error: java.lang.RuntimeException: ")),
        (
            "error_json",
            lambda text: requests.models.complexjson.loads(text)["resultsList"][0]["error"],
        ),
    ],
)
def test_error_bodies_come_with_http_200(emu, fault, looks_like):
    emu.faults.update(**{fault: True})
    answer = ask(emu)
    assert answer.status_code == 200 and looks_like(answer.text)
    emu.faults.reset()
    assert ask(emu).json()["rows"] == 2


def test_unknown_faults_are_refused(emu):
    with pytest.raises(TypeError, match="unknown fault 'slow'"):
        emu.faults.update(slow=True)
    with pytest.raises(ValueError, match="fail_nth"):
        emu.faults.update(fail_nth={1: "explode"})


def test_a_non_loopback_address_is_refused_unless_allowed():
    with pytest.raises(ValueError, match="not a loopback address"):
        Emulator(host="0.0.0.0")
    assert Emulator(host="0.0.0.0", allow_remote=True).url.startswith("http://0.0.0.0:")
    assert Emulator(host="::1").url.startswith("http://[::1]:")


def test_an_oversized_body_is_refused_and_unknown_paths_are_404(emu):
    big = requests.post(emu.url + SESSIONS, data={"search": "x" * 70_000}, timeout=10)
    assert big.status_code == 413
    assert requests.get(emu.url + "views/nothing.jsp", timeout=10).status_code == 404


def test_demo_url_is_one_running_emulator_per_process():
    url = demo_url()
    assert url == demo_url() and url.startswith("http://127.0.0.1:")
    assert requests.post(url + SESSIONS, data=AUTH, timeout=10).json()["rows"] == 2


def _run_cli(*args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "ot_magic.emulator", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)  # fmt: skip


def test_command_line_prints_its_url_first_and_stops_cleanly_on_sigterm(emu):
    process = _run_cli("--host", "127.0.0.1", "--port", "0")
    try:
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/api/")
        past = {**AUTH, "date": "2011-11-10", "limit": "500"}
        there = requests.post(url + SESSIONS, data=past, timeout=30).content
        here = requests.post(emu.url + SESSIONS, data=past, timeout=30).content
        # Another process (its own hash seed and caches) and another clock: the same bytes.
        own = lambda u: u.replace("/", "\\/").encode()  # noqa: E731
        assert there.replace(own(url), b"") == here.replace(own(emu.url), b"")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.stderr.read() == ""


def test_command_line_refuses_a_remote_bind_without_allow_remote():
    process = _run_cli("--host", "0.0.0.0", "--port", "0")
    _, err = process.communicate(timeout=30)
    assert process.returncode == 2 and "not a loopback address" in err


def test_more_clients_than_workers_are_queued_not_refused():
    from concurrent.futures import ThreadPoolExecutor

    with Emulator(clock=lambda: NOW, workers=2, idle_timeout=0.5) as small:

        def one(_: int) -> int:
            with requests.Session() as own:  # keep-alive: each holds a worker while it lasts
                return sum(
                    own.post(small.url + SESSIONS, data=AUTH, timeout=30).json()["rows"]
                    for _ in range(3)
                )

        with ThreadPoolExecutor(6) as pool:
            assert list(pool.map(one, range(6))) == [6] * 6


def test_stop_hangs_up_on_idle_keep_alive_clients_at_once():
    emu = Emulator(clock=lambda: NOW, idle_timeout=30).start()
    with requests.Session() as session:
        assert session.post(emu.url + SESSIONS, data=AUTH, timeout=10).json()["rows"] == 2
        started = time.perf_counter()
        emu.stop()
        assert time.perf_counter() - started < 5
        with pytest.raises(requests.ConnectionError):
            session.post(emu.url + SESSIONS, data=AUTH, timeout=5)


# ------------------------------------------------------------------ a server that holds up

HEAVY = {**AUTH, "date": "2011-12-31", "period": "400d", "search": "no-such-word", "limit": "40"}


def _raw(url: str) -> socket.socket:
    host, port = url.split("//")[1].split("/")[0].rsplit(":", 1)
    return socket.create_connection((host, int(port)), timeout=10)


def _read_all(sock: socket.socket, seconds: float) -> bytes:
    """Everything the server sends until it hangs up (or ``seconds`` pass)."""
    sock.settimeout(seconds)
    chunks = []
    with contextlib.suppress(OSError):
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_slow_loris_connections_neither_stall_the_server_nor_stay_forever():
    with Emulator(clock=lambda: NOW, workers=16, read_deadline=2.0) as emu:
        loris = [_raw(emu.url) for _ in range(16)]
        for sock in loris:
            sock.sendall(f"POST /api/{SESSIONS} HTTP/1.1\r\nHost: x\r\n".encode())
        stop = threading.Event()

        def drip() -> None:
            for _ in range(40):  # a header byte each 0.1 s, for at most 4 s
                if stop.wait(0.1):
                    return
                for sock in loris:
                    with contextlib.suppress(OSError):
                        sock.sendall(b"X")

        dripping = threading.Thread(target=drip)
        dripping.start()
        try:
            for _ in range(5):
                started = time.perf_counter()
                assert ask(emu).json()["rows"] == 2
                assert time.perf_counter() - started < 1.0
            started = time.perf_counter()
            dropped = [_read_all(sock, 5.0) for sock in loris]
            assert time.perf_counter() - started < 4.0  # the 2 s deadline, not the 4 s drip
            assert all(answer == b"" for answer in dropped)  # hung up on, never answered
        finally:
            stop.set()
            dripping.join(10)
            for sock in loris:
                sock.close()


def test_an_answer_the_client_gave_up_on_stops_using_cpu(emu):
    with pytest.raises(requests.Timeout):
        requests.post(emu.url + SESSIONS, data=HEAVY, timeout=0.5)
    deadline = time.monotonic() + 5
    while not any(r.status == 499 for r in emu.requests) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert any(r.status == 499 for r in emu.requests)  # the answer was dropped, not finished
    cpu = time.process_time()
    time.sleep(0.5)
    assert time.process_time() - cpu < 0.1  # nothing runs on in this process
    assert ask(emu).json()["rows"] == 2


def test_sigterm_stops_the_command_line_within_two_seconds_even_mid_answer():
    process = _run_cli("--host", "127.0.0.1", "--port", "0")
    try:
        url = process.stdout.readline().strip()

        def busy() -> None:
            with contextlib.suppress(requests.RequestException):
                requests.post(url + SESSIONS, data=HEAVY, timeout=30)

        threading.Thread(target=busy, daemon=True).start()
        time.sleep(0.5)  # the heavy answer is being computed
        started = time.perf_counter()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
        assert time.perf_counter() - started < 2.0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_a_chunked_body_is_refused_and_never_read_as_a_second_request(emu):
    smuggled = b"GET /api/views/nothing.jsp HTTP/1.1\r\nHost: x\r\n\r\n"
    body = b"%x\r\n%s\r\n0\r\n\r\n" % (len(smuggled), smuggled)
    with _raw(emu.url) as sock:
        sock.sendall(f"POST /api/{SESSIONS} HTTP/1.1\r\nHost: x\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n".encode() + body)  # fmt: skip
        answer = _read_all(sock, 5.0)
    assert answer.startswith(b"HTTP/1.1 411 ") and answer.count(b"HTTP/1.1") == 1
    assert not any(r.status == 404 for r in emu.requests)


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        ({}, "search=caf%C3%A9"),  # UTF-8 when no charset is named
        ({"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"}, "search=café"),
        ({"Content-Type": "application/x-www-form-urlencoded; charset=ISO-8859-1"},
         "search=caf%E9"),
        ({"Content-Type": "application/x-www-form-urlencoded; charset=ISO-8859-1"},
         "search=café".encode("latin-1")),
    ],
)  # fmt: skip
def test_a_form_body_is_read_in_the_charset_its_content_type_names(emu, headers, body):
    form = "&".join(f"{k}={v}" for k, v in AUTH.items()).encode()
    raw = form + b"&" + (body if isinstance(body, bytes) else body.encode())
    headers = {"Content-Type": "application/x-www-form-urlencoded", **headers}
    answer = requests.post(emu.url + SESSIONS, data=raw, headers=headers, timeout=10)
    assert answer.json()["rows"] == 0 and emu.requests[-1].params["search"] == "café"


def test_an_unknown_body_charset_is_refused(emu):
    answer = requests.post(emu.url + SESSIONS, data=b"limit=1", timeout=10,
                           headers={"Content-Type": "application/x-www-form-urlencoded; charset=x-nope"})  # fmt: skip
    assert answer.status_code == 415


@pytest.mark.parametrize(
    ("path", "extra"),
    [(SESSIONS, {}), (SESSIONS, {"dataType": "csv"}), (SESSIONS, {"dataType": "html"}),
     (SESSIONS, {"jsoncallback": "cb"}), (SESSIONS, {"limit": "0"}), ("management/login_user.jsp", {}),
     ("views/nothing.jsp", {})],
)  # fmt: skip
def test_every_answer_names_its_charset(emu, path, extra):
    answer = requests.post(emu.url + path, data={**AUTH, **extra}, timeout=10)
    assert answer.headers["Content-Type"].endswith("; charset=UTF-8")
