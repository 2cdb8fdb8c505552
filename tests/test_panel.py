"""SessionsPanel driven as a user would, without a browser: set control values, click buttons."""

from __future__ import annotations

import datetime as dt
import html
import re
import uuid

import ipywidgets as widgets
import pytest
from hypothesis import HealthCheck, given, settings
from test_request import requests as valid_requests  # strategies built from the parameter table

from ot_magic.panel import SessionsPanel
from ot_magic.params import USER_PARAMS
from ot_magic.request import SessionsRequest


def fresh_panel(**kwargs) -> SessionsPanel:
    """A panel under an out name of its own, so no memory of another test leaks in."""
    kwargs.setdefault("out", f"panel_{uuid.uuid4().hex[:8]}")
    kwargs.setdefault("namespace", {})
    return SessionsPanel(**kwargs)


def text_of(widget: widgets.HTML) -> str:
    """What the reader sees in an HTML widget."""
    return html.unescape(re.sub(r"<[^>]+>", "", widget.value))


def type_into(panel: SessionsPanel, name: str, value) -> None:
    panel.controls[name].inputs[0].value = value


@pytest.fixture(scope="module")
def panel() -> SessionsPanel:
    return fresh_panel()


# --- controls generated from the parameter table ---------------------------------------------


def test_every_user_parameter_has_a_control_named_after_it_with_its_help():
    panel = fresh_panel()
    assert list(panel.controls) == list(USER_PARAMS)
    for name, control in panel.controls.items():
        assert control.inputs[0].description == name
        assert {w.tooltip for w in control.inputs} == {USER_PARAMS[name].help}


def test_every_control_is_shown_in_the_panel():
    panel = fresh_panel()
    shown = set()
    todo = list(panel.children)
    while todo:
        widget = todo.pop()
        shown.add(widget.model_id)
        todo.extend(getattr(widget, "children", ()))
    for control in panel.controls.values():
        assert control.row.model_id in shown


def test_common_parameters_are_in_view_and_display_ones_under_advanced():
    panel = fresh_panel()
    in_view = [c for c in panel.children if isinstance(c, widgets.HBox)]
    assert [panel.controls[n].row for n in ("site", "date", "period", "limit")] == in_view[:4]
    accordion = next(c for c in panel.children if isinstance(c, widgets.Accordion))
    advanced = accordion.children[accordion.titles.index("Advanced")]
    assert panel.controls["timeZone"].row in advanced.children
    assert panel.controls["showColumns"].row in advanced.children


def test_controls_fit_their_kind():
    panel = fresh_panel()
    assert isinstance(panel.controls["date"].inputs[0], widgets.DatePicker)
    count, unit = panel.controls["period"].inputs
    assert (count.min, count.max) == (USER_PARAMS["period"].minimum, USER_PARAMS["period"].maximum)
    assert [value for _, value in unit.options][1:] == ["d", "w", "m"]
    countries = panel.controls["includeCountryCode"].inputs[0]
    assert isinstance(countries, widgets.TagsInput)
    assert {"US", "GB", "NL"} <= set(countries.allowed_tags)
    assert "America/New_York" in panel.controls["timeZone"].inputs[0].options
    assert "nl_NL" in panel.controls["locale"].inputs[0].options


# --- the request follows the controls --------------------------------------------------------


def test_an_untouched_panel_asks_for_nothing_and_shows_the_defaults_as_placeholders():
    panel = fresh_panel()
    assert panel.request == SessionsRequest()
    assert panel.controls["limit"].inputs[0].placeholder == "default 40"


def test_the_request_follows_the_controls():
    panel = fresh_panel()
    type_into(panel, "date", dt.date(2011, 11, 16))
    panel.controls["period"].unit.value = "w"
    panel.controls["period"].count.value = 2
    type_into(panel, "limit", "200")
    type_into(panel, "includeCountryCode", ["US", "GB"])
    type_into(panel, "search", "*google*, bing")
    type_into(panel, "useOr", "true")
    panel.controls["orderCriteria"].column.value = "duration"
    panel.controls["orderCriteria"].direction.value = "desc"
    type_into(panel, "timeZone", "GMT+1")
    assert panel.request == SessionsRequest(
        date="2011-11-16", period="2w", limit=200, includeCountryCode="US,GB",
        search="*google*,bing", useOr=True, orderCriteria="duration desc", timeZone="GMT+1",
    )  # fmt: skip
    type_into(panel, "limit", "")
    panel.controls["period"].unit.value = ""
    assert "limit" not in panel.request.params and "period" not in panel.request.params


def test_a_period_without_a_unit_is_not_set_and_its_count_is_disabled():
    panel = fresh_panel()
    count, unit = panel.controls["period"].inputs
    assert count.disabled
    unit.value = "m"
    assert not count.disabled and panel.request.params["period"] == (1, "m")


