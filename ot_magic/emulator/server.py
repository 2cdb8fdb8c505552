"""The emulator's HTTP server: the API's paths under ``/api/`` on loopback, in a background thread.

    >>> from ot_magic.emulator import Emulator, DEMO_LOGIN, DEMO_PASSWORD
    >>> import requests
    >>> with Emulator() as emu:
    ...     answer = requests.post(emu.url + "views/c_view_session.jsp",
    ...                            data={"login": DEMO_LOGIN, "password": DEMO_PASSWORD, "limit": 2})
    ...     answer.json()["rows"], emu.requests[-1].credentials
    (2, {'login': 'body', 'password': 'body'})

Choices (what the answer says is in ``query.py``):

- GET and POST (``application/x-www-form-urlencoded``) alike; a body value wins over the query
  string's. Credentials (``login``/``password`` or ``ticketId``) are accepted from both, as the
  real API accepts them, but each :class:`RequestRecord` says where each one arrived
  (``"body"``/``"query"``) and never stores its value. API errors come with HTTP 200 as
  ``Error: java.lang.RuntimeException: <message>`` (see ``rules.py``).
- ``management/login_user.jsp`` answers a UUID ticket as text/plain (valid ``expires`` seconds,
  default 60, on the server's clock), or ``false`` for any failure.
- Loopback only unless ``allow_remote=True``. Each connection has its own thread, at most
  ``5 × workers`` of them (a further connection gets 503 at once) and at most ``workers`` answers
  are computed at once. A request may wait ``idle_timeout`` seconds for its first byte, then must
  arrive whole within ``read_deadline`` seconds (a slow-loris client is dropped); an answer stops
  being computed when its client hangs up or the server stops (nothing is sent; logged as 499).
- Bodies: over ``max_body`` bytes get 413; ``Transfer-Encoding`` (chunked) is not read: 411
  (400 with a Content-Length too), so its bytes never pass for a second request. A form body is
  read in the charset its Content-Type names (UTF-8 by default; an unknown one gets 415); the
  query string is UTF-8. Every answer with a body names its charset (UTF-8).
- Wrong or missing credentials answer the login error; right credentials with a site outside the
  account add the account's sites to it: ``Login/ site combination is not valid (this account's
  sites: www.opentracker.net, www.opentracker.de)``.
- An unexpected error inside the emulator answers a Tomcat-style HTTP 500 page.
- Faults (:class:`Faults`) are per server, off by default; ``fail_nth`` counts requests from the
  last :meth:`Faults.update` or :meth:`Faults.reset`.
"""

from __future__ import annotations

import codecs
import contextlib
import html
import io
import json
import select
import socket
import struct
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from ..loopback import is_loopback
from . import query, rules, world
from .query import LOGIN_FAILED, Abandoned
from .render import render
from .rules import CREDENTIALS, ENDPOINT_PATHS, ApiFailure

DEMO_LOGIN = "demo@opentracker.net"
DEMO_PASSWORD = "demo123"
DEMO_SITE = "www.opentracker.net"
DEMO_SITES = (DEMO_SITE, "www.opentracker.de")
ACCOUNTS: dict[str, tuple[str, tuple[str, ...]]] = {DEMO_LOGIN: (DEMO_PASSWORD, DEMO_SITES)}
API_PREFIX = "/api/"
MAX_RECORDS = 20_000
FAULT_KINDS = ("connection_reset", "truncate", "html_error", "error_text", "error_json", "jsonp")


@dataclass(frozen=True)
class RequestRecord:
    """One request as the server saw it; credential values are never kept."""

    method: str
    path: str
    endpoint: str | None
    params: dict[str, str]  # every parameter but the credentials
    credentials: dict[str, str]  # credential name -> "body" or "query"
    status: int = 200


