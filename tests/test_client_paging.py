"""Paging against the emulator: --all without gaps or duplicates, the concurrent day split giving
exactly the rows of sequential nextToken paging, and nothing lost when a later page fails."""

from __future__ import annotations

import datetime as dt

import pytest

from ot_magic.client import OpenTrackerClient
from ot_magic.emulator import DEMO_LOGIN, DEMO_PASSWORD
from ot_magic.errors import PartialResultError, TransportError
from ot_magic.paging import split_days
from ot_magic.request import SessionsRequest

THREE_DAYS = SessionsRequest(date="2011-11-16", period="3d", limit=1000)


def make_client(emulator, **options):
    options = {"credentials": (DEMO_LOGIN, DEMO_PASSWORD), "backoff": 0, **options}
    return OpenTrackerClient(emulator.url, **options)


@pytest.fixture(autouse=True)
def no_faults(emulator):
    emulator.faults.reset()
    yield
    emulator.faults.reset()


@pytest.fixture(scope="module")
def sequential(emulator):
    """Every session of the three days, by plain sequential nextToken paging."""
    return make_client(emulator).sessions(THREE_DAYS, all_pages=True, concurrency=1)


def ids(result):
    return result.df["session_id"].tolist()


def test_all_pages_follow_next_token_to_the_end_without_gaps_or_duplicates(sequential, emulator):
    df = sequential.df
    assert sequential.pages > 3 and sequential.next_token is None
    assert df["session_id"].is_unique
    assert df["session_start_unix_timestamp"].is_monotonic_decreasing
    local_days = set(df["session_start_unix_timestamp"].dt.tz_convert("EST").dt.date)
    assert local_days == {dt.date(2011, 11, d) for d in (14, 15, 16)}
    smaller_pages = make_client(emulator).sessions(
        THREE_DAYS.replace(limit=400), all_pages=True, concurrency=1
    )
    assert smaller_pages.pages > sequential.pages
    assert ids(smaller_pages) == ids(sequential)


def test_the_concurrent_day_split_gives_exactly_the_rows_of_sequential_paging(sequential, emulator):
    start = len(emulator.requests)
    split = make_client(emulator).sessions(THREE_DAYS, all_pages=True, concurrency=3)
    dates = {r.params["date"] for r in emulator.requests[start:]}
    assert dates == {"2011-11-14", "2011-11-15", "2011-11-16"}
    assert {r.params["period"] for r in emulator.requests[start:]} == {"1d"}
    assert ids(split) == ids(sequential)
    assert list(split.df.dtypes) == list(sequential.df.dtypes)


def test_a_day_split_keeps_each_complete_day_typed_and_gives_the_frame_of_sequential_paging(
    sequential, emulator
):
    import pandas as pd

    from ot_magic.frame import to_dataframe, typed_page
    from ot_magic.paging import pull_pages

    def compact(pages):
        return [typed_page(pages, request=THREE_DAYS)]

    params = {**THREE_DAYS.to_api_params(), "limit": "1000"}
    fetch = make_client(emulator)._page_fetcher("sessions", None)
    pull = pull_pages(params, fetch, days=split_days(THREE_DAYS), compact=compact)
    assert [page.rows.typed for page in pull.pages] == [True, True, True]
    df = to_dataframe(pull.pages, request=THREE_DAYS, release=True)
    assert pull.pages == []  # released: each column's memory goes as pandas takes it
    pd.testing.assert_frame_equal(df, sequential.df)
    assert df.attrs["unreadable"] == sequential.df.attrs["unreadable"]
    assert df.attrs["labels"] == sequential.df.attrs["labels"]


def test_max_rows_stops_at_exactly_that_many_rows_the_first_of_all_pages(sequential, emulator):
    for concurrency in (1, 3):
        capped = make_client(emulator).sessions(THREE_DAYS, max_rows=1500, concurrency=concurrency)
        assert ids(capped) == ids(sequential)[:1500]


def test_progress_reports_rows_and_pages_as_they_arrive(emulator, sequential):
    seen = []
    result = make_client(emulator).sessions(
        THREE_DAYS,
        all_pages=True,
        concurrency=1,
        progress=lambda rows, pages: seen.append((rows, pages)),
    )
    assert seen == sorted(seen) and len(seen) == result.pages
    assert seen[-1] == (len(result.df), result.pages)


