"""Faults injected by the emulator, through ``%%otsessions`` in a real shell (and one nbclient run):
every fault ends in one clear line or in exactly the rows of an unfaulted run, never a traceback;
with ``--all``, a page that fails keeps the pages before it, and the message says how to fetch
exactly the rest.
"""

from __future__ import annotations

import functools
import re
import time

import nbformat
import pytest
from IPython.core.error import UsageError
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from ot_magic.client import OpenTrackerClient
from ot_magic.emulator import DEMO_LOGIN, DEMO_PASSWORD
from ot_magic.errors import PartialResultError
from ot_magic.request import SessionsRequest

ONE_DAY = "date = 2011-11-16\nlimit = 30\n"
PAGED = "date = 2011-11-16\nincludeCountryCode = GB\nlimit = 20\n"  # about ten pages
RETRIES = 3  # the client's default: every request is tried 1 + RETRIES times


@pytest.fixture
def shell(ip, emulator, monkeypatch):
    ip.run_line_magic("config", f"OTMagic.api_url = {emulator.url!r}")
    monkeypatch.setenv("OT_LOGIN", DEMO_LOGIN)
    monkeypatch.setenv("OT_PASSWORD", DEMO_PASSWORD)
    emulator.faults.reset()
    yield ip
    emulator.faults.reset()


def session_ids(ip, cell: str, out: str = "unfaulted") -> list[str]:
    ip.run_cell(f"%%otsessions --no-display --out {out}\n{cell}").raise_error()
    return list(ip.user_ns[out]["session_id"])


def run_with_fault(ip, emulator, capsys, cell: str, **fault):
    """Run ``cell`` with ``fault`` on; (the error, the lines printed on stderr, stdout)."""
    emulator.faults.update(**fault)
    capsys.readouterr()
    try:
        result = ip.run_cell(cell, store_history=True)
    finally:
        emulator.faults.reset()
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return result.error_in_exec, shown_lines(err), out


def shown_lines(text: str) -> list[str]:
    """The lines a terminal shows: what a carriage return overwrote (a progress bar that
    ``leave=False`` cleared) is gone."""
    lines = (line.rsplit("\r", 1)[-1].strip() for line in text.split("\n"))
    return [line for line in lines if line]


ALWAYS = dict.fromkeys(range(1, 1 + 1 + RETRIES))  # the first request and every retry of it


@pytest.mark.parametrize(
    ("fault", "line"),
    [
        ({"fail_nth": {n: 500 for n in ALWAYS}}, r"^UsageError: the API at 127\.0\.0\.1:\d+ kept answering HTTP 500 \(after 3 retries\)$"),
        ({"fail_nth": {n: 502 for n in ALWAYS}}, r"kept answering HTTP 502 \(after 3 retries\)$"),
        ({"fail_nth": {n: 503 for n in ALWAYS}}, r"kept answering HTTP 503 \(after 3 retries\)$"),
        ({"connection_reset": True}, r"^UsageError: could not reach 127\.0\.0\.1:\d+ \(connection refused or reset, after 3 retries\)$"),
        ({"truncate": True}, r"^UsageError: the answer from 127\.0\.0\.1:\d+ was cut short"),
        ({"html_error": True}, r"^UsageError: the API answered with an HTML page \(Apache Tomcat/6\.0\.29 - Error report\) instead of JSON$"),
        ({"error_text": True}, r"^UsageError: Internal error, please try again later$"),
        ({"error_json": True}, r"^UsageError: java\.lang\.NullPointerException$"),
        ({"latency": 0.5}, r"^UsageError: no answer from 127\.0\.0\.1:\d+ within 0\.3 s \(the whole request's deadline\)$"),
    ],
    ids=["500", "502", "503", "reset", "truncated", "html", "error-text", "error-json", "latency"],
)  # fmt: skip
def test_a_fault_that_lasts_ends_in_one_clear_line_and_binds_nothing(
    shell, emulator, capsys, fault, line
):
    """Server errors and resets are retried (with urllib3's backoff), a bounded number of times."""
    if "latency" in fault:
        shell.run_line_magic("config", "OTMagic.timeout = 0.3")
    before = len(emulator.requests)
    started = time.perf_counter()
    error, lines, _ = run_with_fault(
        shell, emulator, capsys, f"%%otsessions --out faulted\n{ONE_DAY}", **fault
    )
    waited = time.perf_counter() - started
    assert isinstance(error, UsageError)
    assert len(lines) == 1 and re.search(line, lines[0]), lines
    assert "faulted" not in shell.user_ns
    if "fail_nth" in fault:
        status = fault["fail_nth"][1]
        tries = [r for r in emulator.requests[before:] if r.status == status]
        assert len(tries) == 1 + RETRIES  # a 5th try would have got the rows
        assert waited >= 0.5 + 1.0  # backoff (0.25 s, doubling) before the 2nd and 3rd retry