@dataclass
class Faults:
    """Faults the server injects, all off by default.

    ``latency`` seconds before each answer; ``fail_nth`` maps the n-th request (1-based, counted
    from the last ``update``/``reset``) to an HTTP status (500, 502, 503 ...) or a fault kind
    (``"connection_reset"``, ``"truncate"``, ``"html_error"``, ``"error_text"``, ``"error_json"``,
    or ``"jsonp"``: the right answer wrapped as JSONP); the booleans apply that fault to every
    request::

        emu.faults.update(latency=0.05, fail_nth={3: 503})
        emu.faults.update(truncate=True)    # every body cut short
        emu.faults.reset()                  # all off again
    """

    latency: float = 0.0
    fail_nth: dict[int, int | str] = field(default_factory=dict)
    connection_reset: bool = False
    truncate: bool = False
    html_error: bool = False
    error_text: bool = False
    error_json: bool = False
    jsonp: bool = False  # the right answer, wrapped as JSONP as if jsoncallback were given
    _count: int = field(default=0, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def update(self, **changes: Any) -> None:
        """Set some faults (others keep their value) and restart the request count."""
        known = {f.name for f in fields(self) if not f.name.startswith("_")}
        for name, given in changes.items():
            if name not in known:
                raise TypeError(f"unknown fault {name!r}; known: {', '.join(sorted(known))}")
            if name == "fail_nth":
                for kind in given.values():
                    if not (isinstance(kind, int) or kind in FAULT_KINDS):
                        raise ValueError(
                            f"fail_nth: {kind!r} is not a status or one of {FAULT_KINDS}"
                        )
                given = dict(given)
            setattr(self, name, given)
        with self._lock:
            self._count = 0

    def reset(self) -> None:
        """Every fault off."""
        self.update(**{f.name: f.default_factory() if callable(f.default_factory) else f.default
                       for f in fields(self) if not f.name.startswith("_")})  # fmt: skip

    def next_fault(self) -> int | str | None:
        """The fault for the request that arrives now, if any."""
        with self._lock:
            self._count += 1
            count = self._count
        if count in self.fail_nth:
            return self.fail_nth[count]
        for kind in FAULT_KINDS:
            if getattr(self, kind):
                return kind
        return None


class _PooledServer(HTTPServer):
    """An HTTP server with a thread per connection, at most ``5 × workers`` connections, and at
    most ``workers`` answers computed at once: a connection that is slow to send its request
    holds a cheap thread, never a turn at computing."""

    def __init__(self, address, handler, emulator: Emulator, workers: int) -> None:
        self.emulator = emulator
        self.request_queue_size = 4 * workers
        self.turns = threading.BoundedSemaphore(workers)
        self.stopping = threading.Event()
        self._slots = threading.BoundedSemaphore(5 * workers)
        self._open: dict[socket.socket, threading.Thread] = {}  # closed on stop
        self._open_lock = threading.Lock()
        super().__init__(address, handler)

    def process_request(self, request, client_address) -> None:
        if not self._slots.acquire(blocking=False):
            try:
                request.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
                                b"Connection: close\r\n\r\n")  # fmt: skip
            finally:
                self.shutdown_request(request)
            return
        thread = threading.Thread(target=self._serve, args=(request, client_address),
                                  name="ot-emulator-connection", daemon=True)  # fmt: skip
        with self._open_lock:
            self._open[request] = thread
        thread.start()

    def _serve(self, request, client_address) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:
            self.handle_error(request, client_address)
        finally:
            with self._open_lock:
                self._open.pop(request, None)
            self.shutdown_request(request)
            self._slots.release()

    def handle_error(self, request, client_address) -> None:
        pass  # a client that went away is not the server's problem

    def server_close(self) -> None:
        self.stopping.set()  # answers being computed stop at their next hour
        super().server_close()
        with self._open_lock:
            open_now = dict(self._open)
        for connection in open_now:  # idle keep-alive clients: hang up now
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        deadline = time.monotonic() + 0.5
        for thread in open_now.values():
            thread.join(max(0.0, deadline - time.monotonic()))


