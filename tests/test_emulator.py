"""The emulator over real HTTP: answer shape, parameters, paging, errors, determinism."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import requests

from ot_magic.emulator import DEMO_LOGIN, DEMO_PASSWORD, DEMO_SITE, Emulator
from ot_magic.schema import FIELDS

SESSIONS = "views/c_view_session.jsp"
BY_USER = "views/c_view_sessions_by_user.jsp"
PAGE_VIEWS = "visitors-online-email/cassandraPageViews.jsp"
LOGIN = "management/login_user.jsp"
# 2011-11-17 00:45 EST, the morning after the reference sample's day.
NOW = 1321508700.0
SAMPLE = Path(__file__).parent / "data" / "reference_sample.json"
AUTH = {"login": DEMO_LOGIN, "password": DEMO_PASSWORD}


@pytest.fixture(scope="module")
def emu():
    with Emulator(clock=lambda: NOW) as running:
        yield running


@pytest.fixture(scope="module")
def http():
    with requests.Session() as session:
        yield session


def post(http, emu, path=SESSIONS, **params) -> requests.Response:
    answer = http.post(emu.url + path, data={**AUTH, **params}, timeout=30)
    assert answer.status_code == 200
    return answer


def sessions(http, emu, **params) -> dict:
    answer = post(http, emu, **params)
    assert not answer.text.startswith("Error:"), answer.text
    return answer.json()


def column(data: dict, name: str) -> list[str]:
    index = data["field"].index(name)
    return [row[index] for row in data["resultsList"]]


def test_answer_metadata_matches_the_reference_sample_field_by_field(http, emu):
    sample = json.loads(SAMPLE.read_text("utf-8"))
    data = sessions(http, emu, date="2011-11-16")
    assert list(data) == list(sample)
    for key, expected in sample.items():
        if key in ("rows", "resultsList", "nextToken", "expandUrl"):
            continue
        assert data[key] == expected, key
    assert data["field"] == list(FIELDS)
    assert data["rows"] == len(data["resultsList"]) == 40
    assert all(
        len(row) == 69 and all(isinstance(v, str) for v in row) for row in data["resultsList"]
    )
    assert data["expandUrl"] == emu.url + PAGE_VIEWS + "?jsoncallback=?"
    assert re.fullmatch(r"\d{13}\.\d{13}", data["nextToken"])


def test_rows_are_formatted_like_the_samples_rows(http, emu):
    data = sessions(http, emu, date="2011-11-16", limit=200)
    rows = [dict(zip(data["field"], row, strict=True)) for row in data["resultsList"]]
    for row in rows:
        assert re.fullmatch(r"[A-Z][a-z]{2} \d\d \d\d:\d\d [AP]M", row["lastEvent"])
        assert re.fullmatch(r"s\.e\.|(\d+h )?(\d+m )?\d+s", row["duration"])
        assert row["status"] in ("puppet_online", "puppet_offline")
        assert row["flag"] == row["country_code"].lower()
        assert row["country"] == row["country_name"]
        assert row["visits_pageviews"] == f"{row['number_visits']} ({row['pages_viewed']})"
        assert row["entryPage"] == row["entry_root_url"]
        assert row["currentPage"] == row["exit_root_url"]
        assert row["currentTitle"] == row["exit_title"]
        assert row["session_id"] == row["visit_id"]
        assert (
            row["session_id"]
            == f"{row['session_start_unix_timestamp']}.{row['machine_idx'].split('.')[1]}"
        )
        assert row["machine_idx"] == row["use_id"]
        assert row["machine_id"].endswith(":" + row["first_session_unix_timestamp"])
        octets = [int(x) for x in row["ip_number"].split(".")]
        assert int(row["inet_aton"]) == int.from_bytes(bytes(octets), "big")
        assert row["site"] == DEMO_SITE
        assert (row["duration"] == "s.e.") == (row["number_of_pages_viewed"] == "1")
    assert any(row["search"] for row in rows) and any(not row["referrer"] for row in rows)


def test_urls_are_escaped_as_in_the_sample(http, emu):
    text = post(http, emu, date="2011-11-16", limit=5).text
    assert '"http:\\/\\/www.opentracker.net' in text
    assert "http://" not in text


def test_same_request_same_bytes_even_from_another_emulator(http, emu):
    params = {"date": "2011-11-10", "period": "2d", "limit": 300}
    first = post(http, emu, **params).content
    assert post(http, emu, **params).content == first
    with Emulator(clock=lambda: NOW + 86400 * 30) as other:
        again = requests.post(other.url + SESSIONS, data={**AUTH, **params}, timeout=30).content
    own = lambda server: server.url.replace("/", "\\/").encode()  # noqa: E731
    assert again.replace(own(other), b"") == first.replace(own(emu), b"")


@pytest.mark.parametrize(
    "params",
    [
        {"password": "wrong"},
        {"login": "someone@example.com"},
        {"site": "www.example.com"},
        {"ticketId": "0f8fad5b-d9cb-469f-a165-70867728950e", "login": "", "password": ""},
    ],
)
def test_wrong_credentials_or_site_answer_the_login_error(http, emu, params):
    answer = post(http, emu, **params)
    assert answer.text == "Error: java.lang.RuntimeException: Login/ site combination is not valid"
