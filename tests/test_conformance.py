"""The client against answers a real server may send, served by a capture server of our own.

Not the emulator: ``tests/capture_server.py`` is a plain ``http.server`` on 127.0.0.1 that
answers with canned bodies (the reference page's sample and variants of it, answer shapes the
real server may use, malformed answers) and records what the client sent. Everything goes
through the public API, ``OpenTrackerClient(url).sessions(request)``, and a few cells run
``%%otsessions`` in a real IPython shell.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from capture_server import Answer, CaptureServer  # tests/ is on sys.path (rootdir, no package)
from IPython.core.error import UsageError

from ot_magic import OpenTrackerClient, SessionsRequest, credentials, schema
from ot_magic.errors import ApiError, AuthenticationError, ResponseError
from ot_magic.frame import parse_sessions

SAMPLE = (Path(__file__).parent / "data" / "reference_sample.json").read_bytes()
LOGIN = "conformance@example.org"
CANARY = "canary pw!#&é-7d"  # the password: never in a URL, an error or an output
DAY = SessionsRequest(date="2011-11-16", limit=40)
SESSIONS_PATH = "/api/views/c_view_session.jsp"
TOKEN = json.loads(SAMPLE)["nextToken"]


def sample() -> dict:
    return json.loads(SAMPLE)


def encoded(doc: object) -> bytes:
    return json.dumps(doc).encode()


def as_objects(doc: dict) -> list[dict]:
    return [dict(zip(doc["field"], row, strict=True)) for row in doc["resultsList"]]


def at(name: str) -> int:
    return sample()["field"].index(name)


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    """The reference sample as the frame reads it from the bytes, without HTTP."""
    return parse_sessions(SAMPLE).df


@pytest.fixture
def server():
    with CaptureServer() as running:
        yield running


@pytest.fixture
def client(server, monkeypatch):
    for name in ("OT_API_URL", "OT_TICKET_ID", "OT_LOGIN", "OT_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    credentials.forget()
    with OpenTrackerClient(
        server.url, credentials=(LOGIN, CANARY), timeout=10, retries=0, backoff=0
    ) as running:
        yield running
    credentials.forget()


@pytest.fixture
def shell(ip, server, monkeypatch):
    """The IPython shell with ``%%otsessions`` pointed at the capture server."""
    ip.run_line_magic("config", f"OTMagic.api_url = {server.url!r}")
    monkeypatch.setenv("OT_LOGIN", LOGIN)
    monkeypatch.setenv("OT_PASSWORD", CANARY)
    return ip


def fetch(server, client, *answers: Answer, request=DAY, **options):
    """Serve ``answers``, fetch ``request`` through the client, check what it sent."""
    server.serve(*answers)
    result = client.sessions(request, **options)
    assert_sent_as_a_form(server)
    return result


def assert_sent_as_a_form(server) -> None:
    """Every request: a POST to the sessions page, form body carrying the credentials and the
    parameters, nothing in the URL."""
    assert server.requests
    for sent in server.requests:
        assert sent.method == "POST"
        assert sent.path == SESSIONS_PATH and sent.query == ""
        assert sent.headers["Content-Type"].startswith("application/x-www-form-urlencoded")
        assert sent.value("login") == LOGIN and sent.value("password") == CANARY
        assert "canary" not in sent.target and "pw" not in sent.target


def same_values(got: pd.DataFrame, want: pd.DataFrame, columns=None) -> None:
    columns = list(want.columns if columns is None else columns)
    pd.testing.assert_frame_equal(
        got[columns].reset_index(drop=True), want[columns].reset_index(drop=True), check_flags=False
    )


def one_line(error: BaseException) -> str:
    text = str(error)
    assert "\n" not in text and CANARY not in text and "canary" not in text
    return text


# --- what the client sends ----------------------------------------------------------------------


def test_the_client_posts_its_parameters_and_credentials_in_a_form_body_never_in_the_url(
    server, client
):
    fetch(server, client, Answer(SAMPLE), request=DAY.replace(locale="nl_NL", search="café"))
    [sent] = server.requests
    assert sent.value("password") == CANARY  # '! # & space é' arrive intact
    assert sent.value("date") == "2011-11-16" and sent.value("limit") == "40"
    assert sent.value("locale") == "nl_NL" and sent.value("search") == "café"
    assert sent.value("dataType") == "json"
    assert "ticketId" not in sent.form


def test_following_pages_sends_each_token_in_the_form_body(server, client):
    last = sample()
    last["nextToken"] = ""
    result = fetch(server, client, Answer(SAMPLE), Answer(encoded(last)), all_pages=True)
    first, second = server.requests
    assert first.value("nextToken") is None and second.value("nextToken") == TOKEN
    assert {first.value("dataType"), second.value("dataType")} == {"jsondatatable"}
    assert len(result.df) == 12 and result.next_token is None


# --- the reference sample and its variants -------------------------------------------------------


def test_the_reference_sample_reads_field_by_field(server, client, reference):
    result = fetch(server, client, Answer(SAMPLE))
    df = result.df
    same_values(df, reference)
    # a json page's token names an hour, not the row after the last one: it is not offered
    assert len(df) == 6 and result.next_token is None and result.more
    assert df["duration"][1] == pd.Timedelta(hours=20, minutes=44, seconds=57)
    assert df["latitude"][1] == pytest.approx(40.633194)
    assert df["city"][1] == "Brooklyn" and df["total_pages_viewed"][1] == 22073
    assert df["session_start_unix_timestamp"][1] == pd.Timestamp(1321397999803, unit="ms", tz="UTC")
    assert df.attrs["labels"]["visits_pageviews"] == "visits(pv)"
    assert df.attrs["unreadable"] == {}


def _keys_reordered() -> bytes:
    doc = sample()
    return encoded({k: doc[k] for k in reversed(list(doc))})  # resultsList first, lists after it


def _fields_reordered() -> bytes:
    doc = sample()
    order = list(reversed(range(len(doc["field"]))))
    for name in ("field", "label"):
        doc[name] = [doc[name][i] for i in order]
    doc["resultsList"] = [[row[i] for i in order] for row in doc["resultsList"]]
    return encoded(doc)


def _rows_as_objects() -> bytes:
    doc = sample()
    doc["resultsList"] = as_objects(doc)
    return encoded(doc)


def _numbers_as_json_numbers() -> bytes:
    doc = sample()
    numeric = [
        at(n) for n in (*schema.EPOCH_MS_FIELDS, *schema.COUNT_FIELDS, "latitude", "longitude")
    ]
    for row in doc["resultsList"]:
        for i in numeric:
            if row[i]:
                row[i] = json.loads(row[i])
    text = encoded(doc)
    assert b'"latitude"' in text and b", 42.850006," in text
    return text


def _jsonp_with_comment() -> bytes:
    return b"/**/ jQuery171_2(" + SAMPLE.strip() + b");"


def _bare_array_of_objects() -> bytes:
    return encoded(as_objects(sample()))


def _bare_array_with_a_header_row() -> bytes:
    doc = sample()
    return encoded([doc["field"], *doc["resultsList"]])


def _bare_array_of_reference_rows() -> bytes:
    return encoded(sample()["resultsList"])


@pytest.mark.parametrize(
    "body",
    [
        _keys_reordered,
        _fields_reordered,
        _rows_as_objects,
        _numbers_as_json_numbers,
        _jsonp_with_comment,
        _bare_array_of_objects,
        _bare_array_with_a_header_row,
        _bare_array_of_reference_rows,
    ],
    ids=lambda f: f.__name__.strip("_"),
)
def test_answer_variants_read_into_the_same_typed_frame(server, client, reference, body):
    df = fetch(server, client, Answer(body())).df
    same_values(df, reference)
    assert df.attrs["unreadable"] == {}


def test_extra_fields_and_keys_are_kept_as_text_and_the_rest_reads_the_same(
    server, client, reference
):
    doc = sample()
    doc["field"] += ["filtered_company", "zz_new_field"]
    doc["label"] += ["filtered company", "new"]
    doc["serverVersion"], doc["graph"] = {"build": 7}, [[1, 2]]
    for number, row in enumerate(doc["resultsList"]):
        row += ["Acme", f"extra {number}"]
    df = fetch(server, client, Answer(encoded(doc))).df
    same_values(df, reference)
    assert list(df["zz_new_field"]) == [f"extra {n}" for n in range(6)]
    assert pd.api.types.is_string_dtype(df["filtered_company"])
    assert df.attrs["labels"]["zz_new_field"] == "new"


def test_missing_fields_are_absent_and_the_views_still_build(server, client, reference):
    doc = sample()
    gone = {"latitude", "longitude", "duration", "visits_pageviews", "session_start_unix_timestamp"}
    keep = [i for i, name in enumerate(doc["field"]) if name not in gone]
    for name in ("field", "label"):
        doc[name] = [doc[name][i] for i in keep]
    doc["resultsList"] = [[row[i] for i in keep] for row in doc["resultsList"]]
    result = fetch(server, client, Answer(encoded(doc)))
    assert not (gone | {"visits", "single_event"}) & set(result.df.columns)
    same_values(result.df, reference, [doc["field"][0], "city", "total_pages_viewed"])
    assert "6 without a location" in result.summary()
    assert result.table is not None and result.map is not None


def test_labels_in_another_locale_head_the_table(server, client, reference):
    doc = sample()
    doc["label"][at("duration")] = "duur"
    doc["label"][at("lastEvent")] = "laatste gebeurtenis"
    result = fetch(server, client, Answer(encoded(doc)))
    same_values(result.df, reference)
    assert result.df.attrs["labels"]["duration"] == "duur"
    assert result.table.headers[:3] == ["started", "laatste gebeurtenis", "duur"]


def test_an_answer_in_latin_1_with_its_charset_keeps_its_accents(server, client, reference):
    doc = sample()
    doc["resultsList"][0][at("city")] = "Zürich"
    body = json.dumps(doc, ensure_ascii=False).encode("iso-8859-1")
    df = fetch(server, client, Answer(body, "application/json;charset=ISO-8859-1")).df
    assert df["city"][0] == "Zürich"
    same_values(df, reference, ["duration", "latitude", "session_id"])


def test_an_answer_with_a_utf8_byte_order_mark_reads_like_one_without(server, client, reference):
    df = fetch(server, client, Answer(b"\xef\xbb\xbf" + SAMPLE)).df
    same_values(df, reference)


# --- numbers and durations in the answer's locale -----------------------------------------------


def dutch(doc: dict) -> dict:
    """The sample as a Dutch answer: decimal commas, grouped thousands, hours as ``u``."""
    for row in doc["resultsList"]:
        for name in ("latitude", "longitude"):
            row[at(name)] = row[at(name)].replace(".", ",")
        for name in schema.DURATION_FIELDS:
            row[at(name)] = row[at(name)].replace("h", "u")
        count = int(row[at("total_pages_viewed")])
        row[at("total_pages_viewed")] = f"{count:,}".replace(",", ".")
    doc["label"][at("duration")] = "duur"
    return doc


def test_numbers_and_durations_are_read_in_the_requested_locale(server, client, reference):
    doc = dutch(sample())
    assert doc["resultsList"][1][at("duration")] == "20u 44m 57s"
    assert doc["resultsList"][1][at("total_pages_viewed")] == "22.073"
    assert doc["resultsList"][0][at("latitude")] == "42,850006"
    df = fetch(server, client, Answer(encoded(doc)), request=DAY.replace(locale="nl_NL")).df
    same_values(
        df, reference, ["latitude", "longitude", *schema.DURATION_FIELDS, "total_pages_viewed"]
    )
    assert df.attrs["unreadable"] == {} and df.attrs["locale"] == "nl_NL"


def test_a_dutch_answer_read_as_english_names_what_it_could_not_read(server, client):
    result = fetch(server, client, Answer(encoded(dutch(sample()))))
    unreadable = result.df.attrs["unreadable"]
    assert unreadable == {
        "duration": 1,  # 20u 44m 57s: not a unit of English
        "currentVisitDuration": 1,
        "total_pages_viewed": 1,  # 22.073: not a number in English
    }
    assert result.summary().endswith(
        "3 unreadable values (1 in duration, 1 in currentVisitDuration, 1 in total_pages_viewed)"
        " · more sessions exist (fetch them with --all or --max-rows)"
    )
    assert result.df["latitude"][0] == pytest.approx(42.850006)  # a comma, unambiguous there


def test_single_event_visits_last_zero_seconds_and_are_flagged(server, client):
    df = fetch(server, client, Answer(SAMPLE)).df
    texts = [row[at("duration")] for row in sample()["resultsList"]]
    assert list(df["single_event"]) == [text == "s.e." for text in texts]
    assert (df["duration"][df["single_event"].to_numpy(dtype=bool)] == pd.Timedelta(0)).all()


# --- answer shapes and errors the real server may send ------------------------------------------


@pytest.mark.parametrize(
    ("body", "kind", "message"),
    [
        (b'{"error": "Column fooBar does not exist"}', ApiError, "Column fooBar does not exist"),
        (
            b'{"error": "java.lang.RuntimeException: Login/ site combination is not valid"}',
            AuthenticationError,
            "Login/ site combination is not valid",
        ),
        (
            b"error: java.lang.IllegalArgumentException: Column fooBar does not exist\n",
            ApiError,
            "Column fooBar does not exist",
        ),
        (
            b'{"resultsList": [{"error": "java.lang.NullPointerException: site\\n\\tat x.y(Y.java:1)"}]}',
            ApiError,
            "site",
        ),
    ],
    ids=["error-object", "error-object-login", "lower-case-error-line", "error-row"],
)
def test_error_answers_show_the_servers_message_in_one_line(server, client, body, kind, message):
    server.serve(Answer(body))
    with pytest.raises(kind) as caught:
        client.sessions(DAY)
    assert one_line(caught.value).startswith(message)  # the login error adds the site sent


def test_an_empty_page_that_carries_a_token_is_followed(server, client, reference):
    empty = sample()
    empty["resultsList"] = []
    last = sample()
    last["nextToken"] = None
    result = fetch(server, client, Answer(encoded(empty)), Answer(encoded(last)), all_pages=True)
    assert len(server.requests) == 2 and server.requests[1].value("nextToken") == TOKEN
    same_values(result.df, reference)


# --- malformed answers (issue 10) ---------------------------------------------------------------


def _nested(depth: int) -> bytes:
    return b'{"field": ["a"], "resultsList": [' + b"[" * depth + b"]" * depth + b"]}"


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (_nested(100_000), "nested too deeply"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (
            encoded({**sample(), "nextToken": {"day": 1321401600000}}),
            "nextToken is an object",
        ),
        (encoded({**sample(), "field": "lastEvent"}), "'field' is text"),
        (
            encoded({"field": ["city", "city"], "resultsList": [["Vitoria", "Brooklyn"]]}),
            "'city' twice",
        ),
        (encoded({"field": ["city"], "resultsList": [["Vitoria", "x"]]}), "row 1"),
    ],
    ids=["deep-rows", "deep-document", "token-object", "field-text", "field-twice", "row-length"],
)
def test_malformed_answers_are_one_line_response_errors(server, client, body, words):
    server.serve(Answer(body))
    with pytest.raises(ResponseError) as caught:
        client.sessions(DAY)
    assert words in one_line(caught.value)


def test_metadata_lists_of_the_wrong_type_are_ignored_not_fatal(server, client, reference):
    doc = {**sample(), "label": "last event", "hidden": {"a": 1}, "profileColumns": 7}
    doc["expand"] = "filterByVisitId"
    result = fetch(server, client, Answer(encoded(doc)))
    same_values(result.df, reference)
    assert result.table.headers[1:3] == ["lastEvent", "duration"]  # no labels: the names
    assert result.df.attrs["profile_columns"] == [] and result.df.attrs["expand"] is None
    assert result.table is not None


def test_numbers_of_thousands_of_digits_are_counted_unreadable_not_fatal(server, client):
    doc = sample()
    doc["rows"] = "ROWS"
    doc["resultsList"][0][at("total_pages_viewed")] = "HUGE"
    body = encoded(doc).replace(b'"ROWS"', b"9" * 5000).replace(b'"HUGE"', b"7" * 5000)
    assert b'"rows": ' + b"9" * 5000 in body and b", " + b"7" * 5000 + b", " in body
    result = fetch(server, client, Answer(body))
    assert result.df["total_pages_viewed"].isna()[0] and len(result.df) == 6
    assert result.df.attrs["unreadable"] == {"total_pages_viewed": 1}
    assert "1 unreadable value (1 in total_pages_viewed)" in result.summary()


def test_a_token_after_the_rows_with_a_list_after_it_is_followed(server, client, reference):
    doc = sample()
    first = {k: v for k, v in doc.items() if k not in ("nextToken", "hidden")}
    first |= {"nextToken": TOKEN, "hidden": doc["hidden"]}
    assert list(first)[-3:] == ["resultsList", "nextToken", "hidden"]
    last = {**first, "nextToken": ""}
    result = fetch(server, client, Answer(encoded(first)), Answer(encoded(last)), all_pages=True)
    assert len(server.requests) == 2 and server.requests[1].value("nextToken") == TOKEN
    assert len(result.df) == 12


@pytest.mark.parametrize(
    ("latitude", "longitude"),
    [("999", "10"), ("45", "-400"), ("NaN", "3"), ("Infinity", "3"), ("-91", "0")],
)
def test_coordinates_off_the_world_count_as_without_a_location(server, client, latitude, longitude):
    doc = sample()
    doc["resultsList"][0][at("latitude")] = latitude
    doc["resultsList"][0][at("longitude")] = longitude
    result = fetch(server, client, Answer(encoded(doc)))
    assert "1 without a location" in result.summary()
    latitude, longitude = result.map.center
    assert -90 <= latitude <= 90 and -180 <= longitude <= 180
    assert result.map.missing == 1


# --- through %%otsessions in a real IPython shell -------------------------------------------------


def run_cell(shell, text):
    result = shell.run_cell(text, store_history=True)
    result.raise_error()
    return result.result


@pytest.mark.parametrize("where", ["cell", "OT_LOCALE"])
def test_a_cell_with_a_locale_reads_a_dutch_answer(shell, server, reference, monkeypatch, where):
    server.serve(Answer(encoded(dutch(sample()))))
    cell = "%%otsessions --out visits --no-display\ndate = 2011-11-16\n"
    if where == "cell":
        cell += "locale = nl_NL\n"
    else:
        monkeypatch.setenv("OT_LOCALE", "nl_NL")
    result = run_cell(shell, cell)
    visits = shell.user_ns["visits"]
    same_values(visits, reference, ["latitude", "duration", "total_pages_viewed"])
    assert "unreadable" not in result.summary()
    assert_sent_as_a_form(server)
    assert server.requests[0].value("locale") == "nl_NL"


def test_a_cell_shows_unreadable_values_in_its_summary_line(shell, server):
    doc = sample()
    doc["resultsList"][2][at("latitude")] = "north"
    server.serve(Answer(encoded(doc)))
    result = run_cell(shell, "%%otsessions --out visits --no-display\ndate = 2011-11-16\n")
    shown = result._repr_mimebundle_()["text/plain"]
    assert "1 unreadable value (1 in latitude)" in shown
    assert shell.user_ns["visits"].attrs["unreadable"] == {"latitude": 1}


def test_a_cell_with_all_follows_a_token_placed_after_the_rows(shell, server):
    doc = sample()
    first = {**{k: v for k, v in doc.items() if k != "nextToken"}, "nextToken": TOKEN}
    first["zz_list"] = [1, 2]
    server.serve(Answer(encoded(first)), Answer(encoded({**first, "nextToken": ""})))
    run_cell(shell, "%%otsessions --out visits --all --no-display\ndate = 2011-11-16\n")
    assert len(shell.user_ns["visits"]) == 12 and len(server.requests) == 2
    assert_sent_as_a_form(server)


def test_a_cell_asking_a_column_twice_gets_it_once(shell, server):
    doc = sample()
    city = [row[at("city")] for row in doc["resultsList"]]
    server.serve(
        Answer(encoded({"field": ["city", "city"], "resultsList": [[c, c] for c in city]}))
    )
    run_cell(
        shell,
        "%%otsessions --out visits --no-display\ndate = 2011-11-16\nshowColumns = city, city\n",
    )
    visits = shell.user_ns["visits"]
    assert list(visits.columns) == ["city"] and list(visits["city"]) == city
    assert server.requests[0].value("showColumns") == "city,city"


def test_a_cell_shows_an_error_object_as_one_line(shell, server, capsys):
    server.serve(Answer(b'{"error": "java.lang.IllegalStateException: Too many columns"}'))
    capsys.readouterr()
    result = shell.run_cell("%%otsessions --out visits\ndate = 2011-11-16\n", store_history=True)
    err = capsys.readouterr().err
    assert isinstance(result.error_in_exec, UsageError)
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "Too many columns" in lines[0] and "Traceback" not in err
    assert CANARY not in err
