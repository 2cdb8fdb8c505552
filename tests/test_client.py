"""OpenTrackerClient against the real emulator on loopback: transport, errors, tickets, endpoints."""

from __future__ import annotations

import logging
import pickle
import socket
import time
import traceback
from http.server import BaseHTTPRequestHandler, HTTPServer
from threading import Thread
from urllib.parse import parse_qsl

import pandas as pd
import pytest

from ot_magic import credentials
from ot_magic.client import OpenTrackerClient
from ot_magic.emulator import DEMO_LOGIN, DEMO_PASSWORD
from ot_magic.errors import (
    ApiError,
    AuthenticationError,
    ConfigurationError,
    OpenTrackerError,
    ParameterError,
    ResponseError,
    TransportError,
)
from ot_magic.request import SessionsRequest
from ot_magic.transport import checked_api_url

CANARY = "canary-Pa55w0rd-9c41"
DAY = SessionsRequest(date="2011-11-16", limit=20)


@pytest.fixture(autouse=True)
def clean_state(monkeypatch, emulator):
    for name in ("OT_API_URL", "OT_TICKET_ID", "OT_LOGIN", "OT_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    credentials.forget()
    emulator.faults.reset()
    yield
    emulator.faults.reset()
    credentials.forget()


@pytest.fixture
def client(emulator):
    with OpenTrackerClient(
        emulator.url, credentials=(DEMO_LOGIN, DEMO_PASSWORD), timeout=5, backoff=0
    ) as client:
        yield client


def requests_since(emulator, start):
    return emulator.requests[start:]


def test_every_request_is_a_post_with_credentials_only_in_the_body(client, emulator):
    start = len(emulator.requests)
    client.sessions(DAY)
    client.sessions(DAY.replace(period="2d", limit=1000), max_rows=1500)
    client.login_ticket()
    client.sessions(DAY)
    seen = requests_since(emulator, start)
    assert len(seen) >= 4
    assert {record.method for record in seen} == {"POST"}
    assert all(set(record.credentials.values()) == {"body"} for record in seen)
    assert seen[-1].credentials == {"ticketId": "body"}


@pytest.mark.parametrize(
    "url",
    ["http://api.opentracker.net/api/", "http://10.0.0.5:8765/api/", "http://127.example.com/"],
)
def test_plain_http_to_a_non_loopback_host_is_refused(url):
    with pytest.raises(ConfigurationError, match="only to loopback") as caught:
        OpenTrackerClient(url)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    "url",
    [
        "https://api.opentracker.net/api/",
        "http://127.0.0.1:1/api",
        "http://localhost:1/",
        "http://[::1]:1/",
        "http://127.8.9.10/",
    ],
)
def test_https_anywhere_and_http_to_loopback_are_accepted(url):
    assert checked_api_url(url).endswith("/")


def test_a_password_in_the_url_is_refused_without_showing_it():
    with pytest.raises(ConfigurationError) as caught:
        OpenTrackerClient(f"https://me:{CANARY}@api.opentracker.net/api/")
    assert CANARY not in str(caught.value)


def test_api_url_comes_from_ot_api_url_and_defaults_to_the_public_api(monkeypatch, emulator):
    assert OpenTrackerClient().api_url == "https://api.opentracker.net/api/"
    monkeypatch.setenv("OT_API_URL", emulator.url)
    assert OpenTrackerClient().api_url == emulator.url
    monkeypatch.setenv("OT_API_URL", "http://example.com/api/")
    with pytest.raises(ConfigurationError):
        OpenTrackerClient()


def test_a_503_is_retried_and_the_answer_then_read(client, emulator):
    emulator.faults.update(fail_nth={1: 503, 2: 502})
    start = len(emulator.requests)
    result = client.sessions(DAY)
    assert len(result.df) == 20
    assert [r.status for r in requests_since(emulator, start)] == [503, 502, 200]


def test_a_reset_connection_is_retried(client, emulator):
    emulator.faults.update(fail_nth={1: "connection_reset"})
    assert len(client.sessions(DAY).df) == 20


def test_retries_are_bounded_then_a_clear_error(emulator):
    emulator.faults.update(fail_nth={n: 503 for n in range(1, 10)})
    start = len(emulator.requests)
    client = OpenTrackerClient(
        emulator.url, credentials=(DEMO_LOGIN, DEMO_PASSWORD), retries=2, backoff=0
    )
    with pytest.raises(TransportError, match="HTTP 503") as caught:
        client.sessions(DAY)
    assert len(requests_since(emulator, start)) == 3
    assert "\n" not in str(caught.value) and "after 2 retries" in str(caught.value)


