"""The emulator over real HTTP: answer shape, parameters, paging, errors, determinism."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pandas as pd
import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ot_magic.emulator import DEMO_LOGIN, DEMO_PASSWORD, DEMO_SITE, Emulator, dataset, query
from ot_magic.emulator.dataset import FIELD_INDEX
from ot_magic.schema import FIELDS, reference_meta

SESSIONS = "views/c_view_session.jsp"
BY_USER = "views/c_view_sessions_by_user.jsp"
PAGE_VIEWS = "visitors-online-email/cassandraPageViews.jsp"
LOGIN = "management/login_user.jsp"
# 2011-11-17 00:45 EST, the morning after the reference sample's day.
NOW = 1321508700.0
SAMPLE = Path(__file__).parent / "data" / "reference_sample.json"
AUTH = {"login": DEMO_LOGIN, "password": DEMO_PASSWORD}


class Clock:
    """An injectable clock: tests move ``now`` (epoch seconds) by hand."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def clock():
    return Clock(NOW)


@pytest.fixture(scope="module")
def emu(clock):
    with Emulator(clock=clock) as running:
        yield running


@pytest.fixture(scope="module")
def http():
    with requests.Session() as session:
        yield session


def post(http, emu, path=SESSIONS, **params) -> requests.Response:
    answer = http.post(emu.url + path, data={**AUTH, **params}, timeout=30)
    assert answer.status_code == 200
    return answer


def sessions(http, emu, path=SESSIONS, **params) -> dict:
    answer = post(http, emu, path, **params)
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
    assert data["nextToken"] == ""  # json offers none (see query.py): it could not go on exactly


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


def test_odd_characters_are_written_as_a_json_writer_writes_them_whichever_way_rows_are_taken(
    emu, monkeypatch
):
    # A jsondatatable page copies a day's rows written at once; showColumns naming every field
    # in order has each row written by the JSON writer: both must write the same bytes.
    day = dataset.get_day(DEMO_SITE, dt.date(2011, 11, 14))
    columns = list(day.columns())
    city = columns[FIELD_INDEX["city"]] = list(columns[FIELD_INDEX["city"]])
    odd = ['Quote" back\\slash /slash\ttab\x01', "Zürich/Ost", "日本"]
    city[-len(odd) :] = odd  # the day's newest sessions
    monkeypatch.setattr(day, "_columns", columns)
    monkeypatch.setattr(day, "written", None)
    params = {**AUTH, "date": "2011-11-14", "limit": "1000", "dataType": "jsondatatable"}
    pages = {}
    for shown in ({}, {"showColumns": ",".join(FIELDS)}):
        bodies, token = [], None
        while token != "":
            body, _ = emu.answer(
                "sessions", {**params, **shown, **({"nextToken": token} if token else {})}
            )
            bodies.append(body)
            token = json.loads(body)["nextToken"]
        pages[bool(shown)] = bodies
    assert pages[False] == pages[True]
    cities = {
        row[FIELDS.index("city")]
        for body in pages[False]
        for row in json.loads(body)["resultsList"]
    }
    assert set(odd) <= cities
    assert b'Quote\\" back\\\\slash \\/slash\\ttab\\u0001' in b"".join(pages[False])


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
        {"password": "wrong", "site": "www.example.com"},
        {"ticketId": "0f8fad5b-d9cb-469f-a165-70867728950e", "login": "", "password": ""},
    ],
)
def test_wrong_credentials_answer_the_login_error_and_nothing_more(http, emu, params):
    answer = post(http, emu, **params)
    assert answer.text == "Error: java.lang.RuntimeException: Login/ site combination is not valid"


def test_a_site_outside_the_account_is_refused_naming_the_accounts_sites(http, emu):
    answer = post(http, emu, site="www.opentracker.net, www.example.com")
    assert answer.text == (
        "Error: java.lang.RuntimeException: Login/ site combination is not valid"
        " (this account's sites: www.opentracker.net, www.opentracker.de)"
    )


def test_a_ticket_works_instead_of_the_password_until_it_expires(http, emu, clock):
    ticket = http.post(emu.url + LOGIN, data={**AUTH, "expires": "120"}, timeout=30)
    assert ticket.headers["Content-Type"].startswith("text/plain")
    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}", ticket.text
    )
    use = {"ticketId": ticket.text, "date": "2011-11-16", "limit": "1"}
    assert http.post(emu.url + SESSIONS, data=use, timeout=30).json()["rows"] == 1
    clock.now += 121
    try:
        expired = http.post(emu.url + SESSIONS, data=use, timeout=30).text
    finally:
        clock.now = NOW
    assert expired == "Error: java.lang.RuntimeException: Login/ site combination is not valid"


