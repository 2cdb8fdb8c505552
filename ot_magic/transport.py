"""One POST of a form body to the API: bounded in time and size, scrubbed of secrets.

    >>> from ot_magic.transport import Transport
    >>> transport = Transport("http://127.0.0.1:8765/api/", timeout=10)    # doctest: +SKIP
    >>> body = transport.post("views/c_view_session.jsp", {"limit": "5"}, account)  # doctest: +SKIP

What each guarantee rests on, here and nowhere else:

- **Secrets**: the form (parameters plus credentials) is built and sent in a worker thread and
  never exists in a frame of the caller's thread, so no traceback the user sees holds it, even
  under ``%xmode Verbose`` with a Ctrl-C during the request. Every answer is scrubbed of every
  encoding of every secret (:func:`scrub`) before anything reads it, so no later message can
  show a secret, whole or cut. Every failure inside ``requests`` ends as a fresh one-line
  :mod:`ot_magic.errors` exception raised outside any ``except`` (no chained context).
- **Time**: one deadline (``timeout`` seconds) covers the whole request, retries included; a
  server that drips a byte a second is given up at the deadline. ``cancel`` (a
  ``threading.Event``) and Ctrl-C stop the wait at once.
- **Size**: at most ``max_bytes`` bytes are read, counted after decompression (the transport
  asks for ``gzip``/``deflate`` only and inflates itself, in slices).
- **Text**: the answer's ``Content-Type`` charset (or a byte-order mark) is honoured and the
  body handed on as UTF-8 without a BOM; the form is sent as UTF-8 and says so.
- **Where it goes**: redirects are refused (they would re-post the password), plain ``http`` only
  to loopback, and loopback traffic never goes through ``HTTP_PROXY``/``HTTPS_PROXY``.
"""

from __future__ import annotations

import base64
import codecs
import html.entities
import http.client
import io
import logging
import re
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Mapping
from email.message import Message
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import quote_plus, urlsplit

import requests

from .errors import (
    ApiError,
    AuthenticationError,
    ConfigurationError,
    Interrupted,
    OpenTrackerError,
    ParameterError,
    RequestCancelled,
    ResponseError,
    TransportError,
)
from .loopback import is_loopback

if TYPE_CHECKING:
    from .credentials import Credentials

log = logging.getLogger("ot_magic")

DEFAULT_API_URL = "https://api.opentracker.net/api/"
RETRY_STATUSES = (500, 502, 503, 504)
DEFAULT_MAX_BYTES = 64 * 2**20  # a 10,000-row answer is about 14 MB
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded; charset=UTF-8"
_CHUNK = 1 << 16
_POLL_S = 0.05
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_SCRUBBED = "***"
# Told of every answer a 200 brought: (endpoint path, parameters without credentials, body as
# UTF-8 with every secret scrubbed); ``--record`` keeps them.
OnAnswer = Callable[[str, dict[str, str], bytes], None]


# --- where requests may go ----------------------------------------------------------------


def checked_api_url(url: str) -> str:
    """``url`` with a trailing slash, if it is https, or http to a loopback host.

    checked_api_url("http://127.0.0.1:8765/api")   # 'http://127.0.0.1:8765/api/'
    """
    expected = (
        "api_url/OT_API_URL: expected an http(s) URL such as https://api.opentracker.net/api/"
    )
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018  (a bad port raises here)
    except ValueError:
        raise ConfigurationError(expected) from None
    if parts.username or parts.password:
        raise ConfigurationError(
            "api_url/OT_API_URL: credentials do not belong in the URL: use %otlogin or OT_LOGIN/OT_PASSWORD"
        )
    if parts.scheme not in ("http", "https") or not host:
        raise ConfigurationError(expected)
    if parts.query or parts.fragment:
        raise ConfigurationError(
            "api_url/OT_API_URL: expected a base URL without ?query or #fragment"
        )
    if parts.scheme == "http" and not is_loopback(host):
        raise ConfigurationError(
            f"api_url/OT_API_URL: plain http:// is allowed only to loopback hosts "
            f"(127.0.0.1, ::1, localhost), not {host}: use https://"
        )
    return url if url.endswith("/") else url + "/"