def test_progress_of_the_day_split_is_reported_in_the_callers_thread(emulator, sequential):
    import threading

    seen = []

    def progress(rows, pages):
        seen.append((rows, pages, threading.current_thread() is threading.main_thread()))

    result = make_client(emulator).sessions(
        THREE_DAYS, all_pages=True, concurrency=3, progress=progress
    )
    assert all(in_main for _, _, in_main in seen)
    assert [s[:2] for s in seen] == sorted(s[:2] for s in seen)
    assert seen[-1][:2] == (len(result.df), result.pages)


def test_a_single_fetch_is_one_json_page_of_limit_rows(emulator):
    start = len(emulator.requests)
    result = make_client(emulator).sessions(THREE_DAYS.replace(limit=50))
    assert len(result.df) == 50 and result.pages == 1
    assert [r.params["dataType"] for r in emulator.requests[start:]] == ["json"]


def test_a_later_page_failing_keeps_the_earlier_rows_and_resuming_gives_the_rest(
    emulator, sequential
):
    client = make_client(emulator, retries=0)
    emulator.faults.update(fail_nth={3: 503})
    with pytest.raises(PartialResultError) as caught:
        client.sessions(THREE_DAYS, all_pages=True, concurrency=1)
    error = caught.value
    kept = ids(error.partial)
    assert error.partial.pages == 2 and kept == ids(sequential)[: len(kept)]
    assert error.resume_token in str(error) and "\n" not in str(error)
    assert error.partial.next_token == error.resume_token
    emulator.faults.reset()
    rest = client.sessions(THREE_DAYS.replace(**error.resume), all_pages=True)
    assert kept + ids(rest) == ids(sequential)


def test_a_failure_during_the_day_split_keeps_the_newest_complete_rows_and_resumes_exactly(
    emulator, sequential
):
    client = make_client(emulator, retries=0)
    emulator.faults.update(fail_nth={n: 503 for n in range(4, 60)})  # every day's 2nd page fails
    with pytest.raises(PartialResultError) as caught:
        client.sessions(THREE_DAYS, all_pages=True, concurrency=3)
    error = caught.value
    kept = ids(error.partial)
    assert 0 < len(kept) < len(ids(sequential)) and kept == ids(sequential)[: len(kept)]
    emulator.faults.reset()
    rest = client.sessions(THREE_DAYS.replace(**error.resume), all_pages=True)
    assert kept + ids(rest) == ids(sequential)


def test_a_day_not_yet_read_is_resumed_by_date_and_period_never_by_a_made_up_token(
    emulator, sequential
):
    client = make_client(emulator)
    newest_day = client.sessions(THREE_DAYS.replace(period="1d"), all_pages=True, concurrency=1)
    capped = client.sessions(THREE_DAYS, max_rows=len(newest_day.df), concurrency=3)
    assert capped.resume == {"date": "2011-11-15", "period": "2d"}
    assert capped.next_token is None and "more from date = 2011-11-15; period = 2d" in (
        capped.summary()
    )
    assert "more from date = 2011-11-15; period = 2d, next_token=None>" in repr(capped)
    rest = client.sessions(capped.resume_request, all_pages=True)
    assert ids(capped) + ids(rest) == ids(sequential)


@pytest.mark.parametrize("max_rows", [700, 2000, 3500, 5000])
def test_every_resume_holds_only_a_token_the_server_issued_and_refetches_no_kept_row(
    emulator, sequential, max_rows
):
    from ot_magic.credentials import Credentials
    from ot_magic.frame import read_page
    from ot_magic.paging import pull_pages
    from ot_magic.params import ENDPOINT_PATHS
    from ot_magic.transport import Transport

    account = Credentials(DEMO_LOGIN, DEMO_PASSWORD)
    transport = Transport(emulator.url)
    issued = set()

    def fetch_page(params):  # paging driven by a plain fetcher: it knows nothing of HTTP
        page = read_page(transport.post(ENDPOINT_PATHS["sessions"], params, account))
        issued.add(page.next_token)
        return page

    pull = pull_pages(
        THREE_DAYS.to_api_params(), fetch_page, days=split_days(THREE_DAYS), max_rows=max_rows
    )
    assert pull.resume and set(pull.resume) <= {"date", "period", "nextToken"}
    assert pull.resume.get("nextToken", None) in issued | {None}
    kept = [i for page in pull.pages for i in page.rows.table.column("session_id").to_pylist()]
    rest = ids(make_client(emulator).sessions(THREE_DAYS.replace(**pull.resume), all_pages=True))
    assert kept == ids(sequential)[:max_rows] and not set(kept) & set(rest)
    assert rest == ids(sequential)[-len(rest) :], "the rest runs to the end without a gap"