@pytest.mark.parametrize(
    "params", [{"password": "nope"}, {"login": "x@example.com"}, {"expires": "0"}]
)
def test_login_with_bad_credentials_or_expiry_answers_false(http, emu, params):
    assert http.post(emu.url + LOGIN, data={**AUTH, **params}, timeout=30).text == "false"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"limit": "0"}, "limit out of range (1-1000): 0"),
        ({"limit": "1001"}, "limit out of range (1-1000): 1001"),
        ({"limit": "many"}, 'For input string: "many"'),
        ({"date": "2011-13-45"}, 'Unparseable date: "2011-13-45"'),
        ({"date": "16-11-2011"}, 'Unparseable date: "16-11-2011"'),
        ({"showColumns": "city,cityy"}, "Column not found: cityy"),
        ({"orderCriteria": "speed desc"}, "Column not found: speed"),
        ({"period": "3y"}, "Invalid period: 3y (use a count and d, w or m, such as 3d)"),
        ({"timeZone": "Mars/Olympus"}, "Unknown time zone: Mars/Olympus"),
        ({"includeCountryCode": "US,XX"}, "Unknown country code: XX"),
        ({"nextToken": "1.2"}, "Invalid nextToken: 1.2 (not an hour of the requested range)"),
        (
            {"dataType": "xml"},
            "Invalid dataType: xml (use json, html, jsondatatable, jsonjqgrid, csv)",
        ),
        ({"dateFormat": "yyyy-bb"}, "Illegal pattern character 'b'"),
        ({"dateFormat": "yyyy 'at"}, "Unterminated quote"),
        ({"session_id": "99999999999999999999.1"}, 'For input string: "99999999999999999999"'),
        (
            {"session_id": "1321472676886"},
            "Invalid session_id: 1321472676886 (use <epoch ms>.<number>)",
        ),
        ({"locale": "en US"}, "Invalid locale: en US"),
        ({"period": "0d"}, "Invalid period: 0d (use a count and d, w or m, such as 3d)"),
    ],
)
def test_invalid_values_answer_their_own_java_error(http, emu, params, message):
    answer = post(http, emu, **{"date": "2011-11-16", **params})
    assert answer.text == f"Error: java.lang.RuntimeException: {message}"


def test_sessions_by_user_accepts_a_limit_up_to_10000_only(http, emu):
    uid = column(sessions(http, emu, date="2011-11-16", limit=1), "machine_idx")[0]
    ok = post(http, emu, BY_USER, uid=uid, limit="10000")
    assert ok.json()["rows"] >= 1
    too_many = post(http, emu, BY_USER, uid=uid, limit="10001")
    assert too_many.text == "Error: java.lang.RuntimeException: limit out of range (1-10000): 10001"


def test_unknown_parameters_are_ignored_like_a_servlet_does(http, emu):
    plain = post(http, emu, date="2011-11-16", limit=3).content
    assert post(http, emu, date="2011-11-16", limit=3, colour="blue", Limit="7").content == plain


def test_get_with_a_query_string_answers_like_post(http, emu):
    params = {**AUTH, "date": "2011-11-16", "limit": "3"}
    assert (
        http.get(emu.url + SESSIONS, params=params, timeout=30).content
        == post(http, emu, date="2011-11-16", limit=3).content
    )


def test_credentials_are_logged_by_where_they_arrived_never_by_value(http, emu):
    http.post(emu.url + SESSIONS, data={**AUTH, "limit": "1"}, timeout=30)
    in_body = emu.requests[-1]
    http.get(emu.url + SESSIONS, params={**AUTH, "limit": "1"}, timeout=30)
    in_query = emu.requests[-1]
    assert in_body.credentials == {"login": "body", "password": "body"}
    assert in_query.credentials == {"login": "query", "password": "query"}
    assert in_body.params == {"limit": "1"} and in_body.endpoint == "sessions"
    assert DEMO_PASSWORD not in repr(emu.requests) and DEMO_LOGIN not in repr(emu.requests)


# ------------------------------------------------------------------ range, order and paging


def starts(data: dict) -> list[int]:
    return [int(v) for v in column(data, "session_start_unix_timestamp")]


def test_limit_gives_exactly_the_newest_sessions_first(http, emu):
    few = sessions(http, emu, date="2011-11-16", limit=25)
    many = sessions(http, emu, date="2011-11-16", limit=400)
    assert few["rows"] == 25 and many["rows"] == 400
    assert few["resultsList"] == many["resultsList"][:25]
    assert starts(many) == sorted(starts(many), reverse=True)


def test_date_and_period_cover_the_last_day_and_the_days_before_it_in_est(http, emu):
    est = dt.timezone(dt.timedelta(hours=-5))
    for period, first_day in (("1d", "2011-11-16"), ("3d", "2011-11-14"), ("1w", "2011-11-10"),
                              ("1m", "2011-10-17")):  # fmt: skip
        data = post(http, emu, date="2011-11-16", period=period, limit=1,
                    dataType="csv", showColumns="session_id").text  # fmt: skip
        lines = data.splitlines()
        assert lines[1:3] == [f"start date,{first_day}", "end date,2011-11-16"], period
    newest = sessions(http, emu, date="2011-11-16", limit=1)
    newest_start = dt.datetime.fromtimestamp(starts(newest)[0] / 1000, est)
    assert newest_start.date() == dt.date(2011, 11, 16)
    assert newest_start.hour == 23  # the day ends at midnight EST


