"""SessionsPanel driven as a user would, without a browser: set control values, click buttons."""

from __future__ import annotations

import datetime as dt
import html
import os
import re
import socket
import time
import uuid

import ipywidgets as widgets
import pytest
from hypothesis import HealthCheck, given, settings
from test_request import requests as valid_requests  # strategies built from the parameter table
from widgetstate import live_widgets, sent_text  # tests/ is on sys.path

from ot_magic.panel import SessionsPanel
from ot_magic.params import USER_PARAMS
from ot_magic.request import SessionsRequest
from ot_magic.views.tree import close_tree

CANARY = "canary-panel-pw-2c81f0"


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


def test_a_parameter_added_to_the_table_gets_a_control_with_no_panel_change(monkeypatch):
    from ot_magic.params import INT, Kind, Param

    novel = Kind("novel", lambda p: "anything", lambda p, v: v)
    added = Param("minPages", INT, "At least this many pages.", group="filter", minimum=1)
    monkeypatch.setitem(USER_PARAMS, "minPages", added)
    monkeypatch.setitem(USER_PARAMS, "someDay", Param("someDay", novel, "A kind never seen."))
    panel = fresh_panel()
    for name in ("minPages", "someDay"):
        control = panel.controls[name]
        assert control.inputs[0].description == name
        assert control.inputs[0].tooltip == USER_PARAMS[name].help
        assert control.row in widgets_under(panel)
    type_into(panel, "minPages", "0")
    assert text_of(panel.controls["minPages"].message).startswith(
        "minPages: expected a whole number of at least 1"
    )


def widgets_under(root: widgets.Widget) -> list[widgets.Widget]:
    found, todo = [], [root]
    while todo:
        widget = todo.pop()
        found.append(widget)
        todo.extend(getattr(widget, "children", ()))
    return found


def test_every_control_is_shown_in_the_panel():
    panel = fresh_panel()
    shown = widgets_under(panel)
    for control in panel.controls.values():
        assert control.row in shown


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
    assert countries.allowed_tags == [], "the box takes what is typed; the table judges it"
    assert "America/New_York" in panel.controls["timeZone"].inputs[0].options
    assert "nl_NL" in panel.controls["locale"].inputs[0].options


def test_the_zone_and_locale_boxes_offer_what_matches_the_text_typed_and_take_any_valid_value():
    """The box's list follows the typing (the common values while it is empty), so a saved
    notebook holds a few entries of it, not all 624 zones and 1147 locales."""
    from ot_magic.javatime import zone_ids
    from ot_magic.params import known_locales

    panel = fresh_panel()
    zone, locale = panel.controls["timeZone"].inputs[0], panel.controls["locale"].inputs[0]
    assert "Europe/Amsterdam" in zone.options and len(zone.options) < 30
    assert "en_US" in locale.options and len(locale.options) < 30
    type_into(panel, "timeZone", "Europe/Ams")
    assert zone.options == ("Europe/Amsterdam",)
    type_into(panel, "timeZone", "kolk")
    assert zone.options == ("Asia/Kolkata",)
    type_into(panel, "timeZone", "Pacific/")
    assert len(zone.options) > 30 and set(zone.options) <= set(zone_ids())
    assert all(z.startswith("Pacific/") for z in zone.options)
    type_into(panel, "locale", "sr_Latn")
    assert "sr_Latn_RS" in locale.options and set(locale.options) <= set(known_locales())
    type_into(panel, "locale", "nl_DE")  # valid, though in no list of known locales
    type_into(panel, "timeZone", "GMT+5")
    assert panel.request.params["locale"] == "nl_DE"
    assert panel.request.params["timeZone"] == "GMT+5"
    type_into(panel, "timeZone", "")
    assert "Europe/Amsterdam" in zone.options
    panel.request = SessionsRequest(timeZone="America/New_York")
    assert zone.options == ("America/New_York",)


def test_sections_and_columns_come_from_the_help_and_the_parameter_table():
    from ot_magic.help import SECTIONS, sections
    from ot_magic.params import COLUMN_NAMES

    panel = fresh_panel()
    grouped = sections()
    main, *folded = grouped
    assert main[0] == SECTIONS[0][0]
    in_view = [c for c in panel.children if isinstance(c, widgets.HBox)]
    assert in_view[: len(main[1])] == [panel.controls[p.name].row for p in main[1]]
    assert panel.accordion.titles == tuple(title for title, _ in folded)
    for box, (_, params) in zip(panel.accordion.children, folded, strict=True):
        assert list(box.children) == [panel.controls[p.name].row for p in params]
    assert sorted(panel.controls["showColumns"].known.values()) == sorted(COLUMN_NAMES)
    type_into(panel, "showColumns", ["Filtered_Company"])
    assert panel.request.params["showColumns"] == ("filtered_company",)


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
        ("search", "a,,b", "search: expected words separated by commas"),
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


