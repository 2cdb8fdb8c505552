"""OpenTrackerClient: one HTTP session to the API, POST form bodies only, retries, paging.

    >>> from ot_magic import OpenTrackerClient, SessionsRequest
    >>> client = OpenTrackerClient("demo")                     # doctest: +SKIP
    >>> result = client.sessions(SessionsRequest(date="2011-11-16", period="3d"), all_pages=True)
    ...                                                        # doctest: +SKIP
    >>> result.df.shape, result.pages                          # doctest: +SKIP

Credentials and parameters always travel in the POST body, never in the URL; every error is
one line from :mod:`ot_magic.errors` without a credential or a URL carrying one.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from . import credentials as creds
from .errors import (
    ApiError,
    AuthenticationError,
    ConfigurationError,
    OpenTrackerError,
    ParameterError,
    PartialResultError,
    ResponseError,
    TransportError,
)
from .javatime import java_zone
from .params import ENDPOINT_PATHS, PARAMS, params_for

log = logging.getLogger("ot_magic")

DEFAULT_API_URL = "https://api.opentracker.net/api/"
RETRY_STATUSES = (500, 502, 503, 504)
MAX_PAGES = 100_000
_UUID = re.compile(r"^[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$")
_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})

Progress = Callable[[int, int], Any]


class OpenTrackerClient:
    """The API over one ``requests.Session``.

    ``api_url`` is the argument, else ``OT_API_URL``, else the public API; ``"demo"`` is the
    built-in emulator (started once per process), always with its demo account.
    """

    def __init__(
        self,
        api_url: str | None = None,
        *,
        credentials: creds.Credentials | tuple[str, str] | None = None,
        timeout: float = 30.0,
        retries: int = 3,
        backoff: float = 0.25,
        session: requests.Session | None = None,
    ) -> None:
        url = (api_url or os.environ.get("OT_API_URL") or DEFAULT_API_URL).strip()
        self.demo = url.lower() == "demo"
        if self.demo:
            from .emulator import demo_url

            url = demo_url()
        self.api_url = checked_api_url(url)
        self.timeout = timeout
        self.retries = retries
        self._given = None if credentials is None else creds.resolve(credentials)  # redacted
        self._ticket: creds.Credentials | None = None
        self._session = session or requests.Session()
        retry = Retry(
            total=retries,
            connect=retries,
            read=retries,
            status=retries,
            other=0,
            backoff_factor=backoff,
            status_forcelist=RETRY_STATUSES,
            allowed_methods=frozenset({"POST"}),
            raise_on_status=False,
            respect_retry_after_header=False,
        )
        adapter = HTTPAdapter(max_retries=retry, pool_maxsize=16)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)

    def __repr__(self) -> str:
        return f"OpenTrackerClient({self.api_url!r}{', demo' if self.demo else ''})"

    def close(self) -> None:
        """Close the HTTP session's connections."""
        self._session.close()

    def __enter__(self) -> OpenTrackerClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- credentials ----------------------------------------------------------------------

    def credentials(self) -> creds.Credentials:
        """What the next request carries: the demo account for the demo, else the ticket from
        :meth:`login_ticket`, else the most specific configured credentials."""
        if self.demo:
            return creds.demo()
        return self._ticket or creds.require(self._given)

    def login_ticket(self, *, expires: int = 60) -> str:
        """A ticket (``management/login_user.jsp``) that later requests carry instead of the
        password, valid ``expires`` seconds: ``ticket = client.login_ticket(expires=600)``."""
        account = creds.demo() if self.demo else creds.require(self._given)
        if account.ticket_id:
            raise ConfigurationError(
                "login_ticket needs a login and password, not a ticket (OT_TICKET_ID is set)"
            )
        expires_text = params_for("login")["expires"].render(
            params_for("login")["expires"].parse(expires)
        )
        body = self._post("login", {"expires": expires_text}, account)
        text = body.decode("utf-8", "replace").strip()
        if text.lower() == "false":
            raise AuthenticationError(
                "the API refused the login and password (login_user.jsp answered false)"
            )
        if not _UUID.match(text):
            raise ResponseError("expected a ticket id (a UUID) from login_user.jsp")
        self._ticket = account.with_ticket(text)
        return text

    # --- endpoints --------------------------------------------------------------------------

    def sessions(
        self,
        request: Any,
        *,
        all_pages: bool = False,
        max_rows: int | None = None,
        progress: Progress | None = None,
        concurrency: int = 8,
        cancel: threading.Event | None = None,
    ) -> Any:
        """The sessions of ``request`` (a :class:`~ot_magic.request.SessionsRequest`).

        One page (``limit`` rows) by default; ``all_pages=True`` or ``max_rows`` follow
        ``nextToken`` to the end (or to ``max_rows`` rows: the last page is cut to fit, and
        ``next_token`` names the page after it, so the rows cut are not revisited from it);
        a date with a period of several
        days is then fetched a day at a time, ``concurrency`` days at once, with exactly the
        rows of sequential paging. A failure on a later page raises
        :class:`~ot_magic.errors.PartialResultError` holding the rows so far and the token to
        resume from. Setting ``cancel`` (from another thread) stops after the pages being
        read: the rows so far come back, with the ``next_token`` to go on from::

            client.sessions(req, all_pages=True, progress=lambda rows, pages: print(rows))
        """
        if max_rows is not None and (
            isinstance(max_rows, bool) or not isinstance(max_rows, int) or max_rows < 1
        ):
            raise ParameterError("max_rows", "a whole number of at least 1", max_rows)
        params = dict(request.to_api_params())
        started = time.perf_counter()
        if not all_pages and max_rows is None:
            data_type = "jsondatatable" if params.get("nextToken") else "json"
            answer = self._fetch("sessions", {**params, "dataType": data_type}, request)
            return self._result(answer.df, request, answer.next_token, 1, started)
        days = split_days(request) if concurrency > 1 else []
        if len(days) > 1:
            return self._sessions_by_day(
                request, days, max_rows, progress, concurrency, started, cancel
            )
        pager = _Pager(self, "sessions", request, params, max_rows)
        pager.run(
            on_page=(lambda: progress(pager.rows, pager.pages)) if progress else None,
            cancel=cancel,
        )
        return self._finish([pager], request, max_rows, started)

    def sessions_by_user(
        self,
        uid: str,
        *,
        date: Any = None,
        period: Any = None,
        limit: int | None = None,
        site: Any = None,
    ) -> Any:
        """The sessions of one visitor (``uid`` = ``machine_idx``):
        ``client.sessions_by_user("1319502921449.180515048", limit=100)``."""
        params = _endpoint_params(
            "sessions_by_user", uid=uid, date=date, period=period, limit=limit, site=site
        )
        params["dataType"] = PARAMS["dataType"].render("json")
        started = time.perf_counter()
        answer = self._fetch("sessions_by_user", params, params)
        return self._result(answer.df, None, answer.next_token, 1, started)

    def page_views(self, visit_id: str, *, site: Any = None) -> Any:
        """The page views (clickstream) of one visit: ``client.page_views(df.visit_id[0])``."""
        params = _endpoint_params("page_views", filterByVisitId=visit_id, site=site)
        params["dataType"] = PARAMS["dataType"].render("json")
        started = time.perf_counter()
        answer = self._fetch("page_views", params, params)
        return self._result(answer.df, None, answer.next_token, 1, started)

    # --- paging by day ----------------------------------------------------------------------

    def _sessions_by_day(
        self,
        request: Any,
        days: list[dt.date],
        max_rows: int | None,
        progress: Progress | None,
        concurrency: int,
        started: float,
        cancel: threading.Event | None = None,
    ) -> Any:
        date_param, period_param = PARAMS["date"], PARAMS["period"]
        base = request.to_api_params()
        pagers = [
            _Pager(
                self,
                "sessions",
                request,
                {
                    **base,
                    "date": date_param.render(day),
                    "period": period_param.render(period_param.parse("1d")),
                },
                max_rows,
                start_token=day_start_token(day, request),
            )
            for day in days
        ]
        stop = threading.Event()
        with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="ot-day") as pool:
            running: dict[Future, _Pager] = {}
            waiting = list(pagers)
            shown = (-1, -1)
            while waiting or running:
                while waiting and len(running) < concurrency and not stop.is_set():
                    pager = waiting.pop(0)
                    running[pool.submit(pager.run, stop_event=stop, cancel=cancel)] = pager
                if not running:
                    break
                done, _ = wait(running, timeout=0.1, return_when=FIRST_COMPLETED)
                for future in done:
                    pager = running.pop(future)
                    if pager.error is not None:
                        stop.set()
                prefix = _complete_prefix(pagers)
                if (max_rows is not None and sum(p.rows for p in prefix) >= max_rows) or (
                    cancel is not None and cancel.is_set()
                ):
                    stop.set()
                if progress is not None:
                    now = (sum(p.rows for p in pagers), sum(p.pages for p in pagers))
                    if now != shown:
                        progress(*now)
                        shown = now
                if stop.is_set():
                    waiting.clear()
        prefix = _complete_prefix(pagers)
        if len(prefix) == len(pagers) or (
            max_rows is not None and sum(p.rows for p in prefix) >= max_rows
        ):
            prefix = _holding(prefix, max_rows)
            if len(prefix) < len(pagers) and not prefix[-1].next_token:  # older days remain
                prefix[-1].next_token = pagers[len(prefix)].start_token
            return self._finish(prefix, request, max_rows, started)
        first_gap = pagers[len(prefix)]
        if first_gap.error is None and cancel is not None and cancel.is_set():
            first_gap.next_token = first_gap.next_token or first_gap.start_token
            return self._finish([*prefix, first_gap], request, max_rows, started)
        if first_gap.error is None:  # stopped before it ran, because a later day failed
            first_gap.error = next(p.error for p in pagers if p.error is not None)
            first_gap.failed_token = first_gap.start_token
        return self._finish([*prefix, first_gap], request, max_rows, started)

    # --- helpers ----------------------------------------------------------------------------

    def _finish(
        self, pagers: list[_Pager], request: Any, max_rows: int | None, started: float
    ) -> Any:
        """The result of complete pagers; if the last one failed, a PartialResultError."""
        from .frame import to_dataframe

        pages = _first_rows([page for pager in pagers for page in pager.read], max_rows)
        failed = pagers[-1] if pagers and pagers[-1].error is not None else None
        if failed is not None and not pages:
            raise failed.error
        token = failed.failed_token if failed is not None else pagers[-1].next_token
        df = to_dataframe(pages, request=request, time_zone=_zone_of(request, {}))
        df.attrs["next_token"] = token
        result = self._result(df, request, token, sum(p.pages for p in pagers), started)
        if failed is not None:
            raise PartialResultError(
                f"stopped at page {failed.pages + 1} of {failed.label} ({failed.error}); "
                f"kept the {len(df)} rows before it; to go on, run the same request with "
                f"nextToken = {failed.failed_token} and all pages",
                partial=result,
                resume_token=failed.failed_token,
            )
        return result

    def _result(self, df: Any, request: Any, token: str | None, pages: int, started: float) -> Any:
        from .result import SessionsResult

        return SessionsResult(
            df=df,
            request=request if hasattr(request, "to_cell") else None,
            next_token=token,
            pages=pages,
            elapsed=time.perf_counter() - started,
            api_url=self.api_url,
            client=self,
        )

    def _fetch(self, endpoint: str, params: Mapping[str, str], request: Any) -> Any:
        """One answer as a typed DataFrame (``ParsedAnswer``)."""
        from .frame import ParsedAnswer, to_dataframe

        page = self._fetch_page(endpoint, params)
        df = to_dataframe([page], request=params, time_zone=_zone_of(request, params))
        return ParsedAnswer(df, page.next_token, page.meta)

    def _fetch_page(self, endpoint: str, params: Mapping[str, str]) -> Any:
        """One answer's rows as text (``ParsedPage``), typing and pandas left for later."""
        from .frame import read_page

        account = self.credentials()
        body = self._post(endpoint, params, account)
        try:
            return read_page(body)
        except OpenTrackerError as error:
            raise _scrubbed(error, account.secrets) from None

    def _post(self, endpoint: str, params: Mapping[str, str], account: creds.Credentials) -> bytes:
        """POST ``params`` plus the credentials as a form body; the answer's bytes."""
        url = self.api_url + ENDPOINT_PATHS[endpoint]
        log.debug("POST %s %s", url, dict(params))
        failure: OpenTrackerError | None = None
        try:  # the form with the secrets is never a local: tracebacks that show locals show none
            response = self._session.post(
                url,
                data={**params, **account.form()},
                timeout=self.timeout,
                allow_redirects=False,  # a 307/308 would re-post the password wherever it points
            )
        except requests.exceptions.ConnectionError as error:
            failure = TransportError(
                f"no answer from {self._host} within {self.timeout:g} s "
                f"(timed out, after {self.retries} retries)"
                if _timed_out(error)
                else f"could not reach {self._host} (connection refused or reset, "
                f"after {self.retries} retries)"
            )
        except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError):
            failure = ResponseError(
                f"the answer from {self._host} was cut short (the connection closed before "
                "the whole body arrived)"
            )
        except requests.exceptions.Timeout:
            failure = TransportError(
                f"no answer from {self._host} within {self.timeout:g} s "
                f"(timed out, after {self.retries} retries)"
            )
        except requests.exceptions.RequestException as error:
            failure = TransportError(f"the request to {self._host} failed ({type(error).__name__})")
        if failure is not None:  # raised outside the except: no chained context to leak a URL
            raise failure
        status, body = response.status_code, response.content
        response.close()
        if status == 200:
            return body
        if body.lstrip()[:6].lower() == b"error:":
            from .frame import parse_sessions

            try:
                parse_sessions(body)
            except OpenTrackerError as error:
                raise _scrubbed(error, account.secrets) from None
        if status in RETRY_STATUSES:
            raise TransportError(
                f"the API at {self._host} kept answering HTTP {status} "
                f"(after {self.retries} retries)"
            )
        if 300 <= status < 400:
            raise ConfigurationError(
                f"the API at {self._host} redirects elsewhere (HTTP {status}); credentials are "
                "not sent on: set api_url/OT_API_URL to the address the API now lives at"
            )
        if status == 404:
            raise ConfigurationError(
                f"no API at {self.api_url}{ENDPOINT_PATHS[endpoint]} (HTTP 404): check api_url/OT_API_URL"
            )
        if status in (401, 403):
            raise AuthenticationError(
                f"the API refused the credentials (HTTP {status})", status=status
            )
        raise ApiError(
            f"the API answered HTTP {status} to {ENDPOINT_PATHS[endpoint]}", status=status
        )

    @property
    def _host(self) -> str:
        return urlsplit(self.api_url).netloc


