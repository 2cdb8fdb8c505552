"""The magics in a real IPython shell, against the emulator on loopback."""

from __future__ import annotations

import os
import re
import signal
import threading

import pandas as pd
import pytest
from IPython.core.error import UsageError
from widgetstate import live_widgets  # tests/ is on sys.path

from ot_magic.emulator import DEMO_LOGIN, DEMO_PASSWORD
from ot_magic.errors import ParameterError
from ot_magic.request import SessionsRequest
from ot_magic.result import SessionsResult

CANARY = "canary-pw-7f3a9c"  # a password that must never be shown


def run(ip, text):
    result = ip.run_cell(text, store_history=True)
    result.raise_error()
    return result.result


def one_line_error(ip, capsys, text):
    """The single line a failing magic prints (and check it is a UsageError, no traceback)."""
    capsys.readouterr()
    result = ip.run_cell(text, store_history=True)
    err = capsys.readouterr().err
    assert isinstance(result.error_in_exec, UsageError), result.error_in_exec
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    return lines[0]


def sent(emulator):
    return len(emulator.requests)


# --- a run ------------------------------------------------------------------------------------


def test_a_cell_binds_a_typed_dataframe_and_returns_the_result(api):
    result = run(api, "%%otsessions --out visits\ndate = 2011-11-16\nperiod = 3d\nlimit = 50\n")
    visits = api.user_ns["visits"]
    assert isinstance(result, SessionsResult)
    assert result.df is visits and api.user_ns["_"] is result
    assert isinstance(visits, pd.DataFrame) and 0 < len(visits) <= 50
    assert result.request == SessionsRequest(date="2011-11-16", period="3d", limit=50)
    assert isinstance(visits["session_start_unix_timestamp"].dtype, pd.DatetimeTZDtype)
    assert pd.api.types.is_float_dtype(visits["latitude"])
    assert pd.api.types.is_integer_dtype(visits["pages_viewed"])
    assert pd.api.types.is_timedelta64_dtype(visits["duration"])


def test_the_default_out_name_is_ot_sessions(api):
    run(api, "%%otsessions\ndate = 2011-11-16\nlimit = 5\n")
    assert len(api.user_ns["ot_sessions"]) == 5


def test_variables_are_interpolated_by_name(api):
    api.user_ns.update(extra=["GB", "DE"], n=30)
    result = run(
        api, "%%otsessions\ndate = 2011-11-16\nincludeCountryCode = US, {extra}\nlimit = {n}"
    )
    assert result.request.params["includeCountryCode"] == ("US", "GB", "DE")
    assert result.request.params["limit"] == 30
    assert set(result.df["country_code"]) <= {"US", "GB", "DE"}


def test_the_line_form_takes_key_value_words_and_quoted_values(api):
    api.user_ns["word"] = "google"
    result = run(api, 'r = %otsessions -o v date=2011-11-16 "search=*{word}*" limit=10\nr')
    assert api.user_ns["r"] is result
    assert result.request == SessionsRequest(date="2011-11-16", search="*google*", limit=10)
    assert api.user_ns["v"] is result.df


@pytest.mark.parametrize("how", ["option", "config"])
def test_no_display_binds_the_frame_and_shows_only_the_summary_without_building_views(api, how):
    if how == "config":
        api.run_line_magic("config", "OTMagic.display = False")
    option = " --no-display" if how == "option" else ""
    widgets_before = len(live_widgets())
    got = run(api, f"%%otsessions --out quiet{option}\ndate = 2011-11-16\nlimit = 3\n")
    bundle = got._repr_mimebundle_()
    assert got.df is api.user_ns["quiet"] and len(got.df) == 3
    assert set(bundle) == {"text/plain", "text/html"}
    assert bundle["text/plain"].startswith("3 sessions")
    assert "table" not in got.__dict__ and "map" not in got.__dict__
    assert len(live_widgets()) == widgets_before


def test_max_rows_stops_after_that_many_rows(api):
    result = run(api, "%%otsessions --max-rows 25\ndate = 2011-11-16\nlimit = 10\n")
    assert len(result.df) == 25
    assert result.df["session_id"].is_unique


