"""A hostile API on 127.0.0.1, on raw sockets: it echoes the form back in every encoding, drips,
sends gzip bombs and endless bodies, redirects, and answers in other charsets.

    with HostileServer() as server:
        server.behave(echo(status=418, wrapper="title"))
        OpenTrackerClient(server.url, credentials=("me@example.org", CANARY)).sessions(req)

A behaviour is a function ``(connection, request) -> None`` that writes whatever it likes to
the socket; ``request`` holds the method, path, headers, raw body and the parsed form. Every
request is recorded in ``server.requests``.
"""

from __future__ import annotations

import base64
import gzip
import html
import json
import socket
import threading
import time
import zlib
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote, quote_plus

CANARY = "Ca!n#a&r y-é9Q/Zk"  # ! # & space é, as a user's password may hold
FIELDS = ["session_id", "city", "session_start_unix_timestamp"]


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    form: dict[str, str] = field(default_factory=dict)


def encodings(secret: str) -> dict[str, str]:
    """Every way the secret is echoed back (the name says how)."""
    utf8 = secret.encode()
    return {
        "raw": secret,
        "quote_plus": quote_plus(secret),
        "quote": quote(secret, safe=""),
        "quote_lower_hex": "".join(
            chr(b) if b < 128 and chr(b).isalnum() else f"%{b:02x}" for b in utf8
        ),
        "html": html.escape(secret),
        "html_numeric": "".join(f"&#{ord(c)};" if not c.isalnum() else c for c in secret),
        "html_of_quote_plus": html.escape(quote_plus(secret)),
        "json_ascii": json.dumps(secret)[1:-1],
        "json_utf8": json.dumps(secret, ensure_ascii=False)[1:-1],
        "json_every_char": "".join(f"\\u{ord(c):04x}" for c in secret),
        "json_upper_hex": "".join(f"\\u{ord(c):04X}" if not c.isalnum() else c for c in secret),
        "utf8_read_as_latin1": utf8.decode("latin-1"),
        "base64": base64.b64encode(utf8).decode().rstrip("="),
        "hex": utf8.hex(),
    }


def leaks(text: str, secret: str = CANARY, window: int = 4) -> list[str]:
    """The runs of ``window`` characters of ``secret`` that ``text`` shows in any encoding
    (a whole echo, or a cut one)."""
    found = []
    for start in range(max(1, len(secret) - window + 1)):
        for name, form in encodings(secret[start : start + window]).items():
            if form in text:
                found.append(f"{name}: {form!r}")
    return found


def page(rows: list[list[str]], token: object = "") -> bytes:
    """A sessions answer of ``rows`` (values for ``FIELDS``) and its ``nextToken``."""
    doc = {"rows": len(rows), "field": FIELDS, "resultsList": rows, "nextToken": token}
    return json.dumps(doc, ensure_ascii=False).encode()


def respond(
    connection: socket.socket,
    body: bytes,
    *,
    status: str = "200 OK",
    content_type: str = "application/json; charset=UTF-8",
    extra: str = "",
) -> None:
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n{extra}\r\n"
    )
    connection.sendall(head.encode("latin-1") + body)


def echo(status: int = 200, wrapper: str = "error", cut: int | None = None):
    """Echo the posted password in every encoding, inside an ``Error:`` line, an HTML
    ``<title>`` or a JSON error row; ``cut`` ends the body that many characters into it."""

    def behave(connection: socket.socket, request: Request) -> None:
        secret = request.form.get("password") or request.form.get("ticketId") or ""
        forms = " | ".join(encodings(secret).values())
        if wrapper == "error":
            text = f"Error: java.lang.RuntimeException: bad password {forms} for login"
        elif wrapper == "title":
            text = f"<html><head><title>Denied {forms}</title></head><body>no</body></html>"
        elif wrapper == "json":
            text = json.dumps({"resultsList": [{"error": f"java.lang.Exception: {forms}"}]})
        elif wrapper == "form":  # the body as it was posted
            text = "Error: java.lang.RuntimeException: " + request.body.decode("latin-1")
        else:  # long text first, so that cuts at 20 and 120 characters fall inside the secret
            text = f"Error: java.lang.RuntimeException: {'x' * int(wrapper)}{secret} end"
        if cut is not None:
            text = text[: text.index(secret) + cut] if secret in text else text[:cut]
        content = "text/html" if wrapper == "title" else "text/plain; charset=UTF-8"
        reason = {200: "OK", 418: "I'm a teapot", 500: "Internal Server Error"}.get(status, "X")
        respond(connection, text.encode(), status=f"{status} {reason}", content_type=content)

    return behave