# --- secrets ------------------------------------------------------------------------------


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every encoding of every secret replaced by ``***``: raw, URL-encoded
    (``%21``, ``+``, either hex case), HTML-escaped (``&amp;``, ``&#33;``, ``&eacute;``),
    JSON-escaped (``\\u0021``, ``\\/``), as UTF-8 read as Latin-1, and a secret's start left at
    the very end of a text cut short::

        scrub("Error: bad password p%40ss+w%C3%B6rd", ["p@ss wörd"])   # 'Error: bad password ***'
    """
    for secret in secrets:
        if secret:
            text = _patterns(secret, str).sub(_SCRUBBED, text)
            for literal in _literals(secret):
                text = text.replace(literal, _SCRUBBED)
            text = _cut_at_end(text, secret, str)
    return text


def scrub_bytes(data: bytes, secrets: Iterable[str]) -> bytes:
    """:func:`scrub` for bytes (UTF-8 text, or raw Latin-1 bytes of a secret)."""
    for secret in secrets:
        if secret:
            if _may_hold(data, secret):
                data = _patterns(secret, bytes).sub(_SCRUBBED.encode(), data)
            for literal in _literals(secret):
                data = data.replace(literal.encode("ascii"), _SCRUBBED.encode())
            data = _cut_at_end(data, secret, bytes)
    return data


_RE2_FROM = 64 * 1024  # bytes: from this size on, an answer is looked through by RE2 first


def _may_hold(data: bytes, secret: str) -> bool:
    """Whether ``data`` may hold any encoding of ``secret``; False only when it surely does
    not. A large answer is looked through once by RE2 (Arrow's regex kernel: one linear pass,
    without the GIL, more than twice as fast as Python's ``re`` on a 1.3 MB answer), which
    takes the same pattern when it is ASCII (any ASCII secret); else Python's ``re`` decides."""
    pattern = _patterns(secret, bytes).pattern
    if len(data) < _RE2_FROM or not pattern.isascii():
        return True
    import pyarrow as pa
    import pyarrow.compute as pc

    answer = pa.array([data], pa.binary())
    return bool(pc.match_substring_regex(answer, pattern.decode("ascii"))[0].as_py())


def scrub_error(error: OpenTrackerError, secrets: Iterable[str]) -> OpenTrackerError:
    """``error`` with :func:`scrub` applied to its message and text attributes (in place)."""
    secrets = tuple(s for s in secrets if s)
    if not secrets:
        return error
    error.args = tuple(scrub(a, secrets) if isinstance(a, str) else a for a in error.args)
    for name, value in list(vars(error).items()):
        if isinstance(value, str):
            setattr(error, name, scrub(value, secrets))
    return error


def _hex(number: int, width: int) -> str:
    """``number`` in hex, either case: ``_hex(0x2A, 2) == "2[aA]"``."""
    return "".join(f"[{d}{d.upper()}]" if d.isalpha() else d for d in f"{number:0{width}x}")


def _char_forms(char: str) -> list[str]:
    """Every way ``char`` may come back from a server that echoes it (regex alternatives,
    each starting with a literal, so that the regex engine skips ahead on a set of bytes)."""
    code = ord(char)
    utf8 = char.encode("utf-8")
    # Escapes may be escaped again (``%2521``, ``\\u0021`` in JSON, ``&amp;#33;``).
    percent, backslash, amp = "%(?:25)*", r"\\(?:\\)*", "&(?:amp;)*"
    forms = list(dict.fromkeys(re.escape(c) for c in (char, char.lower(), char.upper())))
    forms += [
        "".join(f"{percent}{_hex(b, 2)}" for b in utf8),
        "".join(f"{backslash}[xX]{_hex(b, 2)}" for b in utf8),
        f"{amp}#0*{code};",
        f"{amp}#[xX]0*{_hex(code, 1)};",
    ]
    if code < 0x10000:
        forms.append(f"{backslash}u{_hex(code, 4)}")
    else:
        high, low = divmod(code - 0x10000, 0x400)
        forms.append(f"{backslash}u{_hex(0xD800 + high, 4)}{backslash}u{_hex(0xDC00 + low, 4)}")
    if 0x7F < code < 0x100:  # one Latin-1 byte (bytes patterns only: it is ``char`` in text)
        forms.append(f"\\x{code:02x}")
    if len(utf8) > 1:  # UTF-8 read as Latin-1 (raw, or JSON-escaped), or replaced
        forms.append(re.escape(utf8.decode("latin-1")))
        forms.append("".join(f"{backslash}u00{_hex(b, 2)}" for b in utf8))
        forms.append("\ufffd")
    name = html.entities.codepoint2name.get(code)
    if name:
        forms.append(f"{amp}{name};")
    forms += {
        " ": [r"\+"],
        "'": [f"{amp}apos;"],
        "/": [f"{backslash}/"],
        '"': [f'{backslash}"'],
        "\\": [f"{backslash}\\\\"],
    }.get(char, [])
    return forms


@lru_cache(maxsize=32)
def _char_patterns(secret: str) -> tuple[str, ...]:
    return tuple("(?:" + "|".join(_char_forms(c)) + ")" for c in secret)


def _compiled(pattern: str, kind: type) -> re.Pattern:
    return re.compile(pattern.encode("utf-8") if kind is bytes else pattern)


@lru_cache(maxsize=32)
def _patterns(secret: str, kind: type) -> re.Pattern:
    return _compiled("".join(_char_patterns(secret)), kind)


@lru_cache(maxsize=32)
def _literals(secret: str) -> tuple[str, ...]:
    """The secret in hex and in base64 (standard and URL-safe, at each of the three offsets it
    may have inside a longer encoded text: the characters that do not depend on its
    neighbours), for secrets long enough that these cannot be found by chance."""
    raw = secret.encode("utf-8")
    if len(raw) < 8:
        return ()
    found = {raw.hex(), raw.hex().upper()}
    for offset in range(3):
        encoded = base64.b64encode(bytes(offset) + raw).decode("ascii")
        start, stop = -(-offset * 4 // 3), (offset + len(raw)) // 3 * 4
        middle = encoded[start:stop]
        found |= {middle, middle.replace("+", "-").replace("/", "_")}
    return tuple(sorted((f for f in found if len(f) >= 8), key=len, reverse=True))


_MIN_CUT = 3  # shorter starts of a secret at the end of a text are left as they are


@lru_cache(maxsize=32)
def _end_pattern(secret: str, kind: type) -> re.Pattern | None:
    """A secret's first ``_MIN_CUT`` or more characters at the very end of a text."""
    parts = _char_patterns(secret)
    if len(parts) <= _MIN_CUT:
        return None
    tail = ""
    for part in reversed(parts[_MIN_CUT:]):
        tail = f"(?:{part}{tail})?"
    return _compiled("".join(parts[:_MIN_CUT]) + tail + r"[\s…]*\Z", kind)  # cut, marked


def _cut_at_end(text, secret: str, kind: type):
    pattern = _end_pattern(secret, kind)
    if pattern is None:
        return text
    window = 12 * len(secret) + 16
    start = max(0, len(text) - window)
    found = pattern.search(text, start)
    if found is None:
        return text
    return text[: found.start()] + (_SCRUBBED if kind is str else _SCRUBBED.encode())


# --- the answer's text --------------------------------------------------------------------


def to_utf8(body: bytes, content_type: str | None) -> bytes:
    """``body`` as UTF-8 without a BOM: a BOM wins, else the ``Content-Type`` charset, else
    UTF-8 (JSON's own): ``to_utf8(b"Z\\xfcrich", "text/plain; charset=ISO-8859-1") == "Zürich".encode()``.
    """
    for bom, codec in _BOMS:
        if body.startswith(bom):
            if codec == "utf-8":
                return body[len(bom) :]
            return body.decode(codec, "replace").encode("utf-8")
    charset = _charset(content_type)
    if charset is None or charset in ("utf-8", "ascii"):
        return body
    return body.decode(charset, "replace").encode("utf-8")


def _charset(content_type: str | None) -> str | None:
    if not content_type:
        return None
    message = Message()
    message["content-type"] = content_type
    name = message.get_content_charset()
    if not name:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None  # an unknown charset: read it as UTF-8


def form_body(params: Mapping[str, str]) -> bytes:
    """The form as ``application/x-www-form-urlencoded`` UTF-8 bytes; a value that cannot be
    UTF-8 (a lone surrogate) is a one-line :class:`ParameterError` naming it, value unshown."""
    parts = []
    for name, value in params.items():
        try:
            text = value if isinstance(value, str) else str(value)
            parts.append(f"{quote_plus(name)}={quote_plus(text)}")
        except UnicodeEncodeError:
            raise ParameterError(
                name,
                "",
                message=f"{name}: its value holds a character that is not text "
                "(a lone surrogate, as from bytes decoded with errors='surrogateescape')",
            ) from None
    return "&".join(parts).encode("ascii")


# --- the exchange ---------------------------------------------------------------------------


def detached(error: OpenTrackerError) -> OpenTrackerError:
    """``error`` without the frames it was raised in, or a chained exception: raised again
    (``raise detached(error)``), its traceback shows none of the frames that held the form
    or the answer's bytes."""
    error.__traceback__ = None
    error.__context__ = error.__cause__ = None
    return error


def _not_http(error: BaseException) -> str:
    """The name of the ``http.client`` complaint inside ``error`` (a status line, header or
    framing that is not HTTP), or ``""`` for a refused or reset connection."""
    seen: list[object] = [error]
    while seen:
        item = seen.pop()
        if isinstance(item, ConnectionError):  # RemoteDisconnected, reset: the network's fault
            return ""
        if isinstance(item, http.client.HTTPException):
            return type(item).__name__
        if isinstance(item, BaseException):
            seen.extend(item.args)
    return ""


class _Outcome:
    """What the worker thread hands back: a status and body, or a one-line error."""

    __slots__ = ("body", "content_type", "done", "error", "response", "status", "stop")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.stop = threading.Event()
        self.status = 0
        self.content_type: str | None = None
        self.body = b""
        self.error: OpenTrackerError | None = None
        self.response: requests.Response | None = None

    def abandon(self) -> None:
        """Tell the worker to stop, and cut its connection if a response is being read."""
        self.stop.set()
        response = self.response
        if response is not None:
            try:
                response.raw.shutdown()
            except Exception:  # already closed, or a urllib3 without shutdown(): it ends alone
                log.debug("could not shut the connection down", exc_info=False)

    def __repr__(self) -> str:
        return f"<_Outcome status={self.status} done={self.done.is_set()}>"


class Transport:
    """POSTs form bodies to ``api_url`` over one ``requests.Session``.

    ``timeout`` is the deadline of a whole request (retries included), ``retries`` how often a
    refused connection, a reset or an HTTP 5xx is tried again (``backoff`` seconds, doubling),
    ``max_bytes`` the largest answer read (after decompression)::

        Transport("https://api.opentracker.net/api/", timeout=30, max_bytes=64 * 2**20)
    """

    def __init__(
        self,
        api_url: str,
        *,
        timeout: float = 30.0,
        retries: int = 3,
        backoff: float = 0.25,
        max_bytes: int = DEFAULT_MAX_BYTES,
        session: requests.Session | None = None,
        on_answer: OnAnswer | None = None,
    ) -> None:
        self.api_url = checked_api_url(api_url)
        self.on_answer = on_answer
        self.timeout = float(timeout)
        self.retries = int(retries)
        self.backoff = float(backoff)
        self.max_bytes = int(max_bytes)
        self._session = session or requests.Session()
        # Loopback never goes through a proxy (it would see the password of a plain-http POST,
        # and break the demo); any other host keeps HTTPS_PROXY and the other environment.
        self._session.trust_env = not is_loopback(urlsplit(self.api_url).hostname or "")

    def __repr__(self) -> str:
        return f"Transport({self.api_url!r}, timeout={self.timeout:g})"

    @property
    def host(self) -> str:
        """The API's ``host[:port]``, as errors name it."""
        return urlsplit(self.api_url).netloc

    def close(self) -> None:
        """Close the session's connections."""
        self._session.close()

    def post(
        self,
        path: str,
        params: Mapping[str, str],
        account: Credentials,
        *,
        cancel: threading.Event | None = None,
    ) -> bytes:
        """The answer (UTF-8, scrubbed) to ``params`` plus ``account``'s credentials posted to
        ``path``; a one-line :mod:`ot_magic.errors` exception for anything else."""
        form_body(params)  # a value that cannot be sent is the caller's mistake: say so first
        deadline = time.monotonic() + self.timeout
        outcome = _Outcome()
        worker = threading.Thread(
            target=self._exchange,
            args=(path, dict(params), account, deadline, outcome),
            name="ot-transport",
            daemon=True,
        )
        worker.start()
        ended = ""
        try:
            while not outcome.done.wait(_POLL_S):
                if cancel is not None and cancel.is_set():
                    ended = "cancelled"
                    break
                if time.monotonic() >= deadline:
                    ended = "deadline"
                    break
        except KeyboardInterrupt:
            ended = "interrupted"
        if ended:
            outcome.abandon()
        # Raised here, outside any except clause: no chained context, no frame of requests.
        if ended == "interrupted":
            raise Interrupted(f"interrupted before the answer from {self.host} arrived")
        if ended == "cancelled":
            raise RequestCancelled(f"cancelled before the answer from {self.host} arrived")
        if ended == "deadline":
            raise self._too_late()
        if outcome.error is not None:
            raise outcome.error
        body = self._checked(path, outcome.status, outcome.body)
        if self.on_answer is not None:
            self.on_answer(path, dict(params), body)
        return body

    def _too_late(self) -> TransportError:
        return TransportError(
            f"no answer from {self.host} within {self.timeout:g} s (the whole request's deadline)"
        )

    def _checked(self, path: str, status: int, body: bytes) -> bytes:
        """The body of a 200; the error any other status stands for."""
        if status == 200:
            return body
        if body.lstrip()[:6].lower() == b"error:":
            from .frame import read_page

            failure: OpenTrackerError | None = None
            try:
                read_page(body)  # the API's own error, worded from the scrubbed body
            except OpenTrackerError as error:
                failure = error
            if failure is not None:
                raise detached(failure)
        if status in RETRY_STATUSES:
            raise TransportError(
                f"the API at {self.host} kept answering HTTP {status} "
                f"(after {self.retries} retries)"
            )
        if 300 <= status < 400:
            raise ConfigurationError(
                f"the API at {self.host} redirects elsewhere (HTTP {status}); credentials are "
                "not sent on: set api_url/OT_API_URL to the address the API now lives at"
            )
        if status == 404:
            raise ConfigurationError(
                f"no API at {self.api_url}{path} (HTTP 404): check api_url/OT_API_URL"
            )
        if status in (401, 403):
            raise AuthenticationError(
                f"the API refused the credentials (HTTP {status})", status=status
            )
        raise ApiError(f"the API answered HTTP {status} to {path}", status=status)

    # --- the worker thread (the only place the form exists) ---------------------------------

    def _exchange(
        self,
        path: str,
        params: dict[str, str],
        account: Credentials,
        deadline: float,
        outcome: _Outcome,
    ) -> None:
        secrets = account.secrets
        try:
            status, content_type, body = self._attempts(path, params, account, deadline, outcome)
            outcome.status, outcome.content_type = status, content_type
            outcome.body = scrub_bytes(to_utf8(body, content_type), secrets)
        except OpenTrackerError as error:
            outcome.error = detached(scrub_error(error, secrets))
        except BaseException as error:
            outcome.error = TransportError(
                f"the request to {self.host} failed ({type(error).__name__})"
            )
        finally:
            outcome.response = None
            outcome.done.set()

    def _attempts(
        self,
        path: str,
        params: dict[str, str],
        account: Credentials,
        deadline: float,
        outcome: _Outcome,
    ) -> tuple[int, str | None, bytes]:
        url = self.api_url + path
        log.debug("POST %s %s", url, params)
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            if attempt:
                pause = self.backoff * 2 ** (attempt - 1)
                if outcome.stop.wait(min(pause, max(0.0, deadline - time.monotonic()))):
                    raise RequestCancelled("stopped")
            failure = self._one_attempt(url, params, account, deadline, outcome)
            if isinstance(failure, tuple):
                status = failure[0]
                if status in RETRY_STATUSES and not last:
                    continue
                return failure
            if failure == "refused" and not last:
                continue
            break
        if failure == "timeout":
            raise self._too_late()
        if failure == "cut":
            raise ResponseError(
                f"the answer from {self.host} was cut short (the connection closed before "
                "the whole body arrived)"
            )
        if failure.startswith("garbled:"):
            raise ResponseError(
                f"the answer from {self.host} is not valid HTTP ({failure.split(':', 1)[1]})"
            )
        if failure == "refused":
            raise TransportError(
                f"could not reach {self.host} (connection refused or reset, "
                f"after {self.retries} retries)"
            )
        raise TransportError(f"the request to {self.host} failed ({failure})")

    def _one_attempt(
        self,
        url: str,
        params: dict[str, str],
        account: Credentials,
        deadline: float,
        outcome: _Outcome,
    ) -> tuple[int, str | None, bytes] | str:
        """One POST: ``(status, content type, body)``, or why it failed (a word)."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return "timeout"
        try:
            response = self._session.post(
                url,
                data=form_body({**params, **account.form()}),
                headers={"Content-Type": FORM_CONTENT_TYPE, "Accept-Encoding": "gzip, deflate"},
                timeout=(remaining, remaining),
                allow_redirects=False,  # a 307/308 would re-post the password wherever it points
                stream=True,
            )
        except requests.exceptions.ConnectTimeout:
            return "timeout"
        except requests.exceptions.SSLError:
            return "TLS handshake failed"
        except requests.exceptions.ConnectionError as error:
            garbled = _not_http(error)
            return f"garbled:{garbled}" if garbled else "refused"
        except requests.exceptions.Timeout:
            return "timeout"
        except requests.exceptions.RequestException as error:
            return type(error).__name__
        outcome.response = response
        try:
            if 300 <= response.status_code < 400:
                return response.status_code, None, b""
            body = self._read(response, deadline, outcome)
        except OpenTrackerError:
            raise
        except requests.exceptions.Timeout:
            return "timeout"
        except Exception as error:
            if outcome.stop.is_set():
                raise RequestCancelled("stopped") from None
            if "timeout" in type(error).__name__.lower() or time.monotonic() >= deadline:
                return "timeout"
            return "cut"
        finally:
            outcome.response = None
            response.close()
        return response.status_code, response.headers.get("Content-Type"), body

    def _read(self, response: requests.Response, deadline: float, outcome: _Outcome) -> bytes:
        """The body, inflated, read in slices until the end, the deadline or ``max_bytes``."""
        encoding = (response.headers.get("Content-Encoding") or "identity").strip().lower()
        if encoding in ("gzip", "x-gzip"):
            inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            inflater = zlib.decompressobj(zlib.MAX_WBITS)
        elif encoding in ("identity", ""):
            inflater = None
        else:
            raise ResponseError(  # the header's value is not shown: a server may echo anything
                f"the answer from {self.host} is compressed in a way that was not asked for "
                "(Content-Encoding other than gzip or deflate)"
            )
        buffer = io.BytesIO()
        while True:
            if outcome.stop.is_set():
                raise RequestCancelled("stopped")
            if time.monotonic() >= deadline:
                raise self._too_late()
            raw = response.raw.read(_CHUNK, decode_content=False)
            if not raw:
                break
            if inflater is None:
                self._keep(buffer, raw)
                continue
            data = raw
            while data:
                try:
                    piece = inflater.decompress(data, _CHUNK)
                except zlib.error:
                    if encoding == "deflate" and not buffer.tell():  # raw deflate, no header
                        inflater = zlib.decompressobj(-zlib.MAX_WBITS)
                        piece = inflater.decompress(data, _CHUNK)
                    else:
                        raise ResponseError(
                            f"the answer from {self.host} is not valid {encoding} data"
                        ) from None
                self._keep(buffer, piece)
                data = inflater.unconsumed_tail
        return buffer.getvalue()

    def _keep(self, buffer: io.BytesIO, piece: bytes) -> None:
        if buffer.tell() + len(piece) > self.max_bytes:
            raise ResponseError(
                f"the answer from {self.host} is larger than {self.max_bytes / 2**20:g} MB "
                "(max_bytes): reading stopped; ask for fewer rows (limit) or raise max_bytes"
            )
        buffer.write(piece)


__all__ = [
    "DEFAULT_API_URL",
    "DEFAULT_MAX_BYTES",
    "Transport",
    "checked_api_url",
    "detached",
    "form_body",
    "is_loopback",
    "scrub",
    "scrub_bytes",
    "scrub_error",
    "to_utf8",
]
