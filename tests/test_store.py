"""--to: a pull lands as a Hive-partitioned Parquet dataset, a day at a time, resumable, read
back lazily by DuckDB and polars."""

from __future__ import annotations

import json
import os
import re
import signal
import threading

import pandas as pd
import pyarrow.parquet as pq
import pytest
from IPython.core.error import UsageError

from ot_magic.bulk import PullReport, pull_to
from ot_magic.client import OpenTrackerClient
from ot_magic.emulator import DEMO_LOGIN, DEMO_PASSWORD
from ot_magic.errors import ConfigurationError, ParameterError
from ot_magic.request import SessionsRequest
from ot_magic.result import SessionsResult
from ot_magic.store import SessionsDataset

FOUR_DAYS = SessionsRequest(date="2011-11-16", period="4d", limit=1000)
DAYS = ["2011-11-16", "2011-11-15", "2011-11-14", "2011-11-13"]


@pytest.fixture
def client(emulator):
    return OpenTrackerClient(emulator.url, credentials=(DEMO_LOGIN, DEMO_PASSWORD))


@pytest.fixture(scope="module")
def in_memory(emulator):
    """The same four days pulled into memory the ordinary way (the client's day split)."""
    client = OpenTrackerClient(emulator.url, credentials=(DEMO_LOGIN, DEMO_PASSWORD))
    return client.sessions(FOUR_DAYS, all_pages=True).df


def test_a_cell_with_to_binds_a_lazy_dataset_holding_every_session_of_the_pull(
    api, tmp_path, in_memory
):
    path = tmp_path / "visits"
    cell = "date = 2011-11-16\nperiod = 4d\nlimit = 1000\n"
    handle = api.run_cell(f"%%otsessions --to {path} --out visits\n{cell}").result
    assert api.user_ns["visits"] is handle and isinstance(handle, SessionsDataset)
    relation = handle.relation()
    assert relation.aggregate("count(*)").fetchall()[0][0] == len(in_memory)
    assert handle.rows() == len(in_memory)
    per_day = dict(relation.aggregate("day, count(*)", "day").fetchall())
    assert sorted(str(day) for day in per_day) == sorted(DAYS)
    files = sorted(p.relative_to(path).as_posix() for p in path.rglob("*.parquet"))
    assert files == [f"site=www.opentracker.net/day={day}/part-0.parquet" for day in sorted(DAYS)]
    assert "4 days" in handle.summary() and f"{len(in_memory):,} sessions" in handle.summary()


def test_the_files_carry_the_frame_types_and_the_provenance_and_no_credential(
    client, tmp_path, in_memory
):
    dataset = pull_to(client, FOUR_DAYS, tmp_path / "ds")
    one = dataset.path / "site=www.opentracker.net/day=2011-11-15/part-0.parquet"
    meta = json.loads(pq.read_schema(one).metadata[b"ot_magic"])
    assert meta["request"] == {"date": "2011-11-15", "period": "1d", "limit": "1000"}
    assert meta["api_url"] == client.api_url and meta["fetched_at"].startswith("20")
    assert meta["labels"]["duration"] and meta["time_zone"] == "EST"
    every_byte = b"".join(p.read_bytes() for p in dataset.path.rglob("*") if p.is_file())
    assert DEMO_PASSWORD.encode() not in every_byte and DEMO_LOGIN.encode() not in every_byte
    back = dataset.result().df
    assert list(back.columns) == list(in_memory.columns)
    assert back.dtypes.equals(in_memory.dtypes)
    pd.testing.assert_frame_equal(
        back.sort_values("session_id", ignore_index=True),
        in_memory.sort_values("session_id", ignore_index=True),
        check_like=False,
    )


def test_a_query_over_the_dataset_gives_a_result_with_its_table_and_map(client, tmp_path):
    dataset = pull_to(client, FOUR_DAYS, tmp_path / "ds")
    result = dataset.result(where="country_code = 'US' AND day = DATE '2011-11-14'", limit=30)
    assert isinstance(result, SessionsResult) and 0 < len(result.df) <= 30
    assert set(result.df["country_code"]) == {"US"}
    days = result.df["session_start_unix_timestamp"].dt.tz_convert("EST").dt.date.astype(str)
    assert set(days) == {"2011-11-14"}
    assert result.table is not None and result.map is not None
    lazy = dataset.lazy().filter(country_code="US").select("session_id").collect()
    us = dataset.relation().filter("country_code = 'US'").aggregate("count(*)").fetchall()[0][0]
    assert lazy.height == us


def test_an_interrupted_pull_resumes_without_a_day_missing_or_doubled(
    client, emulator, tmp_path, in_memory
):
    cancel = threading.Event()
    pages_seen = []

    def stop_in_the_third_day(rows: int, pages: int) -> None:
        pages_seen.append(pages)
        if len(first.written) == 2:
            cancel.set()

    first = PullReport()
    path = tmp_path / "ds"
    pull_to(client, FOUR_DAYS, path, progress=stop_in_the_third_day, cancel=cancel, report=first)
    assert [str(d) for d in first.written] == DAYS[:2]
    assert [str(d) for d in first.left] == DAYS[2:]
    assert [str(d) for d in SessionsDataset(path).days()] == DAYS[:2]
    # a crash while a file was being written leaves a temporary name: readers never see it
    stray = path / "site=www.opentracker.net/day=2011-11-14"
    stray.mkdir(parents=True, exist_ok=True)
    (stray / ".part-0.parquet.0123.tmp").write_bytes(b"PAR1 half a file")
    start = len(emulator.requests)
    second = PullReport()
    dataset = pull_to(client, FOUR_DAYS, path, report=second)
    asked = {r.params["date"] for r in emulator.requests[start:]}
    assert asked == set(DAYS[2:])  # the complete days were not fetched again
    assert [str(d) for d in second.skipped] == DAYS[:2]
    ids = dataset.relation().project("session_id").fetchall()
    assert len(ids) == len(set(ids)) == len(in_memory)
    assert {i for (i,) in ids} == set(in_memory["session_id"])