def drip(headers_too: bool = False, every: float = 0.2):
    """A byte at a time, forever (until the client hangs up)."""

    def behave(connection: socket.socket, request: Request) -> None:
        head = (
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
        )
        data = head + b'{"rows": 0, "field": [], "resultsList": [' + b" " * 100000
        if not headers_too:
            connection.sendall(head)
            data = data[len(head) :]
        for byte in data:
            connection.sendall(bytes([byte]))
            time.sleep(every)

    return behave


_BOMB: dict[int, bytes] = {}


def gzip_bomb(decoded_mb: int = 200):
    """A small gzip body that inflates to ``decoded_mb`` MB of zeros."""
    if decoded_mb not in _BOMB:
        packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        chunk = bytes(1 << 20)
        parts = [packer.compress(chunk) for _ in range(decoded_mb)]
        _BOMB[decoded_mb] = b"".join(parts) + packer.flush()

    def behave(connection: socket.socket, request: Request) -> None:
        body = _BOMB[decoded_mb]
        respond(connection, body, extra="Content-Encoding: gzip\r\n")

    return behave


def huge(total_mb: int = 400):
    """A body announced and sent as ``total_mb`` MB, 1 MB at a time."""

    def behave(connection: socket.socket, request: Request) -> None:
        head = (
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            f"Content-Length: {total_mb << 20}\r\nConnection: close\r\n\r\n"
        )
        connection.sendall(head.encode())
        chunk = b"[" + b" " * ((1 << 20) - 1)
        for _ in range(total_mb):
            connection.sendall(chunk)

    return behave


def redirect(status: int = 307, to: str = "http://127.0.0.1:9/api/"):
    def behave(connection: socket.socket, request: Request) -> None:
        respond(connection, b"", status=f"{status} Moved", extra=f"Location: {to}\r\n")

    return behave


def answer(body: bytes, content_type: str = "application/json; charset=UTF-8", **options):
    """A fixed answer."""

    def behave(connection: socket.socket, request: Request) -> None:
        respond(connection, body, content_type=content_type, **options)

    return behave


def pages(bodies: list[bytes]):
    """The n-th request gets the n-th body (the last one again after that)."""
    count = [0]

    def behave(connection: socket.socket, request: Request) -> None:
        body = bodies[min(count[0], len(bodies) - 1)]
        count[0] += 1
        respond(connection, body)

    return behave


def gzip_answer(body: bytes):
    def behave(connection: socket.socket, request: Request) -> None:
        respond(connection, gzip.compress(body), extra="Content-Encoding: gzip\r\n")

    return behave


class HostileServer:
    """Raw-socket HTTP on 127.0.0.1 (a free port), one thread a connection."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/api/"
        self.requests: list[Request] = []
        self._behaviour = answer(page([]))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def behave(self, behaviour) -> HostileServer:
        self._behaviour = behaviour
        return self

    def __enter__(self) -> HostileServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
        self._listener.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        try:
            connection.settimeout(10)
            request = _read_request(connection)
            if request is not None:
                self.requests.append(request)
                self._behaviour(connection, request)
        except OSError:
            pass  # the client hung up: what a hostile server expects
        finally:
            connection.close()


def _read_request(connection: socket.socket) -> Request | None:
    data = b""
    while b"\r\n\r\n" not in data:
        more = connection.recv(65536)
        if not more:
            return None
        data += more
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        more = connection.recv(65536)
        if not more:
            break
        body += more
    form = dict(parse_qsl(body.decode("latin-1"), keep_blank_values=True))  # UTF-8 %-escapes
    return Request(method, path, headers, body, form)


def raw(data: bytes):
    """Exactly these bytes, whatever HTTP says."""

    def behave(connection: socket.socket, request: Request) -> None:
        connection.sendall(data)

    return behave