def test_a_slow_server_is_a_one_line_timeout(emulator):
    emulator.faults.update(latency=0.6)
    client = OpenTrackerClient(
        emulator.url, credentials=(DEMO_LOGIN, DEMO_PASSWORD), timeout=0.2, retries=0
    )
    with pytest.raises(TransportError, match=r"within 0\.2 s") as caught:
        client.sessions(DAY)
    assert "\n" not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__context__ is None


def test_an_unreachable_server_is_a_one_line_transport_error():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = OpenTrackerClient(
        f"http://127.0.0.1:{port}/api/", credentials=("a@b.c", CANARY), retries=1, backoff=0
    )
    with pytest.raises(TransportError, match="could not reach") as caught:
        client.sessions(DAY)
    text = "".join(traceback.format_exception(caught.value))
    assert CANARY not in text and "urllib3" not in text and "requests.exceptions" not in text


@pytest.mark.parametrize(
    ("fault", "error", "text"),
    [
        ("truncate", ResponseError, "cut short"),
        ("html_error", ResponseError, "HTML page"),
        ("error_text", ApiError, "^Internal error, please try again later$"),
        ("error_json", ApiError, "^java.lang.NullPointerException$"),
    ],
)
def test_broken_answers_become_one_line_errors(client, emulator, fault, error, text):
    emulator.faults.update(**{fault: True})
    with pytest.raises(error, match=text) as caught:
        client.sessions(DAY)
    assert "\n" not in str(caught.value)


def test_a_wrong_password_is_an_authentication_error_with_the_api_message(emulator):
    client = OpenTrackerClient(emulator.url, credentials=(DEMO_LOGIN, CANARY))
    with pytest.raises(
        AuthenticationError, match=r"^Login/ site combination is not valid \(no site was sent"
    ) as caught:
        client.sessions(DAY)
    assert CANARY not in "".join(traceback.format_exception(caught.value))


def test_no_configured_credentials_stops_before_any_request(emulator):
    start = len(emulator.requests)
    with pytest.raises(ConfigurationError, match="%otlogin"):
        OpenTrackerClient(emulator.url).sessions(DAY)
    assert len(emulator.requests) == start


def test_credentials_from_the_environment_and_otlogin_are_used(monkeypatch, emulator):
    monkeypatch.setenv("OT_LOGIN", DEMO_LOGIN)
    monkeypatch.setenv("OT_PASSWORD", "wrong")
    client = OpenTrackerClient(emulator.url)
    with pytest.raises(AuthenticationError):
        client.sessions(DAY)
    credentials.remember(DEMO_LOGIN, DEMO_PASSWORD)
    assert len(client.sessions(DAY).df) == 20


def test_a_ticket_replaces_the_password_in_later_requests(client, emulator):
    ticket = client.login_ticket(expires=120)
    assert len(ticket) == 36
    start = len(emulator.requests)
    assert len(client.sessions(DAY).df) == 20
    assert requests_since(emulator, start)[0].credentials == {"ticketId": "body"}
    assert ticket not in repr(client)


def test_a_refused_ticket_login_is_an_authentication_error(emulator):
    client = OpenTrackerClient(emulator.url, credentials=(DEMO_LOGIN, CANARY))
    with pytest.raises(AuthenticationError, match="refused") as caught:
        client.login_ticket()
    assert CANARY not in str(caught.value)


def test_a_ticket_from_the_environment_is_sent_as_ticket_id(monkeypatch, client, emulator):
    monkeypatch.setenv("OT_TICKET_ID", client.login_ticket())
    start = len(emulator.requests)
    assert len(OpenTrackerClient(emulator.url).sessions(DAY).df) == 20
    assert requests_since(emulator, start)[0].credentials == {"ticketId": "body"}


def test_sessions_by_user_returns_only_that_visitors_sessions(client):
    day = client.sessions(DAY.replace(limit=200)).df
    regular = day["machine_idx"].value_counts().index[0]
    visits = client.sessions_by_user(regular, date="2011-11-16", limit=50).df
    assert len(visits) >= 1
    assert set(visits["machine_idx"]) == {regular}
    assert visits["session_start_unix_timestamp"].is_monotonic_decreasing


def test_sessions_by_user_refuses_a_malformed_uid_before_sending(client, emulator):
    start = len(emulator.requests)
    with pytest.raises(ParameterError, match="uid"):
        client.sessions_by_user("not-an-id")
    assert len(emulator.requests) == start


