"""Answer bytes → typed DataFrame, checked on the reference page's own sample rows."""

from __future__ import annotations

import datetime as dt
import gc
import json
from pathlib import Path

import pandas as pd
import pytest

from ot_magic import schema
from ot_magic.client import OpenTrackerClient
from ot_magic.emulator import DEMO_LOGIN, DEMO_PASSWORD
from ot_magic.errors import ApiError, AuthenticationError, ResponseError
from ot_magic.frame import gc_paused, parse_sessions, read_page, to_dataframe
from ot_magic.javatime import java_zone
from ot_magic.params import PARAMS
from ot_magic.request import SessionsRequest

SAMPLE_PATH = Path(__file__).parent / "data" / "reference_sample.json"
SAMPLE = SAMPLE_PATH.read_bytes()
FIELDS_EMAIL = json.loads(SAMPLE)["field"].index("email")


@pytest.fixture(scope="module")
def sample():
    return parse_sessions(SAMPLE)


def sample_doc() -> dict:
    return json.loads(SAMPLE)


def test_reference_rows_become_one_row_a_session_with_the_answer_field_names(sample):
    assert len(sample.df) == 6
    fields = list(sample_doc()["field"])
    expected = []
    for name in fields:
        expected.append(name)
        expected += {"duration": ["single_event"], "visits_pageviews": ["visits", "pageviews"]}.get(
            name, []
        )
    assert list(sample.df.columns) == expected


def test_durations_are_timedeltas_and_single_event_visits_last_zero_seconds_and_are_flagged(
    sample,
):
    duration = sample.df["duration"]
    assert pd.api.types.is_timedelta64_dtype(duration)
    assert duration[0] == pd.Timedelta(seconds=20)
    assert duration[1] == pd.Timedelta(hours=20, minutes=44, seconds=57)
    assert duration[4] == pd.Timedelta(minutes=4, seconds=14)
    single_event = [i for i, row in enumerate(sample_doc()["resultsList"]) if row[1] == "s.e."]
    assert single_event and (duration[single_event] == pd.Timedelta(0)).all()
    flag = sample.df["single_event"]
    assert flag.dtype == "boolean"
    assert [i for i in range(len(flag)) if flag[i]] == single_event
    assert sample.df.attrs["unreadable"] == {}


def test_visits_pageviews_keeps_its_text_and_splits_into_two_integer_columns(sample):
    df = sample.df
    assert df["visits_pageviews"][1] == "12 (1169)"
    assert (df["visits"][1], df["pageviews"][1]) == (12, 1169)
    assert df["visits"].dtype == "Int64" and df["pageviews"].dtype == "Int64"


def test_counts_are_nullable_integers_and_coordinates_floats(sample):
    df = sample.df
    for name in schema.COUNT_FIELDS:
        assert df[name].dtype == "Int64", name
    assert df["total_pages_viewed"][1] == 22073
    assert df["latitude"].dtype == "float64" and df["longitude"].dtype == "float64"
    assert df["latitude"][1] == pytest.approx(40.633194)
    assert df["longitude"][1] == pytest.approx(-73.9967)


def test_epoch_milliseconds_are_aware_datetimes_in_the_api_default_zone(sample):
    default = PARAMS["timeZone"].default
    start = sample.df["session_start_unix_timestamp"]
    assert isinstance(start.dtype, pd.DatetimeTZDtype)
    assert start[1] == pd.Timestamp(1321397999803, unit="ms", tz="UTC")
    expected_offset = java_zone(default).utcoffset(start[1].to_pydatetime().replace(tzinfo=None))
    assert start[1].utcoffset() == expected_offset
    assert sample.df.attrs["time_zone"] == default
    for name in schema.EPOCH_MS_FIELDS:
        assert isinstance(sample.df[name].dtype, pd.DatetimeTZDtype), name


def test_without_a_time_zone_datetimes_read_like_the_emulators_last_event_text(emulator):
    with OpenTrackerClient(
        emulator.url, credentials=(DEMO_LOGIN, DEMO_PASSWORD), timeout=5, backoff=0
    ) as client:
        df = client.sessions(SessionsRequest(date="2011-11-16", limit=20)).df
    assert "timeZone" not in df.attrs["request"]
    assert df.attrs["time_zone"] == PARAMS["timeZone"].default
    for row in range(len(df)):
        event = df["eventUnixTimestamp"][row]
        assert event.strftime("%b %d %I:%M %p") == df["lastEvent"][row]
    assert (df["session_start_unix_timestamp"].dt.date == dt.date(2011, 11, 16)).all()