def test_to_refuses_a_path_holding_another_pull_before_any_request(api, emulator, tmp_path, capsys):
    path = tmp_path / "visits"
    api.run_cell(f"%%otsessions --to {path}\ndate = 2011-11-16\nlimit = 1000\n").raise_error()
    start = len(emulator.requests)
    capsys.readouterr()
    result = api.run_cell(f"%%otsessions --to {path}\ndate = 2011-11-16\nsearch = *google*\n")
    assert isinstance(result.error_in_exec, UsageError)
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert line.startswith(f"UsageError: --to {path}: holds the pull of another request")
    assert len(emulator.requests) == start


def test_to_needs_whole_days_and_says_so_in_one_line(client, tmp_path):
    with pytest.raises(ParameterError, match=r"^--to: needs a date and a period in days"):
        pull_to(client, SessionsRequest(date="2011-11-16", period="2m"), tmp_path / "x")
    with pytest.raises(ConfigurationError, match="not empty and holds no ot_magic dataset"):
        (tmp_path / "busy").mkdir()
        (tmp_path / "busy" / "notes.txt").write_text("mine")
        pull_to(client, FOUR_DAYS, tmp_path / "busy")


def test_an_interrupted_to_cell_says_how_to_resume_and_the_same_cell_completes_it(
    api, emulator, tmp_path, capsys, in_memory
):
    path = tmp_path / "visits"
    cell = f"%%otsessions --to {path} --out visits\ndate = 2011-11-16\nperiod = 4d\nlimit = 1000\n"
    previous = signal.signal(signal.SIGINT, lambda *_: None)  # a late signal must not stop pytest
    emulator.faults.update(latency=0.3)
    interrupt = threading.Timer(1.5, os.kill, (os.getpid(), signal.SIGINT))
    try:
        interrupt.start()
        result = api.run_cell(cell)
    finally:
        interrupt.cancel()
        emulator.faults.reset()
        signal.signal(signal.SIGINT, previous)
    assert isinstance(result.error_in_exec, UsageError)
    line = capsys.readouterr().err.strip().splitlines()[-1]
    match = re.match(r"UsageError: Interrupted\. (\d) complete days are in .* \(bound to visits\); "
                     r"run the same cell again to fetch the other (\d)", line)  # fmt: skip
    assert match and int(match[1]) + int(match[2]) == 4 and int(match[2]) > 0
    assert isinstance(api.user_ns["visits"], SessionsDataset)
    api.run_cell(cell).raise_error()
    ids = api.user_ns["visits"].relation().project("session_id").fetchall()
    assert len(ids) == len(set(ids)) == len(in_memory)


def test_client_sessions_to_a_path_streams_the_pull_and_returns_the_dataset(
    client, emulator, tmp_path, in_memory
):
    told = []
    dataset = client.sessions(
        FOUR_DAYS, all_pages=True, to=tmp_path / "ds", on_days=lambda *n: told.append(n)
    )
    assert isinstance(dataset, SessionsDataset)
    assert [str(d) for d in dataset.days()] == DAYS and told[0] == (0, 4) and told[-1] == (4, 4)
    back = dataset.result().df.sort_values("session_id", ignore_index=True)
    pd.testing.assert_frame_equal(back, in_memory.sort_values("session_id", ignore_index=True))
    start = len(emulator.requests)
    again = client.sessions(FOUR_DAYS, all_pages=True, to=tmp_path / "ds")
    assert len(emulator.requests) == start and again.rows() == len(in_memory)


def test_a_failing_day_keeps_the_days_written_and_the_same_pull_completes_them(
    client, emulator, tmp_path, in_memory
):
    from ot_magic.errors import PartialResultError

    emulator.faults.update(fail_nth={5: "truncate"})  # in the second day (three pages a day)
    try:
        with pytest.raises(PartialResultError, match=r"^stopped at page \d+ of day 2011-11-1\d "
                           r".*; the \d complete days are in .*: run the same pull again"):  # fmt: skip
            client.sessions(FOUR_DAYS, all_pages=True, to=tmp_path / "ds")
    finally:
        emulator.faults.reset()
    written = SessionsDataset(tmp_path / "ds").days()
    assert 0 < len(written) < 4
    dataset = client.sessions(FOUR_DAYS, all_pages=True, to=tmp_path / "ds")
    ids = dataset.relation().project("session_id").fetchall()
    assert len(ids) == len(set(ids)) == len(in_memory)


def test_to_with_max_rows_is_refused_in_one_line_before_any_request(client, emulator, tmp_path):
    start = len(emulator.requests)
    with pytest.raises(ParameterError, match="max_rows"):
        client.sessions(FOUR_DAYS, all_pages=True, to=tmp_path / "ds", max_rows=10)
    assert len(emulator.requests) == start and not (tmp_path / "ds").exists()


def test_a_refused_login_is_the_clients_own_one_line_error_with_nothing_written(emulator, tmp_path):
    from ot_magic.errors import AuthenticationError

    wrong = OpenTrackerClient(emulator.url, credentials=(DEMO_LOGIN, "not-the-password"))
    with pytest.raises(AuthenticationError) as refused:
        wrong.sessions(FOUR_DAYS, all_pages=True, to=tmp_path / "ds")
    assert "not-the-password" not in str(refused.value)
    assert SessionsDataset(tmp_path / "ds").days() == {}