def test_page_views_are_the_clickstream_of_one_visit(client):
    day = client.sessions(DAY.replace(limit=100)).df
    visit = day.loc[day["pageviews"].idxmax()]
    views = client.page_views(visit["visit_id"]).df
    assert len(views) == visit["pageviews"]
    assert set(views["visit_id"]) == {visit["visit_id"]}


def test_the_result_carries_request_pages_and_a_redacted_api_url(client, emulator):
    result = client.sessions(DAY)
    assert result.request == DAY and result.pages == 1 and result.client is client
    assert result.api_url == emulator.url and result.elapsed > 0
    assert result.df.attrs["request"]["date"] == "2011-11-16"
    assert not {"login", "password", "ticketId"} & set(result.df.attrs["request"])
    assert isinstance(result.df["session_start_unix_timestamp"].dtype, pd.DatetimeTZDtype)


def test_the_request_time_zone_sets_the_datetime_columns(client):
    df = client.sessions(DAY.replace(timeZone="America/New_York")).df
    assert str(df["session_start_unix_timestamp"].dt.tz) == "America/New_York"


def test_the_demo_never_receives_configured_credentials(monkeypatch):
    from ot_magic.emulator import server

    monkeypatch.setenv("OT_LOGIN", "someone@example.com")
    monkeypatch.setenv("OT_PASSWORD", CANARY)
    credentials.remember("someone@example.com", CANARY)
    client = OpenTrackerClient("demo", credentials=("someone@example.com", CANARY))
    assert client.credentials().form() == {"login": DEMO_LOGIN, "password": DEMO_PASSWORD}
    assert len(client.sessions(DAY).df) == 20  # the demo emulator accepts only its own account
    assert client.api_url == server.demo_url()


class _EchoingApi(BaseHTTPRequestHandler):
    """A faulty server that echoes the password it was sent back in its error text."""

    def do_POST(self):
        form = dict(parse_qsl(self.rfile.read(int(self.headers["Content-Length"])).decode()))
        body = f"Error: java.lang.RuntimeException: bad password {form.get('password')} for {form.get('login')}"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args):
        pass


def test_no_secret_in_errors_reprs_attrs_or_debug_logs_even_when_the_server_echoes_it(caplog):
    server = HTTPServer(("127.0.0.1", 0), _EchoingApi)
    Thread(target=server.serve_forever, daemon=True).start()
    try:
        caplog.set_level(logging.DEBUG)
        client = OpenTrackerClient(
            f"http://127.0.0.1:{server.server_address[1]}/api/", credentials=("me@x.org", CANARY)
        )
        with pytest.raises(OpenTrackerError) as caught:
            client.sessions(DAY)
        shown = [
            str(caught.value),
            repr(caught.value),
            "".join(traceback.format_exception(caught.value)),
            repr(client),
            repr(client.credentials()),
            caplog.text,
            *(str(vars(caught.value)),),
        ]
        assert "bad password *** for me@x.org" in str(caught.value)
        assert not any(CANARY in text for text in shown)
        assert "c_view_session.jsp" in caplog.text
    finally:
        server.shutdown()
        server.server_close()


def test_bad_paging_and_endpoint_options_stop_before_any_request(client, emulator):
    start = len(emulator.requests)
    with pytest.raises(ParameterError, match="max_rows: expected a whole number of at least 1"):
        client.sessions(DAY, max_rows=0)
    with pytest.raises(TypeError, match="period"):  # the endpoint takes no period
        client.sessions_by_user("1319502921449.180515048", period="3d")
    with pytest.raises(ParameterError, match="limit: expected a whole number from 1 to 10000"):
        client.sessions_by_user("1319502921449.180515048", limit=10001)
    assert len(emulator.requests) == start


def test_a_wrong_api_path_is_a_configuration_error(emulator):
    client = OpenTrackerClient(emulator.url + "nowhere/", credentials=(DEMO_LOGIN, DEMO_PASSWORD))
    with pytest.raises(ConfigurationError, match="HTTP 404"):
        client.sessions(DAY)


# --- tickets ----------------------------------------------------------------------------------


def test_a_ticket_shows_itself_nowhere_yet_works_as_the_ticket(client, emulator):
    ticket = client.login_ticket(expires=120)
    assert repr(ticket) == str(ticket) == f"{ticket}" == "Ticket(***, valid 120 s)"
    assert ticket not in repr([ticket]) and ticket.expires == 120
    start = len(emulator.requests)
    other = OpenTrackerClient(emulator.url, credentials=credentials.Credentials(ticket_id=ticket))
    assert len(other.sessions(DAY).df) == 20
    assert requests_since(emulator, start)[0].credentials == {"ticketId": "body"}
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(ticket)