def test_datetimes_are_shown_in_the_requested_java_time_zone():
    est = parse_sessions(SAMPLE, request={"timeZone": "EST"}).df["session_start_unix_timestamp"]
    assert est[1].utcoffset() == pd.Timedelta(hours=-5)
    assert est[1] == pd.Timestamp(1321397999803, unit="ms", tz="UTC")
    berlin = parse_sessions(SAMPLE, time_zone="Europe/Berlin").df["eventUnixTimestamp"]
    assert str(berlin.dt.tz) == "Europe/Berlin"


def test_ids_stay_text_and_empty_text_is_missing(sample):
    df = sample.df
    for name in schema.ID_FIELDS:
        assert pd.api.types.is_string_dtype(df[name]) and not pd.api.types.is_numeric_dtype(
            df[name]
        )
    assert df["session_id"][1] == "1321397999803.180515048"
    assert pd.isna(df["email"][1]) and df["email"].isna()[1]
    assert df["company_org"].isna()[1] and df["city"][1] == "Brooklyn"


def test_attrs_carry_labels_hidden_columns_token_and_the_redacted_request():
    request = {
        "date": "2011-11-16",
        "login": "me@x.org",
        "password": "canary-pw",
        "ticketId": "t-1",
    }
    answer = parse_sessions(SAMPLE, request=request)
    attrs = answer.df.attrs
    assert attrs["labels"]["visits_pageviews"] == "visits(pv)"
    assert set(attrs["labels"]) <= set(answer.df.columns)
    assert "latitude" in attrs["hidden"] and "countr" not in attrs["hidden"]
    assert len(attrs["hidden"]) == len(set(attrs["hidden"]))
    assert set(attrs["hidden"]) <= set(answer.df.columns)
    assert attrs["request"] == {"date": "2011-11-16"}
    assert "canary-pw" not in repr(attrs) and "me@x.org" not in repr(attrs)
    assert answer.next_token == attrs["next_token"] == "1321401600000.1321466400000"
    assert attrs["expand_url"].endswith("cassandraPageViews.jsp?jsoncallback=?")
    assert attrs["expand"][0][0] == "filterByVisitId"
    assert "visit_id" in attrs["profile_columns"]
    assert pd.Timestamp(attrs["fetched_at"]).tzinfo is not None
    assert attrs["time_zone"] == PARAMS["timeZone"].default


@pytest.mark.parametrize(
    "wrapped",
    [b"callback(%s)", b"jQuery1710_22(\n%s\n);\n", b"(%s)", b"  cb_1 ( %s ) ; "],
    ids=["named", "jquery-style-with-semicolon", "anonymous", "spaces"],
)
def test_jsonp_wrappers_are_stripped(wrapped, sample):
    body = wrapped.replace(b"%s", SAMPLE.strip())
    pd.testing.assert_frame_equal(parse_sessions(body).df, sample.df)


def test_rows_given_as_objects_read_like_rows_given_as_arrays(sample):
    doc = sample_doc()
    doc["resultsList"] = [dict(zip(doc["field"], row, strict=True)) for row in doc["resultsList"]]
    pd.testing.assert_frame_equal(parse_sessions(json.dumps(doc)).df, sample.df)


def test_an_answer_of_many_megabytes_reads_like_the_same_rows_given_one_by_one():
    doc = sample_doc()
    doc["resultsList"] = doc["resultsList"] * 1500  # ~4 MB: several chunks of rows
    as_arrays = json.dumps(doc).encode()
    assert len(as_arrays) > 3 * (1 << 20)
    doc["resultsList"] = [dict(zip(doc["field"], row, strict=True)) for row in doc["resultsList"]]
    chunked, one_by_one = parse_sessions(as_arrays).df, parse_sessions(json.dumps(doc)).df
    pd.testing.assert_frame_equal(chunked, one_by_one)
    assert len(chunked) == 6 * 1500 and chunked["email"].isna().sum() == 1500 * sum(
        row[FIELDS_EMAIL] == "" for row in sample_doc()["resultsList"]
    )


def test_text_bodies_are_accepted_like_bytes(sample):
    pd.testing.assert_frame_equal(parse_sessions(SAMPLE.decode()).df, sample.df)