def test_blanks_leave_a_parameter_out():
    panel = fresh_panel()
    type_into(panel, "search", "   ")
    type_into(panel, "limit", " ")
    assert panel.request == SessionsRequest() and not panel.run_button.disabled


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


# --- tag boxes, folded filters, copy as cell ---------------------------------------------------


def test_a_code_typed_in_a_tag_box_is_added_as_the_table_writes_it():
    panel = fresh_panel()
    type_into(panel, "includeCountryCode", ["us", " gb "])
    assert panel.controls["includeCountryCode"].inputs[0].value == ["US", "GB"]
    assert panel.request.params["includeCountryCode"] == ("US", "GB")
    type_into(panel, "showColumns", ["City", "country"])
    assert panel.controls["showColumns"].inputs[0].value == ["city", "country"]


def test_an_unknown_code_in_a_tag_box_is_named_beside_it_and_blocks_run_and_copy():
    panel = fresh_panel()
    type_into(panel, "includeCountryCode", ["US", "XX"])
    assert "got 'XX'" in text_of(panel.controls["includeCountryCode"].message)
    assert panel.run_button.disabled
    ok, text = panel.copy_button.click()
    assert not ok and "includeCountryCode" in text and "XX" in text
    assert panel.cell_text.value.startswith("# fix this first: includeCountryCode")


def test_folded_sections_name_the_filters_that_are_set_in_their_title():
    panel = fresh_panel()
    assert panel.accordion.titles == ("Filters", "Advanced")
    type_into(panel, "includeCountryCode", ["US"])
    type_into(panel, "search", "*google*")
    type_into(panel, "timeZone", "Europe/Amsterdam")
    assert panel.accordion.titles == (
        "Filters (2 set: includeCountryCode, search)",
        "Advanced (1 set: timeZone)",
    )
    type_into(panel, "search", "")
    assert panel.accordion.titles[0] == "Filters (1 set: includeCountryCode)"


def test_a_panel_filled_from_a_request_shows_its_filters_count_at_once():
    panel = fresh_panel(request=SessionsRequest(date="2011-11-16", removeIsp=True))
    assert panel.accordion.titles[0] == "Filters (1 set: removeIsp)"


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


# --- Run against the emulator ----------------------------------------------------------------

DAY = SessionsRequest(date="2011-11-16", limit=25)


@pytest.fixture
def client(emulator):
    from ot_magic.client import OpenTrackerClient
    from ot_magic.emulator import DEMO_LOGIN, DEMO_PASSWORD

    emulator.faults.reset()
    with OpenTrackerClient(emulator.url, credentials=(DEMO_LOGIN, DEMO_PASSWORD)) as client:
        yield client
    emulator.faults.reset()