class _DeadlineReader(io.RawIOBase):
    """A connection's bytes, read with a deadline: a request may wait ``idle`` seconds for its
    first byte, then all of it (head and body) must arrive within ``deadline`` seconds, however
    slowly it trickles in (a slow-loris client is dropped then)."""

    def __init__(self, sock: socket.socket, idle: float, deadline: float) -> None:
        self.sock, self.idle, self.deadline = sock, idle, deadline
        self.until: float | None = None  # set by the first byte of a request

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        wait = self.idle
        if self.until is not None:
            wait = min(wait, self.until - time.monotonic())
            if wait <= 0:
                raise TimeoutError("request not received in time")
        self.sock.settimeout(wait)
        count = self.sock.recv_into(buffer)
        if self.until is None:
            self.until = time.monotonic() + self.deadline
        return count


def client_gone(sock: socket.socket) -> bool:
    """True when the peer has closed or reset the connection (nothing pending is consumed)."""
    try:
        readable, _, _ = select.select([sock], [], [], 0)
        return bool(readable) and sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False
    except (OSError, ValueError):
        return True


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Apache-Coyote/1.1"
    sys_version = ""
    error_content_type = "text/html; charset=UTF-8"
    server: _PooledServer

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: tests and notebooks read emu.requests instead

    def setup(self) -> None:
        super().setup()
        emulator = self.server.emulator
        self.reader = _DeadlineReader(
            self.connection, emulator.idle_timeout, emulator.read_deadline
        )
        self.rfile = io.BufferedReader(self.reader)
        # Without this, Nagle's algorithm can hold an answer's last segment until the client's
        # delayed ACK (40 ms) on a keep-alive connection.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def handle_one_request(self) -> None:
        self.reader.until = None  # each request gets its own deadline
        super().handle_one_request()

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def _refuse(self, status: int, text: str) -> None:
        """Answer ``status`` and hang up, after taking in what the client already sent (bytes left
        unread would turn the hang-up into a reset that can beat the answer to the client)."""
        self.close_connection = True
        self._send(status, text.encode(), "text/plain; charset=UTF-8")
        self.connection.settimeout(0.05)
        with contextlib.suppress(OSError):
            for _ in range(16):
                if not self.connection.recv(65536):
                    break

    def _read_form(self) -> dict[str, str] | None:
        """The form in the body, read in the charset its Content-Type names (UTF-8 by default);
        None when the request was refused."""
        if self.headers.get("Transfer-Encoding") is not None:  # never read as a second request
            if self.headers.get("Content-Length") is None:
                self._refuse(411, "Length Required: chunked request bodies are not read")
            else:
                self._refuse(400, "Both Transfer-Encoding and Content-Length")
            return None
        lengths = set(self.headers.get_all("Content-Length") or ["0"])  # two differing: ambiguous
        length_text = lengths.pop() if len(lengths) == 1 else ""
        length = int(length_text) if length_text.isascii() and length_text.isdigit() else -1
        if length < 0:
            return self._refuse(400, "Bad Content-Length")
        if length > self.server.emulator.max_body:
            return self._refuse(413, "Request body too large")
        charset = self.headers.get_content_charset("utf-8")
        try:
            codecs.lookup(charset)
        except LookupError:
            return self._refuse(415, f"Unsupported charset: {charset[:40]}")
        if not length:
            return {}
        raw = self.rfile.read(length)
        if len(raw) < length:  # the client stopped mid-body: half a request is not answered
            return self._refuse(400, "Body shorter than Content-Length")
        text = raw.decode(charset, "replace")
        return dict(parse_qsl(text, keep_blank_values=True, encoding=charset, errors="replace"))

    def _answer(self) -> None:
        emulator = self.server.emulator
        split = urlsplit(self.path)
        query_items = dict(parse_qsl(split.query, keep_blank_values=True))
        body_items = self._read_form()
        if body_items is None:
            return None
        items = {**query_items, **body_items}
        endpoint = None
        if split.path.startswith(API_PREFIX):
            endpoint = rules.endpoint_of(split.path[len(API_PREFIX) :])
        where = {
            name: "body" if name in body_items else "query" for name in CREDENTIALS if name in items
        }
        record = RequestRecord(self.command, split.path, endpoint,
                               {k: v for k, v in items.items() if k not in CREDENTIALS}, where)  # fmt: skip
        fault = emulator.faults.next_fault()
        if emulator.faults.latency:
            time.sleep(emulator.faults.latency)
        if endpoint is None:
            emulator._log(record, 404)
            return self._send(404, _tomcat_page(404, split.path), "text/html; charset=UTF-8")
        if fault == "jsonp":  # not an error: the answer the vendor's UI asks for, as JSONP
            items, fault = {**items, "jsoncallback": "jsonp1321472676886"}, None
        if fault is not None:
            emulator._log(record, fault if isinstance(fault, int) else 200)
            return self._fault(fault)
        try:
            with self.server.turns:
                status, body, kind = 200, *emulator.answer(endpoint, items, self._cancelled())
        except Abandoned:
            emulator._log(record, 499)  # nginx's "client closed request": nothing is sent
            self.close_connection = True
            return None
        except Exception as error:  # a bug of the emulator: answer as Tomcat would
            status, kind = 500, "text/html; charset=UTF-8"
            body = _tomcat_page(500, f"{type(error).__name__}: {error}")
        emulator._log(record, status)
        self._send(status, body, kind)
        return None

    def _cancelled(self) -> Callable[[], bool]:
        """Whether the answer is still wanted, asked at most every 20 ms."""
        stopping, connection = self.server.stopping, self.connection
        last = [time.monotonic()]

        def cancelled() -> bool:
            if stopping.is_set():
                return True
            now = time.monotonic()
            if now - last[0] < 0.02:
                return False
            last[0] = now
            return client_gone(connection)

        return cancelled

    def _fault(self, fault: int | str) -> None:
        if isinstance(fault, int):
            return self._send(fault, _tomcat_page(fault, "The server is temporarily unavailable"),
                              "text/html; charset=UTF-8")  # fmt: skip
        if fault == "connection_reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            return None
        if fault == "html_error":
            return self._send(200, _tomcat_page(500, "java.lang.NullPointerException"),
                              "text/html; charset=UTF-8")  # fmt: skip
        if fault == "error_text":
            body = ApiFailure("Internal error, please try again later").body().encode()
            return self._send(200, body, "text/plain; charset=UTF-8")
        if fault == "error_json":
            trace = ("java.lang.NullPointerException\n\tat com.opentracker.api.SessionsServlet"
                     ".doGet(SessionsServlet.java:212)")  # fmt: skip
            return self._send(200, json.dumps({"resultsList": [{"error": trace}]}).encode(),
                              "application/json; charset=UTF-8")  # fmt: skip
        # truncate: promise the whole body, send half of it, hang up
        body = b'{"rows": 40, "field": ["lastEvent", "duration", "status", "flag", "country"'
        self.send_response(200)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(body) * 2))
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True
        return None

    def _send(self, status: int, body: bytes, kind: str) -> None:
        self.connection.settimeout(self.server.emulator.idle_timeout)  # a client that never reads
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        # Headers and body in one write: one wake-up of the client instead of two.
        self._headers_buffer += (b"\r\n", body)
        self.flush_headers()