def test_filtered_company_is_a_column_when_the_answer_has_it():
    doc = sample_doc()
    doc["field"].append("filtered_company")
    doc["label"].append("filtered company")
    for row in doc["resultsList"]:
        row.append("Acme")
    df = parse_sessions(json.dumps(doc)).df
    assert list(df["filtered_company"]) == ["Acme"] * 6


def test_an_answer_without_rows_is_an_empty_frame_with_typed_columns():
    doc = sample_doc()
    doc["resultsList"], doc["nextToken"] = [], ""
    answer = parse_sessions(json.dumps(doc))
    assert len(answer.df) == 0 and answer.next_token is None
    assert answer.df["visits"].dtype == "Int64"
    assert isinstance(answer.df["session_start_unix_timestamp"].dtype, pd.DatetimeTZDtype)


def test_pages_join_into_one_frame_with_the_last_token(sample):
    doc = sample_doc()
    doc["nextToken"] = ""
    pages = [read_page(SAMPLE), read_page(json.dumps(doc))]
    both = to_dataframe(pages, request={"timeZone": "EST"})
    assert len(both) == 12 and list(both.index) == list(range(12))
    assert list(both["session_id"]) == list(sample.df["session_id"]) * 2
    assert (
        both["visits"].dtype == "Int64"
        and both["session_id"].dtype == sample.df["session_id"].dtype
    )
    assert both["eventUnixTimestamp"].iloc[0].utcoffset() == pd.Timedelta(hours=-5)
    assert both.attrs["labels"] == sample.df.attrs["labels"] and both.attrs["next_token"] is None


# --- error bodies ------------------------------------------------------------------------------


def test_error_text_keeps_the_api_message_verbatim():
    with pytest.raises(ApiError) as caught:
        parse_sessions(b"Error: java.lang.IllegalArgumentException: Column fooBar does not exist\n")
    assert str(caught.value) == "Column fooBar does not exist"
    assert caught.value.exception == "java.lang.IllegalArgumentException"
    assert not isinstance(caught.value, AuthenticationError)


def test_invalid_login_is_an_authentication_error():
    body = b"Error: java.lang.RuntimeException: Login/ site combination is not valid"
    with pytest.raises(AuthenticationError, match=r"^Login/ site combination is not valid$"):
        parse_sessions(body)


def test_an_error_row_gives_the_first_line_of_the_java_stack_trace():
    trace = (
        "java.lang.NullPointerException: site is null\n\tat com.ot.Sessions.get(Sessions.java:42)\n"
        "\tat com.ot.Servlet.doPost(Servlet.java:7)"
    )
    with pytest.raises(ApiError) as caught:
        parse_sessions(json.dumps({"resultsList": [{"error": trace}]}))
    assert str(caught.value) == "site is null"
    assert caught.value.exception == "java.lang.NullPointerException"
    assert "\n" not in str(caught.value)


def test_an_html_page_is_a_one_line_response_error():
    page = b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
    with pytest.raises(ResponseError) as caught:
        parse_sessions(page)
    assert "HTML" in str(caught.value) and "502 Bad Gateway" in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("cut", [0.5, 0.999])
def test_a_body_cut_short_is_a_one_line_response_error_without_the_body(cut):
    body = SAMPLE[: int(len(SAMPLE) * cut)]
    with pytest.raises(ResponseError) as caught:
        parse_sessions(body)
    message = str(caught.value)
    assert "not valid JSON" in message and "cut short" in message
    assert "\n" not in message and "opentracker.net" not in message and len(message) < 200


def test_a_jsonp_answer_cut_short_is_a_response_error():
    with pytest.raises(ResponseError, match="cut short"):
        parse_sessions(b"callback(" + SAMPLE[:5000])


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"false", "expected JSON"),
        (b"[1, 2, 3]", "resultsList"),
        (b'{"rows": 1}', "resultsList"),
        (
            b'{"field": ["a", "b"], "resultsList": [["x"]]}',
            "row 1 of the API's answer has 1 values",
        ),
        (b"\xff\xfe{", "expected JSON"),
    ],
)
def test_other_unreadable_answers_are_one_line_response_errors(body, expected):
    with pytest.raises(ResponseError, match=expected) as caught:
        parse_sessions(body)
    assert "\n" not in str(caught.value)


def test_no_pages_at_all_make_an_empty_typed_frame():
    df = to_dataframe([])
    assert len(df) == 0 and df["visits"].dtype == "Int64"
    assert set(schema.FIELDS) < set(df.columns)