def test_all_follows_every_page_without_gaps_or_duplicates(api, emulator):
    cell = "date = 2011-11-16\nperiod = 2d\nincludeCountryCode = NL\n"
    paged = run(api, f"%%otsessions --all\n{cell}limit = 20\n")
    whole = run(api, f"%%otsessions\n{cell}limit = 1000\n")
    assert paged.pages > 2 and whole.next_token is None  # the second fits on one page
    assert paged.df["session_id"].is_unique
    assert list(paged.df["session_id"]) == list(whole.df["session_id"])


def test_a_failed_later_page_keeps_the_earlier_pages_and_says_how_to_resume(api, emulator, capsys):
    cell = "date = 2011-11-16\nincludeCountryCode = GB\nlimit = 20\n"
    full = run(api, f"%%otsessions --all --out full\n{cell}").df
    emulator.faults.update(fail_nth={3: "truncate"})
    try:
        result = api.run_cell(f"%%otsessions --all --out visits\n{cell}")
    finally:
        emulator.faults.reset()
    assert isinstance(result.error_in_exec, UsageError)
    line = re.split(r"[\r\n]+", capsys.readouterr().err.strip())[-1]
    assert line.startswith("UsageError: stopped at page 3")
    rows = int(re.search(r"The (\d+) rows read are in visits;", line).group(1))
    resume = re.search(r"this line added: (nextToken = \S+)$", line).group(1)
    kept = api.user_ns["visits"]
    assert 0 < rows == len(kept) < len(full)
    assert list(kept["session_id"]) == list(full["session_id"][:rows])
    rest = run(api, f"%%otsessions --all --out visits_rest\n{cell}{resume}\n").df
    assert list(rest["session_id"]) == list(full["session_id"][rows:])


def test_an_interrupt_during_all_keeps_the_pages_read_and_says_how_to_resume(api, emulator, capsys):
    cell = "date = 2011-11-16\nlimit = 40\n"
    full = run(api, f"%%otsessions --all --out full\n{cell}").df
    previous = signal.signal(signal.SIGINT, lambda *_: None)  # a late signal must not stop pytest
    emulator.faults.update(latency=0.4)
    interrupt = threading.Timer(1.5, os.kill, (os.getpid(), signal.SIGINT))
    try:
        interrupt.start()
        result = api.run_cell(f"%%otsessions --all --out visits\n{cell}")
    finally:
        interrupt.cancel()
        emulator.faults.reset()
        signal.signal(signal.SIGINT, previous)
    assert isinstance(result.error_in_exec, UsageError)
    line = re.split(r"[\r\n]+", capsys.readouterr().err.strip())[-1]
    assert re.match(r"UsageError: Interrupted after \d+ pages? in [\d.]+ s\. The ", line), line
    resume = re.search(r"this line added: (nextToken = \S+)$", line).group(1)
    kept = api.user_ns["visits"]
    assert 0 < len(kept) < len(full)
    assert list(kept["session_id"]) == list(full["session_id"][: len(kept)])
    rest = run(api, f"%%otsessions --all --out visits_rest\n{cell}{resume}\n").df
    assert list(rest["session_id"]) == list(full["session_id"][len(kept) :])


def test_a_progress_bar_shows_only_for_a_multi_page_pull(api, capsys):
    capsys.readouterr()
    run(api, "%%otsessions --all\ndate = 2011-11-16\nincludeCountryCode = NL\nlimit = 1000\n")
    assert "otsessions:" not in capsys.readouterr().err  # one page: no bar
    run(api, "%%otsessions --all\ndate = 2011-11-16\nincludeCountryCode = NL\nlimit = 20\n")
    assert re.search(r"otsessions: \d+ pages .*\d+ rows", capsys.readouterr().err)


def test_a_pull_by_days_counts_days_against_their_total_with_an_eta(api, capsys):
    capsys.readouterr()
    run(api, "%%otsessions --all\ndate = 2011-11-16\nperiod = 3d\nincludeCountryCode = NL\n")
    bar = capsys.readouterr().err
    assert re.search(r"otsessions: +\d+%\|.*\| 3/3 \[.*<.*, [\d,]+ rows, \d+ pages\]", bar), bar