def test_without_a_date_the_most_recent_sessions_come_first_and_none_is_in_the_future(http, emu):
    data = sessions(http, emu, limit=100)
    newest = starts(data)
    assert max(newest) <= NOW * 1000 and NOW * 1000 - newest[0] < 15 * 60_000
    status = column(data, "status")
    assert status[0] == "puppet_online" and status[-1] == "puppet_offline"
    online = {s == "puppet_online" for s in status} == {True, False}
    assert online and column(data, "user_status")[0] == "online"


def test_time_zone_moves_day_boundaries_and_formatted_dates(http, emu):
    est = sessions(http, emu, date="2011-11-16", limit=1)
    amsterdam = sessions(http, emu, date="2011-11-16", limit=1, timeZone="Europe/Amsterdam")
    alias = sessions(http, emu, date="2011-11-16", limit=1, timezone="Europe/Amsterdam")
    assert alias["resultsList"] == amsterdam["resultsList"]
    # The Amsterdam day ends 6 hours before the EST day.
    assert starts(est)[0] - starts(amsterdam)[0] > 5 * 3600_000
    pattern = {"dateFormat": "yyyy-MM-dd HH:mm:ss", "session_id": column(est, "session_id")[0]}
    in_est = sessions(http, emu, **pattern)
    in_gmt1 = sessions(http, emu, timeZone="GMT+1", **pattern)
    read = lambda data: dt.datetime.fromisoformat(column(data, "lastEvent")[0])  # noqa: E731
    assert read(in_gmt1) - read(in_est) == dt.timedelta(hours=6)
    event = int(column(in_est, "eventUnixTimestamp")[0]) // 1000
    eastern = dt.timezone(dt.timedelta(hours=-5))
    assert read(in_est) == dt.datetime.fromtimestamp(event, eastern).replace(tzinfo=None)


def test_date_format_and_locale_shape_the_dates(http, emu):
    data = sessions(http, emu, date="2011-11-16", limit=5, dateFormat="yyyy-dd-MM HH:mm:ss")
    assert all(re.fullmatch(r"2011-\d\d-11 \d\d:\d\d:\d\d", v) for v in column(data, "lastEvent"))
    dutch = sessions(
        http, emu, date="2011-11-16", limit=5, dateFormat="d MMMM yyyy", locale="nl_NL"
    )
    assert all(v.endswith("november 2011") for v in column(dutch, "lastEvent"))


def test_locale_translates_labels_unless_ignore_locale(http, emu):
    english = sessions(http, emu, date="2011-11-16", limit=1)["label"]
    dutch = sessions(http, emu, date="2011-11-16", limit=1, locale="nl_NL")["label"]
    german = sessions(http, emu, date="2011-11-16", limit=1, locale="de_DE")["label"]
    ignored = sessions(http, emu, date="2011-11-16", limit=1, locale="de_DE", ignoreLocale="true")
    assert english == reference_meta()["label"] == ignored["label"]
    assert dutch[FIELDS.index("city")] == "stad" and german[FIELDS.index("city")] == "Stadt"


@pytest.mark.parametrize(
    ("zone", "days"),
    [
        ("EST", ("2011-11-12", "2011-11-13", "2011-11-14")),
        ("America/New_York", ("2011-11-05", "2011-11-06", "2011-11-07")),  # a 25-hour day
        ("Asia/Kolkata", ("2011-11-12", "2011-11-13", "2011-11-14")),  # hours start at :30 UTC
    ],
)
def test_next_token_paging_covers_the_period_without_gaps_or_duplicates(http, emu, zone, days):
    everything: set[str] = set()
    for day in days:
        one_day = sessions(
            http, emu, site="www.opentracker.de", date=day, limit=1000, timeZone=zone
        )
        assert one_day["rows"] < 1000
        everything |= set(column(one_day, "session_id"))
    seen: list[str] = []
    token, pages, previous_oldest = None, 0, None
    while token != "":
        page = sessions(http, emu, site="www.opentracker.de", date=days[-1], period="3d", timeZone=zone,
                        limit=100, dataType="jsondatatable", **({"nextToken": token} if token else {}))  # fmt: skip
        token, pages = page["nextToken"], pages + 1
        if token:
            assert page["rows"] >= 100  # whole hours until the minimum is reached
        if previous_oldest is not None and page["rows"]:
            assert max(starts(page)) < previous_oldest
        previous_oldest = min(starts(page)) if page["rows"] else previous_oldest
        seen += column(page, "session_id")
        assert pages < 100
    assert len(seen) == len(set(seen)) and set(seen) == everything and pages > 3


