"""OpenTrackerClient: the API's endpoints (sessions, a visitor's sessions, page views, tickets).

    >>> from ot_magic import OpenTrackerClient, SessionsRequest
    >>> client = OpenTrackerClient.demo()                      # doctest: +SKIP
    >>> result = client.sessions(SessionsRequest(date="2011-11-16", period="3d"), all_pages=True)
    ...                                                        # doctest: +SKIP
    >>> result.df.shape, result.pages                          # doctest: +SKIP

The parts it drives: :mod:`ot_magic.transport` (one POST: deadline, size cap, charset, secrets
scrubbed), :mod:`ot_magic.paging` (``nextToken`` and the day split), :mod:`ot_magic.frame`
(answer → DataFrame) and :mod:`ot_magic.sources` (what "demo" and "replay:NAME" mean). Every
error is one line from
:mod:`ot_magic.errors` without a credential.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Mapping
from functools import partial
from typing import TYPE_CHECKING, Any

from . import credentials as creds
from . import demo as demo_api
from . import sources
from .errors import (
    AuthenticationError,
    ConfigurationError,
    OpenTrackerError,
    ParameterError,
    PartialResultError,
    RequestCancelled,
    ResponseError,
)
from .paging import OnDays, Progress, checked_token, days_of, pull_pages, resume_text, split_days
from .params import ENDPOINT_PATHS, PARAMS, params_for
from .transport import (
    DEFAULT_API_URL,
    DEFAULT_MAX_BYTES,
    OnAnswer,
    Transport,
    detached,
    scrub_error,
)

if TYPE_CHECKING:
    import datetime as dt

    import pandas as pd
    import requests

    from .cache import CachedAnswer, DayCache
    from .frame import ParsedPage, RequestLike
    from .paging import DaySource, FetchPage, Pull
    from .request import SessionsRequest
    from .result import SessionsResult
    from .store import SessionsDataset

LOGIN_SITE_MESSAGE = "Login/ site combination is not valid"
TICKET_MARGIN_S = 5.0  # a ticket this close to its end is renewed before a request


class OpenTrackerClient:
    """The API's endpoints over one :class:`~ot_magic.transport.Transport`.

    ``api_url`` is the argument, else ``OT_API_URL``, else the public API; ``"demo"`` is the
    built-in emulator (:meth:`demo`) and ``"replay:NAME"`` a recording served offline
    (:mod:`ot_magic.replay`), both always with the demo account, never configured credentials
    (:mod:`ot_magic.sources`). ``timeout`` is the deadline of each request, ``max_bytes`` the
    largest answer read::

        client = OpenTrackerClient("https://api.opentracker.net/api/", timeout=60)
        OpenTrackerClient("replay:lesson1").sessions(req)       # a recording, offline
    """

    def __init__(
        self,
        api_url: str | None = None,
        *,
        credentials: creds.Credentials | tuple[str, str] | None = None,
        timeout: float = 30.0,
        retries: int = 3,
        backoff: float = 0.25,
        max_bytes: int = DEFAULT_MAX_BYTES,
        session: requests.Session | None = None,
        on_answer: OnAnswer | None = None,
    ) -> None:
        source = sources.resolve(api_url or os.environ.get("OT_API_URL") or DEFAULT_API_URL)
        self.is_demo = source.name == demo_api.NAME
        self._fixed_account = source.account  # the demo's or a replay's: nothing configured
        self.transport = Transport(
            source.url,
            timeout=timeout,
            retries=retries,
            backoff=backoff,
            max_bytes=max_bytes,
            session=session,
            on_answer=on_answer,
        )
        self.api_url = self.transport.api_url
        #: where the answers come from, as caches and datasets name it: ``demo``,
        #: ``replay:NAME`` or the API URL
        self.source = source.name if source.account is not None else self.api_url
        self._given = None if credentials is None else creds.resolve(credentials)  # redacted
        self._ticket: creds.Credentials | None = None
        self._ticket_from: creds.Credentials | None = None  # what renews it (password known)
        self._ticket_lapses: float | None = None
        self._ticket_expires = 60
        self._lock = threading.Lock()

    @classmethod
    def demo(cls, **options: Any) -> OpenTrackerClient:
        """A client of the built-in emulator with its demo account: ``OpenTrackerClient.demo()``."""
        return cls(demo_api.NAME, **options)

    @property
    def timeout(self) -> float:
        """The deadline of one request, in seconds."""
        return self.transport.timeout

    def __repr__(self) -> str:
        named = f", {self.source}" if self.source != self.api_url else ""
        return f"OpenTrackerClient({self.api_url!r}{named})"

    def close(self) -> None:
        """Close the HTTP session's connections."""
        self.transport.close()

    def __enter__(self) -> OpenTrackerClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- credentials ----------------------------------------------------------------------

    def credentials(self) -> creds.Credentials:
        """What the next request carries: the demo account for the demo or a replay, else the
        ticket from
        :meth:`login_ticket`, else the most specific configured credentials."""
        if self._fixed_account is not None:
            return self._fixed_account
        return self._ticket or creds.require(self._given)

    def login_ticket(self, *, expires: int = 60) -> creds.Ticket:
        """A ticket (``management/login_user.jsp``) that later requests carry instead of the
        password, valid ``expires`` seconds; while the password is known (``%otlogin``,
        ``OT_LOGIN``/``OT_PASSWORD``, ``credentials=``) it is renewed before it lapses::

            ticket = client.login_ticket(expires=600)     # Ticket(***, valid 600 s)
        """
        account = self._fixed_account or creds.require(self._given)
        if account.ticket_id:
            raise ConfigurationError(
                "login_ticket needs a login and password, not a ticket (OT_TICKET_ID is set)"
            )
        with self._lock:
            return self._new_ticket(account, expires)

    def _new_ticket(self, account: creds.Credentials, expires: int) -> creds.Ticket:
        param = params_for("login")["expires"]
        expires = param.parse(expires)
        asked = time.monotonic()
        body = self.transport.post(
            ENDPOINT_PATHS["login"], {"expires": param.render(expires)}, account
        )
        text = body.decode("utf-8", "replace").strip()
        if text.lower() == "false":
            raise AuthenticationError(
                "the API refused the login and password (login_user.jsp answered false)"
            )
        if not _is_uuid(text):
            raise ResponseError("expected a ticket id (a UUID) from login_user.jsp")
        ticket = creds.Ticket(text, expires=expires, expires_at=asked + expires)
        self._ticket = account.with_ticket(ticket)
        self._ticket_from = account if account.renewable else None
        self._ticket_lapses, self._ticket_expires = ticket.expires_at, expires
        return ticket

    def _account(self) -> creds.Credentials:
        """The credentials for the next request, renewing a ticket about to lapse."""
        with self._lock:
            lapses = self._ticket_lapses
            if (
                self._ticket is not None
                and lapses is not None
                and time.monotonic() >= lapses - TICKET_MARGIN_S
            ):
                if self._ticket_from is None:
                    raise AuthenticationError(
                        f"the ticket from login_ticket expired (it was valid "
                        f"{self._ticket_expires} s): get a new one, or ask for a longer "
                        "one (%otlogin --ticket --expires SECONDS)"
                    )
                self._new_ticket(self._ticket_from, self._ticket_expires)
        return self.credentials()

    # --- endpoints --------------------------------------------------------------------------

    def sessions(
        self,
        request: SessionsRequest,
        *,
        all_pages: bool = False,
        max_rows: int | None = None,
        progress: Progress | None = None,
        concurrency: int = 8,
        cancel: threading.Event | None = None,
        cache: DayCache | None = None,
        refresh: bool = False,
        to: str | os.PathLike[str] | None = None,
        on_days: OnDays | None = None,
        day_source: DaySource | None = None,
    ) -> SessionsResult | SessionsDataset:
        """The sessions of ``request`` (a :class:`~ot_magic.request.SessionsRequest`).

        One page (``limit`` rows) by default; ``all_pages=True`` or ``max_rows`` follow
        ``nextToken`` to the end (or to ``max_rows`` rows: the last page is cut to fit, and the
        resume goes on after it, so the rows cut are not revisited from it); a date with a
        period of several days is then fetched a day at a time, ``concurrency`` days at once,
        covering exactly the days of the request and giving the rows of sequential paging. A
        failure on a later page raises :class:`~ot_magic.errors.PartialResultError` holding
        the rows so far and the parameters that fetch the rest (``resume``). Setting
        ``cancel`` (from another thread) stops a pull after the pages being read (their rows
        come back, with the ``resume``), and gives up a single page at once
        (:class:`~ot_magic.errors.RequestCancelled`)::

            client.sessions(req, all_pages=True, progress=lambda rows, pages: print(rows))

        ``cache`` (a :class:`~ot_magic.cache.DayCache`) serves the days that have ended from
        disk and keeps those fetched (``refresh`` fetches them again; today's day is always
        fetched); the frame is the one an uncached pull gives, dtypes and row order included.
        ``to`` (a folder) streams every page, a day at a time, into the Parquet dataset there
        and returns it (:class:`~ot_magic.store.SessionsDataset`, read lazily): each day is
        written atomically, days already complete are skipped (an interrupted pull resumes),
        memory holds a day whatever the period (:func:`ot_magic.bulk.pull_to`). ``on_days(done,
        total)`` is called with the number of days complete and in the pull, first with
        ``(0, total)``, when it goes by days (a progress bar's total and ETA). ``day_source``
        (a :class:`~ot_magic.paging.DaySource`) is the hook both use::

            client.sessions(req, all_pages=True, cache=DayCache())
            client.sessions(req, all_pages=True, to="visits").relation().count("*")
            client.sessions(req, all_pages=True, on_days=lambda done, total: print(done, total))
        """
        if to is not None:
            from .bulk import pull_to

            if max_rows is not None:
                raise ParameterError("max_rows", "none with to= (it writes whole days)", max_rows)
            return pull_to(
                self, request, to, refresh=refresh, progress=progress, cancel=cancel,
                on_days=on_days,
            )  # fmt: skip
        if cache is not None and day_source is None:
            day_source = cache.days(self.source, request, refresh=refresh)
        if max_rows is not None and (
            isinstance(max_rows, bool) or not isinstance(max_rows, int) or max_rows < 1
        ):
            raise ParameterError("max_rows", "a whole number of at least 1", max_rows)
        params = dict(request.to_api_params())
        started = time.perf_counter()
        if not all_pages and max_rows is None:
            answers = cache.answer(self.source, request, refresh=refresh) if cache else None
            return self._one_answer("sessions", params, request, started, cancel, answers)
        if all_pages and "limit" not in params:  # fewest requests: the largest page documented
            params["limit"] = PARAMS["limit"].render(params_for("sessions")["limit"].maximum)
        days = days_of(request) if day_source is not None else split_days(request)
        typed = partial(_typed_day, request=request, time_zone=_zone_of(request, params))
        pull = pull_pages(
            params,
            self._page_fetcher("sessions", None),  # a pull stops between pages: rows are kept
            days=days,
            max_rows=max_rows,
            progress=progress,
            concurrency=concurrency,
            cancel=cancel,
            day_source=day_source,
            on_days=on_days,
            compact=typed if len(days) > TYPED_DAYS_AFTER else None,
        )
        return self._pulled(pull, request, params, started)

    def sessions_by_user(
        self,
        uid: str,
        *,
        date: str | dt.date | None = None,
        limit: int | None = None,
        site: str | None = None,
        timeZone: str | None = None,
        all_pages: bool = False,
        cancel: threading.Event | None = None,
    ) -> SessionsResult:
        """Every session of one visitor (``uid`` = ``machine_idx``), newest first, up to
        ``limit`` (default: the endpoint's documented maximum, 10000) or, with
        ``all_pages=True``, following ``nextToken`` to the first visit. ``result.more`` says
        when more sessions exist than were fetched. ``site`` and ``timeZone`` should be those
        of the request the visitor came from::

            client.sessions_by_user("1319502921449.180515048", site="www.opentracker.de")
        """
        limit = params_for("sessions_by_user")["limit"].maximum if limit is None else limit
        params = _endpoint_params(
            "sessions_by_user", uid=uid, date=date, limit=limit, site=site, timeZone=timeZone
        )
        started = time.perf_counter()
        if not all_pages:
            return self._one_answer("sessions_by_user", params, params, started, cancel)
        pull = pull_pages(params, self._page_fetcher("sessions_by_user", cancel), cancel=cancel)
        return self._pulled(pull, None, params, started)

    def page_views(
        self,
        visit_id: str,
        *,
        site: str | None = None,
        timeZone: str | None = None,
        cancel: threading.Event | None = None,
    ) -> SessionsResult:
        """The page views (clickstream) of one visit, with the ``site`` and ``timeZone`` of the
        request it came from: ``client.page_views(df.visit_id[0], site=df.site[0])``."""
        params = _endpoint_params(
            "page_views", filterByVisitId=visit_id, site=site, timeZone=timeZone
        )
        return self._one_answer("page_views", params, params, time.perf_counter(), cancel)

    # --- helpers ----------------------------------------------------------------------------

    def _one_answer(
        self,
        endpoint: str,
        params: dict[str, str],
        request: RequestLike,
        started: float,
        cancel: threading.Event | None,
        answers: CachedAnswer | None = None,
    ) -> SessionsResult:
        """One answer (from ``answers``, the cache, when it holds it). A ``json`` answer's
        ``nextToken`` is not offered to go on from (its last hour may hold rows past ``limit``
        that it would skip): ``more`` says rows remain."""
        from .frame import to_dataframe

        paged = bool(params.get("nextToken"))
        data_type = PARAMS["dataType"].render("jsondatatable" if paged else "json")
        page = answers.get() if answers is not None else None
        if page is None:
            page = self._page_fetcher(endpoint, cancel)({**params, "dataType": data_type})
            if answers is not None:
                answers.put(page)
        token = checked_token(page.next_token)
        df = to_dataframe([page], request=request, time_zone=_zone_of(request, params))
        resume = {"nextToken": token} if paged and token else None
        # a json answer has no token to go on from, but a full page says there may be more
        takes_limit = params_for(endpoint).get("limit")
        limit = int(params.get("limit") or (takes_limit.default if takes_limit else 0) or 0)
        more = token is not None or (limit > 0 and len(df) >= limit)
        return self._result(df, request, resume, more, 1, started)

    def _pulled(
        self, pull: Pull, request: SessionsRequest | None, params: Mapping[str, str], started: float
    ) -> SessionsResult:
        """The result of a pull; a ``PartialResultError`` holding it if a page failed."""
        from .frame import to_dataframe

        if pull.error is not None and not pull.pages:
            raise detached(pull.error)
        if pull.cancelled and not pull.pages:
            raise RequestCancelled(f"cancelled before the first answer from {self.transport.host}")
        df = to_dataframe(
            pull.pages, request=request or params, time_zone=_zone_of(request, params),
            release=True,
        )  # fmt: skip
        result = self._result(
            df, request, pull.resume, pull.resume is not None, pull.page_count, started
        )
        if pull.error is not None:
            if pull.resume:
                how = "to go on, run the same request with " + resume_text(pull.resume)
                how += " and all pages"
            else:
                how = "no request can go on from there"
            raise PartialResultError(
                f"stopped at {pull.where} ({pull.error}); kept the {len(df)} rows before it; "
                + how,
                partial=result,
                resume=pull.resume,
            )
        return result

    def _result(
        self,
        df: pd.DataFrame,
        request: RequestLike,
        resume: dict[str, str] | None,
        more: bool,
        pages: int,
        started: float,
    ) -> SessionsResult:
        from .result import SessionsResult

        token = resume.get("nextToken") if resume and set(resume) == {"nextToken"} else None
        df.attrs["next_token"] = token
        return SessionsResult(
            df=df,
            request=request if hasattr(request, "to_cell") else None,
            next_token=token,
            pages=pages,
            elapsed=time.perf_counter() - started,
            api_url=self.api_url,
            client=self,
            resume=resume,
            more=more,
        )

    def _page_fetcher(self, endpoint: str, cancel: threading.Event | None) -> FetchPage:
        """``fetch_page(params) -> ParsedPage`` for :mod:`ot_magic.paging`, over the transport."""

        def fetch_page(params: Mapping[str, str]) -> ParsedPage:
            return self._fetch_page(endpoint, params, cancel)

        return fetch_page

    def _fetch_page(
        self, endpoint: str, params: Mapping[str, str], cancel: threading.Event | None = None
    ) -> ParsedPage:
        """One answer's rows as text (``ParsedPage``); a refused ticket is renewed once."""
        failure = self._try_page(endpoint, params, cancel)
        if isinstance(failure, AuthenticationError) and self._ticket_from is not None:
            with self._lock:
                self._new_ticket(self._ticket_from, self._ticket_expires)
            failure = self._try_page(endpoint, params, cancel)
        if isinstance(failure, OpenTrackerError):
            raise detached(failure)  # without the parser's frames (they hold the answer)
        return failure

    def _try_page(
        self, endpoint: str, params: Mapping[str, str], cancel: threading.Event | None
    ) -> ParsedPage | OpenTrackerError:
        from .frame import read_page

        account = self._account()
        body = self.transport.post(ENDPOINT_PATHS[endpoint], params, account, cancel=cancel)
        try:
            return read_page(body)
        except AuthenticationError as error:
            return scrub_error(_login_error(error, params, account), account.secrets)
        except OpenTrackerError as error:
            return scrub_error(error, account.secrets)


