"""SessionsRequest: validation from the parameter table, value semantics, exact round trips."""

from __future__ import annotations

import datetime as dt
import pickle
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ot_magic.errors import CellSyntaxError, ParameterError
from ot_magic.javatime import zone_ids
from ot_magic.params import USER_PARAMS, Param, country_codes
from ot_magic.request import SessionsRequest
from ot_magic.schema import FIELDS

# --- hypothesis strategies built from the parameter table --------------------------------------

_TEXTISH = st.text(
    st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30
)  # every printable character, '#', '{', '"' and unicode spaces included


def _candidates(param: Param) -> st.SearchStrategy:
    """Values of the parameter's kind; the table's own parser has the last word (Param.accepts)."""
    kind = param.kind.name
    items = {
        "countries": st.sampled_from(sorted(country_codes())),
        "columns": st.sampled_from(FIELDS),
        "sites": st.from_regex(
            r"[a-z0-9]{1,8}(\.[a-z0-9]{1,8}){0,2}(:[0-9]{2,4})?", fullmatch=True
        ),
        "words": _TEXTISH,
    }
    if kind in items:
        return st.lists(items[kind], min_size=1, max_size=4)
    lo = param.minimum if param.minimum is not None else 0
    hi = param.maximum if param.maximum is not None else 10**9
    return {
        "int": st.integers(lo, hi),
        "bool": st.booleans(),
        "date": st.dates(dt.date(2000, 1, 1), dt.date(2030, 12, 31)),
        "period": st.tuples(st.integers(lo, hi), st.sampled_from("dwm")).map(
            lambda t: f"{t[0]}{t[1]}"
        ),
        "dotted_id": st.from_regex(r"[0-9]{13}\.[0-9]{1,9}", fullmatch=True),
        "order": st.tuples(st.sampled_from(FIELDS), st.sampled_from(["", " asc", " desc"])).map(
            "".join
        ),
        "zone": st.sampled_from(zone_ids())
        | st.from_regex(r"GMT[+-](1[0-2]|[0-9])", fullmatch=True),
        "locale": st.from_regex(r"[a-z]{2}(_[A-Z][a-z]{3})?(_[A-Z]{2})?", fullmatch=True),
        "java_pattern": st.sampled_from(["yyyy-MM-dd", "yyyy-dd-MM", "dd MMM yyyy", "d 'de' MMMM"]),
        "text": st.sampled_from(param.choices) if param.choices else _TEXTISH,
    }[kind]


def _value(param: Param) -> st.SearchStrategy:
    return _candidates(param).filter(param.accepts)


requests = st.fixed_dictionaries(
    {}, optional={name: _value(param) for name, param in USER_PARAMS.items()}
).map(lambda params: SessionsRequest(**params))


# --- round trips -------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(requests)
def test_cell_text_reads_back_as_the_same_request(req):
    assert SessionsRequest.from_cell(req.to_cell()) == req
    assert SessionsRequest.from_cell(req.to_cell(magic_line=None)) == req


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(requests)
def test_api_params_read_back_as_the_same_request(req):
    params = req.to_api_params()
    assert all(isinstance(v, str) for v in params.values())
    assert SessionsRequest.from_api_params(params) == req


@settings(max_examples=100, deadline=None)
@given(requests)
def test_repr_evaluates_back_to_the_same_request(req):
    assert eval(repr(req), {"SessionsRequest": SessionsRequest}) == req
    assert pickle.loads(pickle.dumps(req)) == req


def test_a_value_holding_a_comment_marker_or_braces_is_quoted_or_escaped_in_cell_text():
    req = SessionsRequest(filterByCurrentTitle='Page #2 {draft} "x"', search="page#top")
    cell = req.to_cell()
    assert 'filterByCurrentTitle = "Page #2 {{draft}} \\"x\\""' in cell
    assert "search = page#top\n" in cell
    assert SessionsRequest.from_cell(cell) == req


# --- value semantics ---------------------------------------------------------------------------


def test_requests_written_differently_are_equal_and_hash_alike():
    a = SessionsRequest(date="2011-11-16", limit="200", includeCountryCode="us, gb", useOr="TRUE")
    b = SessionsRequest(
        useOr=True, includeCountryCode=["US", "GB"], limit=200, date=dt.date(2011, 11, 16)
    )
    assert a == b and hash(a) == hash(b)
    assert len({a, b}) == 1
    assert a != a.replace(limit=201)


def test_params_are_read_only_normal_values_in_the_tables_order():
    req = SessionsRequest(limit=5, search="*google*", date="2011-11-16", period="3d")
    assert list(req.params) == ["date", "period", "limit", "search"]
    assert req.params["date"] == dt.date(2011, 11, 16)
    assert req.params["search"] == ("*google*",)
    with pytest.raises(TypeError):
        req.params["limit"] = 6  # type: ignore[index]
    with pytest.raises(AttributeError):
        req.limit = 6  # type: ignore[attr-defined]


def test_replace_changes_adds_and_removes_without_touching_the_original():
    req = SessionsRequest(date="2011-11-16", period="3d")
    changed = req.replace(period=None, limit=500)
    assert changed.to_api_params() == {"date": "2011-11-16", "limit": "500"}
    assert req.to_api_params() == {"date": "2011-11-16", "period": "3d"}


def test_defaults_fill_only_what_the_request_does_not_set():
    req = SessionsRequest(limit=5).with_defaults(limit=100, site="www.opentracker.net")
    assert req.to_api_params() == {"site": "www.opentracker.net", "limit": "5"}


def test_get_gives_the_value_or_the_default_and_refuses_unknown_names():
    req = SessionsRequest(limit=5)
    assert req.get("limit") == 5
    assert req.get("date") is None
    with pytest.raises(ParameterError, match="did you mean limit"):
        req.get("limt")