def _tomcat_page(status: int, message: str) -> bytes:
    title = "Apache Tomcat/6.0.29 - Error report"
    return (f"<html><head><title>{title}</title></head><body><h1>HTTP Status {status} - "
            f"{html.escape(message)}</h1><hr/><h3>Apache Tomcat/6.0.29</h3></body></html>").encode()  # fmt: skip


class Emulator:
    """The emulated API on ``host:port`` (0: a free port), served from a background thread.

    ``clock`` returns the time in epoch seconds (default :func:`time.time`): inject one to make
    "now" (recent sessions, online status, ticket expiry) fixed in tests.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        allow_remote: bool = False,
        clock: Callable[[], float] = time.time,
        workers: int = 16,
        max_body: int = 64 * 1024,
        idle_timeout: float = 5.0,
        read_deadline: float = 10.0,
    ) -> None:
        if not allow_remote and not is_loopback(host):
            raise ValueError(f"refusing to serve on {host!r}: not a loopback address "
                             "(pass allow_remote=True / --allow-remote to serve other machines)")  # fmt: skip
        self.host, self.port = host, port
        self.clock = clock
        self.workers = workers
        self.max_body = max_body
        self.idle_timeout = idle_timeout
        self.read_deadline = read_deadline
        self.faults = Faults()
        self.requests: list[RequestRecord] = []
        self._tickets: dict[str, tuple[str, int]] = {}  # ticket -> (login, expiry ms)
        self._lock = threading.Lock()
        self._server: _PooledServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ life cycle
    def start(self) -> Emulator:
        """Bind and serve in a daemon thread; returns self."""
        if self._server is None:
            world.preload()
            self._server = _PooledServer((self.host, self.port), _Handler, self, self.workers)
            self.port = self._server.server_address[1]
            self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                            name="ot-emulator", daemon=True)  # fmt: skip
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            if self._thread is not None:
                self._thread.join(5)
            self._server = self._thread = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The API's base URL, e.g. ``http://127.0.0.1:8765/api/``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}{API_PREFIX}"

    def __repr__(self) -> str:
        state = "serving" if self._server is not None else "stopped"
        return f"<Emulator {self.url} {state}>"

    def now_ms(self) -> int:
        return int(self.clock() * 1000)

    def _log(self, record: RequestRecord, status: int) -> None:
        if status != record.status:
            record = RequestRecord(record.method, record.path, record.endpoint, record.params,
                                   record.credentials, status)  # fmt: skip
        with self._lock:
            self.requests.append(record)
            if len(self.requests) > MAX_RECORDS:  # a long-running server keeps the latest only
                del self.requests[: MAX_RECORDS // 2]

    # ------------------------------------------------------------------ answers
    def answer(
        self,
        endpoint: str,
        items: dict[str, str],
        cancelled: Callable[[], bool] | None = None,
    ) -> tuple[bytes, str]:
        """(body, content type) for a request to ``endpoint`` with these parameters; raises
        :class:`~ot_magic.emulator.query.Abandoned` once ``cancelled()`` is true."""
        now = self.now_ms()
        if endpoint == "login":
            return self._login(items, now).encode(), "text/plain; charset=UTF-8"
        try:
            values = rules.parse_params(endpoint, items)
            self._check_login(items, query.sites_of(values, endpoint), now)
            if endpoint == "sessions":
                table = query.sessions_table(values, now, cancelled=cancelled)
            elif endpoint == "sessions_by_user":
                table = query.visitor_table(values, now, cancelled=cancelled)
            else:
                table = query.page_views_table(values, now)
            return render(
                table, values, self.url + ENDPOINT_PATHS["page_views"] + "?jsoncallback=?", endpoint
            )
        except ApiFailure as failure:
            return failure.body().encode(), "text/plain; charset=UTF-8"

    def _check_login(self, items: dict[str, str], sites: tuple[str, ...], now: int) -> None:
        """The login error unless the credentials are right and every site is the account's;
        with right credentials, the error names the account's sites."""
        account = None
        if items.get("ticketId"):
            with self._lock:
                login, expiry = self._tickets.get(items["ticketId"], ("", 0))
            if expiry > now:
                account = ACCOUNTS.get(login)
        elif items.get("login") in ACCOUNTS and ACCOUNTS[items["login"]][0] == items.get(
            "password"
        ):
            account = ACCOUNTS[items["login"]]
        if account is None:
            raise ApiFailure(LOGIN_FAILED)
        if not set(sites) <= set(account[1]):
            raise ApiFailure(f"{LOGIN_FAILED} (this account's sites: {', '.join(account[1])})")

    def _login(self, items: dict[str, str], now: int) -> str:
        login, password = items.get("login", ""), items.get("password", "")
        if login not in ACCOUNTS or ACCOUNTS[login][0] != password:
            return "false"
        try:
            expires = rules.value(rules.parse_params("login", items), "expires", "login")
        except ApiFailure:
            return "false"
        ticket = str(uuid.uuid4())
        with self._lock:
            self._tickets = {t: v for t, v in self._tickets.items() if v[1] > now}
            self._tickets[ticket] = (login, now + expires * 1000)
        return ticket


def demo_url() -> str:
    """The base URL of this process's demo emulator: its own process, started on first use
    (``ot_magic.emulator.process``; stopped when this process exits)."""
    from .process import demo_process

    return demo_process().url