def test_gc_paused_pauses_the_collector_and_restores_it_even_after_an_error():
    assert gc.isenabled()
    with pytest.raises(ValueError), gc_paused():
        assert not gc.isenabled()
        raise ValueError("inside")
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()  # left as the caller had it
    finally:
        gc.enable()


# --- answers as the real server may send them ---------------------------------------------------


def test_a_token_after_the_rows_of_a_multi_megabyte_answer_is_read():
    doc = sample_doc()
    token = doc.pop("nextToken")
    hidden = doc.pop("hidden")
    doc["resultsList"] = doc["resultsList"] * 1500  # read a chunk at a time
    doc |= {"nextToken": token, "hidden": hidden, "popUpColumns": [["a"], ["b"]]}
    page = read_page(json.dumps(doc))
    assert page.next_token == token and page.rows.height == 9000
    assert page.meta["hidden"] == hidden


def test_a_value_holding_the_end_of_the_rows_reads_the_same(sample):
    doc = sample_doc()
    doc["resultsList"][0][FIELDS_EMAIL] = 'a]], "nextToken": "x"}'
    df = parse_sessions(json.dumps(doc)).df
    assert df["email"][0] == 'a]], "nextToken": "x"}'
    assert df.drop(columns="email").equals(sample.df.drop(columns="email"))


def test_a_field_given_twice_with_the_same_values_is_one_column():
    body = json.dumps({"field": ["city", "site", "city"], "resultsList": [["A", "s", "A"]] * 3})
    df = parse_sessions(body).df
    assert list(df.columns) == ["city", "site"] and list(df["city"]) == ["A"] * 3


def test_a_text_read_in_no_locale_is_counted_per_column_never_a_silent_gap():
    doc = sample_doc()
    row = doc["resultsList"][0]
    row[doc["field"].index("latitude")] = "north"
    row[doc["field"].index("duration")] = "about a minute"
    row[doc["field"].index("eventUnixTimestamp")] = "99999999999999999999"
    df = parse_sessions(json.dumps(doc)).df
    assert df.attrs["unreadable"] == {"latitude": 1, "duration": 1, "eventUnixTimestamp": 1}
    assert df["latitude"].isna()[0] and df["duration"].isna()[0]
    assert not df["single_event"][0]


@pytest.mark.parametrize(
    ("locale", "latitude", "duration", "count"),
    [
        ("nl_NL", "-2,6667023", "20u 44m 57s", "22.073"),
        ("de_DE", "-2,6667023", "20 Std. 44 Min. 57 Sek.", "22.073"),
        ("fr_FR", "-2,6667023", "20h 44min 57s", "22\u202f073"),
        ("en_US", "-2.6667023", "20h 44m 57s", "22,073"),
    ],
)
def test_numbers_and_durations_are_read_in_the_requested_locale(locale, latitude, duration, count):
    doc = sample_doc()
    row = doc["resultsList"][0]
    row[doc["field"].index("longitude")] = latitude
    row[doc["field"].index("duration")] = duration
    row[doc["field"].index("total_pages_viewed")] = count
    df = parse_sessions(json.dumps(doc), request={"locale": locale}).df
    assert df["longitude"][0] == pytest.approx(-2.6667023)
    assert df["duration"][0] == pd.Timedelta(hours=20, minutes=44, seconds=57)
    assert df["total_pages_viewed"][0] == 22073
    assert df.attrs["unreadable"] == {} and df.attrs["locale"] == locale


@pytest.mark.parametrize("first_in_english", [False, True])
def test_a_dutch_answer_is_read_whole_whichever_form_its_first_row_takes(first_in_english):
    doc = sample_doc()
    field, rows = doc["field"], doc["resultsList"]
    assert len(rows) >= 3
    for number, row in enumerate(rows):
        english = first_in_english and number == 0
        row[field.index("duration")] = "20h 44m 57s" if english else "20u 44m 57s"
        row[field.index("longitude")] = "-2.5" if english else "-2,5"
    rows[-1][field.index("duration")] = "s.e."
    df = parse_sessions(json.dumps(doc), request={"locale": "nl_NL"}).df
    assert df.attrs["unreadable"] == {}
    assert (df["duration"][:-1] == pd.Timedelta(hours=20, minutes=44, seconds=57)).all()
    assert df["single_event"].tolist() == [False] * (len(rows) - 1) + [True]
    assert (df["longitude"] == -2.5).all()


