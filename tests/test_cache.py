"""The day cache: a repeated cell asks the API nothing for finished days, --refresh asks
again, today's day is always fetched, %otcache shows and clears, and no key holds a secret."""

from __future__ import annotations

import datetime as dt
import json
import re

import pandas as pd
import pytest
from IPython.core.error import UsageError

from ot_magic.cache import DayCache, day_is_over
from ot_magic.emulator import DEMO_LOGIN, DEMO_PASSWORD
from ot_magic.request import SessionsRequest

CELL = "date = 2011-11-16\nperiod = 3d\nlimit = 1000\n"


@pytest.fixture(autouse=True)
def cache_on(api):
    """The cache on, as it is for users (the tests' shells start with it off)."""
    api.run_line_magic("config", "OTMagic.cache = True")


def run(ip, text):
    result = ip.run_cell(text)
    result.raise_error()
    return result.result


def test_a_second_identical_cell_makes_no_request_and_gives_the_same_frame(api, emulator):
    first = run(api, f"%%otsessions --all --no-display --out a\n{CELL}")
    start = len(emulator.requests)
    second = run(api, f"%%otsessions --all --no-display --out b\n{CELL}")
    assert len(emulator.requests) == start
    pd.testing.assert_frame_equal(api.user_ns["b"], api.user_ns["a"])
    assert second.next_token is None and len(second.df) == len(first.df) > 3000


def test_a_single_page_cell_of_a_past_day_is_cached_too(api, emulator):
    run(api, "%%otsessions --out a\ndate = 2011-11-16\nlimit = 25\n")
    start = len(emulator.requests)
    run(api, "%%otsessions --out b\ndate = 2011-11-16\nlimit = 25\n")
    assert len(emulator.requests) == start
    pd.testing.assert_frame_equal(api.user_ns["b"], api.user_ns["a"])
    assert api.user_ns["b"].attrs["next_token"] == api.user_ns["a"].attrs["next_token"]


def test_refresh_fetches_the_days_again(api, emulator):
    run(api, f"%%otsessions --all --out a\n{CELL}")
    start = len(emulator.requests)
    run(api, f"%%otsessions --all --refresh --out b\n{CELL}")
    dates = {r.params["date"] for r in emulator.requests[start:]}
    assert dates == {"2011-11-16", "2011-11-15", "2011-11-14"}


def test_another_filter_zone_or_locale_is_another_entry(api, emulator):
    run(api, f"%%otsessions --all --out a\n{CELL}")
    for extra in ("search = *google*", "timeZone = Europe/Amsterdam", "locale = nl_NL"):
        start = len(emulator.requests)
        run(api, f"%%otsessions --all --out b\n{CELL}{extra}\n")
        assert len(emulator.requests) > start, extra


def test_todays_day_is_always_fetched_and_yesterday_is_not(api, emulator):
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=-5))).date()  # EST, the API's zone
    cell = f"date = {today}\nperiod = 2d\nlimit = 1000\ntimeZone = EST\n"
    run(api, f"%%otsessions --all --out a\n{cell}")
    start = len(emulator.requests)
    run(api, f"%%otsessions --all --out b\n{cell}")
    assert {r.params["date"] for r in emulator.requests[start:]} == {str(today)}
    request = SessionsRequest(date=today, timeZone="EST")
    assert not day_is_over(today, request)
    assert day_is_over(today - dt.timedelta(days=1), request)


def test_the_cache_keys_name_the_request_and_the_api_and_never_a_credential(api, emulator):
    run(api, f"%%otsessions --all --out a\n{CELL}site = www.opentracker.net\n")
    cache = DayCache()
    keys = [entry for entry in cache.entries() if entry["kind"] == "day"]
    assert sorted(k["params"]["date"] for k in keys) == ["2011-11-14", "2011-11-15", "2011-11-16"]
    assert {k["params"]["site"] for k in keys} == {"www.opentracker.net"}
    assert {k["source"] for k in keys} == {emulator.url}
    every_byte = b"".join(p.read_bytes() for p in cache.directory.rglob("*") if p.is_file())
    assert DEMO_PASSWORD.encode() not in every_byte and DEMO_LOGIN.encode() not in every_byte
    assert all("password" not in json.dumps(k) and "login" not in json.dumps(k) for k in keys)


def test_otcache_shows_the_cached_days_and_clears_them(api, emulator, capsys):
    run(api, f"%%otsessions --all --out a\n{CELL}")
    capsys.readouterr()
    api.run_line_magic("otcache", "")
    shown = capsys.readouterr().out
    assert "3 entries" in shown and "3 days (2011-11-14 – 2011-11-16)" in shown
    api.run_line_magic("otcache", "--clear")
    assert "Removed 3 cached entries" in capsys.readouterr().out
    start = len(emulator.requests)
    run(api, f"%%otsessions --all --out b\n{CELL}")
    assert len(emulator.requests) > start


def test_config_cache_false_asks_the_api_every_time(api, emulator):
    api.run_line_magic("config", "OTMagic.cache = False")
    run(api, f"%%otsessions --all --out a\n{CELL}")
    start = len(emulator.requests)
    run(api, f"%%otsessions --all --out b\n{CELL}")
    assert len(emulator.requests) > start


