"""The one run-and-bind path (ot_magic.run) against the emulator on loopback: what it binds, the
one line it says, what it refuses before sending anything, cancel and Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import threading
import time

import pandas as pd
import pytest

from ot_magic.errors import ApiError, PartialResultError
from ot_magic.names import name_problem
from ot_magic.request import SessionsRequest
from ot_magic.run import (
    Pull,
    Wording,
    bind,
    in_background,
    interrupt_cancels,
    run_call,
    run_sessions,
)

DAY = SessionsRequest(date="2011-11-16", limit=40)
WORDING = Wording(every="use --all", rest=lambda resume: f"send {sorted(resume.items())}")
CANARY = "canary-run-pw-90b1c4"


@pytest.fixture
def client(emulator, monkeypatch):
    from ot_magic.client import OpenTrackerClient
    from ot_magic.emulator import DEMO_LOGIN, DEMO_PASSWORD

    for name in [n for n in os.environ if n.startswith("OT_")]:
        monkeypatch.delenv(name)
    emulator.faults.reset()
    with OpenTrackerClient(
        emulator.url, credentials=(DEMO_LOGIN, DEMO_PASSWORD), retries=0
    ) as client:
        yield client
    emulator.faults.reset()


def run(client, request=DAY, pull=None, **kwargs):
    kwargs.setdefault("namespace", {})
    pull = pull if pull is not None else Pull()
    return run_sessions(client, request, pull, out="visits", wording=WORDING, **kwargs)


def test_a_run_binds_the_frame_and_says_rows_pages_time_and_where(client):
    namespace = {}
    outcome = run(client, pull=Pull(all_pages=True, max_rows=90), namespace=namespace)
    result = outcome.value
    assert outcome.ok and namespace["visits"] is result.df and len(result.df) == 90
    pages = f"{result.pages} page{'s' * (result.pages != 1)}"
    assert outcome.line == (
        f"90 sessions, {pages}, {result.elapsed:.2f} s → visits · more rows exist: use --all"
        f" for every one; to fetch the rest, send {sorted(result.resume.items())}"
    )


def test_a_run_that_read_everything_says_no_more(client):
    outcome = run(client, DAY.replace(includeCountryCode="NL"), Pull(all_pages=True))
    assert outcome.ok and outcome.value.resume is None
    assert re.fullmatch(r"\d+ sessions, \d+ pages?, [\d.]+ s → visits", outcome.line)


def test_a_failed_later_page_binds_the_rows_read_and_says_how_to_fetch_the_rest(client, emulator):
    namespace = {}
    emulator.faults.update(fail_nth={2: 500})
    outcome = run(client, pull=Pull(all_pages=True), namespace=namespace)
    kept = outcome.value
    assert not outcome.ok and outcome.stopped and isinstance(outcome.error, PartialResultError)
    assert namespace["visits"] is kept.df and len(kept.df) > 0
    assert outcome.line.startswith("stopped at page 2")
    assert outcome.line.endswith(
        f". The {len(kept.df)} rows read are in visits; to fetch the rest, send"
        f" {sorted(kept.resume.items())}"
    )
    emulator.faults.reset()
    rest = run(client, DAY.replace(**kept.resume), Pull(all_pages=True)).value
    whole = run(client, pull=Pull(all_pages=True)).value
    assert list(kept.df.session_id) + list(rest.df.session_id) == list(whole.df.session_id)


def test_cancel_keeps_the_rows_read_and_names_the_stop_pages_and_time(client):
    cancel = threading.Event()
    namespace = {}
    outcome = run(
        client,
        pull=Pull(all_pages=True),
        namespace=namespace,
        progress=lambda rows, pages: cancel.set(),  # Cancel clicked as the first page lands
        cancel=cancel,
    )
    kept = outcome.value
    assert outcome.stopped and outcome.error is None and namespace["visits"] is kept.df
    assert re.match(rf"Cancelled after 1 page in [\d.]+ s\. The {len(kept.df)} rows read are in"
                    " visits;", outcome.line)  # fmt: skip
    assert kept.resume and str(sorted(kept.resume.items())) in outcome.line


def test_an_api_error_binds_nothing_and_is_its_own_line(client, emulator):
    namespace = {}
    emulator.faults.update(error_text=True)
    outcome = run(client, namespace=namespace)
    assert not outcome.ok and not outcome.stopped and isinstance(outcome.error, ApiError)
    assert outcome.line == str(outcome.error) and "\n" not in outcome.line
    assert namespace == {}


@pytest.mark.parametrize("where", ["configured", "the client's own"])
def test_a_value_holding_a_password_is_refused_before_any_request(
    client, emulator, monkeypatch, where
):
    from ot_magic.emulator import DEMO_PASSWORD

    secret = CANARY if where == "configured" else DEMO_PASSWORD
    if where == "configured":
        monkeypatch.setenv("OT_PASSWORD", CANARY)
    before, namespace = len(emulator.requests), {}
    outcome = run(client, DAY.replace(search=f"*{secret}*"), namespace=namespace)
    assert outcome.line == (
        "search: the value holds your configured password or ticket; it is neither sent nor shown"
    )
    assert len(emulator.requests) == before and namespace == {}


def test_the_demo_accounts_public_password_is_no_secret_to_refuse():
    from ot_magic.client import OpenTrackerClient
    from ot_magic.emulator import DEMO_PASSWORD

    outcome = run(OpenTrackerClient("demo"), DAY.replace(limit=2, search=f"*{DEMO_PASSWORD}*"))
    assert outcome.ok, outcome.line


@pytest.mark.parametrize("out", ["print", "In", "_", "2x", "__builtins__"])
def test_an_out_name_that_would_break_the_session_is_refused_before_any_request(
    client, emulator, out
):
    before, namespace = len(emulator.requests), {}
    outcome = run_sessions(client, DAY, Pull(), out=out, namespace=namespace, wording=WORDING)
    assert outcome.line == f"out: {name_problem(out)}"
    assert len(emulator.requests) == before and namespace == {}


def test_bind_refuses_what_out_refuses_and_binds_a_results_frame():
    frame = pd.DataFrame({"a": [1]})
    namespace = {}
    assert bind(namespace, "len", frame) == name_problem("len") and namespace == {}
    assert bind(None, "visits", frame) == "no IPython namespace here"

    class Result:
        df = frame

    assert bind(namespace, "visits", Result()) is None and namespace["visits"] is frame


def test_to_binds_the_dataset_and_says_the_days_pages_and_path(client, tmp_path):
    from ot_magic.store import SessionsDataset

    namespace = {}
    request = DAY.replace(period="2d", limit=1000)
    outcome = run(client, request, Pull(to=tmp_path / "visits"), namespace=namespace)
    dataset = namespace["visits"]
    assert outcome.ok and isinstance(dataset, SessionsDataset) and len(dataset.days()) == 2
    assert re.fullmatch(rf"2 days, \d+ pages → {re.escape(str(dataset.path))} \(bound to visits\)",
                        outcome.line)  # fmt: skip


def test_to_cancelled_binds_the_complete_days_and_names_those_left(client, tmp_path):
    cancel = threading.Event()
    namespace = {}
    outcome = run(
        client,
        DAY.replace(period="3d", limit=1000),
        Pull(to=tmp_path / "visits"),
        namespace=namespace,
        progress=lambda rows, pages: cancel.set(),
        cancel=cancel,
    )
    kept = len(namespace["visits"].days())
    assert outcome.stopped and kept < 3
    assert outcome.line.startswith(f"Cancelled. {kept} complete days are in ")
    assert f"run the same cell again to fetch the other {3 - kept}" in outcome.line


def test_run_call_is_one_line_for_any_error_only_when_asked():
    def broken():
        raise KeyError("visit_id")

    assert run_call(broken, catch_all=True).line == "KeyError: 'visit_id'"
    with pytest.raises(KeyError):
        run_call(broken)
    assert run_call(lambda: 42).value == 42


def test_the_first_ctrl_c_sets_cancel_and_the_second_interrupts_as_usual():
    cancel = threading.Event()
    previous = signal.getsignal(signal.SIGINT)
    with interrupt_cancels(cancel):
        os.kill(os.getpid(), signal.SIGINT)
        deadline = time.monotonic() + 5
        while not cancel.is_set():
            assert time.monotonic() < deadline, "the signal never arrived"
            time.sleep(0.01)
        assert signal.getsignal(signal.SIGINT) is previous, "a second Ctrl-C interrupts"
    assert signal.getsignal(signal.SIGINT) is previous


def test_in_background_returns_at_once_and_hands_back_the_value_or_the_error():
    release = threading.Event()
    future = in_background(lambda: release.wait(10) and "done", "ot-test")
    assert future.running() and not future.done()
    release.set()
    assert future.result(10) == "done"
    failing = in_background(lambda: 1 / 0, "ot-test")
    with pytest.raises(ZeroDivisionError):
        failing.result(10)
