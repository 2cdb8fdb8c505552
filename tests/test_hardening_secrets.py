"""No password or ticket ever shows: a canary hunt through everything a person or a file could see.

A canary password and ticket are configured (environment, then ``%otlogin``) against a real
emulator that is not the demo one, so every request is refused: the error paths, where secrets
usually leak, are all taken. Then everything is searched for them: what the shell printed, the
exceptions with their chained causes and the local variables of every frame (what ``%xmode
Verbose`` or an error reporter shows), reprs, ``df.attrs``, the state of every widget alive, log
records at DEBUG from ``ot_magic``, ``urllib3``, ``requests`` and the root logger, and a notebook
saved to disk after an nbclient run. The success paths run with the demo account, whose password
and tickets must not show either. The emulator says where each credential arrived: only ever in a
POST body.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import traceback
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar

import nbformat
import pytest
from IPython.core.error import UsageError
from nbclient import NotebookClient
from widgetstate import live_widgets, sent_text  # tests/ is on sys.path

from ot_magic import credentials
from ot_magic.client import OpenTrackerClient
from ot_magic.emulator import DEMO_LOGIN, DEMO_PASSWORD, Emulator
from ot_magic.errors import OpenTrackerError
from ot_magic.params import USER_PARAMS
from ot_magic.request import SessionsRequest

CANARY_PASSWORD = "canary-pw-Hx7q2Zr41"
CANARY_TICKET = "canary-ticket-0f9e8d7c55"
CANARY_LOGIN = "canary-login@example.org"  # a login is not secret: it may be shown
CANARIES = (CANARY_PASSWORD, CANARY_TICKET)
DAY = "date = 2011-11-16\nlimit = 20\n"
WATCHED_LOGGERS = ("", "ot_magic", "urllib3", "requests")


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.name} {self.format(record)} {record.args!r}")


class Watch:
    """Everything a person or a file could see during a test, gathered as text."""

    def __init__(self, capsys) -> None:
        self.capsys = capsys
        self.seen: list[str] = []
        self.records = _Records()

    def output(self) -> str:
        out, err = self.capsys.readouterr()
        self.seen += [out, err]
        return out + err

    def error(self, error: BaseException | None) -> None:
        """The exception as a traceback (with chained causes) and with every frame's locals."""
        if error is not None:
            self.seen.append("".join(traceback.format_exception(error)))
            self.seen.append(
                _frame_locals(
                    traceback.TracebackException.from_exception(error, capture_locals=True)
                )
            )
            self.seen.append(repr(vars(error)) if hasattr(error, "__dict__") else "")

    def widgets(self) -> str:
        return "\n".join(sent_text(widget) for widget in live_widgets())

    def everything(self) -> str:
        self.output()
        return "\n".join([*self.seen, *self.records.lines, self.widgets()])

    def assert_hidden(self, *secrets: str) -> None:
        text = self.everything()
        for secret in secrets:
            assert secret not in text, _context(text, secret)


def _frame_locals(caught: traceback.TracebackException | None) -> str:
    """The local variables of every frame outside this test file, chained causes included."""
    if caught is None:
        return ""
    frames = [frame for frame in caught.stack if frame.filename != __file__]
    shown = "".join(f"{frame.name}: {frame.locals}\n" for frame in frames)
    return shown + _frame_locals(caught.__cause__) + _frame_locals(caught.__context__)


def _context(text: str, secret: str) -> str:
    at = text.index(secret)
    return f"secret shown: ...{text[max(0, at - 300) : at + 60]}..."


@pytest.fixture
def watch(capsys):
    watch = Watch(capsys)
    saved = []
    for name in WATCHED_LOGGERS:
        logger = logging.getLogger(name)
        saved.append((logger, logger.level))
        logger.setLevel(logging.DEBUG)
        logger.addHandler(watch.records)
    yield watch
    for logger, level in saved:
        logger.removeHandler(watch.records)
        logger.setLevel(level)