@pytest.mark.parametrize(
    "fault",
    [{"fail_nth": {1: 500}}, {"fail_nth": {1: 502, 2: 503}}, {"fail_nth": {1: "connection_reset"}},
     {"latency": 0.0, "fail_nth": {1: "connection_reset", 2: 503}}, {"jsonp": True}],
    ids=["500-once", "502-then-503", "reset-once", "reset-then-503", "jsonp"],
)  # fmt: skip
def test_a_passing_fault_or_a_jsonp_answer_gives_exactly_the_unfaulted_rows(
    shell, emulator, capsys, fault
):
    expected = unfaulted(shell, ONE_DAY)
    error, lines, _ = run_with_fault(
        shell, emulator, capsys, f"%%otsessions --no-display --out faulted\n{ONE_DAY}", **fault
    )
    assert error is None and lines == []
    assert list(shell.user_ns["faulted"]["session_id"]) == expected
    if fault.get("jsonp"):
        assert emulator.requests[-1].params.get("jsoncallback") is None  # the client never asks


_UNFAULTED: dict[str, list[str]] = {}


def unfaulted(ip, cell: str) -> list[str]:
    """The session ids of ``cell`` without faults (the emulator's answers never change)."""
    if cell not in _UNFAULTED:
        _UNFAULTED[cell] = session_ids(ip, cell)
    return _UNFAULTED[cell]


@functools.cache
def rows_after_pages(url: str, cell: str) -> tuple[int, ...]:
    """How many rows an unfaulted ``--all`` run holds after each page."""
    seen: list[int] = []
    with OpenTrackerClient(url, credentials=(DEMO_LOGIN, DEMO_PASSWORD)) as client:
        client.sessions(
            SessionsRequest.from_cell(cell),
            all_pages=True,
            progress=lambda rows, _: seen.append(rows),
        )
    return tuple(seen)


def _follow(message: str, cell: str) -> tuple[int, str, str]:
    """What the one-line message says: rows kept, and the cell that fetches the rest."""
    rows = int(re.search(r"The (\d+) rows read are in (\w+);", message).group(1))
    out = re.search(r"run the cell again with --all --out (\w+)", message).group(1)
    said = re.search(r"(?:this line added|in place of its own [\w ]+): ([^:]+)$", message).group(1)
    resume = dict(part.split(" = ") for part in said.split("; "))  # date, period, nextToken
    assert set(resume) <= {"date", "period", "nextToken"}
    lines = [line for line in cell.splitlines() if line.split(" = ")[0] not in resume]
    rest = "\n".join(lines + [f"{name} = {value}" for name, value in resume.items()])
    return rows, f"%%otsessions --all --no-display --out {out}\n{rest}\n", out