# --- dry run, demo, panel ---------------------------------------------------------------------


def test_dry_run_shows_the_request_without_secrets_and_sends_nothing(
    api, emulator, capsys, monkeypatch
):
    monkeypatch.setenv("OT_PASSWORD", CANARY)
    before = sent(emulator)
    capsys.readouterr()
    got = run(api, "%%otsessions --dry-run --out v --all\ndate = 2011-11-16\nsearch = *google*\n")
    out, err = capsys.readouterr()
    assert got is None and sent(emulator) == before
    assert CANARY not in out + err
    assert f"POST {emulator.url}views/c_view_session.jsp" in out
    assert "  password = ***" in out and f"  login = {DEMO_LOGIN}" in out
    assert "  search = *google*" in out and "  dataType = jsondatatable" in out
    cell = out[out.index("%%otsessions") :]
    assert cell.startswith("%%otsessions --out v --all\n")
    assert SessionsRequest.from_cell(cell) == SessionsRequest(date="2011-11-16", search="*google*")
    assert "v" not in api.user_ns


def test_demo_uses_the_demo_account_never_the_configured_one(ip, capsys, monkeypatch):
    monkeypatch.setenv("OT_LOGIN", "someone@example.com")
    monkeypatch.setenv("OT_PASSWORD", CANARY)
    run(ip, "%%otsessions --demo --dry-run\ndate = 2011-11-16\n")
    out = capsys.readouterr().out
    assert f"login = {DEMO_LOGIN}" in out and "someone@example.com" not in out
    result = run(ip, "%%otsessions --demo\ndate = 2011-11-16\nlimit = 5\n")
    assert len(result.df) == 5
    assert CANARY not in capsys.readouterr().out


def test_panel_option_opens_the_panel_filled_from_the_cell(api):
    from ot_magic.panel import SessionsPanel

    panel = run(api, "%%otsessions --panel --out visits\ndate = 2011-11-16\nperiod = 3d\n")
    assert isinstance(panel, SessionsPanel) and panel.out == "visits"
    assert panel.request == SessionsRequest(date="2011-11-16", period="3d")
    assert "visits" not in api.user_ns  # opening the panel fetches nothing


def test_otpanel_returns_a_panel_bound_to_its_out_name(ip):
    from ot_magic.panel import SessionsPanel

    panel = run(ip, "%otpanel --out chosen --demo")
    assert isinstance(panel, SessionsPanel)
    assert panel.out == "chosen" and panel.demo


# --- configuration ----------------------------------------------------------------------------


def _dry_limit(ip, capsys, cell_limit=""):
    capsys.readouterr()
    run(ip, f"%%otsessions --dry-run\ndate = 2011-11-16\n{cell_limit}")
    found = re.search(r"^  limit = (\d+)$", capsys.readouterr().out, re.M)
    return found and int(found.group(1))


def test_the_most_specific_setting_wins(api, capsys, monkeypatch):
    assert _dry_limit(api, capsys) is None  # the API's own default: not sent
    monkeypatch.setenv("OT_LIMIT", "50")
    assert _dry_limit(api, capsys) == 50
    api.run_line_magic("config", "OTMagic.limit = 100")
    assert _dry_limit(api, capsys) == 100
    assert _dry_limit(api, capsys, "limit = 5") == 5


def test_configured_site_time_zone_and_locale_fill_what_the_cell_leaves_out(api):
    api.run_line_magic("config", "OTMagic.timeZone = 'America/New_York'")
    api.run_line_magic("config", "OTMagic.locale = 'nl_NL'")
    api.run_line_magic("config", "OTMagic.site = 'www.opentracker.net'")
    result = run(api, "%%otsessions\ndate = 2011-11-16\nlocale = en_US\nlimit = 3\n")
    assert result.request.params["timeZone"] == "America/New_York"
    assert result.request.params["locale"] == "en_US"
    assert result.request.params["site"] == ("www.opentracker.net",)