def wait_until(condition, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_run_binds_the_dataframe_to_the_out_name_and_shows_the_result(client):
    namespace = {}
    panel = fresh_panel(client=client, namespace=namespace)
    panel.request = DAY
    panel.run_button.click()
    result = panel.wait(30)
    assert namespace[panel.out] is result.df
    assert len(result.df) == 25 and result.request == DAY
    assert text_of(panel.status).startswith("25 sessions, 1 page")
    assert panel.results.children, "the results area shows the result"
    assert not panel.run_button.disabled and panel.cancel_button.disabled


def test_after_run_the_status_says_more_rows_exist_and_how_to_get_them(client):
    panel = fresh_panel(client=client)
    panel.request = DAY
    panel.all_pages.value, panel.max_rows.value = True, 30
    panel.run_button.click()
    result = panel.wait(30)
    status = text_of(panel.status)
    steps = f"to fetch the rest, set nextToken = {result.next_token} and Run again"
    assert "more rows exist" in status and steps in status, status
    panel.request = DAY.replace(nextToken=result.next_token)
    panel.run_button.click()
    rest = panel.wait(30).df
    assert not set(rest["session_id"]) & set(result.df["session_id"]), "the rest, not again"


def test_after_one_page_the_status_offers_all_pages_never_a_json_pages_token(client):
    panel = fresh_panel(client=client)
    panel.request = DAY
    panel.run_button.click()
    result = panel.wait(30)
    assert result.more and result.next_token is None  # a json page's token would skip rows
    status = text_of(panel.status)
    assert "more rows exist" in status and "(--all)" in status and "nextToken" not in status
    panel.all_pages.value = True
    panel.run_button.click()
    assert len(panel.wait(60).df) > len(result.df)


def test_a_run_that_read_everything_does_not_promise_more_rows(client):
    panel = fresh_panel(client=client)
    panel.request = DAY
    panel.all_pages.value = True
    panel.max_rows.value = 0
    panel.run_button.click()
    result = panel.wait(60)
    assert result.next_token is None
    assert "more rows exist" not in text_of(panel.status)


def test_run_binds_in_the_shells_user_namespace(ip, client):
    panel = SessionsPanel(DAY, out=f"from_the_panel_{uuid.uuid4().hex[:8]}", client=client)
    panel.run_button.click()
    result = panel.wait(30)
    assert ip.user_ns[panel.out] is result.df


def test_run_works_in_the_background_while_the_controls_stay_live(client, emulator):
    emulator.faults.update(latency=0.5)
    panel = fresh_panel(client=client)
    panel.request = DAY
    started = time.monotonic()
    panel.run_button.click()
    assert time.monotonic() - started < 0.3
    assert panel.running and panel.run_button.disabled
    assert not panel.cancel_button.disabled, "even a single page can be given up"
    type_into(panel, "limit", "5")  # a user edit while the fetch is on its way
    assert panel.request == DAY.replace(limit=5)
    assert len(panel.wait(30).df) == 25  # the run fetched what was asked when Run was clicked


@pytest.mark.parametrize(
    "request_",
    [
        SessionsRequest(date="2011-11-16", limit=100),  # paged by nextToken
        SessionsRequest(date="2011-11-16", period="3d", limit=100),  # split by day, 3 at once
    ],
    ids=["one day", "three days"],
)
def test_all_pages_shows_progress_and_cancel_keeps_the_rows_so_far(client, emulator, request_):
    emulator.faults.update(latency=0.3)
    namespace = {}
    panel = fresh_panel(client=client, namespace=namespace)
    panel.request = request_
    panel.all_pages.value = True
    seen = []
    panel.status.observe(lambda change: seen.append(text_of(panel.status)), names="value")
    panel.run_button.click()
    assert not panel.cancel_button.disabled
    wait_until(lambda: any(re.fullmatch(r"page \d+: \d+ rows so far…", s) for s in seen))
    panel.cancel_button.click()
    result = panel.wait(30)
    assert result.pages <= 2, "stopped after the page being read when Cancel was clicked"
    assert result.next_token is not None, "more pages were left"
    assert namespace[panel.out] is result.df
    status = text_of(panel.status)
    assert status.startswith(f"Cancelled after {result.pages} page"), status
    assert f"The {len(result.df)} rows read are in {panel.out}; to fetch the rest, set" in status
    assert f"nextToken = {result.next_token} and Run again" in status


def test_max_rows_stops_a_multi_page_pull(client):
    panel = fresh_panel(client=client)
    panel.request = SessionsRequest(date="2011-11-16", limit=40)
    panel.all_pages.value = True
    panel.max_rows.value = 90
    bar = []
    panel.progress.observe(lambda change: bar.append(change["new"]), names="value")
    panel.run_button.click()
    assert panel.progress.max == 90 and panel.progress.layout.display != "none"
    result = panel.wait(30)
    assert result is not None, text_of(panel.status)
    assert bar[-1] == 90, "the bar fills as rows arrive"
    assert panel.progress.layout.display == "none"
    assert len(result.df) == 90 and result.next_token is not None, "stopped with rows to spare"
    assert "--all --max-rows 90" in panel.to_cell()


def test_an_api_error_is_one_line_in_the_panel(emulator):
    from ot_magic.client import OpenTrackerClient
    from ot_magic.emulator import DEMO_LOGIN

    wrong = OpenTrackerClient(emulator.url, credentials=(DEMO_LOGIN, "not-the-password"))
    panel = fresh_panel(client=wrong)
    panel.request = DAY
    panel.run_button.click()
    assert panel.wait(30) is None
    assert text_of(panel.status).startswith("Login/ site combination is not valid (")
    assert panel.out not in panel.namespace and not panel.results.children
    assert not panel.run_button.disabled


def test_a_failing_later_page_keeps_the_rows_before_it_and_says_so_in_one_line(emulator):
    from ot_magic.client import OpenTrackerClient
    from ot_magic.emulator import DEMO_LOGIN, DEMO_PASSWORD

    emulator.faults.update(fail_nth={2: 500})
    try:
        once = OpenTrackerClient(emulator.url, credentials=(DEMO_LOGIN, DEMO_PASSWORD), retries=0)
        panel = fresh_panel(client=once)
        panel.request = DAY
        panel.all_pages.value = True
        panel.run_button.click()
        partial = panel.wait(30)
    finally:
        emulator.faults.reset()
    kept = panel.namespace[panel.out]
    assert kept is partial.df
    shown = text_of(panel.status)
    assert shown.startswith("stopped at page 2") and f"kept the {len(kept)} rows" in shown
    assert len(kept) > 0 and panel.results.children


def test_an_unreachable_server_is_one_line_in_the_panel():
    from ot_magic.client import OpenTrackerClient

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    nowhere = OpenTrackerClient(f"http://127.0.0.1:{port}/api/", credentials=("a", "b"), retries=0)
    panel = fresh_panel(client=nowhere)
    panel.run_button.click()
    assert panel.wait(30) is None
    shown = text_of(panel.status)
    assert shown.startswith("could not reach 127.0.0.1:") and "\n" not in shown


def test_run_shows_the_results_overview_table_drill_down_and_map_linked(client):
    import numpy as np

    panel = fresh_panel(client=client)
    panel.request = DAY.replace(limit=200)
    panel.run_button.click()
    result = panel.wait(30)
    (view,) = panel.results.children
    assert view is result.view, "the result's own display, not a copy"
    assert view.children == (
        view.summary,
        result.overview,
        result.table,
        view.drilldown,
        result.map,
    )
    gb = np.flatnonzero(result.df.country_code.eq("GB").fillna(False).to_numpy())
    result.overview.select("country", ["GB"])  # as clicking the GB bar does
    assert len(result.filtered) == len(gb) < len(result.df)
    view.table.grid.selections = [{"r1": 0, "c1": 0, "r2": 0, "c2": 0}]  # the filtered table
    assert view.drilldown.session_row() == int(gb[0])


def test_save_as_under_the_results_binds_where_run_binds_with_the_out_check(client):
    namespace = {}
    panel = fresh_panel(client=client, namespace=namespace)
    panel.request = DAY
    panel.run_button.click()
    drill = panel.wait(30).view.drilldown
    drill.table.select_rows([0])
    drill.page_views_button.click()
    assert drill.save("clicks") == f"saved as clicks ({len(drill.result.df)} rows)"
    assert namespace["clicks"] is drill.result.df
    assert drill.save("print").startswith("Save as: 'print' is a Python built-in")
    assert "print" not in namespace


def test_a_run_with_no_session_says_so_instead_of_empty_views(client):
    panel = fresh_panel(client=client)
    panel.request = DAY.replace(includeCountryCode="AQ")  # nobody visits from Antarctica
    panel.run_button.click()
    result = panel.wait(30)
    assert len(result.df) == 0 and text_of(panel.status).startswith("0 sessions, 1 page")
    assert text_of(panel.results.children[0]) == "No sessions matched this request."


def test_a_password_typed_into_a_filter_is_refused_in_one_line_and_nothing_is_sent(
    client, emulator, monkeypatch
):
    monkeypatch.setenv("OT_PASSWORD", CANARY)
    panel = fresh_panel(client=client)
    panel.request = DAY
    type_into(panel, "search", f"x{CANARY}y")
    said = text_of(panel.controls["search"].message)
    assert said == "search: the value holds your configured password or ticket; it is neither" \
        " sent nor shown"  # fmt: skip
    assert panel.run_button.disabled and CANARY not in every_widget_state().replace(
        f"x{CANARY}y", ""
    ), "only the box the user typed into holds it"
    ok, text = panel.copy_button.click()
    assert not ok and CANARY not in text and CANARY not in panel.cell_text.value
    before = len(emulator.requests)
    with pytest.raises(ValueError, match=r"^search: the value holds your configured password"):
        panel.run()
    assert len(emulator.requests) == before
    close_tree(panel)  # the box the user typed into goes too


def test_the_password_of_the_panels_own_client_is_refused_too(emulator):
    from ot_magic.client import OpenTrackerClient
    from ot_magic.emulator import DEMO_LOGIN, DEMO_PASSWORD

    with OpenTrackerClient(emulator.url, credentials=(DEMO_LOGIN, DEMO_PASSWORD)) as own:
        panel = fresh_panel(client=own)
        type_into(panel, "filterByCurrentTitle", DEMO_PASSWORD)
        assert "holds your configured password" in text_of(
            panel.controls["filterByCurrentTitle"].message
        )
        assert panel.run_button.disabled
        close_tree(panel)


def test_an_out_name_that_would_hide_a_builtin_is_refused_at_run_and_nothing_is_sent(
    client, emulator
):
    namespace = {}
    panel = fresh_panel(client=client, namespace=namespace, out="len")
    panel.request = DAY
    before = len(emulator.requests)
    panel.run_button.click()
    assert panel.wait(30) is None
    assert text_of(panel.status).startswith("out: 'len' is a Python built-in")
    assert namespace == {} and len(emulator.requests) == before


def test_a_demo_panel_runs_against_the_built_in_emulator():
    panel = fresh_panel(demo=True)
    panel.request = DAY.replace(limit=3)
    panel.run_button.click()
    assert len(panel.wait(60).df) == 3
    assert panel.to_cell().startswith(f"%%otsessions --out {panel.out} --demo\n")


# --- no credential in the panel --------------------------------------------------------------


def every_widget_state() -> str:
    return "\n".join(sent_text(widget) for widget in live_widgets())


@pytest.mark.parametrize("secret", ["right password", "wrong password", "ticket"])
def test_no_credential_reaches_any_widget_state(monkeypatch, emulator, secret):
    from ot_magic import credentials
    from ot_magic.emulator import DEMO_LOGIN, DEMO_PASSWORD

    canary = DEMO_PASSWORD if secret == "right password" else f"canary-{uuid.uuid4().hex}"
    credentials.forget()
    for name in [n for n in os.environ if n.startswith("OT_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("OT_API_URL", emulator.url)
    monkeypatch.setenv("OT_LOGIN", DEMO_LOGIN)
    monkeypatch.setenv("OT_TICKET_ID" if secret == "ticket" else "OT_PASSWORD", canary)
    panel = fresh_panel()
    panel.request = DAY
    panel.run_button.click()
    result = panel.wait(30)
    assert (result is not None) == (secret == "right password"), text_of(panel.status)
    panel.copy_button.click()
    assert canary not in every_widget_state()
    assert canary not in panel.to_cell()
    assert canary not in repr(vars(panel)) + repr(panel)


def test_to_new_cell_puts_the_cell_text_in_a_new_cell_of_the_shell(ip):
    panel = SessionsPanel(DAY, out=f"new_cell_{uuid.uuid4().hex[:8]}", namespace={})
    text = panel.to_new_cell()
    assert text == panel.to_cell()
    assert ip.rl_next_input == text  # in a kernel, the set_next_input payload makes the new cell
    ip.rl_next_input = None


def test_panels_share_layouts_and_styles_so_a_saved_notebook_stays_small():
    """Every widget model is saved in a notebook's widget state (about 1 KB each)."""
    from ot_magic.views.tree import widget_tree

    first, second = fresh_panel(), fresh_panel()
    models = widget_tree(second)
    assert len(models) <= 100, len(models)
    assert sum(isinstance(w, widgets.Layout) for w in models) <= 15  # 96 unshared
    assert second.controls["limit"].row.layout is first.controls["site"].row.layout
    assert second.status.layout is first.run_button.layout is first.accordion.layout
    assert second.run_button.style is first.cancel_button.style
    # the panel's own layout is the user's to change; progress and cell box show and hide
    assert len({id(p.layout) for p in (first, second)}) == 2
    assert first.progress.layout is not second.progress.layout


def test_a_second_run_closes_the_widgets_of_the_results_it_replaces(client):
    panel = fresh_panel(client=client)
    panel.request = DAY
    panel.run_button.click()
    first = panel.wait(30)
    table = first.table
    assert table.comm is not None
    panel.run_button.click()
    second = panel.wait(30)
    deadline = time.monotonic() + 10  # the view is swapped once the run's result is drawn
    while panel.results.children[0] is not second.view and time.monotonic() < deadline:
        time.sleep(0.05)
    assert table.comm is None  # closed: no longer in the kernel or a saved notebook's state
    assert second.table.comm is not None
