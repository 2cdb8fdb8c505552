"""A capture server for conformance tests: a real HTTP server on 127.0.0.1 (not the emulator)
that answers each request with the next canned answer and records what it received.

    with CaptureServer() as server:
        server.serve(Answer(b'{"resultsList": []}'))
        OpenTrackerClient(server.url, credentials=("me@x.org", "pw")).sessions(request)
        server.requests[0].form["login"]          # 'me@x.org'

It knows nothing of the API: whatever the client sends, the answers are the test's own.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

JSON_UTF8 = "application/json;charset=UTF-8"


@dataclass(frozen=True)
class Answer:
    """One canned HTTP answer."""

    body: bytes
    content_type: str = JSON_UTF8
    status: int = 200


@dataclass(frozen=True)
class Captured:
    """One request as the server received it."""

    method: str
    target: str  # the request line's path and query, as sent
    headers: dict[str, str]
    body: bytes
    form: dict[str, list[str]] = field(default_factory=dict)

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def query(self) -> str:
        return urlsplit(self.target).query

    def value(self, name: str) -> str | None:
        """The one value of form field ``name`` (None when absent)."""
        values = self.form.get(name)
        return values[0] if values else None


class CaptureServer:
    """Serves the answers given to :meth:`serve` in order (the last one again when they run
    out), records every request in :attr:`requests`; ``url`` is the API's base URL."""

    def __init__(self) -> None:
        self.requests: list[Captured] = []
        self._answers: list[Answer] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/api/"

    def serve(self, *answers: Answer) -> None:
        """Answer the next requests with ``answers``, in order."""
        with self._lock:
            self._answers = list(answers)

    def __enter__(self) -> CaptureServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _next_answer(self) -> Answer:
        with self._lock:
            if not self._answers:
                return Answer(b"no answer was set for this request", "text/plain", 500)
            return self._answers.pop(0) if len(self._answers) > 1 else self._answers[0]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # the test reads .requests instead
                pass

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                form = {}
                if "x-www-form-urlencoded" in (self.headers.get("Content-Type") or ""):
                    form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
                with server._lock:
                    server.requests.append(
                        Captured(self.command, self.path, dict(self.headers.items()), body, form)
                    )
                answer = server._next_answer()
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.content_type)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            do_GET = do_POST = _answer

        return Handler