def test_api_params_are_text_and_accept_the_apis_other_spelling():
    req = SessionsRequest.from_api_params({"timezone": "America/New_York", "period": "2w"})
    assert req.to_api_params() == {"period": "2w", "timeZone": "America/New_York"}


# --- refusals ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"perod": "3d"}, r"unknown parameter 'perod' \(did you mean period\?\)"),
        ({"Limit": "3"}, r"did you mean limit\?"),
        ({"limit": "0"}, r"limit: expected a whole number from 1 to 1000, got '0'"),
        ({"date": "2011-02-30"}, r"date: expected a date as yyyy-MM-dd"),
        ({"password": "s3cret"}, r"password: set by ot_magic itself"),
        ({"ticketId": "abc"}, r"ticketId: set by ot_magic itself"),
        ({"dataType": "html"}, r"dataType: set by ot_magic itself"),
        ({"jsoncallback": "cb"}, r"jsoncallback: set by ot_magic itself"),
        ({"country": "US"}, r"unknown parameter 'country' \(did you mean includeCountryCode\?\)"),
        ({"referrer": "*google*"}, r"\(did you mean search\?\)"),
        ({"page": "2"}, r"\(did you mean search or nextToken\?\)"),
        ({"search": "caf\udce9"}, r"^search: expected valid Unicode text"),
        ({"search": ["ok", "caf\udce9"]}, r"^search: expected valid Unicode text"),
        ({"includeCountryCode": "UK, XX"}, r"includeCountryCode: expected ISO 3166"),
        ({"timeZone": "Europe/Amsterdm"}, r"\(did you mean Europe/Amsterdam\?\), got"),
        ({"locale": "en-US"}, r"^locale: expected a locale .* \(did you mean en_US\?\)"),
        ({"showColumns": "filtered_compan"}, r"\(did you mean filtered_company\?\)"),
    ],
)
def test_bad_parameters_are_refused_in_one_line_naming_them(params, message):
    with pytest.raises(ParameterError, match=message) as caught:
        SessionsRequest(**params)
    assert "\n" not in str(caught.value)
    assert "s3cret" not in str(caught.value)


def test_a_refused_cell_value_names_its_line():
    with pytest.raises(ParameterError, match=r"^line 3: limit: expected a whole number"):
        SessionsRequest.from_cell("%%otsessions\ndate = 2011-11-16\nlimit = 5000\n")


def test_line_magic_words_build_the_same_request_as_the_cell():
    words = ["date=2011-11-16", "period=3d", "search=*google* ads"]
    cell = "date = 2011-11-16\nperiod = 3d\nsearch = *google* ads"
    assert SessionsRequest.from_arguments(words) == SessionsRequest.from_cell(cell)
    with pytest.raises(CellSyntaxError, match=r"argument 2: expected name=value, got 'period'"):
        SessionsRequest.from_arguments(["date=2011-11-16", "period"])


def test_repr_is_readable():
    req = SessionsRequest(date="2011-11-16", limit=200, useOr=True, search="a,b")
    assert repr(req) == "SessionsRequest(date='2011-11-16', limit=200, search='a,b', useOr=True)"
    assert re.fullmatch(r"SessionsRequest\(\)", repr(SessionsRequest()))


# --- values the reference page allows ----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value", "api_text"),
    [
        ("search", "AT&T, o'reilly, utm_source=google", "AT&T,o'reilly,utm_source=google"),
        ("excludeInUrl", "utm_source=google, a&b", "utm_source=google,a&b"),
        ("search", "x&password=y", "x&password=y"),  # text about a password, not the password
        ("includeCountryCode", "a1, A2, O1, uk, eu, AP", "A1,A2,O1,UK,EU,AP"),
        ("showColumns", "filtered_company, city", "filtered_company,city"),
        ("locale", "sr_Latn_RS", "sr_Latn_RS"),
        ("locale", "en_US_POSIX", "en_US_POSIX"),
        ("filterByCurrentTitle", "name = value", "name = value"),
        ("filterByCurrentTitle", "Step 2: price = 10 & more", "Step 2: price = 10 & more"),
    ],
)
def test_values_the_reference_allows_are_sent_as_written_and_survive_the_cell(
    name, value, api_text
):
    req = SessionsRequest.from_cell(f"%%otsessions\n{name} = {value}\n")
    assert req.to_api_params() == {name: api_text}
    assert SessionsRequest.from_cell(req.to_cell()) == req
    assert SessionsRequest.from_arguments([f"{name}={value}"]) == req


def test_a_list_item_holding_a_comma_is_refused_because_it_would_come_back_as_two():
    with pytest.raises(ParameterError, match=r"^search: expected words separated by commas"):
        SessionsRequest(search=["a,b"])


# --- the user's own credentials in a value -----------------------------------------------------


def test_a_value_holding_the_configured_password_is_refused_without_showing_it():
    secret = "Pa$$-w0rd!"
    for text in (f"search = x{secret}y", f"filterByCurrentTitle = {secret}"):
        with pytest.raises(ParameterError, match=r"^line 2: \w+: the value holds your") as caught:
            SessionsRequest.from_cell(f"date = 2011-11-16\n{text}\n", secrets=[secret])
        assert secret not in str(caught.value)
    with pytest.raises(ParameterError, match=r"^argument 1: search: the value holds your"):
        SessionsRequest.from_arguments(["search={v}"], {"v": [secret]}, secrets=[secret])
    req = SessionsRequest(search="password=hunter2")
    assert req.holding_secret([secret]) is None and req.check_secrets([secret]) is req
    assert SessionsRequest(search=["a", f"b{secret}"]).holding_secret(["", secret]) == "search"