@dataclass(eq=False)
class _Pager:
    """Follows ``nextToken`` (``dataType=jsondatatable``) for one request, page after page."""

    client: OpenTrackerClient
    endpoint: str
    request: Any
    params: dict[str, str]
    max_rows: int | None
    start_token: str | None = None
    read: list[Any] = field(default_factory=list)  # the ParsedPages, in order
    rows: int = 0
    pages: int = 0
    next_token: str | None = None
    failed_token: str | None = None
    error: OpenTrackerError | None = None
    done: bool = False

    @property
    def label(self) -> str:
        day = self.params.get("date") if self.start_token else None
        return f"day {day}" if day else "the request"

    def run(
        self,
        on_page: Callable[[], Any] | None = None,
        stop_event: threading.Event | None = None,
        cancel: threading.Event | None = None,
    ) -> None:
        token = self.params.get("nextToken")
        seen: set[str] = set()
        while self.pages < MAX_PAGES:
            if stop_event is not None and stop_event.is_set() and self.pages == 0:
                return
            params = {**self.params, "dataType": PARAMS["dataType"].render("jsondatatable")}
            if token:
                params["nextToken"] = token
            try:
                answer = self.client._fetch_page(self.endpoint, params)
            except OpenTrackerError as error:
                self.error = error
                self.failed_token = token or self.start_token
                return
            self.read.append(answer)
            self.rows += answer.rows.height
            self.pages += 1
            self.next_token = answer.next_token
            if on_page is not None:
                on_page()
            if not answer.next_token or (self.max_rows is not None and self.rows >= self.max_rows):
                self.done = True
                return
            if cancel is not None and cancel.is_set():
                return
            if answer.next_token in seen:
                self.error = ResponseError(
                    f"the API sent nextToken {answer.next_token} twice: paging stopped"
                )
                self.failed_token = answer.next_token
                return
            seen.add(answer.next_token)
            token = answer.next_token
        self.error = ResponseError(f"more than {MAX_PAGES} pages: paging stopped")
        self.failed_token = token