def test_a_short_ticket_is_renewed_while_the_password_is_known(client, emulator):
    client.login_ticket(expires=1)
    time.sleep(1.2)  # the emulator now refuses the first ticket
    start = len(emulator.requests)
    assert len(client.sessions(DAY).df) == 20
    assert len(client.sessions(DAY).df) == 20
    sent = [r.endpoint for r in requests_since(emulator, start)]
    assert "login" in sent and sent.count("sessions") == 2
    assert all(r.credentials == {"ticketId": "body"} for r in requests_since(emulator, start)
               if r.endpoint == "sessions")  # fmt: skip


def test_an_expired_ticket_from_the_environment_says_it_may_have_expired(
    client, emulator, monkeypatch
):
    monkeypatch.setenv("OT_TICKET_ID", str.__str__(client.login_ticket(expires=1)))
    time.sleep(1.2)
    with pytest.raises(AuthenticationError, match=r"ticket \(it may have expired"):
        OpenTrackerClient(emulator.url).sessions(DAY)


# --- follow-up requests carry the site and zone they came from --------------------------------


def test_the_login_error_names_the_site_sent_and_how_to_set_it(client):
    with pytest.raises(AuthenticationError) as caught:
        client.sessions(DAY.replace(site="www.example.com"))
    message = str(caught.value)
    assert "site sent: www.example.com" in message and "OT_SITE" in message
    assert "site = ..." in message and "\n" not in message


def test_drill_downs_carry_the_site_and_time_zone_of_their_request(client, emulator):
    from ot_magic.views.results import build_view

    request = DAY.replace(site="www.opentracker.de", timeZone="America/New_York", limit=40)
    result = client.sessions(request)
    view = build_view(result)
    drill = view.drilldown
    row = int(result.df["pageviews"].to_numpy().argmax())
    view.table.select_rows([row])
    for button in (drill.page_views_button, drill.visitor_button):
        start = len(emulator.requests)
        button.click()
        sent = requests_since(emulator, start)[-1].params
        assert sent["site"] == "www.opentracker.de" and sent["timeZone"] == "America/New_York"
        assert len(drill.result.df) >= 1, drill.status.value
        stamps = drill.result.df["session_start_unix_timestamp"]
        assert str(stamps.dt.tz) == "America/New_York"
    assert sent["date"] == "2011-11-16"  # the visitor's journey ends on the table's last day
    assert stamps.max() < pd.Timestamp("2011-11-17", tz="America/New_York")


def test_sessions_by_user_asks_for_the_whole_history_and_says_when_more_exist(client, emulator):
    day = client.sessions(DAY.replace(limit=200)).df
    regular = day.loc[day["number_visits"].idxmax(), "machine_idx"]  # a returning visitor
    start = len(emulator.requests)
    whole = client.sessions_by_user(regular)
    assert requests_since(emulator, start)[-1].params["limit"] == "10000"
    assert not whole.more and len(whole.df) >= 2
    assert set(whole.df["machine_idx"]) == {regular}
    some = client.sessions_by_user(regular, limit=1)
    assert some.more and len(some.df) == 1
    assert "more sessions exist" in some.summary()
    assert "1 session, more sessions exist, next_token=None" in repr(some)  # no token, yet more
    assert "more" not in repr(whole)


def test_otlogin_ticket_without_expires_still_works_after_its_60_seconds(ip, monkeypatch, capsys):
    from ot_magic.emulator import Emulator

    now = [time.time()]
    with Emulator(clock=lambda: now[0]) as emulator:
        monkeypatch.setattr("builtins.input", lambda prompt="": DEMO_LOGIN)
        monkeypatch.setattr("getpass.getpass", lambda prompt="": DEMO_PASSWORD)
        ip.run_line_magic("config", f"OTMagic.api_url = {emulator.url!r}")
        ip.run_line_magic("otlogin", "--ticket")
        assert "valid 60 s, renewed before it lapses" in capsys.readouterr().out
        now[0] += 3600  # an hour later, on the server's clock: the first ticket has lapsed
        start = len(emulator.requests)
        result = ip.run_cell("%%otsessions\ndate = 2011-11-16\nlimit = 4\n")
        assert result.error_in_exec is None and len(result.result.df) == 4
        sent = requests_since(emulator, start)
        assert [r.endpoint for r in sent] == ["sessions", "login", "sessions"]
        assert all(r.credentials == {"ticketId": "body"} for r in sent if r.endpoint != "login")