def test_api_url_comes_from_demo_then_config_then_environment(ip, emulator, capsys, monkeypatch):
    monkeypatch.setenv("OT_API_URL", "http://127.0.0.1:9/api/")
    run(ip, "%%otsessions --dry-run\nlimit = 1")
    assert "POST http://127.0.0.1:9/api/" in capsys.readouterr().out
    ip.run_line_magic("config", f"OTMagic.api_url = {emulator.url!r}")
    run(ip, "%%otsessions --dry-run\nlimit = 1")
    assert f"POST {emulator.url}" in capsys.readouterr().out
    run(ip, "%%otsessions --dry-run --demo\nlimit = 1")
    out = capsys.readouterr().out
    assert "POST http://127.0.0.1:" in out and emulator.url not in out


def test_reloading_keeps_one_configuration_and_its_settings(ip):
    ip.run_line_magic("config", "OTMagic.limit = 7")
    ip.run_line_magic("reload_ext", "ot_magic")
    found = [c for c in ip.configurables if type(c).__name__ == "OTMagic"]
    assert len(found) == 1 and found[0].limit == 7


def test_config_refuses_a_bad_default_naming_the_parameter(ip):
    from traitlets import TraitError

    magics = next(c for c in ip.configurables if type(c).__name__ == "OTMagic")
    with pytest.raises(TraitError, match=r"limit: expected a whole number from 1 to 1000"):
        magics.limit = 0
    with pytest.raises(TraitError, match=r"timeZone: expected a Java time-zone id"):
        magics.timeZone = "Mars/Olympus"


# --- errors: one line, nothing sent ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "%%otsessions\nperod = 3d",
            r"^UsageError: line 2: unknown parameter 'perod' \(did you mean period\?\)$",
        ),
        (
            "%%otsessions\nlimit = 5000",
            r"^UsageError: line 2: limit: expected a whole number from 1 to 1000, got '5000'$",
        ),
        (
            "%%otsessions\ndate = {nowhere}",
            r"^UsageError: line 2: date: \{nowhere\} names no variable",
        ),
        ("%%otsessions\ndate = {d.year}", r"^UsageError: line 2: date: expected a variable name"),
        ("%%otsessions\nlimit = 1\nlimit = 2", r"^UsageError: line 3: limit is set twice"),
        ("%%otsessions\npassword = x", r"^UsageError: line 2: password: set by ot_magic itself"),
        (
            "%%otsessions --out class\nlimit = 1",
            r"^UsageError: argument -o/--out: '\w+' is not a Python name",
        ),
        (
            "%%otsessions --out 1st\nlimit = 1",
            r"^UsageError: argument -o/--out: '\w+' is not a Python name",
        ),
        (
            "%%otsessions --max-rows 0\nlimit = 1",
            r"^UsageError: argument --max-rows: expected a whole number of at least 1",
        ),
        (
            "%%otsessions --bogus\nlimit = 1",
            r"^UsageError: unrecognized option --bogus; options: --out, --dry-run, --demo, --all,",
        ),
        (
            "%%otsessions --outt x\nlimit = 1",
            r"^UsageError: unrecognized option --outt \(did you mean --out\?\)$",
        ),
        (
            "%%otsessions --dryrun\nlimit = 1",
            r"^UsageError: unrecognized option --dryrun \(did you mean --dry-run\?\)$",
        ),
        (
            "%%otsessions -out x\nlimit = 1",
            r"^UsageError: -out: options take two dashes, as in --out \(with one dash, -out reads"
            r" as -o ut\)$",
        ),
        (
            "%otsessions -demo limit=1",
            r"^UsageError: -demo: options take two dashes, as in --demo$",
        ),
        (
            "%%otsessions\ncountry = US",
            r"^UsageError: line 2: unknown parameter 'country' \(did you mean includeCountryCode\?\)$",
        ),
        (
            "%otsessions keyword=google",
            r"^UsageError: argument 1: unknown parameter 'keyword' \(did you mean search\?\)$",
        ),
        (
            "%%otsessions --out print\nlimit = 1",
            r"^UsageError: argument -o/--out: 'print' is a Python built-in: bound to a DataFrame it"
            r" would hide print\(\)",
        ),
        ("%otsessions --out display", r"^UsageError: argument -o/--out: 'display' is one of IPyt"),
        ("%otpanel --out len", r"^UsageError: argument -o/--out: 'len' is a Python built-in"),
        (
            "%%otsessions limit=5\ndate = 2011-11-16",
            r"^UsageError: write the parameters in the cell",
        ),
        (
            "%otsessions limit=0",
            r"^UsageError: argument 1: limit: expected a whole number from 1 to 1000",
        ),
        ("%otsessions limit", r"^UsageError: argument 1: expected name=value, got 'limit'$"),
        (
            "%otsessions 'search=abc",
            r"^UsageError: cannot read the magic's line: No closing quotation$",
        ),
        (
            f"%otsessions search=x{DEMO_PASSWORD}y",
            r"^UsageError: argument 1: search: the value holds your configured password or ticket;"
            r" it is neither sent nor shown$",
        ),
    ],
)
def test_user_mistakes_are_one_line_and_nothing_is_sent(api, emulator, capsys, text, message):
    before = sent(emulator)
    assert re.search(message, one_line_error(api, capsys, text))
    assert sent(emulator) == before


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("a\nlimit = 5", "expected one line of text"),
        ("a\rb", "expected one line of text"),
        ("caf\udce9", "expected valid Unicode text"),
        (f"x&password={DEMO_PASSWORD}", "the value holds your configured password or ticket"),
    ],
)
def test_a_variable_cannot_smuggle_lines_broken_text_or_the_password(
    api, emulator, capsys, value, says
):
    api.user_ns["evil"] = value
    before = sent(emulator)
    line = one_line_error(api, capsys, "%%otsessions\nfilterByCurrentTitle = {evil}\n")
    assert line.startswith(f"UsageError: line 2: filterByCurrentTitle: {says}"), line
    assert DEMO_PASSWORD not in line
    assert sent(emulator) == before


