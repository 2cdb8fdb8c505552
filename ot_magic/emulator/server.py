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
  (``"body"``/``"query"``) and never stores its value. Wrong or missing credentials, or a site
  outside the account, answer ``Error: java.lang.RuntimeException: Login/ site combination is not
  valid`` (HTTP 200, like every API error).
- ``management/login_user.jsp`` answers a UUID ticket as text/plain (valid ``expires`` seconds,
  default 60, on the server's clock), or ``false`` for any failure.
- Loopback only unless ``allow_remote=True``; request bodies over ``max_body`` bytes get 413;
  at most ``workers`` connections are served at once, up to ``4 × workers`` more wait their turn
  and any further one gets 503; idle keep-alive connections close after ``idle_timeout`` seconds.
- An unexpected error inside the emulator answers a Tomcat-style HTTP 500 page.
- Faults (:class:`Faults`) are per server, off by default; ``fail_nth`` counts requests from the
  last :meth:`Faults.update` or :meth:`Faults.reset`.
"""

from __future__ import annotations

import contextlib
import html
import ipaddress
import json
import socket
import struct
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, fields
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from ..params import ENDPOINT_PATHS, params_for
from . import query, world
from .query import CREDENTIALS, LOGIN_FAILED, ApiFailure
from .render import render

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


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _PooledServer(HTTPServer):
    """An HTTP server that serves connections on a bounded pool of threads."""

    daemon_threads = True

    def __init__(self, address, handler, emulator: Emulator, workers: int) -> None:
        self.emulator = emulator
        self.request_queue_size = 4 * workers
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="ot-emulator")
        self._slots = threading.BoundedSemaphore(5 * workers)
        self._open: set[socket.socket] = set()  # connections being served, closed on stop
        super().__init__(address, handler)

    def process_request(self, request, client_address) -> None:
        if not self._slots.acquire(blocking=False):
            try:
                request.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
                                b"Connection: close\r\n\r\n")  # fmt: skip
            finally:
                self.shutdown_request(request)
            return
        self._pool.submit(self._serve, request, client_address)

    def _serve(self, request, client_address) -> None:
        self._open.add(request)
        try:
            self.finish_request(request, client_address)
        except Exception:
            self.handle_error(request, client_address)
        finally:
            self._open.discard(request)
            self.shutdown_request(request)
            self._slots.release()

    def handle_error(self, request, client_address) -> None:
        pass  # a client that went away is not the server's problem

    def server_close(self) -> None:
        super().server_close()
        for connection in list(self._open):  # idle keep-alive clients: hang up now
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        self._pool.shutdown(wait=True, cancel_futures=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Apache-Coyote/1.1"
    sys_version = ""
    server: _PooledServer

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: tests and notebooks read emu.requests instead

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(self.server.emulator.idle_timeout)
        # Without this, Nagle's algorithm can hold an answer's last segment until the client's
        # delayed ACK (40 ms) on a keep-alive connection.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def _answer(self) -> None:
        emulator = self.server.emulator
        split = urlsplit(self.path)
        query_items = dict(parse_qsl(split.query, keep_blank_values=True))
        body_items: dict[str, str] = {}
        lengths = set(self.headers.get_all("Content-Length") or ["0"])  # two differing: ambiguous
        length_text = lengths.pop() if len(lengths) == 1 else ""
        length = int(length_text) if length_text.isascii() and length_text.isdigit() else -1
        if length < 0:
            self.close_connection = True
            return self._send(400, b"Bad Content-Length", "text/plain; charset=UTF-8")
        if length > emulator.max_body:
            self.close_connection = True
            return self._send(413, b"Request body too large", "text/plain; charset=UTF-8")
        if length:
            raw = self.rfile.read(length)
            if len(raw) < length:  # the client stopped mid-body: half a request is not answered
                self.close_connection = True
                return self._send(
                    400, b"Body shorter than Content-Length", "text/plain; charset=UTF-8"
                )
            body_items = dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
        items = {**query_items, **body_items}
        endpoint = None
        if split.path.startswith(API_PREFIX):
            endpoint = query.endpoint_of(split.path[len(API_PREFIX) :])
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
            status, body, kind = 200, *emulator.answer(endpoint, items)
        except Exception as error:  # a bug of the emulator: answer as Tomcat would
            status, kind = 500, "text/html; charset=UTF-8"
            body = _tomcat_page(500, f"{type(error).__name__}: {error}")
        emulator._log(record, status)
        self._send(status, body, kind)

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
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        # Headers and body in one write: one wake-up of the client instead of two.
        self._headers_buffer.append(b"\r\n" + body)
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
    ) -> None:
        if not allow_remote and not is_loopback(host):
            raise ValueError(f"refusing to serve on {host!r}: not a loopback address "
                             "(pass allow_remote=True / --allow-remote to serve other machines)")  # fmt: skip
        self.host, self.port = host, port
        self.clock = clock
        self.workers = workers
        self.max_body = max_body
        self.idle_timeout = idle_timeout
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
            self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.2},
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
    def answer(self, endpoint: str, items: dict[str, str]) -> tuple[bytes, str]:
        """(body, content type) for a request to ``endpoint`` with these parameters."""
        now = self.now_ms()
        if endpoint == "login":
            return self._login(items, now).encode(), "text/plain; charset=UTF-8"
        try:
            values = query.parse_params(endpoint, items)
            self._check_login(items, query.sites_of(values, endpoint), now)
            if endpoint == "sessions":
                table = query.sessions_table(values, now)
            elif endpoint == "sessions_by_user":
                table = query.visitor_table(values, now)
            else:
                table = query.page_views_table(values, now)
            return render(
                table, values, self.url + ENDPOINT_PATHS["page_views"] + "?jsoncallback=?", endpoint
            )
        except ApiFailure as failure:
            return failure.body().encode(), "text/plain; charset=UTF-8"

    def _check_login(self, items: dict[str, str], sites: tuple[str, ...], now: int) -> None:
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
        if account is None or not set(sites) <= set(account[1]):
            raise ApiFailure(LOGIN_FAILED)

    def _login(self, items: dict[str, str], now: int) -> str:
        login, password = items.get("login", ""), items.get("password", "")
        if login not in ACCOUNTS or ACCOUNTS[login][0] != password:
            return "false"
        try:
            expires = query.parse_params("login", {"expires": items.get("expires", "")}).get(
                "expires",
                params_for("login")["expires"].parse(params_for("login")["expires"].default),
            )
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
