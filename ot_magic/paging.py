"""Following ``nextToken`` page after page, and the concurrent day split, over any page fetcher.

Paging knows nothing of HTTP: it is driven by ``fetch_page(params) -> ParsedPage`` (raising
:class:`~ot_magic.errors.OpenTrackerError`, or :class:`~ot_magic.errors.RequestCancelled`
when cancelled), so the client gives it the transport and a test may give it anything::

    pull = pull_pages({"date": "2011-11-16", "period": "3d", "limit": "1000"}, fetch_page,
                      days=split_days(request), max_rows=5000)
    pull.pages, pull.resume      # the pages read (cut to max_rows), what fetches the rest

The day split consults an optional :class:`DaySource` (the on-disk cache, a Parquet dataset)
before fetching a day and tells it each day completed, so every pull, cached or not, goes
through this one split; ``on_days(done, total)`` follows the days as they complete.

What it guarantees: every ``nextToken`` followed is one the server issued, of the reference's
form ``<digits>.<digits>``; a token seen twice, or ``MAX_EMPTY_PAGES`` empty pages in a row that
still carry a token, stop the pull; and ``resume`` (the parameters that fetch exactly the rest)
holds only a token the server issued, or ``date``/``period`` naming the days not yet read (with
the server's token inside the first of them), never a token made up here, and never one that
would fetch a page already kept.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from .errors import OpenTrackerError, RequestCancelled, ResponseError
from .params import PARAMS

if TYPE_CHECKING:
    from .frame import ParsedPage
    from .request import SessionsRequest

FetchPage = Callable[[Mapping[str, str]], "ParsedPage"]
Progress = Callable[[int, int], Any]
OnDays = Callable[[int, int], Any]  # (days complete, days in the split)
Compact = Callable[[list["ParsedPage"]], list["ParsedPage"]]  # a complete day's pages, held

TOKEN = re.compile(r"[0-9]{1,19}\.[0-9]{1,19}")
MAX_EMPTY_PAGES = 20
MAX_PAGES = 100_000
MAX_SPLIT_DAYS = PARAMS["period"].maximum or 400  # a resume's period must be a valid period
_NOT_BY_DAY = ("nextToken", "orderCriteria", "session_id")  # a request these make one piece


def checked_token(token: object) -> str | None:
    """A page's ``nextToken`` if it has the reference's form ``<digits>.<digits>``, ``None``
    for no token; anything else is a one-line :class:`ResponseError`::

        checked_token("1321401600000.1321466400000")   # '1321401600000.1321466400000'
    """
    if token is None or token == "":
        return None
    if not isinstance(token, str) or not TOKEN.fullmatch(token):
        shown = repr(token)[:40] if isinstance(token, str) else type(token).__name__
        raise ResponseError(
            f"the API sent a nextToken that is not <digits>.<digits> ({shown}): paging stopped"
        )
    return token


@dataclass(eq=False)
class Pager:
    """Follows ``nextToken`` (``dataType=jsondatatable``) for one request, page after page.

    After :meth:`run`, ``token`` is the server's token of the first page not read (``None``:
    the start of the range if nothing was read, else the end), ``done`` says the range (or
    ``max_rows``) was reached, ``error`` what stopped it otherwise.
    """

    params: dict[str, str]
    max_rows: int | None = None
    label: str = "the request"
    read: list[ParsedPage] = field(default_factory=list)
    rows: int = 0
    pages: int = 0
    token: str | None = None
    error: OpenTrackerError | None = None
    done: bool = False
    cancelled: bool = False
    resumable: bool = True

    def run(
        self,
        fetch_page: FetchPage,
        *,
        on_page: Callable[[], Any] | None = None,
        stop: threading.Event | None = None,
        cancel: threading.Event | None = None,
    ) -> None:
        """Read pages until the last, ``max_rows``, an error, ``cancel`` or (before the first
        page only) ``stop``."""
        token = self.token = self.params.get("nextToken") or None
        seen = {token} if token else set()
        empty_in_row = 0
        while self.pages < MAX_PAGES:
            if stop is not None and stop.is_set() and self.pages == 0:
                return
            if cancel is not None and cancel.is_set() and self.pages:
                self.cancelled = True  # a page is read before a cancel counts, unless it cuts it
                return
            params = {**self.params, "dataType": PARAMS["dataType"].render("jsondatatable")}
            params.pop("nextToken", None)
            if token:
                params["nextToken"] = token
            try:
                page = fetch_page(params)
            except RequestCancelled as stopped:
                if isinstance(stopped, KeyboardInterrupt) and not (cancel and cancel.is_set()):
                    raise  # Ctrl-C the caller did not turn into a cancel stays a Ctrl-C
                self.cancelled = True
                return
            except OpenTrackerError as error:
                self.error = error
                return
            self.read.append(page)
            self.rows += page.rows.height
            self.pages += 1
            try:
                token = self.token = checked_token(page.next_token)
            except ResponseError as error:
                self.error, self.token, self.resumable = error, None, False
                return
            if on_page is not None:
                on_page()
            if token is None or (self.max_rows is not None and self.rows >= self.max_rows):
                self.done = True
                return
            if token in seen:
                self.error = ResponseError(
                    f"the API sent nextToken {token} a second time (a cycle): paging stopped"
                )
                self.token, self.resumable = None, False
                return
            seen.add(token)
            empty_in_row = empty_in_row + 1 if page.rows.height == 0 else 0
            if empty_in_row >= MAX_EMPTY_PAGES:
                self.error = ResponseError(
                    f"the API sent {MAX_EMPTY_PAGES} empty pages in a row, each with a "
                    "nextToken: paging stopped"
                )
                return
        self.error = ResponseError(f"more than {MAX_PAGES} pages: paging stopped")


class DaySource(Protocol):
    """What the day split asks before fetching a day, and tells when a day is complete.

    ``cached(day)`` gives the day's pages (all of them: the day is complete) or ``None`` to
    fetch it; ``finished(day, pages)`` receives every page of a day just fetched whole, and
    returns ``True`` when it took them (the pull then keeps none of the day's rows: a dataset
    on disk) or ``False`` to keep them (a cache that stores a copy). Both are called from the
    split's worker threads, one day per call::

        pull_pages(params, fetch_page, days=days, day_source=DayCache().days("demo", request))
    """

    def cached(self, day: dt.date) -> list[ParsedPage] | None: ...

    def finished(self, day: dt.date, pages: list[ParsedPage]) -> bool: ...


@dataclass
class Pull:
    """What a pull read: ``pages`` in order (cut to ``max_rows``), how many answers that took,
    ``resume`` (request parameters that fetch exactly the rest; ``None`` when done or when no
    request can), and the ``error`` that stopped it (``where`` names the page)."""

    pages: list[ParsedPage]
    page_count: int
    resume: dict[str, str] | None = None
    error: OpenTrackerError | None = None
    where: str = ""
    cancelled: bool = False


def pull_pages(
    params: Mapping[str, str],
    fetch_page: FetchPage,
    *,
    days: list[dt.date] | None = None,
    max_rows: int | None = None,
    progress: Progress | None = None,
    concurrency: int = 8,
    cancel: threading.Event | None = None,
    day_source: DaySource | None = None,
    on_days: OnDays | None = None,
    compact: Compact | None = None,
) -> Pull:
    """Every page of ``params`` (or its first ``max_rows`` rows): one day at a time,
    ``concurrency`` days at once, when ``days`` (see :func:`split_days`) has several or a
    ``day_source`` is given (then ``days`` may be the one day of ``params``), else by
    sequential paging. ``on_days(done, total)`` is called with ``(0, total)`` first, then as
    days complete (the split only: a progress bar's total and ETA). ``compact(pages)`` gives
    what the split keeps of a day it fetched whole (the same rows, held smaller: typed)."""
    if days and ((len(days) > 1 and concurrency > 1) or day_source is not None):
        split = _DaySplit(params, days, fetch_page, max_rows, cancel, day_source, compact)
        return split.run(progress, on_days, max(1, concurrency))
    pager = Pager(dict(params), max_rows)
    pager.run(
        fetch_page,
        on_page=(lambda: progress(pager.rows, pager.pages)) if progress else None,
        cancel=cancel,
    )
    pull = Pull(first_rows(pager.read, max_rows), pager.pages, cancelled=pager.cancelled)
    if pager.token and pager.resumable and not (pager.done and pager.token is None):
        pull.resume = {"nextToken": pager.token}
    if pager.error is not None:
        pull.error, pull.where = pager.error, f"page {pager.pages + 1} of {pager.label}"
    return pull


_WORKERS = 32  # the most days any pull runs at once; threads are started only as needed
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _day_workers() -> ThreadPoolExecutor:
    """The threads that fetch days, shared by every pull of the process (each submits at most
    its ``concurrency`` days at once). Kept between pulls: a new thread per pull would start
    with empty allocator caches and claim fresh memory while the last pull's is let go."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=_WORKERS, thread_name_prefix="ot-day")
        return _pool


class _DaySplit:
    """The pagers of the days, run ``concurrency`` at once, each asking ``day_source`` first."""

    def __init__(
        self,
        params: Mapping[str, str],
        days: list[dt.date],
        fetch_page: FetchPage,
        max_rows: int | None,
        cancel: threading.Event | None,
        day_source: DaySource | None,
        compact: Compact | None = None,
    ) -> None:
        one_day = PARAMS["period"].render(PARAMS["period"].parse("1d"))
        self.days, self.fetch_page, self.max_rows = days, fetch_page, max_rows
        self.cancel, self.day_source, self.compact = cancel, day_source, compact
        self.stop = threading.Event()
        self.pagers = [
            Pager(
                {**params, "date": PARAMS["date"].render(day), "period": one_day},
                max_rows,
                label=f"day {PARAMS['date'].render(day)}",
            )
            for day in days
        ]

    def run_day(self, index: int) -> None:
        """One day: from the source if it holds it, else fetched; a complete day is told."""
        pager, day, source = self.pagers[index], self.days[index], self.day_source
        held = source.cached(day) if source is not None else None
        if held is not None:
            pager.read, pager.rows, pager.done = held, sum(p.rows.height for p in held), True
            return  # kept as read from the source: typed once with the rest (faster)
        pager.run(self.fetch_page, stop=self.stop, cancel=self.cancel)
        complete = pager.done and pager.token is None and pager.error is None
        if source is not None and complete and source.finished(day, pager.read):
            pager.read = []  # the source took the rows (written to disk): let them go
        elif complete and self.compact is not None and pager.read:
            pager.read = self.compact(pager.read)

    def run(self, progress: Progress | None, on_days: OnDays | None, concurrency: int) -> Pull:
        pagers, stop, max_rows, cancel = self.pagers, self.stop, self.max_rows, self.cancel
        shown, told = (-1, -1), 0
        if on_days is not None:  # before any day runs: a cached day completes at once
            on_days(0, len(pagers))
        pool = _day_workers()
        running: dict[Future, Pager] = {}
        try:
            running: dict[Future, Pager] = {}
            waiting = list(range(len(pagers)))
            while waiting or running:
                while waiting and len(running) < concurrency and not stop.is_set():
                    index = waiting.pop(0)
                    running[pool.submit(self.run_day, index)] = pagers[index]
                if on_days is not None:
                    done_days = sum(p.done for p in pagers)
                    if done_days != told:
                        on_days(done_days, len(pagers))
                        told = done_days
                if not running:
                    break
                done, _ = wait(running, timeout=0.1, return_when=FIRST_COMPLETED)
                for future in done:
                    future.result()  # a day source's own failure (a full disk) is raised here
                    if running.pop(future).error is not None:
                        stop.set()
                if progress is not None:
                    now = (sum(p.rows for p in pagers), sum(p.pages for p in pagers))
                    if now != shown or done:  # also once a day's source has taken it
                        progress(*now)
                        shown = now
                prefix = _complete_prefix(pagers)
                if (max_rows is not None and sum(p.rows for p in prefix) >= max_rows) or (
                    cancel is not None and cancel.is_set()
                ):
                    stop.set()
                if stop.is_set():
                    waiting.clear()
            if on_days is not None and sum(p.done for p in pagers) != told:
                on_days(sum(p.done for p in pagers), len(pagers))
        finally:
            if running:  # a day's source failed: the others stop after their page, then end
                stop.set()
                wait(running)
        return self.joined()

    def joined(self) -> Pull:
        """The pages of the complete days (newest first) and of the first day not complete,
        the resume that fetches the rest, and what stopped the pull."""
        pagers, days, max_rows, cancel = self.pagers, self.days, self.max_rows, self.cancel

        def resume_at(index: int, token: str | None) -> dict[str, str]:
            return resume_days(days, index, token)

        prefix = _complete_prefix(pagers)
        if len(prefix) == len(pagers) or (
            max_rows is not None and sum(p.rows for p in prefix) >= max_rows
        ):
            kept = _holding(prefix, max_rows)
            last = len(kept) - 1
            if kept[last].token:
                resume = resume_at(last, kept[last].token)
            elif len(kept) < len(pagers):
                resume = resume_at(len(kept), None)
            else:
                resume = {}
            pages = first_rows([page for pager in kept for page in pager.read], max_rows)
            return Pull(pages, sum(p.pages for p in kept), resume or None)
        index = len(prefix)
        gap = pagers[index]
        pages = [page for pager in [*prefix, gap] for page in pager.read]
        pull = Pull(first_rows(pages, max_rows), sum(p.pages for p in [*prefix, gap]))
        if gap.error is None and cancel is not None and cancel.is_set():
            pull.cancelled = True
            pull.resume = resume_at(index, gap.token) or None
            return pull
        if gap.error is None:  # stopped before it ran, because a later day failed
            pull.error = next(p.error for p in pagers if p.error is not None)
            pull.resume = resume_at(index, None) or None
        else:
            pull.error = gap.error
            pull.resume = (resume_at(index, gap.token) or None) if gap.resumable else None
        pull.where = f"page {gap.pages + 1} of {gap.label}"
        return pull


def resume_days(days: list[dt.date], index: int, token: str | None) -> dict[str, str]:
    """The parameters that fetch ``days[index]`` (newest first) back to the oldest day, from
    ``token`` (a server's) inside the first: ``{}`` for the whole request from its start."""
    if index == 0:
        return {"nextToken": token} if token else {}
    rest = {
        "date": PARAMS["date"].render(days[index]),
        "period": PARAMS["period"].render(PARAMS["period"].parse(f"{len(days) - index}d")),
    }
    return {**rest, "nextToken": token} if token else rest


def resume_text(resume: Mapping[str, str]) -> str:
    """The parameters that fetch the rest, as cell lines joined by ``; ``:
    ``resume_text({"date": "2011-11-14", "period": "1d"}) == "date = 2011-11-14; period = 1d"``."""
    return "; ".join(f"{name} = {value}" for name, value in resume.items())


def first_rows(pages: list[ParsedPage], max_rows: int | None) -> list[ParsedPage]:
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


def _holding(pagers: list[Pager], max_rows: int | None) -> list[Pager]:
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


def _complete_prefix(pagers: list[Pager]) -> list[Pager]:
    """The newest days, in order, up to the first day not complete."""
    prefix = []
    for pager in pagers:
        if not pager.done:
            break
        prefix.append(pager)
    return prefix


def covered_days(request: SessionsRequest | None) -> list[dt.date]:
    """The days a request's ``date`` and ``period`` cover, newest first (``date`` is the last
    day of ``period``; no period: that day), whatever else it sets; ``[]`` without a date or
    for a period in months: ``covered_days(SessionsRequest(date="2011-11-16", period="1w"))``."""
    params = getattr(request, "params", {})
    date, period = params.get("date"), params.get("period")
    if date is None:
        return []
    if period is None:
        return [date]
    per_unit = {"d": 1, "w": 7}.get(period.unit)
    return [date - dt.timedelta(days=n) for n in range(period.count * per_unit)] if per_unit else []


def days_of(request: SessionsRequest | None) -> list[dt.date]:
    """The days of a request that can be fetched a day at a time, newest first: those it
    covers (:func:`covered_days`, at most ``MAX_SPLIT_DAYS``), unless ``nextToken``,
    ``orderCriteria`` or ``session_id`` make it one piece; else ``[]``::

        days_of(SessionsRequest(date="2011-11-16"))   # [16 November]
    """
    params = getattr(request, "params", {})
    if any(params.get(name) is not None for name in _NOT_BY_DAY):
        return []
    days = covered_days(request)
    return days if len(days) <= MAX_SPLIT_DAYS else []


def split_days(request: SessionsRequest | None) -> list[dt.date]:
    """The days of a ``date`` + ``period`` request that the day split fetches, newest first:
    exactly the days the request covers without a split (:func:`days_of`); ``[]`` without a
    ``period``::

        split_days(SessionsRequest(date="2011-11-16", period="3d"))   # 16, 15, 14 November
    """
    return days_of(request) if getattr(request, "params", {}).get("period") else []


__all__ = [
    "MAX_EMPTY_PAGES",
    "DaySource",
    "FetchPage",
    "OnDays",
    "Pager",
    "Pull",
    "checked_token",
    "covered_days",
    "days_of",
    "first_rows",
    "pull_pages",
    "resume_text",
    "split_days",
]