@pytest.mark.parametrize(
    ("kind", "page"),
    [("truncate", 2), ("truncate", 5), ("html_error", 3), ("error_text", 3), ("error_json", 4),
     (503, 3), ("connection_reset", 3)],
)  # fmt: skip
def test_when_page_k_fails_pages_before_it_are_kept_and_the_message_fetches_exactly_the_rest(
    shell, emulator, capsys, page, kind
):
    full = unfaulted(shell, PAGED.replace("limit = 20", "limit = 1000"))
    lasting = range(page, page + 1 + RETRIES) if kind in (503, "connection_reset") else [page]
    error, lines, _ = run_with_fault(
        shell, emulator, capsys, f"%%otsessions --all --out visits\n{PAGED}",
        fail_nth=dict.fromkeys(lasting, kind),
    )  # fmt: skip
    assert isinstance(error, UsageError) and len(lines) == 1
    assert lines[0].startswith(f"UsageError: stopped at page {page} of the request (")
    rows, rest_cell, rest_out = _follow(lines[0], PAGED)
    kept = list(shell.user_ns["visits"]["session_id"])
    assert rows == len(kept) == rows_after_pages(emulator.url, PAGED)[page - 2]
    assert kept == full[:rows]
    shell.run_cell(rest_cell).raise_error()
    assert kept + list(shell.user_ns[rest_out]["session_id"]) == full


@pytest.mark.parametrize("failing", [2, 6])
def test_a_failure_during_the_concurrent_day_split_keeps_whole_days_and_resumes_exactly(
    shell, emulator, capsys, failing
):
    cell = PAGED + "period = 3d\n"
    full = unfaulted(shell, cell.replace("limit = 20", "limit = 1000"))
    error, lines, _ = run_with_fault(
        shell, emulator, capsys, f"%%otsessions --all --out visits\n{cell}",
        fail_nth={failing: "error_text"},
    )  # fmt: skip
    assert isinstance(error, UsageError) and len(lines) == 1
    if "rows read are in visits" not in lines[0]:  # the newest day failed first: nothing to keep
        assert lines[0] == "UsageError: Internal error, please try again later"
        return
    rows, rest_cell, rest_out = _follow(lines[0], cell)
    kept = list(shell.user_ns["visits"]["session_id"])
    assert rows == len(kept) and kept == full[:rows]
    shell.run_cell(rest_cell).raise_error()
    assert kept + list(shell.user_ns[rest_out]["session_id"]) == full


def test_short_errors_off_raises_the_partial_result_with_its_traceback_and_keeps_the_rows(
    shell, emulator, capsys
):
    shell.run_line_magic("config", "OTMagic.short_errors = False")
    emulator.faults.update(fail_nth={3: "html_error"})
    result = shell.run_cell(f"%%otsessions --all --out visits\n{PAGED}")
    out, err = capsys.readouterr()
    assert isinstance(result.error_in_exec, PartialResultError)
    assert "Traceback" in out + err and "PartialResultError" in out + err
    assert len(shell.user_ns["visits"]) == rows_after_pages(emulator.url, PAGED)[1]
    assert (
        result.error_in_exec.resume_token
        and result.error_in_exec.partial.df is shell.user_ns["visits"]
    )