def _login_error(
    error: AuthenticationError, params: Mapping[str, str], account: creds.Credentials
) -> AuthenticationError:
    """The API's login error, saying which site was sent and how to set another."""
    if LOGIN_SITE_MESSAGE not in str(error):
        return error
    site = params.get("site")
    sent = (
        f"site sent: {site}"
        if site
        else (f"no site was sent, so the API took its default, {PARAMS['site'].default}")
    )
    who = (
        "the ticket (it may have expired: %otlogin --ticket gets a new one)"
        if (account.ticket_id)
        else "the login and password"
    )
    return AuthenticationError(
        f"{LOGIN_SITE_MESSAGE} ({sent}): check {who}, and that the login owns the site; "
        "set the site with 'site = ...' in the cell, %config OTMagic.site or OT_SITE",
        exception=error.exception,
        status=error.status,
    )


def _endpoint_params(endpoint: str, **values: Any) -> dict[str, str]:
    """Validated API text for the given (non-None) values of ``endpoint``'s parameters; the
    request's ``timeZone`` is carried to every read endpoint."""
    table = {**params_for(endpoint), "timeZone": params_for("sessions")["timeZone"]}
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


def _is_uuid(text: str) -> bool:
    import uuid

    try:
        return len(text) == 36 and str(uuid.UUID(text)) == text.lower()
    except ValueError:
        return False


# A pull of more days than this keeps each complete day typed: its text would outgrow the
# frame. A shorter one types its pages once at the end, which takes less time.
TYPED_DAYS_AFTER = 62


def _typed_day(
    pages: list[ParsedPage], *, request: RequestLike, time_zone: str | None
) -> list[ParsedPage]:
    """A complete day as a pull keeps it: one page of rows already typed, smaller than their
    text, so a long pull holds about its frame (and builds it without a second copy)."""
    from .frame import typed_page

    return [typed_page(pages, request=request, time_zone=time_zone)]


def _zone_of(request: RequestLike, params: Mapping[str, str]) -> str | None:
    params_of_request = getattr(request, "params", None) or {}
    return params_of_request.get("timeZone") or params.get("timeZone") or params.get("timezone")


__all__ = ["OpenTrackerClient"]