def _first_rows(pages: list[Any], max_rows: int | None) -> list[Any]:
    """The pages holding the first ``max_rows`` rows, the last one cut to fit."""
    if max_rows is None:
        return pages
    kept, rows = [], 0
    for page in pages:
        if rows >= max_rows:
            break
        take = min(page.rows.height, max_rows - rows)
        kept.append(page if take == page.rows.height else page.head(take))
        rows += take
    return kept


def _holding(pagers: list[_Pager], max_rows: int | None) -> list[_Pager]:
    """The first pagers, enough to hold ``max_rows`` rows (all of them without a cap)."""
    if max_rows is None:
        return pagers
    needed, rows = [], 0
    for pager in pagers:
        needed.append(pager)
        rows += pager.rows
        if rows >= max_rows:
            break
    return needed


def _complete_prefix(pagers: list[_Pager]) -> list[_Pager]:
    """The newest days, in order, up to the first day not complete."""
    prefix = []
    for pager in pagers:
        if not pager.done:
            break
        prefix.append(pager)
    return prefix


def split_days(request: Any) -> list[dt.date]:
    """The days of a ``date`` + several-day ``period`` request, newest first; ``[]`` when the
    request cannot be split (no date, one day, months, or ``nextToken``/``orderCriteria``/
    ``session_id`` set): ``split_days(SessionsRequest(date="2011-11-16", period="3d"))``."""
    params = getattr(request, "params", {})
    date, period = params.get("date"), params.get("period")
    if (
        date is None
        or period is None
        or any(
            params.get(name) is not None for name in ("nextToken", "orderCriteria", "session_id")
        )
    ):
        return []
    days_per_unit = {"d": 1, "w": 7}.get(period.unit)
    if days_per_unit is None:
        return []
    return [date - dt.timedelta(days=n) for n in range(period.count * days_per_unit)]