def test_order_criteria_sorts_the_rows_of_the_answer(http, emu):
    asc = sessions(http, emu, date="2011-11-16", limit=60, orderCriteria="total_pages_viewed asc")
    desc = sessions(http, emu, date="2011-11-16", limit=60, orderCriteria="duration desc")
    plain = sessions(http, emu, date="2011-11-16", limit=60)
    pages = [int(v) for v in column(asc, "total_pages_viewed")]
    assert pages == sorted(pages) and set(column(asc, "session_id")) == set(
        column(plain, "session_id")
    )
    seconds = [0 if v == "s.e." else query.duration_seconds(v) for v in column(desc, "duration")]
    assert seconds == sorted(seconds, reverse=True)


def test_several_sites_are_merged_newest_first(http, emu):
    data = sessions(http, emu, site="www.opentracker.net, www.opentracker.de", date="2011-11-16",
                    limit=600)  # fmt: skip
    assert set(column(data, "site")) == {"www.opentracker.net", "www.opentracker.de"}
    assert starts(data) == sorted(starts(data), reverse=True)


def test_session_id_finds_that_one_session_whatever_the_range(http, emu):
    some = sessions(http, emu, date="2011-11-10", limit=30)
    wanted = some["resultsList"][17]
    found = sessions(http, emu, session_id=column(some, "session_id")[17], date="2011-11-16")
    assert found["resultsList"] == [wanted]


# ------------------------------------------------------------------ filters and columns


def test_show_columns_cuts_fields_labels_and_rows_alike(http, emu):
    data = sessions(http, emu, date="2011-11-16", limit=3, showColumns="city,session_id,duration")
    assert data["field"] == data["className"] == data["width"] == ["city", "session_id", "duration"]
    assert data["label"] == ["city", "session_id", "duration"]
    full = sessions(http, emu, date="2011-11-16", limit=3)
    assert [row[1] for row in data["resultsList"]] == column(full, "session_id")


def test_include_country_code_keeps_those_countries_and_adds_filtered_company(http, emu):
    data = sessions(http, emu, date="2011-11-16", limit=30, includeCountryCode="gb,nl")
    assert set(column(data, "country_code")) <= {"GB", "NL"} and data["rows"] == 30
    assert data["field"] == [*FIELDS, "filtered_company"]
    for row in data["resultsList"]:
        named = dict(zip(data["field"], row, strict=True))
        assert named["filtered_company"] == named["company_org"] or named["isp_org"] or named["isp"]


@pytest.mark.parametrize(
    ("params", "holds"),
    [
        ({"excludeInUrl": "loginpage,*features*"},
         lambda r: "loginpage" not in r["entryPage"] + r["currentPage"] and "features" not in r["currentPage"]),
        ({"excludeInFilteredCompany": "*telecom*"}, lambda r: "telecom" not in r["filtered_company"].lower()),
        ({"maxEventThreshold": "3"}, lambda r: int(r["total_pages_viewed"]) < 3),
        ({"maxDuration": "30"}, lambda r: r["duration"] == "s.e." or query.duration_seconds(r["duration"]) < 30),
        ({"removeIsp": "true"}, lambda r: r["connection"] == "Corporate" and r["company_org"]),
        ({"filterByCurrentTitle": "Get in here. | Opentracker.net"},
         lambda r: r["currentTitle"] == "Get in here. | Opentracker.net"),
        ({"search": "*google*"}, lambda r: any("google" in v for v in r.values())),
        ({"search": "firefox,windows"}, lambda r: "Firefox" in r["browser"] and "Windows" in r["platform"]),
        ({"search": "safari,opera", "useOr": "true"}, lambda r: r["browser"].split()[0] in ("Safari", "Opera")),
        ({"search": "*.nl"}, lambda r: r["provider"].endswith(".nl") or r["referrersLogo"].endswith(".nl")),
    ],
)  # fmt: skip
def test_each_filter_keeps_only_matching_sessions(http, emu, params, holds):
    data = sessions(http, emu, date="2011-11-16", limit=25, **params)
    assert data["rows"] == 25
    for row in data["resultsList"]:
        assert holds(dict(zip(data["field"], row, strict=True))), row


def test_filter_by_current_title_is_case_sensitive(http, emu):
    data = sessions(
        http, emu, date="2011-11-16", limit=5, filterByCurrentTitle="get in here. | opentracker.net"
    )
    assert data["rows"] == 0 and data["nextToken"] == ""


def test_unknown_places_and_country_codes_are_replaced_on_request(http, emu):
    plain = sessions(http, emu, site="www.opentracker.de", date="2011-11-16", limit=450)
    shown = sessions(http, emu, site="www.opentracker.de", date="2011-11-16", limit=450,
                     unknownCity="(unknown city)", unknownRegion="(unknown region)",
                     mapEuToCountryDomain="true", gbCountryCode="UK")  # fmt: skip
    before, after = plain["resultsList"], shown["resultsList"]
    i = {name: FIELDS.index(name) for name in ("city", "region", "country_code", "country")}
    assert any(row[i["city"]] == "" for row in before), "some sessions have no known city"
    for old, new in zip(before, after, strict=True):
        assert new[i["city"]] == (old[i["city"]] or "(unknown city)")
        assert new[i["region"]] == (old[i["region"]] or "(unknown region)")
        expected = {"EU": "DE", "GB": "UK"}.get(old[i["country_code"]], old[i["country_code"]])
        assert new[i["country_code"]] == expected
        if old[i["country_code"]] == "EU":
            assert (old[i["country"]], new[i["country"]]) == ("Europe", "Germany")
    assert {"EU", "GB"} <= set(column(plain, "country_code"))


