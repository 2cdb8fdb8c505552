"""The client against a hostile server of our own on 127.0.0.1 (``tests/hostile_server.py``).

The canary password holds ``! # & space é``; the server echoes it back in every encoding, drips,
bombs, floods, redirects and answers in other charsets. Whatever it does, the user sees one
line, on time, and no piece of the canary in any encoding: not in the error, not in a
traceback under ``%xmode Verbose`` in a real IPython shell, not in a notebook saved by nbclient.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
import traceback
from pathlib import Path

import nbformat
import pytest
from hostile_server import (
    CANARY,
    HostileServer,
    answer,
    drip,
    echo,
    encodings,
    gzip_answer,
    gzip_bomb,
    huge,
    leaks,
    page,
    pages,
    raw,
    redirect,
)

from ot_magic.client import OpenTrackerClient
from ot_magic.credentials import Credentials
from ot_magic.errors import (
    ConfigurationError,
    OpenTrackerError,
    ParameterError,
    PartialResultError,
    RequestCancelled,
    ResponseError,
    TransportError,
)
from ot_magic.paging import MAX_EMPTY_PAGES
from ot_magic.request import SessionsRequest
from ot_magic.transport import Transport

DAY = SessionsRequest(date="2011-11-16", limit=5)
LOGIN = "someone@example.org"
ROW = ["1321472676886.715589607", "Zürich", "1321472676886"]


@pytest.fixture(scope="module")
def server():
    with HostileServer() as hostile:
        yield hostile


def client_of(server, **options):
    options = {"credentials": (LOGIN, CANARY), "retries": 0, "timeout": 5, **options}
    return OpenTrackerClient(server.url, **options)


def shown(error: BaseException) -> str:
    """All a user or a log could see of ``error``: message, traceback with chained causes,
    attributes, and the local variables of every frame outside this file."""
    caught = traceback.TracebackException.from_exception(error, capture_locals=True)
    frames = [f for f in caught.stack if f.filename != __file__]
    return "\n".join(
        [
            "".join(traceback.format_exception(error)),
            repr(vars(error)),
            *(f"{frame.name}: {frame.locals}" for frame in frames),
        ]
    )


def failure_of(call) -> BaseException:
    try:
        call()
    except BaseException as error:
        return error
    raise AssertionError("no error")


# --- secrets ------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [200, 418, 500])
@pytest.mark.parametrize("wrapper", ["error", "title", "json", "form"])
def test_an_echoed_password_in_any_encoding_never_reaches_the_error(server, wrapper, status):
    server.behave(echo(status, wrapper))
    error = failure_of(lambda: client_of(server).sessions(DAY))
    assert isinstance(error, OpenTrackerError) and "\n" not in str(error)
    assert not leaks(shown(error)), leaks(shown(error))


@pytest.mark.parametrize("before", [5, 20, 100, 113])
def test_a_message_cut_to_length_shows_no_start_of_the_password(server, before):
    server.behave(echo(200, str(before)))  # the cut at 120 (or 20) falls inside the password
    error = failure_of(lambda: client_of(server).sessions(DAY))
    assert not leaks(str(error), window=3), str(error)


@pytest.mark.parametrize("cut", [4, 8, 12])
def test_an_answer_cut_inside_the_echoed_password_shows_none_of_it(server, cut):
    server.behave(echo(200, "error", cut=cut))
    error = failure_of(lambda: client_of(server).sessions(DAY))
    assert not leaks(shown(error), window=3), str(error)


@pytest.mark.parametrize("prefix", [b"", b"a", b"ab", LOGIN.encode() + b":"])
def test_the_password_in_base64_or_hex_is_scrubbed_at_any_offset(prefix):
    from ot_magic.transport import scrub

    encoded = base64.b64encode(prefix + CANARY.encode()).decode()
    left = scrub(f"Basic {encoded} / {CANARY.encode().hex().upper()}", [CANARY])
    assert left.count("***") == 2 and len(left) <= len(prefix) * 4 // 3 + 4 + 20, left


def test_a_ticket_echoed_back_is_scrubbed_like_a_password(server):
    ticket = "0b6f9a1e-5c1d-4c8e-9f3a-2d7b8e6f1a90"
    server.behave(echo(200, "error"))
    error = failure_of(
        lambda: client_of(server, credentials=Credentials(ticket_id=ticket)).sessions(DAY)
    )
    assert not leaks(shown(error), secret=ticket)


@pytest.mark.parametrize(
    "data",
    [
        b"HTTP/1.1 abc OK\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nbody\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 9\r\n\r\nnot gzip!",
        b"HTTP/1.1 200 OK\r\nX-Long: " + b"a" * 70000 + b"\r\n\r\n",
        b"HTTP/1.1 200 OK\r\n" + b"X-Many: 1\r\n" * 120 + b"\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Encoding: br\r\nContent-Length: 2\r\n\r\nxx",
    ],
    ids=["bad-status", "bad-chunk", "bad-gzip", "long-header", "many-headers", "brotli"],
)
def test_what_breaks_http_itself_is_one_line_without_the_form(server, data):
    server.behave(raw(data))
    error = failure_of(lambda: client_of(server).sessions(DAY))
    assert isinstance(error, OpenTrackerError) and "\n" not in str(error), repr(error)
    assert not leaks(shown(error))


def test_a_lone_surrogate_is_one_line_naming_the_parameter_and_nothing_is_sent(server):
    before = len(server.requests)
    transport = Transport(server.url)
    account = Credentials(LOGIN, CANARY)
    with pytest.raises(ParameterError, match=r"^search: its value holds a character"):
        transport.post("views/c_view_session.jsp", {"search": "caf\udce9"}, account)
    assert len(server.requests) == before


def test_a_redirect_is_refused_and_the_password_is_not_posted_on(server):
    with HostileServer() as elsewhere:
        server.behave(redirect(307, elsewhere.url))
        with pytest.raises(ConfigurationError, match="redirects elsewhere"):
            client_of(server).sessions(DAY)
        assert not elsewhere.requests


def test_loopback_ignores_proxies_while_the_real_host_keeps_https_proxy(server, monkeypatch):
    with socket.create_server(("127.0.0.1", 0)) as proxy:
        proxy.settimeout(10)
        url = f"http://127.0.0.1:{proxy.getsockname()[1]}"
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
            monkeypatch.setenv(name, url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        server.behave(answer(page([ROW])))
        assert len(client_of(server).sessions(DAY).df) == 1  # straight to the server

        seen = []

        def refuse_the_tunnel():
            connection, _ = proxy.accept()
            with connection:
                seen.append(connection.recv(4096))
                connection.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")

        thread = threading.Thread(target=refuse_the_tunnel, daemon=True)
        thread.start()
        public = OpenTrackerClient(credentials=(LOGIN, CANARY), retries=0, timeout=5)
        error = failure_of(lambda: public.sessions(DAY))  # nothing leaves 127.0.0.1
        thread.join(10)
    assert isinstance(error, TransportError) and "\n" not in str(error)
    assert seen and seen[0].startswith(b"CONNECT api.opentracker.net:443 ")
    assert CANARY.encode() not in seen[0]


# --- tracebacks in a real IPython shell, and a saved notebook -------------------------------


@pytest.fixture
def hostile_shell(ip, server, monkeypatch):
    monkeypatch.setenv("OT_LOGIN", LOGIN)
    monkeypatch.setenv("OT_PASSWORD", CANARY)
    ip.run_line_magic("config", f"OTMagic.api_url = {server.url!r}")
    ip.run_line_magic("config", "OTMagic.timeout = 3.0")
    yield ip
    ip.run_line_magic("xmode", "Context")


@pytest.mark.parametrize("short_errors", [True, False])
def test_verbose_tracebacks_in_ipython_show_no_piece_of_the_password(
    hostile_shell, server, capsys, short_errors
):
    ip = hostile_shell
    ip.run_line_magic("config", f"OTMagic.short_errors = {short_errors}")
    ip.run_line_magic("xmode", "Verbose")
    for behaviour in (echo(500, "json"), echo(418, "title"), echo(200, "113"), echo(200, "form")):
        server.behave(behaviour)
        result = ip.run_cell("%%otsessions\ndate = 2011-11-16\n")
        assert isinstance(result.error_in_exec, Exception)
    server.behave(answer(b"HTTP/1.1 garbage", content_type="x\r\nBroken: \x00"))
    assert ip.run_cell("%otsessions date=2011-11-16").error_in_exec is not None
    out = "".join(capsys.readouterr())
    assert "Traceback" in out or short_errors
    assert not leaks(out), leaks(out)


def test_an_interrupt_during_a_single_page_is_one_line_and_shows_no_form(
    hostile_shell, server, capsys
):
    ip = hostile_shell
    ip.run_line_magic("config", "OTMagic.short_errors = False")  # the whole traceback, verbose
    ip.run_line_magic("xmode", "Verbose")
    server.behave(drip())
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    interrupt = threading.Timer(0.6, os.kill, (os.getpid(), signal.SIGINT))
    try:
        interrupt.start()
        started = time.monotonic()
        result = ip.run_cell("%otsessions date=2011-11-16")
        waited = time.monotonic() - started
    finally:
        interrupt.cancel()
        interrupt.join()
        signal.signal(signal.SIGINT, previous)
    assert isinstance(result.error_in_exec, KeyboardInterrupt) and waited < 2.5
    out = "".join(capsys.readouterr())
    assert "interrupted before the answer" in out and "Traceback" in out
    assert not leaks(out), leaks(out)


def test_a_notebook_run_against_the_hostile_server_saves_no_piece_of_the_password(server, tmp_path):
    from nbclient import NotebookClient

    server.behave(echo(200, "error"))
    cells = [
        "%load_ext ot_magic",
        f"%config OTMagic.api_url = {server.url!r}\n%config OTMagic.timeout = 3.0",
        "%%otsessions\ndate = 2011-11-16\n",
        "%xmode Verbose\n%config OTMagic.short_errors = False",
        "%%otsessions\ndate = 2011-11-16\n",
        "import ot_magic\nclient = ot_magic.OpenTrackerClient()\nprint(repr(client), vars(client))",
    ]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    env = {**os.environ, "OT_LOGIN": LOGIN, "OT_PASSWORD": CANARY, "PYTHONPATH": _root()}
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        NotebookClient(notebook, timeout=60, kernel_name="python3", allow_errors=True).execute()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    path = tmp_path / "hostile.ipynb"
    nbformat.write(notebook, path)
    text = json.loads(path.read_text(encoding="utf-8"))
    flat = json.dumps(text, ensure_ascii=False)
    assert "bad password ***" in flat and '"ename"' in flat
    assert not leaks(flat) and not leaks(path.read_text(encoding="utf-8"))


def _root() -> str:
    return str(Path(__file__).resolve().parent.parent)


# --- bounded transport ------------------------------------------------------------------------


@pytest.mark.parametrize("headers_too", [False, True])
def test_a_dripping_server_ends_in_one_line_at_the_deadline(server, headers_too):
    server.behave(drip(headers_too=headers_too))
    started = time.monotonic()
    error = failure_of(lambda: client_of(server, timeout=1.0).sessions(DAY))
    waited = time.monotonic() - started
    assert isinstance(error, TransportError) and "within 1 s" in str(error)
    assert 1.0 <= waited < 1.6


def test_a_gzip_bomb_ends_in_one_line_at_the_cap(server):
    server.behave(gzip_bomb(64))
    error = failure_of(lambda: client_of(server, max_bytes=4 << 20).sessions(DAY))
    assert isinstance(error, ResponseError) and "larger than 4 MB" in str(error)


def test_a_gzip_answer_is_read(server):
    server.behave(gzip_answer(page([ROW] * 3)))
    assert list(client_of(server).sessions(DAY).df["city"]) == ["Zürich"] * 3


_RSS_PROBE = textwrap.dedent(
    """
    import resource, sys
    from ot_magic.credentials import Credentials
    from ot_magic.transport import Transport
    transport = Transport(sys.argv[1], timeout=60, retries=0, max_bytes=int(sys.argv[2]))
    account = Credentials("me@example.org", "pw-123456")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    try:
        transport.post("views/c_view_session.jsp", {}, account)
    except Exception as error:
        print(type(error).__name__, error, file=sys.stderr)
    print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * 1024)
    """
)


@pytest.mark.parametrize("behaviour", ["huge", "bomb"])
def test_a_400_mb_body_or_a_bomb_grows_memory_by_less_than_twice_the_cap(server, behaviour):
    cap = 16 << 20
    server.behave(huge(400) if behaviour == "huge" else gzip_bomb(200))
    probe = subprocess.run(
        [sys.executable, "-c", _RSS_PROBE, server.url, str(cap)],
        capture_output=True, text=True, timeout=60, env={**os.environ, "PYTHONPATH": _root()},
    )  # fmt: skip
    assert "larger than 16 MB" in probe.stderr, probe.stderr
    assert int(probe.stdout.strip()) < 2 * cap


def test_cancel_gives_up_a_single_page_at_once(server):
    server.behave(drip())
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    started = time.monotonic()
    error = failure_of(lambda: client_of(server, timeout=10).sessions(DAY, cancel=cancel))
    assert isinstance(error, RequestCancelled) and time.monotonic() - started < 1.0


def test_the_panel_cancels_a_run_of_one_page(server):
    from ot_magic.panel import SessionsPanel

    server.behave(drip())
    panel = SessionsPanel(DAY, out="one_page", client=client_of(server, timeout=10), namespace={})
    panel.run_button.click()
    time.sleep(0.3)
    assert not panel.cancel_button.disabled
    started = time.monotonic()
    panel.cancel_button.click()
    assert panel.wait(5) is None and time.monotonic() - started < 1.0
    assert "cancelled before the answer" in panel.status.value


# --- charsets -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (page([ROW]).decode().encode("iso-8859-1"), "application/json;charset=ISO-8859-1"),
        (page([ROW]).decode().encode("cp1252"), 'text/plain; charset="windows-1252"'),
        (b"\xef\xbb\xbf" + page([ROW]), "application/json"),
        (b"\xef\xbb\xbf" + page([ROW]), "application/json; charset=UTF-8"),
        (page([ROW]).decode().encode("utf-16"), "application/json"),
    ],
    ids=["latin-1", "cp1252", "bom", "bom-and-utf8", "utf16-bom"],
)
def test_the_answers_charset_and_a_bom_are_honoured(server, body, content_type):
    server.behave(answer(body, content_type=content_type))
    assert list(client_of(server).sessions(DAY).df["city"]) == ["Zürich"]


def test_the_form_is_sent_as_utf8_and_says_so(server):
    server.behave(answer(page([ROW])))
    client_of(server).sessions(DAY.replace(search="café"))
    sent = server.requests[-1]
    assert sent.headers["content-type"] == "application/x-www-form-urlencoded; charset=UTF-8"
    assert b"search=caf%C3%A9&" in sent.body and sent.form["search"] == "café"


# --- nextToken ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "token",
    ["abc", "1321401600000.13214664\n00000", "1" * 5000 + ".1", "1.2.3", "١٢.٣"],
    ids=["letters", "control", "5000-digits", "three-parts", "arabic-digits"],
)
def test_a_malformed_next_token_stops_paging_in_one_line_keeping_the_rows(server, token):
    server.behave(pages([page([ROW], "1321401600000.1321466400000"), page([ROW], token)]))
    error = failure_of(lambda: client_of(server).sessions(DAY, all_pages=True))
    assert isinstance(error, PartialResultError) and "\n" not in str(error)
    assert "not <digits>.<digits>" in str(error) and len(error.partial.df) == 2
    assert error.resume is None and "no request can go on" in str(error)


def test_a_next_token_that_is_an_object_makes_its_page_malformed_and_resumes_at_that_page(server):
    first = "1321401600000.1321466400000"
    server.behave(pages([page([ROW], first), page([ROW], {"a": 1})]))
    error = failure_of(lambda: client_of(server).sessions(DAY, all_pages=True))
    assert isinstance(error, PartialResultError) and "\n" not in str(error)
    assert "nextToken is an object" in str(error) and len(error.partial.df) == 1
    assert error.resume == {"nextToken": first}  # the page not kept, never one already kept


def test_a_token_cycle_is_detected_and_no_kept_page_is_offered_again(server):
    first, second = "1321401600000.1321466400000", "1321401600000.1321462800000"
    server.behave(pages([page([ROW], first), page([ROW], second), page([ROW], first)]))
    error = failure_of(lambda: client_of(server).sessions(DAY, all_pages=True))
    assert isinstance(error, PartialResultError) and "a second time" in str(error)
    assert error.resume is None and len(error.partial.df) == 3


def test_empty_pages_that_still_carry_a_token_stop_paging(server):
    tokens = [f"1321401600000.{1321466400000 - 3600000 * n}" for n in range(60)]
    server.behave(pages([page([ROW], tokens[0])] + [page([], t) for t in tokens[1:]]))
    error = failure_of(lambda: client_of(server).sessions(DAY, all_pages=True))
    assert isinstance(error, PartialResultError) and "empty pages in a row" in str(error)
    assert len(server.requests) and error.partial.pages == 1 + MAX_EMPTY_PAGES
    assert error.resume == {"nextToken": tokens[MAX_EMPTY_PAGES]}  # issued, never read


def test_a_json_page_token_is_not_offered_to_go_on_from(server):
    server.behave(answer(page([ROW], "1321401600000.1321466400000")))
    result = client_of(server).sessions(DAY)
    assert result.next_token is None and result.resume is None and result.more
    assert "more sessions exist (fetch them with --all" in result.summary()


def test_an_ascii_password_echoed_in_every_encoding_into_a_large_answer_is_scrubbed(server):
    # Large answers of an ASCII password are first looked through by another regex engine
    # (RE2): every encoding must still be found there, far from the answer's start.
    password = "Pw!#&x y-9Q/Zk"
    forms = encodings(password)
    filler = [[f"id{i}", "Amsterdam " * 10, "1321401600000"] for i in range(1000)]
    echoed = [[f"echo-{name}", f"at {form} here", "1321401600000"] for name, form in forms.items()]
    body = page(filler + echoed)
    assert len(body) > 128 * 1024
    server.behave(answer(body))
    df = client_of(server, credentials=(LOGIN, password)).sessions(DAY).df
    cities = dict(zip(df["session_id"], df["city"], strict=True))
    for name, form in forms.items():
        city = cities[f"echo-{name}"]
        assert "***" in city and form not in city, (name, city)
    assert not leaks(" ".join(map(str, df["city"])), password)


def test_a_password_echoed_into_the_rows_is_scrubbed_from_the_data_too(server):
    server.behave(lambda connection, request: answer(
        page([[ROW[0], f"at {request.form['password']} and {json.dumps(CANARY)}", ROW[2]]])
    )(connection, request))  # fmt: skip
    df = client_of(server).sessions(DAY).df
    assert df["city"].iloc[0] == 'at *** and "***"'