def day_start_token(day: dt.date, request: Any) -> str:
    """The ``nextToken`` that starts ``day`` when paging back: ``<day's midnight>.<day's last
    hour>`` in the request's time zone (epoch ms), the vendor's ``timestampday.timestamphour``."""
    zone = java_zone(request.params.get("timeZone") or PARAMS["timeZone"].default)
    midnight = dt.datetime.combine(day, dt.time(), tzinfo=zone)
    next_midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    last_moment = (next_midnight - dt.timedelta(milliseconds=1)).astimezone(zone)
    last_hour = last_moment.replace(minute=0, second=0, microsecond=0)
    return f"{_epoch_ms(midnight)}.{_epoch_ms(last_hour)}"


def _epoch_ms(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)


def checked_api_url(url: str) -> str:
    """``url`` with a trailing slash, if it is https, or http to a loopback host.

    checked_api_url("http://127.0.0.1:8765/api")   # 'http://127.0.0.1:8765/api/'
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018  (a bad port raises here)
    except ValueError:
        raise ConfigurationError(
            "api_url/OT_API_URL: expected an http(s) URL such as https://api.opentracker.net/api/"
        ) from None
    if parts.username or parts.password:
        raise ConfigurationError(
            "api_url/OT_API_URL: credentials do not belong in the URL: use %otlogin or OT_LOGIN/OT_PASSWORD"
        )
    if parts.scheme not in ("http", "https") or not host:
        raise ConfigurationError(
            "api_url/OT_API_URL: expected an http(s) URL such as https://api.opentracker.net/api/"
        )
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


def is_loopback(host: str) -> bool:
    """``127.0.0.0/8``, ``::1`` or ``localhost``."""
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _endpoint_params(endpoint: str, **values: Any) -> dict[str, str]:
    """Validated API text for the given (non-None) values of ``endpoint``'s parameters."""
    table = params_for(endpoint)
    out = {}
    for name, value in values.items():
        if value is None:
            continue
        if name not in table:
            takes = ", ".join(n for n, p in table.items() if p.group not in ("auth", "internal"))
            raise ParameterError(
                name, "", message=f"{name}: {endpoint} does not take it (it takes {takes})"
            )
        out[name] = table[name].render(table[name].parse(value))
    return out


def _timed_out(error: BaseException) -> bool:
    """requests reports a read timeout that used up urllib3's retries as a ConnectionError."""
    reason = getattr(error.args[0], "reason", None) if error.args else None
    return isinstance(reason, urllib3.exceptions.TimeoutError) and not isinstance(
        reason, urllib3.exceptions.NewConnectionError
    )


def _zone_of(request: Any, params: Mapping[str, str]) -> str | None:
    params_of_request = getattr(request, "params", None) or {}
    return params_of_request.get("timeZone") or params.get("timeZone") or params.get("timezone")


def _scrubbed(error: OpenTrackerError, secrets: tuple[str, ...]) -> OpenTrackerError:
    """``error`` with every secret replaced by ``***`` (a server may echo one back)."""
    if not any(secret in str(arg) for secret in secrets for arg in error.args):
        return error

    def scrub(value: Any) -> Any:
        if isinstance(value, str):
            for secret in secrets:
                value = value.replace(secret, "***")
        return value

    error.args = tuple(scrub(arg) for arg in error.args)
    for name, value in vars(error).items():
        setattr(error, name, scrub(value))
    return error