def test_a_fault_in_a_notebook_run_shows_one_line_yet_fails_the_run_keeping_the_rows(emulator):
    """nbclient (as papermill) stops at the failing cell; its output is the one line, no
    traceback frames; the rows fetched before the failure are in the kernel."""
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell(source)
        for source in (
            "%load_ext ot_magic\nimport os\n"
            f"os.environ.update(OT_LOGIN={DEMO_LOGIN!r}, OT_PASSWORD={DEMO_PASSWORD!r})",
            f"%config OTMagic.api_url = {emulator.url!r}",
            f"%%otsessions --all --out visits\n{PAGED}",
            "print('not reached')",
        )
    ]
    client = NotebookClient(notebook, timeout=120, kernel_name="python3")
    caught = None
    emulator.faults.update(fail_nth={3: "truncate"})
    try:
        client.reset_execution_trackers()
        with client.setup_kernel():
            for index, cell in enumerate(notebook.cells):  # as nbclient.execute and papermill do
                try:
                    client.execute_cell(cell, index)
                except CellExecutionError as error:
                    caught = error
                    break
            notebook.cells.append(nbformat.v4.new_code_cell("print(len(visits))"))
            client.execute_cell(notebook.cells[-1], len(notebook.cells) - 1)
    finally:
        emulator.faults.reset()
    outputs = notebook.cells[2].outputs
    assert caught is not None, "the failing cell did not fail the run"
    shown = [o for o in outputs if o.output_type != "display_data"]  # the closed progress bar
    assert [(o.output_type, o.get("name")) for o in shown] == [("stream", "stderr")]
    (line,) = shown[0].text.splitlines()
    assert line.startswith("UsageError: stopped at page 3") and "nextToken = " in line
    assert caught.ename == "UsageError" and caught.evalue.startswith("stopped at page 3")
    assert "Traceback" not in str(caught)
    assert notebook.cells[3].outputs == []
    assert int(notebook.cells[-1].outputs[0].text) == rows_after_pages(emulator.url, PAGED)[1]


@pytest.mark.parametrize(
    "fault",
    [{"html_error": True}, {"error_text": True}, {"error_json": True}, {"truncate": True},
     {"fail_nth": {n: 503 for n in ALWAYS}}],
    ids=["html", "error-text", "error-json", "truncated", "503"],
)  # fmt: skip
def test_a_fault_while_otlogin_fetches_a_ticket_is_one_line_and_keeps_no_login(
    shell, emulator, capsys, monkeypatch, fault
):
    from ot_magic import credentials

    monkeypatch.setattr("builtins.input", lambda prompt="": DEMO_LOGIN)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": DEMO_PASSWORD)
    error, lines, out = run_with_fault(shell, emulator, capsys, "%otlogin --ticket", **fault)
    assert isinstance(error, UsageError) and len(lines) == 1, lines
    assert credentials.remembered() is None and "Logged in" not in out


def test_a_later_page_failing_in_the_panel_keeps_the_rows_and_says_where_to_go_on(shell, emulator):
    panel = shell.run_line_magic("otpanel", "--out panel_cut_short")
    panel.request = SessionsRequest.from_cell(PAGED)
    panel.all_pages.value = True
    emulator.faults.update(fail_nth={3: "error_json"})
    try:
        panel.run_button.click()
        kept = panel.wait(60)
    finally:
        emulator.faults.reset()
    rows = rows_after_pages(emulator.url, PAGED)[1]
    assert len(kept.df) == rows and shell.user_ns["panel_cut_short"] is kept.df
    status = re.sub(r"<[^>]+>", "", panel.status.value)
    assert "stopped at page 3" in status and f"nextToken = {kept.next_token}" in status
    assert "\n" not in status and "Traceback" not in status


@pytest.mark.parametrize(
    ("fault", "said"),
    [({"html_error": True}, "HTML page"), ({"truncate": True}, "cut short"),
     ({"error_text": True}, "Internal error, please try again later")],
)  # fmt: skip
def test_a_fault_behind_a_drill_down_button_is_one_line_under_the_buttons(emulator, fault, said):
    from ot_magic.views.results import build_view

    with OpenTrackerClient(emulator.url, credentials=(DEMO_LOGIN, DEMO_PASSWORD)) as client:
        view = build_view(client.sessions(SessionsRequest.from_cell(ONE_DAY)), namespace={})
        view.table.select_rows([0])
        emulator.faults.update(**fault)
        try:
            for button in (view.drilldown.page_views_button, view.drilldown.visitor_button):
                button.click()
                status = re.sub(r"<[^>]+>", "", view.drilldown.status.value)
                assert said in status and "\n" not in status and "Traceback" not in status
                assert view.drilldown.result is None
        finally:
            emulator.faults.reset()