def test_a_failing_first_page_is_the_plain_error(emulator):
    emulator.faults.update(fail_nth={1: 503})
    with pytest.raises(TransportError, match="503"):
        make_client(emulator, retries=0).sessions(THREE_DAYS, all_pages=True, concurrency=1)


def test_which_requests_are_split_into_days():
    days = split_days(SessionsRequest(date="2011-11-16", period="2w"))
    assert len(days) == 14 and days[0] == dt.date(2011, 11, 16) and days[-1] == dt.date(2011, 11, 3)
    assert split_days(SessionsRequest(date="2011-11-16", period="1m")) == []
    assert split_days(SessionsRequest(date="2011-11-16")) == []  # one day: nothing to split
    assert split_days(SessionsRequest(period="3d")) == []
    for blocker in (
        {"orderCriteria": "duration desc"},
        {"session_id": "1321472676886.715589607"},
        {"nextToken": "1321419600000.1321502400000"},
    ):
        assert split_days(THREE_DAYS.replace(**blocker)) == []


@pytest.mark.parametrize("concurrency", [1, 3])
def test_a_cancelled_pull_returns_the_rows_so_far_and_the_token_that_goes_on(
    emulator, sequential, concurrency
):
    import threading

    cancel = threading.Event()
    client = make_client(emulator)
    kept = client.sessions(
        THREE_DAYS.replace(limit=200),  # pages enough that the pages in flight cannot be all
        all_pages=True,
        concurrency=concurrency,
        cancel=cancel,
        progress=lambda rows, pages: cancel.set(),  # cancel once the first page is in
    )
    assert 0 < len(kept.df) < len(sequential.df) and kept.resume
    rest = client.sessions(kept.resume_request, all_pages=True)
    assert ids(kept) + ids(rest) == ids(sequential)


@pytest.mark.parametrize("zone", ["EST", "Asia/Tokyo"])
def test_all_pages_covers_exactly_the_days_of_the_same_request_without_it(emulator, zone):
    """``date`` is the last day of ``period``: the day split asks for those days, no other."""
    request = SessionsRequest(
        date="2011-11-16", period="1w", limit=1000, includeCountryCode="NZ", timeZone=zone
    )
    client = make_client(emulator)
    one_page = client.sessions(request)
    assert not one_page.more and 0 < len(one_page.df) < 1000, "the whole week fits on a page"
    split = client.sessions(request, all_pages=True, concurrency=7)
    assert split.pages == 7 and ids(split) == ids(one_page)
    days = set(split.df["session_start_unix_timestamp"].dt.tz_convert(zone).dt.date)
    assert days <= {dt.date(2011, 11, 16) - dt.timedelta(days=n) for n in range(7)}
    assert len(days) == 7


def test_on_days_tells_the_total_first_then_each_day_as_it_completes(emulator, sequential):
    told = []
    client = make_client(emulator)
    result = client.sessions(THREE_DAYS, all_pages=True, on_days=lambda *n: told.append(n))
    assert told[0] == (0, 3) and told[-1] == (3, 3)
    assert [done for done, _ in told] == sorted(set(done for done, _ in told))
    assert {total for _, total in told} == {3}
    assert ids(result) == ids(sequential)


def test_on_days_is_not_called_without_a_day_split(emulator):
    told = []
    client = make_client(emulator)
    client.sessions(THREE_DAYS, all_pages=True, concurrency=1, on_days=lambda *n: told.append(n))
    assert told == []
