"""--record NAME saves a pull's raw answers without the account's secrets; OT_API_URL=replay:NAME
serves them again from a loopback server, with the original API never asked."""

from __future__ import annotations

import pandas as pd
import pytest
from IPython.core.error import UsageError

from ot_magic.emulator import DEMO_LOGIN, DEMO_PASSWORD
from ot_magic.errors import ApiError
from ot_magic.replay import recording_client, recording_path, replay_client
from ot_magic.request import SessionsRequest

CELL = "date = 2011-11-16\nperiod = 2d\nlimit = 1000\nincludeCountryCode = US, GB\n"


@pytest.fixture(autouse=True)
def recordings(ip, tmp_path, monkeypatch):
    monkeypatch.setenv("OT_RECORDINGS", str(tmp_path / "recordings"))
    return tmp_path / "recordings"


def every_byte(folder):
    import gzip

    files = [p for p in folder.rglob("*") if p.is_file()]
    return b"".join(gzip.decompress(p.read_bytes()) if p.suffix == ".gz" else p.read_bytes()
                    for p in files)  # fmt: skip


def test_a_recorded_cell_replays_offline_with_the_same_frame(api, emulator, monkeypatch):
    api.run_cell(f"%%otsessions --all --record lesson1 --out live\n{CELL}").raise_error()
    live = api.user_ns["live"]
    monkeypatch.setenv("OT_API_URL", "replay:lesson1")
    monkeypatch.delenv("OT_LOGIN")
    monkeypatch.delenv("OT_PASSWORD")  # a replay needs no credentials
    api.run_line_magic("config", "OTMagic.api_url = None")
    start = len(emulator.requests)
    api.run_cell(f"%%otsessions --all --out replayed\n{CELL}").raise_error()
    assert len(emulator.requests) == start  # the emulator behind the recording was never asked
    replayed = api.user_ns["replayed"]
    assert len(replayed) == len(live) > 1000
    pd.testing.assert_frame_equal(replayed, live, check_exact=True)


def test_a_recording_keeps_no_credential_and_no_ticket(api, emulator, recordings):
    api.run_cell(f"%%otsessions --all --record lesson2\n{CELL}").raise_error()
    client = recording_client(emulator.url, "lesson2", credentials=(DEMO_LOGIN, DEMO_PASSWORD))
    ticket = client.login_ticket(expires=600)
    client.sessions(SessionsRequest(date="2011-11-10", limit=5))  # carries the ticket
    assert emulator.requests[-1].credentials == {"ticketId": "body"}
    saved = every_byte(recording_path("lesson2"))
    assert b"2011-11-10" in saved  # the ticket's request was recorded ...
    for secret in (DEMO_PASSWORD, ticket, DEMO_LOGIN):  # ... without any secret of the account
        assert secret.encode() not in saved


def test_a_request_the_recording_lacks_is_one_line_naming_it(api, capsys, monkeypatch):
    api.run_cell(f"%%otsessions --record lesson3\n{CELL}").raise_error()
    with pytest.raises(ApiError, match=r"the recording lesson3 has no answer for .*2011-11-02"):
        replay_client("lesson3").sessions(SessionsRequest(date="2011-11-02"))
    monkeypatch.setenv("OT_API_URL", "replay:missing")
    api.run_line_magic("config", "OTMagic.api_url = None")
    capsys.readouterr()
    result = api.run_cell("%%otsessions\ndate = 2011-11-16\n")
    assert isinstance(result.error_in_exec, UsageError)
    line = capsys.readouterr().err.strip()
    assert line.startswith("UsageError: OT_API_URL=replay:missing: no recording there")


@pytest.mark.parametrize("how", ["argument", "OT_API_URL"])
def test_a_client_of_replay_name_serves_the_recording_and_never_sends_configured_credentials(
    api, emulator, monkeypatch, how
):
    import requests

    from ot_magic.client import OpenTrackerClient

    api.run_cell(f"%%otsessions --all --record lesson4 --out live\n{CELL}").raise_error()
    monkeypatch.setenv("OT_LOGIN", "someone@example.org")
    monkeypatch.setenv("OT_PASSWORD", "configured-secret-9431")
    bodies = []
    session = requests.Session()
    session.hooks["response"].append(lambda r, *a, **k: bodies.append(r.request.body or ""))
    if how == "OT_API_URL":
        monkeypatch.setenv("OT_API_URL", "replay:lesson4")
        client = OpenTrackerClient(session=session)
    else:
        client = OpenTrackerClient("replay:lesson4", session=session)
    start = len(emulator.requests)
    request = SessionsRequest.from_cell(CELL)
    replayed = client.sessions(request, all_pages=True).df
    assert len(emulator.requests) == start
    pd.testing.assert_frame_equal(replayed, api.user_ns["live"], check_exact=True)
    assert client.source == "replay:lesson4" and "replay:lesson4" in repr(client)
    sent = "".join(b if isinstance(b, str) else b.decode() for b in bodies)
    assert bodies and "configured-secret-9431" not in sent and "someone%40example.org" not in sent