# ------------------------------------------------------------------ data types


def test_jsoncallback_wraps_the_json_answer(http, emu):
    answer = post(http, emu, date="2011-11-16", limit=2, jsoncallback="jQuery1234_5678")
    text = answer.text
    assert text.startswith("jQuery1234_5678({") and text.endswith("})")
    assert json.loads(text[len("jQuery1234_5678(") : -1])["rows"] == 2
    assert "javascript" in answer.headers["Content-Type"]


def test_jsondatatable_has_the_same_shape_as_json(http, emu):
    table = sessions(http, emu, date="2011-11-16", limit=10, dataType="jsondatatable")
    assert list(table) == list(reference_meta()) and table["rows"] >= 10


def test_csv_starts_with_meta_lines_unless_meta_csv_is_false(http, emu):
    text = post(http, emu, date="2011-11-16", period="2d", limit=3, dataType="csv").text
    lines = text.splitlines()
    assert lines[:4] == ["site,www.opentracker.net", "start date,2011-11-15", "end date,2011-11-16",
                         "title,Visitor sessions"]  # fmt: skip
    assert lines[4].split(",") == list(FIELDS) and len(lines) == 8
    bare = post(http, emu, date="2011-11-16", limit=3, dataType="csv", metaCsv="false").text
    assert bare.splitlines()[0].split(",") == list(FIELDS)


def test_html_is_a_table_of_labels_and_rows(http, emu):
    answer = post(http, emu, date="2011-11-16", limit=4, dataType="html")
    assert answer.headers["Content-Type"].startswith("text/html")
    assert answer.text.count("<tr>") == 5 and '<th class="lastEvent">last event</th>' in answer.text


def test_jsonjqgrid_lists_records_with_ids(http, emu):
    grid = sessions(http, emu, date="2011-11-16", limit=4, dataType="jsonjqgrid")
    assert grid["records"] == "4" and len(grid["rows"]) == 4
    assert grid["rows"][0]["id"] == grid["rows"][0]["cell"][FIELDS.index("session_id")]


# ------------------------------------------------------------------ visits and visitors


def test_page_views_of_a_visit_match_its_session(http, emu):
    data = sessions(http, emu, date="2011-11-16", limit=200)
    named = [dict(zip(FIELDS, row, strict=True)) for row in data["resultsList"]]
    visit = next(r for r in named if 3 <= int(r["number_of_pages_viewed"]) <= 20)
    views = sessions(http, emu, PAGE_VIEWS, filterByVisitId=visit["visit_id"])
    pages = [dict(zip(FIELDS, row, strict=True)) for row in views["resultsList"]]
    assert views["field"] == list(FIELDS) and views["rows"] == int(visit["number_of_pages_viewed"])
    assert (
        pages[0]["currentPage"] == visit["entryPage"]
        and pages[-1]["currentPage"] == visit["currentPage"]
    )
    times = [int(p["eventUnixTimestamp"]) for p in pages]
    assert times == sorted(times)
    assert times[0] == int(visit["session_start_unix_timestamp"])
    assert times[-1] == int(visit["session_end_unix_timestamp"])
    assert {p["visit_id"] for p in pages} == {visit["visit_id"]}


def test_sessions_of_a_returning_visitor_are_the_rows_the_sessions_endpoint_shows(http, emu):
    data = sessions(http, emu, date="2011-11-16", limit=300)
    named = [dict(zip(FIELDS, row, strict=True)) for row in data["resultsList"]]
    regular = next(r for r in named if int(r["number_visits"]) > 3)
    visits = sessions(http, emu, BY_USER, uid=regular["machine_idx"], date="2011-11-16", limit=50)
    assert visits["field"] == list(FIELDS) and visits["rows"] >= 2
    assert set(column(visits, "machine_idx")) == {regular["machine_idx"]}
    assert column(visits, "session_id")[0] == regular["session_id"]
    assert starts(visits) == sorted(starts(visits), reverse=True)
    assert len({row[FIELDS.index("city")] for row in visits["resultsList"]}) == 1
    for row in visits["resultsList"][:3]:
        same = sessions(http, emu, session_id=row[FIELDS.index("session_id")])
        assert same["resultsList"] == [row]
    alias = sessions(
        http, emu, BY_USER, filterByMachineId=regular["machine_idx"], date="2011-11-16", limit=50
    )
    assert alias["resultsList"] == visits["resultsList"]


# ------------------------------------------------------------------ realism


