"""The emulator's answer against the reference page's own sample, field by field: the keys and
their order, every metadata value, the types, the token's form, and each of the 69 fields' value
formats and the relations between fields, all read off the sample (tests/data) itself."""

from __future__ import annotations

import json
import re
import zoneinfo
from pathlib import Path

import pytest
import requests

from ot_magic.emulator import DEMO_LOGIN, DEMO_PASSWORD, Emulator

SAMPLE = json.loads((Path(__file__).parent / "data" / "reference_sample.json").read_text("utf-8"))
SESSIONS = "views/c_view_session.jsp"
NOW = 1321508700.0  # 2011-11-17 00:45 EST, the morning after the sample's day
DAY_MS, HOUR_MS = 86_400_000, 3_600_000
VARYING = ("rows", "nextToken", "resultsList", "expandUrl")

# Value formats, most specific first; a value's format is the first that matches it whole.
FORMATS = {
    "empty": r"",
    "date": r"[A-Z][a-z]{2} \d\d \d\d:\d\d [AP]M",
    "duration": r"s\.e\.|(?:\d+h )?(?:\d+m )?\d+s",
    "visits_pageviews": r"\d+ \(\d+\)",
    "epoch_ms": r"1\d{12}",
    "id": r"1\d{12}\.\d+",
    "machine_id": r"(?:\d{1,3}\.){3}\d{1,3}:1\d{12}",
    "ip": r"(?:\d{1,3}\.){3}\d{1,3}",
    "resolution": r"\d+ x \d+",
    "decimal": r"-?\d+\.\d+",
    "number": r"\d+",
    "url": r"https?://\S+",
    "host": r"[a-z0-9-]+(?:\.[a-z0-9-]+)+",
    "zone": r"[A-Z][a-z]+/[A-Za-z_/]+",
    "text": r".+",
}

# Relations between fields; each must hold on every row of the sample to be asked of the emulator.
RELATIONS = {
    "flag is the lower-case country code": lambda r: r["flag"] == r["country_code"].lower(),
    "country is country_name": lambda r: r["country"] == r["country_name"],
    "visits_pageviews is 'visits (pages)'": lambda r: (
        r["visits_pageviews"] == f"{r['number_visits']} ({r['pages_viewed']})"
    ),
    "entryPage is entry_root_url": lambda r: r["entryPage"] == r["entry_root_url"],
    "currentPage is exit_root_url": lambda r: r["currentPage"] == r["exit_root_url"],
    "currentTitle is exit_title": lambda r: r["currentTitle"] == r["exit_title"],
    "session_id is visit_id": lambda r: r["session_id"] == r["visit_id"],
    "session_id is '<start>.<visitor number>'": lambda r: (
        r["session_id"] == f"{r['session_start_unix_timestamp']}.{r['machine_idx'].split('.')[1]}"
    ),
    "machine_idx is use_id": lambda r: r["machine_idx"] == r["use_id"],
    "machine_idx starts with the first session": lambda r: (
        r["machine_idx"].split(".")[0] == r["first_session_unix_timestamp"]
    ),
    "event_id ends with the visitor number": lambda r: (
        r["event_id"].split(".")[1] == r["machine_idx"].split(".")[1]
    ),
    "inet_aton is ip_number as a number": lambda r: (
        int(r["inet_aton"])
        == int.from_bytes(bytes(int(x) for x in r["ip_number"].split(".")), "big")
    ),
    "currentVisitDuration is duration": lambda r: r["currentVisitDuration"] == r["duration"],
    "user_status follows status": lambda r: (
        (r["status"] == "puppet_online") == (r["user_status"] == "online")
    ),
    "number_visits is total_number_visits": lambda r: (
        r["number_visits"] == r["total_number_visits"]
    ),
    "a session ends after it starts": lambda r: (
        int(r["session_end_unix_timestamp"]) >= int(r["session_start_unix_timestamp"])
    ),
    "the last event is at or after the session's end": lambda r: (
        int(r["eventUnixTimestamp"]) >= int(r["session_end_unix_timestamp"])
    ),
    "total pages are at least this visit's": lambda r: (
        int(r["total_pages_viewed"]) >= int(r["pages_viewed"])
    ),
}