def test_text_that_only_looks_like_a_parameter_is_sent_verbatim_as_one_value(api, emulator):
    api.user_ns["title"] = "name = value & password=hunter2"
    before = sent(emulator)
    run(api, "%%otsessions --no-display\ndate = 2011-11-16\nfilterByCurrentTitle = {title}\n")
    (record,) = emulator.requests[before:]
    assert record.params["filterByCurrentTitle"] == "name = value & password=hunter2"
    assert "hunter2" not in record.params.get("password", "")


def test_help_lists_the_options_and_every_parameter_by_panel_group(ip, capsys):
    from ot_magic.params import USER_PARAMS

    capsys.readouterr()
    assert ip.run_cell("%otsessions --help").success
    out = capsys.readouterr().out
    assert "--out" in out and "--max-rows" in out
    assert all(f"\n  {name} " in out for name in USER_PARAMS)
    assert out.index("\nMain\n") < out.index("\nFilters\n") < out.index("\nAdvanced\n")
    ip.run_line_magic("otparams", "")
    assert capsys.readouterr().out.strip() in out


def test_an_api_error_is_one_line_with_the_apis_own_message(api, capsys, monkeypatch):
    monkeypatch.setenv("OT_PASSWORD", CANARY)
    line = one_line_error(api, capsys, "%%otsessions\ndate = 2011-11-16\n")
    assert "Login/ site combination is not valid" in line and CANARY not in line


def test_an_unreachable_server_is_one_line(ip, capsys, monkeypatch):
    monkeypatch.setenv("OT_LOGIN", DEMO_LOGIN)
    monkeypatch.setenv("OT_PASSWORD", CANARY)
    ip.run_line_magic("config", "OTMagic.api_url = 'http://127.0.0.1:9/api/'")
    ip.run_line_magic("config", "OTMagic.timeout = 2.0")
    line = one_line_error(ip, capsys, "%%otsessions\nlimit = 1\n")
    assert line.startswith("UsageError: could not reach 127.0.0.1:9") and CANARY not in line