def test_traffic_has_a_daily_and_weekly_rhythm(http, emu):
    est = dt.timezone(dt.timedelta(hours=-5))
    hours = [dt.datetime.fromtimestamp(ms / 1000, est).hour
             for ms in starts(sessions(http, emu, site="www.opentracker.de", date="2011-11-16", limit=1000))]  # fmt: skip
    night = sum(1 for h in hours if h >= 18 or h < 1)  # midnight to 7 in Berlin
    day = sum(1 for h in hours if 4 <= h < 11)  # 10 to 17 in Berlin
    assert day > 2 * night
    weekday = sessions(http, emu, site="www.opentracker.de", date="2011-11-16", limit=1000)["rows"]
    sunday = sessions(http, emu, site="www.opentracker.de", date="2011-11-13", limit=1000)["rows"]
    assert sunday < 0.8 * weekday


def test_some_sessions_have_no_known_location(http, emu):
    data = sessions(http, emu, date="2011-11-16", limit=1000)
    unknown = [r for r in data["resultsList"] if r[FIELDS.index("latitude")] == ""]
    assert 0.02 < len(unknown) / data["rows"] < 0.09
    assert all(r[FIELDS.index("city")] == r[FIELDS.index("longitude")] == "" for r in unknown)
    known = [r for r in data["resultsList"] if r[FIELDS.index("latitude")]]
    assert all(-90 <= float(r[FIELDS.index("latitude")]) <= 90 for r in known)


@pytest.mark.parametrize(
    ("path", "params"),
    [
        (SESSIONS, {"date": "0001-01-01"}),
        (SESSIONS, {"date": "9999-12-31", "period": "400m"}),
        (SESSIONS, {"session_id": "9223372036854775807.1"}),
        (BY_USER, {"uid": "9223372036854775807.1"}),
        (PAGE_VIEWS, {"filterByVisitId": "1.1"}),
    ],
)
def test_dates_and_ids_outside_the_data_give_an_empty_answer(http, emu, path, params):
    assert sessions(http, emu, path, **params)["rows"] == 0


def test_any_odd_value_of_any_parameter_gets_an_answer_or_a_java_error(http, emu):
    from ot_magic.emulator.rules import RULES

    odd = (
        "",
        "x",
        "-1",
        "0",
        "99999999999",
        "*",
        "2011-02-30",
        "a,,b",
        "Zürich ✓",
        "1.2.3",
        "true",
    )
    for name in RULES["sessions"]:
        for text in odd:
            answer = post(http, emu, **{"date": "2011-11-16", "limit": "3", name: text})
            body = answer.text
            if name == "jsoncallback" and text:
                body = body.removeprefix(text + "(")
            starts = ("{", "Error: java.lang.RuntimeException: ", "<table", "site,", "lastEvent")
            assert body.startswith(starts), (name, text, body[:80])
            assert "Traceback" not in body


def test_browsers_platforms_and_engines_belong_to_the_days_year(http, emu):
    old = sessions(http, emu, date="2005-03-01", limit=1000)
    then = sessions(http, emu, date="2011-11-16", limit=1000)
    old_browsers, then_browsers = set(column(old, "browser")), set(column(then, "browser"))
    assert not any(b.startswith("Chrome") for b in old_browsers) and "IE 5.5" in old_browsers
    assert "Chrome 15.0.874.120" in then_browsers and "IE 5.5" not in then_browsers
    assert "msn.com" in column(old, "referrersLogo") and "bing.com" not in column(
        old, "referrersLogo"
    )
    for row in old["resultsList"] + then["resultsList"]:
        browser, platform = row[FIELDS.index("browser")], row[FIELDS.index("platform")]
        if browser.startswith("IE"):
            assert platform.startswith("Windows")
        if browser.startswith("Safari"):
            assert "Mac OS" in platform or "iPhone" in platform


# ------------------------------------------------------------------ the server's own rules