@pytest.fixture
def shell(ip, emulator):
    """The real shell pointed at the (non-demo) emulator, timeouts short, faults off."""
    ip.run_line_magic("config", f"OTMagic.api_url = {emulator.url!r}")
    ip.run_line_magic("config", "OTMagic.timeout = 2.0")
    emulator.faults.reset()
    yield ip
    emulator.faults.reset()
    ip.run_line_magic("xmode", "Context")


def run(ip, watch: Watch, text: str):
    result = ip.run_cell(text, store_history=True)
    watch.error(result.error_in_exec)
    if result.result is not None:
        watch.seen.append(repr(result.result))
        data, _ = ip.display_formatter.format(result.result)
        watch.seen.append(json.dumps(data, default=str))
    return result


def carried_only_in_post_bodies(emulator, since: int) -> bool:
    records = emulator.requests[since:]
    assert records, "no request reached the emulator"
    return all(
        record.method == "POST" and set(record.credentials.values()) <= {"body"}
        for record in records
    )


def test_environment_canaries_never_show_on_any_error_path(shell, emulator, watch, monkeypatch):
    monkeypatch.setenv("OT_LOGIN", CANARY_LOGIN)
    monkeypatch.setenv("OT_PASSWORD", CANARY_PASSWORD)
    monkeypatch.setenv("OT_TICKET_ID", CANARY_TICKET)
    since = len(emulator.requests)

    run(shell, watch, f"%%otsessions --dry-run\n{DAY}")
    assert "ticketId = ***" in watch.output()
    refused = run(shell, watch, f"%%otsessions\n{DAY}")
    assert "Login/ site combination is not valid" in str(refused.error_in_exec)
    monkeypatch.delenv("OT_TICKET_ID")  # now the password is what is sent
    run(shell, watch, f"%%otsessions --dry-run --all\n{DAY}")
    assert "password = ***" in watch.output()
    for cell in (f"%%otsessions\n{DAY}", f"%%otsessions --all\n{DAY}period = 3d\n"):
        assert run(shell, watch, cell).error_in_exec is not None
    run(shell, watch, "%otsessions date=2011-11-16 limit=5")

    panel = run(shell, watch, "%otpanel --out panel_refused").result
    panel.request = SessionsRequest(date="2011-11-16", limit=5)
    panel.run_button.click()
    assert panel.wait(30) is None and "Login/ site" in panel.status.value

    shell.run_line_magic("config", "OTMagic.short_errors = False")
    shell.run_line_magic("xmode", "Verbose")  # tracebacks show every frame's local variables
    for fault in (
        {"connection_reset": True},
        {"truncate": True},
        {},
    ):
        emulator.faults.update(**fault)
        failed = run(shell, watch, f"%%otsessions\n{DAY}")
        assert isinstance(failed.error_in_exec, OpenTrackerError)
        assert "Traceback" in watch.output()

    watch.assert_hidden(*CANARIES)
    assert carried_only_in_post_bodies(emulator, since)


def test_a_password_typed_into_otlogin_never_shows(shell, emulator, watch, monkeypatch):
    monkeypatch.setattr("builtins.input", lambda prompt="": CANARY_LOGIN)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": CANARY_PASSWORD)
    since = len(emulator.requests)

    run(shell, watch, "%otlogin")
    assert CANARY_LOGIN in watch.output()
    run(shell, watch, f"%%otsessions --dry-run\n{DAY}")
    run(shell, watch, f"%%otsessions\n{DAY}")
    refused = run(shell, watch, "%otlogin --ticket")
    assert "refused" in str(refused.error_in_exec) and credentials.remembered() is None

    shell.run_line_magic("config", "OTMagic.short_errors = False")
    shell.run_line_magic("xmode", "Verbose")
    assert run(shell, watch, "%otlogin --ticket --expires 600").error_in_exec is not None
    run(shell, watch, "%otlogin")
    emulator.faults.update(connection_reset=True)
    assert run(shell, watch, f"%%otsessions --all\n{DAY}").error_in_exec is not None

    watch.assert_hidden(CANARY_PASSWORD)
    assert carried_only_in_post_bodies(emulator, since)


