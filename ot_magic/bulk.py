"""Pulls driven a day at a time: into a Parquet dataset on disk (``--to``), or into memory
with finished days served from the on-disk cache (a repeated cell asks nothing for them).

    >>> from ot_magic import OpenTrackerClient, SessionsRequest
    >>> from ot_magic.bulk import fetch, pull_to
    >>> client = OpenTrackerClient("demo")                                   # doctest: +SKIP
    >>> req = SessionsRequest(date="2011-11-16", period="90d", limit=1000)
    >>> ds = pull_to(client, req, "visits")       # a day at a time; resumes  doctest: +SKIP
    >>> ds.relation().aggregate("count(*)")                                  # doctest: +SKIP
    >>> result = fetch(client, req, all_pages=True, cache=DayCache())       # doctest: +SKIP

Both use the client's public API only: each day is ``request.replace(date=day, period="1d")``
with ``all_pages=True``.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import OpenTrackerError, ParameterError, PartialResultError
from .params import PARAMS

if TYPE_CHECKING:
    import os

    import pandas as pd

    from .cache import DayCache
    from .client import OpenTrackerClient
    from .request import SessionsRequest
    from .result import SessionsResult
    from .store import SessionsDataset

Progress = Callable[[int, int], Any]
_NOT_BY_DAY = ("nextToken", "orderCriteria", "session_id")


def days_of(request: SessionsRequest) -> list[dt.date]:
    """The days a request covers, newest first, when it can be fetched a day at a time (a
    ``date``; a ``period`` in days or weeks; no ``nextToken``/``orderCriteria``/``session_id``);
    else ``[]``: ``days_of(SessionsRequest(date="2011-11-16", period="2d"))``."""
    from .client import split_days

    days = split_days(request)
    if days:
        return days
    params = request.params
    period = params.get("period")
    one_day = period is None or (period.count == 1 and period.unit == "d")
    if params.get("date") is None or not one_day or any(params.get(n) for n in _NOT_BY_DAY):
        return []
    return [params["date"]]


def day_request(request: SessionsRequest, day: dt.date) -> SessionsRequest:
    """``request`` narrowed to one day."""
    return request.replace(date=day, period="1d")


def source_of(client: OpenTrackerClient) -> str:
    """Where a client's answers come from, as a cache key says it: ``demo``, ``replay:NAME``
    or the API URL (the demo emulator's port changes from process to process)."""
    from .replay import replay_name

    if client.is_demo:
        return "demo"
    return replay_name(client.api_url) or client.api_url


# --- into a dataset on disk -------------------------------------------------------------------


@dataclass
class PullReport:
    """What :func:`pull_to` did: days fetched and written, days already complete (skipped),
    and whether it stopped early (``cancel``) before the days in ``left``."""

    written: list[dt.date] = field(default_factory=list)
    skipped: list[dt.date] = field(default_factory=list)
    left: list[dt.date] = field(default_factory=list)
    pages: int = 0


def pull_to(
    client: OpenTrackerClient,
    request: SessionsRequest,
    path: str | os.PathLike[str],
    *,
    refresh: bool = False,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    report: PullReport | None = None,
) -> SessionsDataset:
    """Pull every session of ``request`` into the Parquet dataset at ``path``, a day at a
    time, newest first: each day is written (atomically) as soon as it is complete and let go,
    so memory holds one day whatever the period. Days already complete there and over are
    skipped (an interrupted pull resumes), unless ``refresh``; today's day is always fetched
    again. Setting ``cancel`` stops after the day being read (its rows are not written).
    A failing day raises :class:`~ot_magic.errors.PartialResultError` naming the days kept::

        ds = pull_to(client, SessionsRequest(date="2011-11-16", period="90d"), "visits")
    """
    from .cache import day_is_over
    from .frame import redacted_params
    from .store import SessionsDataset

    days = days_of(request)
    if not days:
        raise ParameterError(
            "to",
            "",
            message="--to: needs a date and a period in days or weeks (such as date = "
            "2011-11-16 and period = 90d), without nextToken, orderCriteria or session_id",
        )
    report = report if report is not None else PullReport()
    dataset = SessionsDataset(path)
    base = {
        k: v
        for k, v in redacted_params(request).items()
        if k not in ("date", "period", "limit", "nextToken")
    }
    source = source_of(client)
    dataset.claim(base, source)
    complete = dataset.days()
    rows = pages = 0
    for index, day in enumerate(days):
        if day in complete and not refresh and day_is_over(day, request):
            report.skipped.append(day)
            continue
        if cancel is not None and cancel.is_set():
            report.left = days[index:]
            break
        one_day = day_request(request, day)
        done_rows, done_pages = rows, pages

        def on_page(day_rows: int, day_pages: int) -> None:
            if progress is not None:
                progress(done_rows + day_rows, done_pages + day_pages)  # noqa: B023

        try:
            result = client.sessions(one_day, all_pages=True, progress=on_page, cancel=cancel)
        except PartialResultError as error:
            kept = len(report.written) + len(report.skipped)
            raise PartialResultError(
                f"day {day}: {error}; the {kept} complete days are in {dataset.path}: run the "
                "same pull again to fetch the rest (complete days are skipped)",
                partial=None,
                resume_token=None,
            ) from None
        if result.next_token:  # cancelled inside the day: not written, fetched again next time
            report.left = days[index:]
            break
        provenance = {
            "request": redacted_params(one_day),
            "api": source,
            "api_url": client.api_url,
            "fetched_at": result.df.attrs.get("fetched_at"),
        }
        rows += dataset.write_day(day, result.df, provenance)
        pages += result.pages
        report.written.append(day)
        del result  # one day in memory at a time
    report.pages = pages
    return dataset


# --- into memory, with the cache -----------------------------------------------------------


def fetch(
    client: OpenTrackerClient,
    request: SessionsRequest,
    *,
    all_pages: bool = False,
    max_rows: int | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    cache: DayCache | None = None,
    refresh: bool = False,
    concurrency: int = 8,
) -> SessionsResult:
    """``client.sessions(request, ...)``, with the finished days that ``cache`` holds read
    from disk instead of the API, and the finished days fetched stored there (``refresh``
    fetches them all again). Without ``cache``, or with ``max_rows``, it is the plain call.
    Missing days are fetched ``concurrency`` at once; the rows come newest day first, as the
    client's day split gives them::

        fetch(client, SessionsRequest(date="2011-11-16", period="30d"), all_pages=True,
              cache=DayCache())
    """
    from .cache import day_is_over

    plain = {"all_pages": all_pages, "max_rows": max_rows, "progress": progress, "cancel": cancel}
    if cache is None or max_rows is not None:
        return client.sessions(request, **plain)
    source = source_of(client)
    started = time.perf_counter()
    if not all_pages:
        days = days_of(request) or _days_covered(request)
        if not days or not day_is_over(max(days), request):
            return client.sessions(request, **plain)
        key = cache.key(source, request, whole_day=False)
        df = None if refresh else cache.get(key)
        if df is not None:
            return _result(client, request, df, df.attrs.get("next_token"), 0, started)
        result = client.sessions(request, **plain)
        cache.put(key, result.df, next_token=result.next_token)
        return result
    days = days_of(request)
    if not days:
        return client.sessions(request, **plain)
    return _DayPull(client, request, days, source, cache, refresh, progress, cancel).run(
        concurrency, started
    )


def _days_covered(request: SessionsRequest) -> list[dt.date]:
    """The days of a request with a ``date`` and a period in days or weeks, whatever else it
    sets: a single answer can be cached once they are all over."""
    params = request.params
    date, period = params.get("date"), params.get("period")
    if date is None:
        return []
    if period is None:
        return [date]
    per_unit = {"d": 1, "w": 7}.get(period.unit)
    return [date - dt.timedelta(days=n) for n in range(period.count * per_unit)] if per_unit else []


@dataclass(eq=False)
class _Day:
    day: dt.date
    df: pd.DataFrame | None = None
    next_token: str | None = None
    pages: int = 0
    rows: int = 0
    error: PartialResultError | OpenTrackerError | None = None
    done: bool = False


class _DayPull:
    """Days from the cache, the others from the API ``concurrency`` at once; joined newest
    first up to the first day not complete (whose rows so far, and token, end the result)."""

    def __init__(
        self,
        client: OpenTrackerClient,
        request: SessionsRequest,
        days: list[dt.date],
        source: str,
        cache: DayCache,
        refresh: bool,
        progress: Progress | None,
        cancel: threading.Event | None,
    ) -> None:
        self.client, self.request, self.source, self.cache = client, request, source, cache
        self.refresh, self.progress, self.cancel = refresh, progress, cancel
        self.days = [_Day(day) for day in days]
        self.lock = threading.Lock()
        self.stop = threading.Event()

    def run(self, concurrency: int, started: float) -> SessionsResult:
        from .cache import day_is_over

        missing = []
        for item in self.days:
            if day_is_over(item.day, self.request) and not self.refresh:
                item.df = self.cache.get(self._key(item.day))
            if item.df is not None:
                item.done, item.rows = True, len(item.df)
            else:
                missing.append(item)
        if missing:
            with ThreadPoolExecutor(min(concurrency, len(missing)), "ot-day") as pool:
                list(pool.map(self._fetch, missing))
        return self._joined(started)

    def _key(self, day: dt.date) -> dict:
        return self.cache.key(self.source, day_request(self.request, day))

    def _fetch(self, item: _Day) -> None:
        from .cache import day_is_over

        if self.stop.is_set() or (self.cancel is not None and self.cancel.is_set()):
            return

        def on_page(rows: int, pages: int) -> None:
            item.rows, item.pages = rows, pages
            self._report()

        one_day = day_request(self.request, item.day)
        try:
            result = self.client.sessions(
                one_day, all_pages=True, progress=on_page, cancel=self.cancel
            )
        except PartialResultError as error:
            item.error, item.df, item.next_token = error, error.partial.df, error.resume_token
            self.stop.set()
            return
        except OpenTrackerError as error:
            item.error = error
            self.stop.set()
            return
        item.df, item.next_token, item.pages = result.df, result.next_token, result.pages
        item.rows, item.done = len(result.df), not result.next_token
        if item.done and day_is_over(item.day, self.request):
            self.cache.put(self._key(item.day), result.df)
        self._report()

    def _report(self) -> None:
        if self.progress is not None:
            with self.lock:
                self.progress(sum(d.rows for d in self.days), sum(d.pages for d in self.days))

    def _joined(self, started: float) -> SessionsResult:
        import pandas as pd

        from .frame import redacted_params
        from .paging import resume_days, resume_text

        kept: list[_Day] = []
        resume: dict[str, str] = {}
        failed, where = None, ""
        for index, item in enumerate(self.days):
            if item.done:
                kept.append(item)
                continue
            if item.df is not None:
                kept.append(item)
            # a day that never ran stopped because another failed: that failure is the cause
            failed = item.error or next((d.error for d in self.days if d.error), None)
            # only a token the server issued, or the days not read as date/period
            resume = resume_days([d.day for d in self.days], index, item.next_token)
            if index == 0 and not resume:
                resume = {
                    "date": PARAMS["date"].render(item.day),
                    "period": f"{len(self.days)}d",
                }
            where = f"day {item.day}"
            break
        token = resume.get("nextToken") if set(resume) == {"nextToken"} else None
        if failed is not None and not any(len(d.df) for d in kept if d.df is not None):
            raise failed
        frames = [d.df for d in kept if d.df is not None]
        if frames:
            df = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0].copy()
            df.attrs = dict(frames[0].attrs)
        else:
            df = self._empty()
        df.attrs.update(request=redacted_params(self.request), next_token=token)
        df.attrs["fetched_at"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        pages = sum(d.pages for d in self.days)
        result = _result(self.client, self.request, df, token, pages, started)
        result.resume, result.more = resume or None, bool(resume)
        if failed is not None:
            raise PartialResultError(
                f"{_stopped_at(failed, where)}; kept the {len(df)} rows before it; to go on, run "
                f"the same request with {resume_text(resume)} and all pages",
                partial=result,
                resume=resume,
            )
        return result

    def _empty(self) -> pd.DataFrame:
        from .frame import to_dataframe

        return to_dataframe([], request=self.request)


def _stopped_at(error: OpenTrackerError, where: str) -> str:
    """``stopped at page 3 of day 2011-11-15 (the answer was cut short)``: the client's own
    words for a day's failure (it calls a one-day pull "the request"), else the error's."""
    text = str(error)
    if isinstance(error, PartialResultError):
        return text.split("; kept the ", 1)[0].replace(" of the request ", f" of {where} ", 1)
    return f"stopped at {where} ({text})"


def _result(
    client: OpenTrackerClient,
    request: SessionsRequest,
    df: pd.DataFrame,
    token: str | None,
    pages: int,
    started: float,
) -> SessionsResult:
    from .result import SessionsResult

    return SessionsResult(
        df=df,
        request=request,
        next_token=token,
        pages=pages,
        elapsed=time.perf_counter() - started,
        api_url=client.api_url,
        client=client,
    )


__all__ = ["PullReport", "day_request", "days_of", "fetch", "pull_to", "source_of"]