def test_the_emulator_imports_nothing_from_the_client_side():
    """Its rules are its own: a wrong guess in the client's table cannot pass on both sides."""
    import ast

    package = Path(query.__file__).parent
    allowed = {"ot_magic.schema", "ot_magic.loopback"}
    for module in package.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text("utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 2:
                names = (
                    [f"ot_magic.{node.module}"]
                    if node.module
                    else [f"ot_magic.{alias.name}" for alias in node.names]
                )
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            outside = [n for n in names if n.startswith("ot_magic") and
                       not n.startswith("ot_magic.emulator") and n not in allowed]  # fmt: skip
            assert outside == [], f"{module.name} imports {outside}"


@pytest.mark.parametrize("text", ["true", "TRUE", "True"])
def test_booleans_are_read_as_java_parse_boolean_reads_them(http, emu, text):
    plain = sessions(http, emu, date="2011-11-16", limit=20)
    assert sessions(http, emu, date="2011-11-16", limit=20, removeIsp=text) != plain
    other = sessions(http, emu, date="2011-11-16", limit=20, removeIsp="maybe")
    assert other["resultsList"] == plain["resultsList"]  # anything but "true" is false


@pytest.mark.parametrize("text", ["2011-11-16T10:00", "2011-11-16 extra", "2011-11-016"])
def test_a_date_is_read_as_a_strict_simpledateformat_reads_it(http, emu, text):
    same = sessions(http, emu, date="2011-11-16", limit=5)
    assert sessions(http, emu, date=text, limit=5)["resultsList"] == same["resultsList"]


@pytest.mark.parametrize("name", ["search", "excludeInUrl", "excludeInFilteredCompany"])
@pytest.mark.parametrize("word", ["AT&T", "o'reilly", "utm_source=google", "café", "a; b"])
def test_words_the_reference_allows_arrive_intact_and_filter(http, emu, name, word):
    data = sessions(http, emu, date="2011-11-16", limit=10, **{name: word})
    assert emu.requests[-1].params[name] == word
    holding = [row for row in data["resultsList"] if word.lower() in " ".join(row).lower()]
    if name == "search":
        assert len(holding) == data["rows"]
    else:
        assert data["rows"] == 10 and not holding


def test_a_search_word_with_an_ampersand_finds_what_holds_it(http, emu):
    data = sessions(http, emu, date="2011-11-16", limit=40, showColumns="isp")
    isp = next(v for v in column(data, "isp") if " " in v)
    found = sessions(http, emu, date="2011-11-16", limit=5, search=isp, showColumns="isp")
    assert found["rows"] and all(isp.lower() in v.lower() for v in column(found, "isp"))


@pytest.mark.parametrize("code", ["A1", "A2", "O1", "ap", "EU"])
def test_geoip_country_codes_are_accepted(http, emu, code):
    data = sessions(http, emu, date="2011-11-16", limit=50, includeCountryCode=code)
    assert set(column(data, "country_code")) <= {code.upper()}


def test_uk_in_include_country_code_means_the_united_kingdom(http, emu):
    uk = sessions(http, emu, date="2011-11-16", limit=20, includeCountryCode="UK")
    gb = sessions(http, emu, date="2011-11-16", limit=20, includeCountryCode="GB")
    assert uk["rows"] == 20 and uk["resultsList"] == gb["resultsList"]


def test_show_columns_may_name_filtered_company_without_any_filter(http, emu):
    data = sessions(http, emu, date="2011-11-16", limit=30,
                    showColumns="filtered_company, company_org,isp_org, isp")  # fmt: skip
    assert data["field"] == ["filtered_company", "company_org", "isp_org", "isp"]
    for company, *others in data["resultsList"]:
        assert company == next((v for v in others if v), "")


@pytest.mark.parametrize(
    ("locale", "month"), [("sr_Latn_RS", "novembar"), ("zz", "November"), ("en_US", "November")]
)
def test_locales_with_a_script_or_unknown_ones_format_dates(http, emu, locale, month):
    data = sessions(http, emu, date="2011-11-16", limit=3, locale=locale, dateFormat="d MMMM yyyy")
    assert all(v.endswith(f"{month} 2011") for v in column(data, "lastEvent"))


@pytest.mark.parametrize(
    "params", [{"date": "9999-12-31"}, {"dateFormat": "y" * 40}, {"locale": "zz"},
               {"period": "2147483647d"}, {"period": "99999m"}, {"date": "99999-01-01"}],
)  # fmt: skip
def test_extreme_values_the_rules_accept_get_an_answer_not_a_500(http, emu, params):
    answer = http.post(emu.url + SESSIONS, data={**AUTH, "limit": "3", **params}, timeout=30)
    assert answer.status_code == 200 and answer.json()["rows"] <= 3


# ------------------------------------------------------------------ nextToken


def datatable(http, emu, **params) -> dict:
    return sessions(http, emu, date="2011-11-16", limit=100, dataType="jsondatatable", **params)


def test_the_reference_samples_token_form_is_accepted_and_means_its_hour(http, emu):
    day_utc, hour = 1321401600000, 1321466400000  # the sample's: 2011-11-16 00:00 / 18:00 UTC
    page = datatable(http, emu, nextToken=f"{day_utc}.{hour}")
    assert page["rows"] and max(starts(page)) < hour + 3600_000
    est_midnight = 1321419600000  # the same day's midnight in the request's zone
    assert datatable(http, emu, nextToken=f"{est_midnight}.{hour}") == page
    other_day = post(http, emu, date="2011-11-16", dataType="jsondatatable",
                     nextToken=f"{day_utc - 86400_000}.{hour}")  # fmt: skip
    assert other_day.text.endswith("(day and hour do not match)")


def test_issued_tokens_have_the_samples_form_and_go_on_exactly(http, emu):
    first = datatable(http, emu)
    day, hour = (int(part) for part in first["nextToken"].split("."))
    assert day % 86400_000 == 0 and day <= hour < day + 86400_000  # midnight UTC of its day
    rest = datatable(http, emu, nextToken=first["nextToken"])
    everything = sessions(http, emu, date="2011-11-16", limit=1000)
    assert (
        column(first, "session_id") + column(rest, "session_id")
        == column(everything, "session_id")[: first["rows"] + rest["rows"]]
    )


def test_a_json_page_offers_no_token_that_would_lose_rows(http, emu):
    for limit in (40, 205):
        assert sessions(http, emu, date="2011-11-16", limit=limit)["nextToken"] == ""


_ODD_TEXT = st.text(st.characters(codec="utf-8"), max_size=40) | st.sampled_from(
    ["0", "-1", "2147483648", "9999-12-31", "0000-01-01", "1d", "0d", "99999999m", "a,,b", " , ",
     "*", "'", "yyyy'", "x" * 40, "zz", "sr_Latn_RS", "GMT+18", "GMT+19", "1.2", "1.2.3", "?", "9" * 5000,
     "1" * 5000 + ".1", "2011-11-" + "1" * 5000, "2011-11-16" * 2000]
)  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_no_value_of_any_parameter_makes_the_emulator_fail(emu, data):
    """Property: whatever text a parameter gets, the answer is a table or a Java error line."""
    from ot_magic.emulator.rules import RULES

    endpoint = data.draw(st.sampled_from(["sessions", "sessions_by_user", "page_views"]))
    name = data.draw(st.sampled_from(sorted(RULES[endpoint])))
    base = {"sessions": {"date": "2011-11-16", "limit": "3"},
            "sessions_by_user": {"uid": "1321401787000.1", "limit": "3"},
            "page_views": {"filterByVisitId": "1321401787000.1"}}[endpoint]  # fmt: skip
    given = data.draw(_ODD_TEXT, label=name)
    body, kind = emu.answer(endpoint, {**AUTH, **base, name: given})
    text = body.decode("utf-8")
    if name == "jsoncallback" and kind.startswith("text/javascript"):
        text = text.removeprefix(("" if given.strip() == "?" else given.strip()) + "(")
    assert text.startswith(("{", "Error: java.lang.RuntimeException: ", "<table", "site,", "lastEvent",
                            "filtered_company")) or kind.startswith("text/csv"), text[:120]  # fmt: skip
    assert kind.endswith("; charset=UTF-8")


def _client(emu):
    from ot_magic.client import OpenTrackerClient

    return OpenTrackerClient(emu.url, credentials=(DEMO_LOGIN, DEMO_PASSWORD), timeout=30,
                             backoff=0)  # fmt: skip


def test_an_all_pages_pull_without_a_limit_asks_for_the_largest_page(emu):
    from ot_magic.request import SessionsRequest

    with _client(emu) as client:
        for request, size in ((SessionsRequest(date="2011-11-16"), "1000"),
                              (SessionsRequest(date="2011-11-16", limit=300), "300")):  # fmt: skip
            emu.requests.clear()
            result = client.sessions(request, all_pages=True)
            sizes = {r.params.get("limit") for r in emu.requests if r.endpoint == "sessions"}
            assert sizes == {size} and len(result.df) > 1000
        emu.requests.clear()
        client.sessions(SessionsRequest(date="2011-11-16"))  # one page: the API's default
        assert [r.params.get("limit") for r in emu.requests] == [None]


def _returning_visitor(client, date: str) -> str:
    """A visitor of ``date`` who had come three times before it."""
    from ot_magic.request import SessionsRequest

    df = client.sessions(SessionsRequest(date=date, limit=1000)).df
    return df[df["number_visits"] > 3]["machine_idx"].iloc[0]


def test_a_visitors_sessions_end_with_the_day_asked_for_in_its_time_zone(emu):
    with _client(emu) as client:
        uid = _returning_visitor(client, "2011-10-20")
        everything = client.sessions_by_user(uid).df["session_start_unix_timestamp"]
        assert everything.max() > pd.Timestamp("2011-10-21", tz="EST")  # they came back later
        for zone in ("EST", "Asia/Tokyo"):
            starts = client.sessions_by_user(uid, date="2011-10-20", timeZone=zone).df[
                "session_start_unix_timestamp"
            ]
            end = pd.Timestamp("2011-10-21", tz=zone)
            assert 0 < len(starts) < len(everything) and starts.max() < end
            assert set(starts) == {s for s in everything if s < end}


def test_visitor_and_page_view_dates_are_written_in_the_time_zone_asked_for(emu):
    with _client(emu) as client:
        uid = _returning_visitor(client, "2011-11-16")
        visit = client.sessions_by_user(uid, date="2011-11-16").df["visit_id"].iloc[0]
        for fetch in (lambda **zone: client.sessions_by_user(uid, date="2011-11-16", **zone),
                      lambda **zone: client.page_views(visit, **zone)):  # fmt: skip
            est, tokyo = fetch().df, fetch(timeZone="Asia/Tokyo").df
            for df, zone in ((est, "EST"), (tokyo, "Asia/Tokyo")):
                written = df["lastEvent"].astype(str).iloc[0]
                moment = df["eventUnixTimestamp"].iloc[0].tz_convert(zone)
                assert written == moment.strftime("%b %d %I:%M %p")