def test_a_locale_cldr_does_not_know_reads_the_answer_as_english(sample):
    df = parse_sessions(SAMPLE, request={"locale": "zz"}).df
    assert df.attrs["locale"] == "en_US" and df.attrs["unreadable"] == {}
    pd.testing.assert_frame_equal(df, sample.df, check_flags=False)


def test_single_event_visits_are_exactly_those_the_emulators_max_duration_of_one_second_keeps(
    emulator,
):
    """The emulator's rule: a single-event visit lasts 0 s, so ``maxDuration = 1`` keeps it."""
    with OpenTrackerClient(
        emulator.url, credentials=(DEMO_LOGIN, DEMO_PASSWORD), timeout=10, backoff=0
    ) as client:
        day = SessionsRequest(date="2011-11-16", limit=1000)
        every = client.sessions(day, all_pages=True).df
        short = client.sessions(day.replace(maxDuration=1), all_pages=True).df
    assert every["single_event"].sum() > 0
    flagged = set(every["session_id"][every["single_event"].to_numpy(dtype=bool)])
    under_a_second = set(every["session_id"][every["duration"] < pd.Timedelta(seconds=1)])
    assert set(short["session_id"]) == under_a_second >= flagged
    assert (short["duration"] < pd.Timedelta(seconds=1)).all()


def test_an_answer_field_named_like_a_derived_column_keeps_its_own_values():
    body = json.dumps(
        {"field": ["visits_pageviews", "visits"], "resultsList": [["16 (2)", "own value"]]}
    )
    df = parse_sessions(body).df
    assert list(df.columns) == ["visits_pageviews", "pageviews", "visits"]
    assert df["visits"][0] == "own value" and df["pageviews"][0] == 2


def test_repeated_text_is_categorical_and_a_paged_frame_weighs_under_a_kilobyte_a_session(
    emulator,
):
    """Countries, cities, pages, titles ... are categoricals holding the very values the text
    had; ids and referrer links stay text. Three days over several pages (each page's own
    dictionaries) join into one frame."""
    with OpenTrackerClient(
        emulator.url, credentials=(DEMO_LOGIN, DEMO_PASSWORD), timeout=30, backoff=0
    ) as client:
        request = SessionsRequest(date="2011-11-16", period="3d", limit=1000)
        result = client.sessions(request, all_pages=True)
        one_page = client.sessions(request.replace(limit=40))
    df = result.df
    assert result.pages > 3 and len(df) > 5000
    for name in ("country", "city", "browser", "platform", "currentPage", "entry_title",
                 "session_referrer_hostname", "search"):  # fmt: skip
        assert isinstance(df[name].dtype, pd.CategoricalDtype), name
    for name in (*schema.ID_FIELDS, "referrer"):
        assert pd.api.types.is_string_dtype(df[name].dtype), name
    first = one_page.df
    for name in ("city", "currentTitle", "search", "browser"):
        assert df[name].head(40).astype(object).tolist() == first[name].astype(object).tolist()
    assert df["search"].isna().any() and df["search"].notna().any()
    per_session = df.memory_usage(deep=True).sum() / len(df)
    assert per_session < 1000, per_session  # all text as strings: about 1,550 B


def test_a_table_made_a_frame_stays_whole_for_its_caller(sample):
    # A table already typed and encoded (as Parquet or DuckDB hand it back) is converted
    # without being consumed: the caller may read it again, and get the same frame.
    from ot_magic.frame import arrow_to_frame, typed_rows

    table = typed_rows([read_page(SAMPLE)]).table
    first = arrow_to_frame(table)
    again = arrow_to_frame(table)
    assert table.num_rows == len(first) and table.column_names == list(first.columns)
    pd.testing.assert_frame_equal(first, again)
    pd.testing.assert_frame_equal(first, sample.df)


def test_a_query_answer_with_an_empty_column_or_a_null_category_reads_as_text_categories():
    # DuckDB answers a column with no value as NULL-typed, and may put NULL in a dictionary.
    import pyarrow as pa

    from ot_magic.frame import arrow_to_frame

    with_null = pa.DictionaryArray.from_arrays(pa.array([0, 1, 0]), pa.array(["NL", None]))
    df = arrow_to_frame(pa.table({"city": pa.nulls(3), "country": with_null}))
    assert df["city"].dtype == "category" and df["city"].isna().all()
    assert list(df["country"].cat.categories) == ["NL"]
    assert df["country"].tolist()[0] == "NL" and pd.isna(df["country"].tolist()[1])
