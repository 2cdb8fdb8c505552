"""Pulls into a Parquet dataset on disk (``--to``), through the client's own day split.

    >>> from ot_magic import OpenTrackerClient, SessionsRequest
    >>> from ot_magic.bulk import pull_to
    >>> client = OpenTrackerClient("demo")                                   # doctest: +SKIP
    >>> req = SessionsRequest(date="2011-11-16", period="90d", limit=1000)
    >>> ds = pull_to(client, req, "visits")       # a day at a time; resumes  doctest: +SKIP
    >>> ds.relation().aggregate("count(*)")                                  # doctest: +SKIP

``pull_to`` is ``client.sessions(request, all_pages=True, to=path)`` with a report of the days
written and skipped: the client's day split (:mod:`ot_magic.paging`) fetches the days and asks
:class:`DatasetDays` (a :class:`~ot_magic.paging.DaySource`) first, which answers "complete"
for the days already on disk and writes each day as it completes. ``fetch`` is
``client.sessions(..., cache=DayCache())`` under its former name.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .errors import OpenTrackerError, ParameterError, PartialResultError
from .paging import OnDays, Progress, days_of

if TYPE_CHECKING:
    import os

    from .cache import DayCache
    from .client import OpenTrackerClient
    from .frame import ParsedPage
    from .request import SessionsRequest
    from .result import SessionsResult
    from .store import SessionsDataset


def day_request(request: SessionsRequest, day: dt.date) -> SessionsRequest:
    """``request`` narrowed to one day."""
    return request.replace(date=day, period="1d")


def source_of(client: OpenTrackerClient) -> str:
    """Where a client's answers come from, as caches and datasets name it: ``client.source``."""
    return client.source


@dataclass
class PullReport:
    """What :func:`pull_to` did: days fetched and written, days already complete (skipped),
    the days ``left`` when it stopped early (``cancel``), and the answers it took."""

    written: list[dt.date] = field(default_factory=list)
    skipped: list[dt.date] = field(default_factory=list)
    left: list[dt.date] = field(default_factory=list)
    pages: int = 0


class DatasetDays:
    """The :class:`~ot_magic.paging.DaySource` of a pull into a dataset: a day complete on
    disk and over is not fetched again (unless ``refresh``; today's day always is), a day
    fetched whole is written (atomically) and let go. Claims the dataset for ``request``."""

    def __init__(
        self,
        dataset: SessionsDataset,
        request: SessionsRequest,
        client: OpenTrackerClient,
        *,
        refresh: bool = False,
        report: PullReport | None = None,
    ) -> None:
        from .frame import redacted_params

        self.dataset, self.request, self.client, self.refresh = dataset, request, client, refresh
        self.report = report if report is not None else PullReport()
        base = {
            k: v
            for k, v in redacted_params(request).items()
            if k not in ("date", "period", "limit", "nextToken")
        }
        dataset.claim(base, client.source)
        self.complete = dataset.days()

    def cached(self, day: dt.date) -> list[ParsedPage] | None:
        """``[]`` (complete, nothing to hold) for a day already on disk and over, else ``None``."""
        from .cache import day_is_over

        if day in self.complete and not self.refresh and day_is_over(day, self.request):
            self.report.skipped.append(day)
            return []
        return None

    def finished(self, day: dt.date, pages: list[ParsedPage]) -> bool:
        """Type the day's pages as a fetch does, write them, and take them (``True``)."""
        from .frame import redacted_params, typed_rows

        one_day = day_request(self.request, day)
        rows = typed_rows(pages, request=one_day)
        provenance = {
            "request": redacted_params(one_day),
            "api": self.client.source,
            "api_url": self.client.api_url,
            "fetched_at": rows.attrs.get("fetched_at"),
        }
        self.dataset.write_day(day, rows, provenance)
        self.report.pages += len(pages)
        self.report.written.append(day)
        return True


def pull_to(
    client: OpenTrackerClient,
    request: SessionsRequest,
    path: str | os.PathLike[str],
    *,
    refresh: bool = False,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    report: PullReport | None = None,
    on_days: OnDays | None = None,
    concurrency: int = 1,
) -> SessionsDataset:
    """Pull every session of ``request`` into the Parquet dataset at ``path``, newest day
    first, ``concurrency`` days at once (memory holds that many days whatever the period):
    each day is written (atomically) as soon as it is complete and let go. Days already
    complete there and over are skipped (an interrupted pull resumes), unless ``refresh``;
    today's day is always fetched again. Setting ``cancel`` stops after the page being read
    (the day it cuts is not written: ``report.left``). A failing day raises
    :class:`~ot_magic.errors.PartialResultError` naming the days kept::

        ds = pull_to(client, SessionsRequest(date="2011-11-16", period="90d"), "visits")
    """
    from .store import SessionsDataset

    days = days_of(request)
    if not days:
        raise ParameterError(
            "to",
            "",
            message="--to: needs a date and a period in days or weeks (such as date = "
            "2011-11-16 and period = 90d), without nextToken, orderCriteria or session_id",
        )
    dataset = SessionsDataset(path)
    sink = DatasetDays(dataset, request, client, refresh=refresh, report=report)
    report = sink.report

    def left() -> list[dt.date]:
        return [d for d in days if d not in report.written and d not in report.skipped]

    try:
        client.sessions(
            request, all_pages=True, progress=progress, cancel=cancel, on_days=on_days,
            concurrency=concurrency, day_source=sink,
        )  # fmt: skip
    except OpenTrackerError as error:
        if cancel is not None and cancel.is_set() and not isinstance(error, PartialResultError):
            report.left = left()  # cancelled: what was complete is written
            return dataset
        kept = len(report.written) + len(report.skipped)
        if not kept and not isinstance(error, PartialResultError):
            raise  # nothing on disk from this pull (a refused login ...): the error as it is
        said = str(error).split("; kept the ", 1)[0]  # where and why, without the rows kept
        if not said.startswith("stopped at"):
            said = f"stopped at day {left()[0]} ({said})"
        raise PartialResultError(
            f"{said}; the {kept} complete days are in {dataset.path}: run the same pull again "
            "to fetch the rest (complete days are skipped)",
            partial=None,
            resume_token=None,
        ) from None
    report.left = left()
    return dataset


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
    on_days: OnDays | None = None,
) -> SessionsResult:
    """``client.sessions(request, ..., cache=cache, refresh=refresh)``: the days that have
    ended come from ``cache`` when it holds them (kept for callers of this name)::

        fetch(client, SessionsRequest(date="2011-11-16", period="30d"), all_pages=True,
              cache=DayCache())
    """
    return client.sessions(
        request, all_pages=all_pages, max_rows=max_rows, progress=progress, cancel=cancel,
        cache=cache, refresh=refresh, concurrency=concurrency, on_days=on_days,
    )  # fmt: skip


__all__ = ["DatasetDays", "PullReport", "day_request", "days_of", "fetch", "pull_to", "source_of"]