# --- validation next to the control, Run disabled --------------------------------------------


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("limit", "0", "limit: expected a whole number from 1 to 1000, got '0'"),
        ("limit", "lots", "limit: expected a whole number from 1 to 1000, got 'lots'"),
        ("timeZone", "Mars/Olympus", "timeZone: expected a Java time-zone id"),
        ("site", "not a host!", "site: expected site host names separated by commas"),
        ("session_id", "12", "session_id: expected <epoch ms>.<number>"),
        ("search", "a&password=x", "search: expected words separated by commas"),
    ],
)
def test_an_invalid_value_is_marked_next_to_its_control_and_run_is_disabled(name, value, message):
    panel = fresh_panel()
    type_into(panel, name, value)
    assert text_of(panel.controls[name].message).startswith(message)
    assert panel.run_button.disabled
    with pytest.raises(ValueError, match=f"^{name}: "):
        panel.request  # noqa: B018 - reading it is the check
    others = [c.message.value for n, c in panel.controls.items() if n != name]
    assert others == [""] * len(others)


def test_fixing_the_value_clears_the_mark_and_enables_run():
    panel = fresh_panel()
    type_into(panel, "limit", "5000")
    assert panel.run_button.disabled
    type_into(panel, "limit", "500")
    assert panel.controls["limit"].message.value == ""
    assert not panel.run_button.disabled
    assert panel.request == SessionsRequest(limit=500)


def test_a_direction_without_a_column_is_refused():
    panel = fresh_panel()
    panel.controls["orderCriteria"].direction.value = "desc"
    assert text_of(panel.controls["orderCriteria"].message).startswith(
        "orderCriteria: expected a column name"
    )
    assert panel.run_button.disabled


# --- round trip, exact both ways -------------------------------------------------------------

_ROUND_TRIP = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))


@_ROUND_TRIP
@given(request=valid_requests)
def test_setting_any_valid_request_shows_it_exactly(panel, request):
    panel.request = request
    assert panel.request == request
    assert not panel.run_button.disabled


@_ROUND_TRIP
@given(request=valid_requests)
def test_the_panels_cell_text_reads_back_as_its_request(panel, request):
    panel.request = request
    cell = panel.to_cell()
    assert cell.startswith(f"%%otsessions --out {panel.out}\n")
    assert SessionsRequest.from_cell(cell) == panel.request == request


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(request=valid_requests)
def test_a_panel_built_from_a_request_describes_that_request(request):
    assert SessionsPanel.from_request(request, out="from_request", namespace={}).request == request


def test_copy_as_cell_shows_the_cell_text_with_the_run_options():
    panel = fresh_panel(out="visits", demo=True)
    panel.request = SessionsRequest(date="2011-11-16", period="3d")
    panel.all_pages.value = True
    panel.max_rows.value = 500
    panel.copy_button.click()
    assert panel.cell_text.value == (
        "%%otsessions --out visits --demo --all --max-rows 500\ndate = 2011-11-16\nperiod = 3d\n"
    )
    assert panel.cell_text.layout.display != "none"


def test_a_rerun_cell_brings_back_the_last_values_of_the_same_out_name():
    out = f"memo_{uuid.uuid4().hex[:8]}"
    first = fresh_panel(out=out)
    type_into(first, "limit", "123")
    first.all_pages.value = True
    again = fresh_panel(out=out)
    assert again.request == SessionsRequest(limit=123)
    assert again.all_pages.value
    assert fresh_panel().request == SessionsRequest()


# --- no feedback loop ------------------------------------------------------------------------


class CountingPanel(SessionsPanel):
    """Counts the calls of the panel's own change handler."""

    def __init__(self, *args, **kwargs):
        self.handled = 0
        super().__init__(*args, **kwargs)

    def _on_control_change(self, change):
        self.handled += 1
        super()._on_control_change(change)


def test_values_set_from_code_do_not_trigger_the_panels_handlers():
    request = SessionsRequest(
        date="2011-11-16", period="3d", limit=7, includeCountryCode="US", useOr=True,
        orderCriteria="duration desc", timeZone="EST", showColumns="city,country",
    )  # fmt: skip
    panel = CountingPanel.from_request(request, out="counting", namespace={})
    assert panel.handled == 0
    panel.request = request.replace(limit=8, period="2w")
    assert panel.handled == 0
    assert panel.request.params["limit"] == 8


def test_a_user_change_runs_the_handler_once():
    panel = CountingPanel(out="counting_user", namespace={})
    type_into(panel, "limit", "9")
    assert panel.handled == 1
    panel.controls["period"].unit.value = "d"
    assert panel.handled == 2
