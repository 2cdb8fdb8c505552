"""The cell parser: its grammar, interpolation by name only, and one-line errors."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ot_magic.cellparse import cell_value, parse_arguments, parse_cell
from ot_magic.errors import CellSyntaxError, ParameterError
from ot_magic.request import SessionsRequest


def entries(text, namespace=None):
    return {e.name: e.value for e in parse_cell(text, namespace).entries}


def test_equals_or_colon_blank_lines_and_comments():
    text = """
# the visits of one week
date = 2011-11-16
period: 1w      # a trailing comment

  limit=20
"""
    assert entries(text) == {"date": "2011-11-16", "period": "1w", "limit": "20"}


def test_the_first_equals_or_colon_ends_the_name_and_later_ones_belong_to_the_value():
    cell = "filterByCurrentTitle = Step 2: price = 10\nsearch: utm_source=google\nx: a: b"
    assert entries(cell) == {
        "filterByCurrentTitle": "Step 2: price = 10",
        "search": "utm_source=google",
        "x": "a: b",
    }


def test_a_hash_inside_a_value_is_kept_and_a_hash_after_a_space_starts_a_comment():
    assert entries("search = http://x.org/page#top # the anchor") == {
        "search": "http://x.org/page#top"
    }


def test_a_quoted_value_keeps_its_comment_marker_and_spaces():
    assert entries('filterByCurrentTitle = "Page #2 "  # why') == {
        "filterByCurrentTitle": "Page #2 "
    }


def test_the_magic_line_is_optional_and_its_options_are_kept_apart():
    cell = parse_cell("%%otsessions --out visits --all\ndate = 2011-11-16\n")
    assert cell.options == "--out visits --all"
    assert [(e.name, e.line) for e in cell.entries] == [("date", 2)]
    assert parse_cell("date = 2011-11-16").options is None


def test_a_variable_inside_text_is_replaced_by_its_value_and_a_list_by_a_comma_list():
    ns = {"extra": ["FR", "DE"], "word": "google", "n": 7}
    assert entries("includeCountryCode = US, {extra}\nsearch = *{word}*\nlimit = {n}0", ns) == {
        "includeCountryCode": "US, FR, DE",
        "search": "*google*",
        "limit": "70",
    }


def test_a_value_that_is_only_a_variable_passes_the_variable_itself():
    day = dt.datetime(2011, 11, 16, 13, 30)
    assert entries("date = {day}\nlimit = {n}", {"day": day, "n": 5}) == {"date": day, "limit": 5}
    assert SessionsRequest.from_cell("date = {day}", {"day": day}).params["date"] == day.date()


def test_double_braces_are_literal_braces():
    assert entries("filterByCurrentTitle = {{draft}} {x}", {"x": 1}) == {
        "filterByCurrentTitle": "{draft} 1"
    }


def test_a_value_from_a_variable_is_never_parsed_again():
    ns = {"title": "A # not a comment {x}"}
    assert entries("filterByCurrentTitle = [{title}]", ns) == {
        "filterByCurrentTitle": "[A # not a comment {x}]"
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "limit = {missing}",
            r"^line 1: limit: \{missing\} names no variable: 'missing' is not defined$",
        ),
        (
            "search = {os.name}",
            r"^line 1: search: expected a variable name inside \{\.\.\.\}, got 'os\.name'",
        ),
        ("search = {__import__('os')}", r"^line 1: search: expected a variable name"),
        ("search = {1+1}", r"^line 1: search: expected a variable name"),
        ("search = a{b", r"^line 1: search: unmatched '\{' \(write '\{\{' for a literal brace\)$"),
        ("search = a}b", r"^line 1: search: unmatched '\}'"),
        (
            "date = 2011-11-16\n\ndate = 2011-11-17",
            r"^line 3: date is set twice \(first on line 1\)$",
        ),
        ("date 2011-11-16", r"^line 1: expected 'name = value', got 'date 2011-11-16'$"),
        ("include-country = US", r"^line 1: expected a parameter name"),
        ("limit =", r"^line 1: limit: expected a value after 'limit ='$"),
        ("limit = # none", r"^line 1: limit: expected a value"),
        ('search = "abc', r'^line 1: search: expected a closing "'),
        ('search = "abc" def', r"^line 1: search: expected the end of the line or a # comment"),
        ("%%bigquery\nx = 1", r"^line 1: expected %%otsessions as the first line"),
    ],
)
def test_syntax_errors_are_one_line_with_the_line_number(text, message):
    with pytest.raises(CellSyntaxError, match=message) as caught:
        parse_cell(text, {"x": 1, "os": object()})
    assert "\n" not in str(caught.value)


def test_a_variable_that_cannot_be_written_as_text_is_one_line():
    class Broken:
        def __str__(self):
            raise RuntimeError("no")

    with pytest.raises(CellSyntaxError, match=r"^line 1: search: \{b\} cannot be written as text"):
        parse_cell("search = *{b}*", {"b": Broken()})


def test_interpolation_runs_no_code():
    class Loud:
        def __getattr__(self, name):
            raise AssertionError("attribute looked up")

    with pytest.raises(CellSyntaxError):
        parse_cell("search = {obj.__class__}", {"obj": Loud()})


def test_line_magic_words_are_split_at_the_first_equals_sign():
    got = parse_arguments(["search=a=b", "limit={n}"], {"n": 3})
    assert [(e.name, e.value, e.line) for e in got] == [("search", "a=b", 1), ("limit", 3, 2)]
    with pytest.raises(CellSyntaxError, match=r"^argument 2: limit: expected a value"):
        parse_arguments(["date=1", "limit="])


@pytest.mark.parametrize("text", ["plain", "page#top", "Page #2", "#x", '"q"', "{a}", " pad "])
def test_cell_value_is_read_back_verbatim(text):
    assert entries(f"search = {cell_value(text)}") == {"search": text}


_NAMESPACE = {"x": 1, "items": ["US", "GB"], "day": dt.date(2011, 11, 16), "none": None}


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=200))
def test_no_cell_text_raises_anything_but_the_documented_errors(text):
    try:
        SessionsRequest.from_cell(text, _NAMESPACE)
    except (CellSyntaxError, ParameterError) as error:
        assert "\n" not in str(error)


_LINE = st.one_of(
    st.sampled_from(
        ["", "# c", "%%otsessions", "date = 2011-11-16", "limit: {x}", "search={items}"]
    ),
    st.tuples(
        st.sampled_from(["date", "period", "limit", "search", "includeCountryCode", "x", "Date"]),
        st.sampled_from(["=", ":", " = ", "=="]),
        st.text(st.sampled_from('ab1-#{}" ,:=%\\'), max_size=12),
    ).map("".join),
)


@settings(max_examples=500, deadline=None)
@given(st.lists(_LINE, max_size=8).map("\n".join))
def test_no_cell_of_plausible_lines_raises_anything_but_the_documented_errors(text):
    try:
        SessionsRequest.from_cell(text, _NAMESPACE)
    except (CellSyntaxError, ParameterError) as error:
        assert "\n" not in str(error)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=40), max_size=6))
def test_no_line_magic_words_raise_anything_but_the_documented_errors(words):
    try:
        SessionsRequest.from_arguments(words, _NAMESPACE)
    except (CellSyntaxError, ParameterError) as error:
        assert "\n" not in str(error)