def test_a_failed_day_keeps_the_days_before_it_and_resumes_from_its_token(api, emulator, capsys):
    cell = "date = 2011-11-16\nperiod = 3d\nincludeCountryCode = GB\nlimit = 20\n"
    full = run(api, f"%%otsessions --all --out full\n{cell}").df
    api.run_line_magic("otcache", "--clear")
    emulator.faults.update(fail_nth={5: "truncate"})
    try:
        result = api.run_cell(f"%%otsessions --all --out visits\n{cell}")
    finally:
        emulator.faults.reset()
    assert isinstance(result.error_in_exec, UsageError)
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert re.match(r"UsageError: stopped at (page \d+ of )?day 2011-11-1[456]", line), line
    rows = int(re.search(r"The (\d+) rows read are in visits;", line).group(1))
    said = re.search(r"(?:this line added|in place of its own [\w ]+): ([^:]+)$", line).group(1)
    resume = dict(part.split(" = ") for part in said.split("; "))  # a server's token, or days
    assert set(resume) <= {"date", "period", "nextToken"}
    kept = api.user_ns["visits"]
    assert rows == len(kept) < len(full)
    assert list(kept["session_id"]) == list(full["session_id"][:rows])
    lines = [line for line in cell.splitlines() if line.split(" = ")[0] not in resume]
    rest_cell = "\n".join(lines + [f"{name} = {value}" for name, value in resume.items()])
    rest = run(api, f"%%otsessions --all --out rest\n{rest_cell}\n").df
    assert list(rest["session_id"]) == list(full["session_id"][rows:])


# --- the cache as a hook of the client's own day split ----------------------------------------

THREE_DAYS = SessionsRequest(date="2011-11-16", period="3d", limit=300, includeCountryCode="US")


def demo_client(emulator):
    from ot_magic.client import OpenTrackerClient

    return OpenTrackerClient(emulator.url, credentials=(DEMO_LOGIN, DEMO_PASSWORD), backoff=0)


def test_a_cached_pull_gives_the_uncached_frame_dtypes_and_row_order_with_no_request(
    emulator, tmp_path
):
    client = demo_client(emulator)
    plain = client.sessions(THREE_DAYS, all_pages=True).df
    cache = DayCache(tmp_path / "cache")
    first = client.sessions(THREE_DAYS, all_pages=True, cache=cache)
    start = len(emulator.requests)
    second = client.sessions(THREE_DAYS, all_pages=True, cache=cache)
    assert len(emulator.requests) == start and second.pages == 0 and first.pages > 3
    for cached in (first.df, second.df):
        assert cached.dtypes.equals(plain.dtypes)
        pd.testing.assert_frame_equal(cached, plain, check_exact=True)
        assert cached.attrs["labels"] == plain.attrs["labels"]


def test_a_pull_with_some_days_cached_fetches_only_the_others_and_keeps_the_day_order(
    emulator, tmp_path
):
    client = demo_client(emulator)
    plain = client.sessions(THREE_DAYS, all_pages=True).df
    cache = DayCache(tmp_path / "cache")
    client.sessions(THREE_DAYS.replace(date="2011-11-15", period="1d"), all_pages=True, cache=cache)
    start = len(emulator.requests)
    mixed = client.sessions(THREE_DAYS, all_pages=True, cache=cache).df
    assert {r.params["date"] for r in emulator.requests[start:]} == {"2011-11-16", "2011-11-14"}
    pd.testing.assert_frame_equal(mixed, plain, check_exact=True)


def test_a_failure_after_cached_days_keeps_them_and_resumes_exactly_the_rest(emulator, tmp_path):
    from ot_magic.errors import PartialResultError

    client = demo_client(emulator)
    plain = client.sessions(THREE_DAYS, all_pages=True).df
    cache = DayCache(tmp_path / "cache")
    client.sessions(THREE_DAYS.replace(period="1d"), all_pages=True, cache=cache)  # the 16th
    emulator.faults.update(fail_nth={2: "truncate"})  # the 2nd page the 15th and 14th ask for
    try:
        with pytest.raises(PartialResultError) as stopped:
            client.sessions(THREE_DAYS, all_pages=True, cache=cache, concurrency=1)
    finally:
        emulator.faults.reset()
    kept = stopped.value.partial
    assert len(kept.df) > (plain["session_start_unix_timestamp"].dt.day == 16).sum()
    rest = client.sessions(kept.resume_request, all_pages=True).df
    assert list(kept.df["session_id"]) + list(rest["session_id"]) == list(plain["session_id"])


def test_on_days_counts_the_cached_days_as_complete_up_to_the_total(emulator, tmp_path):
    client = demo_client(emulator)
    cache = DayCache(tmp_path / "cache")
    client.sessions(THREE_DAYS.replace(date="2011-11-15", period="2d"), all_pages=True, cache=cache)
    told = []
    client.sessions(THREE_DAYS, all_pages=True, cache=cache, on_days=lambda *n: told.append(n))
    assert told[0] == (0, 3) and told[-1] == (3, 3)
    assert [done for done, _ in told] == sorted(set(done for done, _ in told))


def test_demo_days_made_by_another_emulator_version_are_not_served(tmp_path, monkeypatch):
    from ot_magic import demo
    from ot_magic.cache import DayCache
    from ot_magic.request import SessionsRequest

    request = SessionsRequest(date="2011-11-16")
    cache, real = DayCache(tmp_path), "https://api.opentracker.net/api/"
    demo_key, real_key = cache.key("demo", request), cache.key(real, request)
    monkeypatch.setattr(demo, "data_version", lambda: "another-emulator")
    assert cache.key("demo", request) != demo_key
    assert cache.key(real, request) == real_key  # the real API's days do not depend on it