def value_format(text: str) -> str:
    found = next(name for name, pattern in FORMATS.items() if re.fullmatch(pattern, text))
    if found == "zone" and text not in zoneinfo.available_timezones():
        return "text"  # a city such as Biel/Bienne is not a zone
    return found


def named_rows(answer: dict) -> list[dict[str, str]]:
    return [dict(zip(answer["field"], row, strict=True)) for row in answer["resultsList"]]


@pytest.fixture(scope="module")
def answers() -> dict[str, dict]:
    """The emulator's json and jsondatatable answers for the sample's day and site."""
    with Emulator(clock=lambda: NOW) as emu:
        ask = {"login": DEMO_LOGIN, "password": DEMO_PASSWORD, "site": "www.opentracker.net",
               "date": "2011-11-16", "limit": "300"}  # fmt: skip
        return {
            data_type: requests.post(
                emu.url + SESSIONS, data={**ask, "dataType": data_type}, timeout=30
            ).json()
            for data_type in ("json", "jsondatatable")
        }


@pytest.mark.parametrize("data_type", ["json", "jsondatatable"])
def test_keys_order_types_and_metadata_are_the_samples(answers, data_type):
    answer = answers[data_type]
    assert list(answer) == list(SAMPLE)
    for key, expected in SAMPLE.items():
        assert type(answer[key]) is type(expected), key
        if key not in VARYING:
            assert answer[key] == expected, key
    assert answer["expandUrl"].endswith(SAMPLE["expandUrl"].split("/api/")[1])
    assert answer["rows"] == len(answer["resultsList"]) and answer["rows"] >= 40
    assert all(len(row) == 69 and all(type(v) is str for v in row) for row in answer["resultsList"])


def _token_shape(token: str) -> tuple[bool, bool, bool]:
    day, hour = (int(part) for part in token.split("."))
    return day % DAY_MS == 0, hour % HOUR_MS == 0, day <= hour < day + DAY_MS


def test_the_token_has_the_samples_form(answers):
    token = answers["jsondatatable"]["nextToken"]
    assert re.fullmatch(r"\d{13}\.\d{13}", SAMPLE["nextToken"])
    assert re.fullmatch(r"\d{13}\.\d{13}", token)
    assert _token_shape(token) == _token_shape(SAMPLE["nextToken"]) == (True, True, True)
    assert answers["json"]["nextToken"] == ""  # json offers none: see ot_magic.emulator.query


@pytest.mark.parametrize("field", SAMPLE["field"])
def test_each_fields_values_have_the_formats_the_sample_shows(answers, field):
    seen = {value_format(row[field]) for row in named_rows(SAMPLE)}
    values = [row[field] for row in named_rows(answers["jsondatatable"])]
    if seen == {"empty"}:
        return  # the sample shows nothing to compare with
    shown = {value_format(v) for v in values}
    assert shown - {"empty"} <= seen, f"{field}: {shown - seen} beside the sample's {seen}"
    assert any(values), f"{field}: never filled, the sample fills it"


@pytest.mark.parametrize("relation", list(RELATIONS))
def test_relations_between_fields_hold_as_in_the_sample(answers, relation):
    holds = RELATIONS[relation]
    assert all(holds(row) for row in named_rows(SAMPLE)), "not a relation of the sample"
    broken = [row["session_id"] for row in named_rows(answers["json"]) if not holds(row)]
    assert broken == []


def test_json_is_written_as_the_samples_java_writer_writes_it():
    with Emulator(clock=lambda: NOW) as emu:
        ask = {"login": DEMO_LOGIN, "password": DEMO_PASSWORD, "date": "2011-11-16", "limit": "3"}
        text = requests.post(emu.url + SESSIONS, data=ask, timeout=30).text
    assert '"http:\\/\\/www.opentracker.net' in text and "http://" not in text  # escaped slashes
    assert '"resultsList": [[ "' in text and text.endswith("] }")