def test_the_demo_password_and_a_real_ticket_never_show_on_success(
    shell, emulator, watch, monkeypatch
):
    monkeypatch.setenv("OT_LOGIN", DEMO_LOGIN)
    monkeypatch.setenv("OT_PASSWORD", DEMO_PASSWORD)
    monkeypatch.setattr("builtins.input", lambda prompt="": DEMO_LOGIN)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": DEMO_PASSWORD)
    since = len(emulator.requests)

    result = run(shell, watch, f"%%otsessions --out visits\n{DAY}period = 2d\n").result
    assert len(result.df) == 20
    shown = [result.table, result.map, result.view]  # built and alive: their state is searched
    watch.seen += [repr(result), repr(result.request), repr(result.client), str(result.df.attrs),
                   repr(result.client.credentials()), result.summary()]  # fmt: skip
    run(shell, watch, f"%%otsessions --all --out pages\n{DAY}")
    panel = run(shell, watch, "%otpanel --out panel_served").result
    panel.request = SessionsRequest(date="2011-11-16", limit=5)
    panel.run_button.click()
    assert len(panel.wait(30).df) == 5
    panel.copy_button.click()

    run(shell, watch, "%otlogin --ticket --expires 600")
    tickets = list(emulator._tickets)
    assert tickets
    ticketed = run(shell, watch, f"%%otsessions --out with_ticket\n{DAY}").result
    watch.seen += [
        repr(ticketed.client),
        str(ticketed.df.attrs),
        repr(ticketed.client.credentials()),
    ]

    watch.assert_hidden(DEMO_PASSWORD, *tickets)
    assert carried_only_in_post_bodies(emulator, since)
    assert shown


def test_a_credential_smuggled_into_any_value_is_refused_without_echoing_it(
    shell, emulator, watch, monkeypatch
):
    monkeypatch.setenv("OT_LOGIN", CANARY_LOGIN)
    monkeypatch.setenv("OT_PASSWORD", CANARY_PASSWORD)
    monkeypatch.setenv("OT_TICKET_ID", CANARY_TICKET)
    since = len(emulator.requests)
    for smuggled in (f"Home&password={CANARY_PASSWORD}&limit=5", f"x ticketId = {CANARY_TICKET}"):
        shell.user_ns["smuggled"] = smuggled
        for name in USER_PARAMS:
            for value in ("{smuggled}", smuggled):
                error = shell.run_cell(f"%%otsessions\n{name} = {value}\n").error_in_exec
                assert isinstance(error, UsageError), (name, value)
                assert str(error).startswith(f"line 2: {name}: the value holds your configured")
                assert "Traceback" not in watch.output()  # the one line is all that shows
    watch.assert_hidden(*CANARIES)  # the user's own variable holds it, no message repeats it
    assert len(emulator.requests) == since


def test_client_errors_carry_no_secret_in_message_cause_or_frame_locals(emulator, watch):
    request = SessionsRequest(date="2011-11-16", period="2d", limit=20)
    faults = [{}, {"connection_reset": True}, {"truncate": True}, {"html_error": True},
              {"error_text": True}, {"error_json": True}, {"fail_nth": dict.fromkeys(range(1, 5), 502)}]  # fmt: skip
    for given in (
        (CANARY_LOGIN, CANARY_PASSWORD),
        credentials.Credentials(ticket_id=CANARY_TICKET),
    ):
        client = OpenTrackerClient(emulator.url, credentials=given, timeout=2, backoff=0)
        watch.seen += [repr(client), str(client), repr(vars(client))]
        for fault in faults:
            emulator.faults.reset()
            emulator.faults.update(**fault)
            for all_pages in (False, True):
                with pytest.raises(OpenTrackerError) as caught:
                    client.sessions(request, all_pages=all_pages)
                watch.error(caught.value)
        emulator.faults.reset()
        with pytest.raises(OpenTrackerError) as caught:
            client.login_ticket()
        watch.error(caught.value)
    watch.assert_hidden(*CANARIES)


def _notebook_with(cells: list[str], env: dict[str, str]) -> nbformat.NotebookNode:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    saved = dict(os.environ)
    os.environ.update(env)  # the kernel inherits the environment it is started in
    try:
        NotebookClient(notebook, timeout=120, kernel_name="python3", allow_errors=True).execute()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return notebook