def test_missing_credentials_are_one_line(ip, emulator, capsys):
    ip.run_line_magic("config", f"OTMagic.api_url = {emulator.url!r}")
    line = one_line_error(ip, capsys, "%%otsessions\nlimit = 1\n")
    assert "no Opentracker credentials: run %otlogin" in line


@pytest.mark.parametrize(
    ("setting", "text", "message"),
    [
        (
            "OT_TIMEOUT=soon",
            "%%otsessions\nlimit = 1",
            r"^UsageError: environment variable OT_TIMEOUT: expected a number of seconds",
        ),
        (
            "OT_API_URL=http://example.com/api/",
            "%%otsessions\nlimit = 1",
            r"^UsageError: api_url/OT_API_URL: plain http:// is allowed only to loopback hosts",
        ),
        (
            "OT_API_URL=http://example.com/api/",
            "%otpanel",
            r"^UsageError: api_url/OT_API_URL: plain http://",
        ),
        (
            "OT_LIMIT=lots",
            "%%otsessions --dry-run\ndate = 2011-11-16",
            r"^UsageError: environment variable OT_LIMIT: limit: expected a whole number",
        ),
    ],
)
def test_a_bad_setting_is_one_line_naming_where_it_came_from(
    ip, capsys, monkeypatch, setting, text, message
):
    name, value = setting.split("=", 1)
    monkeypatch.setenv(name, value)
    assert re.search(message, one_line_error(ip, capsys, text))


def test_short_errors_off_raises_the_original_exception(api, capsys):
    api.run_line_magic("config", "OTMagic.short_errors = False")
    result = api.run_cell("%%otsessions\nlimit = 5000\n")
    assert isinstance(result.error_in_exec, ParameterError)
    out, err = capsys.readouterr()
    assert "Traceback" in out + err and "ParameterError" in out + err


# --- %otlogin ---------------------------------------------------------------------------------


def _type_in(monkeypatch, login, password):
    """There is no person at the keyboard: answer ``input`` and ``getpass`` for the test."""
    monkeypatch.setattr("builtins.input", lambda prompt="": login)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": password)


def test_otlogin_keeps_the_login_in_memory_and_shows_no_secret(ip, emulator, capsys, monkeypatch):
    _type_in(monkeypatch, DEMO_LOGIN, DEMO_PASSWORD)
    ip.run_line_magic("config", f"OTMagic.api_url = {emulator.url!r}")
    run(ip, "%otlogin")
    out, err = capsys.readouterr()
    assert DEMO_LOGIN in out and DEMO_PASSWORD not in out + err
    result = run(ip, "%%otsessions\ndate = 2011-11-16\nlimit = 4\n")
    assert len(result.df) == 4


def test_otlogin_with_a_ticket_sends_the_ticket_instead_of_the_password(
    ip, emulator, capsys, monkeypatch
):
    _type_in(monkeypatch, DEMO_LOGIN, DEMO_PASSWORD)
    ip.run_line_magic("config", f"OTMagic.api_url = {emulator.url!r}")
    run(ip, "%otlogin --ticket --expires 600")
    assert "ticket" in capsys.readouterr().out
    before = sent(emulator)
    result = run(ip, "%%otsessions\ndate = 2011-11-16\nlimit = 4\n")
    assert len(result.df) == 4
    last = emulator.requests[before:]
    assert last and all(record.credentials == {"ticketId": "body"} for record in last)


def test_otlogin_without_a_password_keeps_nothing(ip, capsys, monkeypatch):
    from ot_magic import credentials

    _type_in(monkeypatch, DEMO_LOGIN, "")
    line = one_line_error(ip, capsys, "%otlogin")
    assert line == "UsageError: login and password are both needed; nothing was kept"
    assert credentials.remembered() is None


def test_otlogin_refused_by_the_api_is_one_line_and_keeps_nothing(
    ip, emulator, capsys, monkeypatch
):
    from ot_magic import credentials

    _type_in(monkeypatch, DEMO_LOGIN, CANARY)
    ip.run_line_magic("config", f"OTMagic.api_url = {emulator.url!r}")
    line = one_line_error(ip, capsys, "%otlogin --ticket")
    assert "refused" in line and CANARY not in line
    assert credentials.remembered() is None