def test_a_notebook_saved_after_a_run_with_canary_credentials_holds_none(emulator, tmp_path):
    since = len(emulator.requests)
    with Emulator() as resetting:
        resetting.faults.update(connection_reset=True)
        notebook = _notebook_with(
            [
                "%load_ext ot_magic",
                "import logging\nlogging.basicConfig(level=logging.DEBUG, force=True)",
                f"%%otsessions --dry-run\n{DAY}",
                f"%%otsessions\n{DAY}",
                "import os\ndel os.environ['OT_TICKET_ID']",
                f"%%otsessions --all\n{DAY}period = 2d\n",
                "%otsessions --demo date=2011-11-16 limit=10",
                "%otpanel --demo",
                f"%config OTMagic.api_url = {resetting.url!r}\n%config OTMagic.timeout = 1.0\n"
                "%config OTMagic.short_errors = False\n%xmode Verbose",
                f"%%otsessions\n{DAY}",
                "import ot_magic\nclient = ot_magic.OpenTrackerClient()\nprint(repr(client), vars(client))",
            ],
            {
                "OT_API_URL": emulator.url,
                "OT_LOGIN": CANARY_LOGIN,
                "OT_PASSWORD": CANARY_PASSWORD,
                "OT_TICKET_ID": CANARY_TICKET,
            },
        )
    path = tmp_path / "run.ipynb"
    nbformat.write(notebook, path)
    saved = path.read_text(encoding="utf-8")

    outputs = [cell.outputs for cell in notebook.cells]
    assert "ticketId = ***" in outputs[2][-1].text
    assert "DEBUG" in saved and "Login/ site combination is not valid" in saved
    assert re.search(r"application/vnd\.jupyter\.widget-view\+json", saved)
    assert outputs[9][-1].output_type == "error" and len(outputs[9][-1].traceback) > 1
    for secret in CANARIES:
        assert secret not in saved, _context(saved, secret)
    assert carried_only_in_post_bodies(emulator, since)


class _Sink(BaseHTTPRequestHandler):
    """Wherever a redirect points: it records what reaches it."""

    seen: ClassVar[list[bytes]] = []

    def do_POST(self) -> None:
        self.seen.append(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST

    def log_message(self, *args: object) -> None:
        pass


def _serve(handler: type) -> HTTPServer:
    server = HTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_an_api_that_redirects_gets_one_line_and_the_password_goes_nowhere_else(
    shell, watch, monkeypatch, status
):
    sink = _serve(_Sink)
    target = f"http://localhost:{sink.server_address[1]}/elsewhere"

    class Redirecting(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(status)
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    api = _serve(Redirecting)
    try:
        monkeypatch.setenv("OT_LOGIN", CANARY_LOGIN)
        monkeypatch.setenv("OT_PASSWORD", CANARY_PASSWORD)
        shell.run_line_magic(
            "config", f"OTMagic.api_url = 'http://127.0.0.1:{api.server_address[1]}/api/'"
        )
        _Sink.seen.clear()
        failed = run(shell, watch, f"%%otsessions\n{DAY}")
        assert f"redirects elsewhere (HTTP {status})" in str(failed.error_in_exec)
        assert _Sink.seen == []
        watch.assert_hidden(CANARY_PASSWORD)
    finally:
        for server in (api, sink):
            server.shutdown()
            server.server_close()


def test_a_ticket_returned_by_login_ticket_shows_itself_nowhere(shell, emulator, watch):
    run(
        shell,
        watch,
        f"import ot_magic\nclient = ot_magic.OpenTrackerClient({emulator.url!r}, "
        f"credentials=({DEMO_LOGIN!r}, {DEMO_PASSWORD!r}))\nticket = client.login_ticket()\nticket",
    )
    real = str.__str__(shell.user_ns["ticket"])
    assert len(real) == 36
    run(shell, watch, "print(ticket, [ticket], f'{ticket}', '%s' % ticket, vars(client))")
    assert "Ticket(***, valid 60 s)" in watch.output() or "Ticket(***" in watch.everything()
    watch.assert_hidden(real)
