"""Bad input through ``%%otsessions`` in a real shell: one line naming the parameter and what it
accepts, and not a single request to the emulator.

The cases are generated from :data:`ot_magic.params.USER_PARAMS` (a parameter added to the table
is tested here with no change), by the parameter's kind; a new kind without malformed values
fails :func:`test_every_kind_of_parameter_has_malformed_values_here`.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import ipywidgets as widgets
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from IPython.core.error import UsageError

from ot_magic.emulator import DEMO_LOGIN, DEMO_PASSWORD
from ot_magic.errors import ParameterError
from ot_magic.panel import SessionsPanel, build_control
from ot_magic.params import USER_PARAMS, Param
from ot_magic.request import SessionsRequest


def _ints(p: Param) -> list[Any]:
    values = ["abc", "1.5", "1e3", "0x10", "9" * 13, "ten"]
    values += [str(p.minimum - 1)] if p.minimum is not None else []
    values += [str(p.maximum + 1)] if p.maximum is not None else []
    return values


def _periods(p: Param) -> list[Any]:
    return ["0d", f"{p.maximum + 1}d", "3y", "3", "d", "-1d", "3 d"]


def _text(p: Param) -> list[Any]:
    return ["bogus-choice"] if p.choices else ["x" * (p.maximum + 1)]


# Kind -> malformed values (text as typed in a cell). Values that are wrong for every kind
# (wrong Python types, smuggled lines and parameters) are in EVERY_KIND below.
MALFORMED: dict[str, Callable[[Param], list[Any]]] = {
    "int": _ints,
    "bool": lambda p: ["yes", "1", "on", "truee"],
    "date": lambda p: ["2011-02-30", "2011-13-01", "16-11-2011", "2011/11/16", "2011-11-16T10:00"],
    "period": _periods,
    "dotted_id": lambda p: ["abc", "123", "1.2.3", "1.x", ".5"],
    "words": lambda p: ["a,,b", "x,", ",", " , "],  # AT&T, o'reilly, a=b are words
    "sites": lambda p: ["not a host!", "http://www.x.com", "www.x.com/path", "a,,b"],
    "countries": lambda p: ["XX", "USA", "U1", "US,,GB"],
    "columns": lambda p: ["nosuchcolumn", "session_id, bogus", "Session_ID"],
    "order": lambda p: ["bogus desc", "duration sideways", "duration desc extra"],
    "zone": lambda p: ["Mars/Olympus", "GMT+25", "EST;rm"],
    "locale": lambda p: ["english", "EN_us", "en-US", "sr_latn_RS"],
    "java_pattern": lambda p: ["qqq", "yyyy-'MM", "yyyy-MM-dd bb"],
    "text": _text,
}

# Passed through a variable (``name = {bad}``), so the value reaches the validator as it is.
# (Text such as "x&limit=5" is no smuggling: it travels encoded as one value of a form body.)
EVERY_KIND = {
    "newline": "x\nlimit = 5",
    "carriage return": "x\rlimit=5",
    "a dict": {"US": 1},
    "bytes": b"US",
    "an object": object(),
    "a float": 2.5,
    "an int of 13 digits": 10**12,
    "a list holding a line break": ["US", "x\nlimit = 5"],
}

# Wrong for every parameter, each with its own message instead of what the parameter accepts.
OWN_MESSAGE = {
    "lone surrogate": ("caf\udce9", "expected valid Unicode text"),
    "lone surrogate in a list": (["US", "caf\udce9"], "expected valid Unicode text"),
    "the configured password": (f"x&password={DEMO_PASSWORD}", "the value holds your configured"),
    "the configured password alone": ([DEMO_PASSWORD], "the value holds your configured"),
}

CASES = [
    pytest.param(name, value, id=f"{name}-{value!r}")
    for name, param in USER_PARAMS.items()
    if param.kind.name in MALFORMED
    for value in MALFORMED[param.kind.name](param)
] + [
    pytest.param(name, {"variable": value}, id=f"{name}-{label}")
    for name in USER_PARAMS
    for label, value in EVERY_KIND.items()
]


@pytest.fixture
def shell(ip, emulator, monkeypatch):
    """The shell pointed at the emulator with the demo account: a value wrongly accepted
    would really be sent (and show in the emulator's request log)."""
    ip.run_line_magic("config", f"OTMagic.api_url = {emulator.url!r}")
    monkeypatch.setenv("OT_LOGIN", DEMO_LOGIN)
    monkeypatch.setenv("OT_PASSWORD", DEMO_PASSWORD)
    return ip


def one_line_error(ip, capsys, text: str) -> str:
    capsys.readouterr()
    result = ip.run_cell(text, store_history=True)
    out, err = capsys.readouterr()
    assert isinstance(result.error_in_exec, UsageError), (text, result.error_in_exec, out)
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in out + err, err
    return lines[0]


def test_every_kind_of_parameter_has_malformed_values_here():
    kinds = {param.kind.name for param in USER_PARAMS.values()}
    assert kinds <= set(MALFORMED), f"add malformed values for {kinds - set(MALFORMED)}"


@pytest.mark.parametrize(("name", "value"), CASES)
def test_a_malformed_value_is_one_line_naming_the_parameter_and_nothing_is_sent(
    shell, emulator, capsys, name, value
):
    if isinstance(value, dict):
        shell.user_ns["bad"] = value["variable"]
        cell = f"%%otsessions\ndate = 2011-11-16\n{name} = {{bad}}\n"
    else:
        cell = f"%%otsessions\ndate = 2011-11-16\n{name} = {value}\n"
    if name == "date":
        cell = cell.replace("date = 2011-11-16\n", "", 1)
    before = len(emulator.requests)
    line = one_line_error(shell, capsys, cell)
    assert f"{name}: expected {USER_PARAMS[name].accepted}" in line, line
    assert len(emulator.requests) == before


@pytest.mark.parametrize("name", USER_PARAMS)
@pytest.mark.parametrize("label", OWN_MESSAGE)
def test_broken_text_or_the_users_password_is_one_line_naming_the_parameter_and_never_shown(
    shell, emulator, capsys, name, label
):
    value, says = OWN_MESSAGE[label]
    shell.user_ns["bad"] = value
    before = len(emulator.requests)
    line = one_line_error(shell, capsys, f"%%otsessions --dry-run\n{name} = {{bad}}\n")
    assert line.startswith(f"UsageError: line 2: {name}: {says}"), line
    assert DEMO_PASSWORD not in line and "\udce9" not in line  # shown escaped if at all
    assert len(emulator.requests) == before


FREE_TEXT = [
    name for name, p in USER_PARAMS.items() if p.kind.name in ("text", "words") and not p.choices
]


@pytest.mark.parametrize("name", FREE_TEXT)
@pytest.mark.parametrize(
    "value",
    ["Tom & Jerry", "E=mc2", "a&b=c", "50% off; #1", "AT&T", "o'reilly", "utm_source=google",
     "x&limit=5", "x password=hunter2"],
)  # fmt: skip
def test_free_text_keeps_ampersands_and_equals_signs_verbatim_and_they_smuggle_nothing(
    shell, emulator, name, value
):
    """A page title may hold '&' and '=': they are not refused, because the form body encodes
    them; what arrives is exactly the value, and no other parameter with it."""
    shell.user_ns["title"] = value
    before = len(emulator.requests)
    result = shell.run_cell(f"%%otsessions --no-display\ndate = 2011-11-16\n{name} = {{title}}\n")
    result.raise_error()
    (record,) = emulator.requests[before:]
    assert record.params[name] == value
    assert set(record.params) == {"date", name, "dataType"}


@pytest.mark.parametrize(
    "out",
    ["os.system('touch pwned')", "1abc", "class", "a.b", "a-b", "__builtins__", "In",
     "get_ipython", "__name__", "", "print", "display", "len", "_", "_i1", "exit"],
)  # fmt: skip
def test_out_must_be_a_free_python_variable_name(shell, emulator, capsys, out, tmp_path):
    shell.run_line_magic("cd", str(tmp_path))
    before = len(emulator.requests)
    line = one_line_error(shell, capsys, f'%%otsessions --out "{out}"\ndate = 2011-11-16\n')
    assert line.startswith("UsageError: argument -o/--out:"), line
    assert len(emulator.requests) == before and not (tmp_path / "pwned").exists()
    assert shell.run_cell("print(len(In) > 0)").success  # the shell still works


def test_save_as_refuses_what_out_refuses_and_the_shell_keeps_working(shell, capsys):
    """The drill-down's "Save as" and ``--out`` share one check: ``__builtins__`` as either used
    to break every later cell."""
    result = shell.run_cell("%%otsessions --demo --no-display\ndate = 2011-11-16\nlimit = 5\n")
    view = result.result.view
    view.table.select_rows([0])
    view.drilldown.page_views_button.click()
    assert view.drilldown.result is not None
    for name in ["__builtins__", "print", "display", "In", "_", "get_ipython", "class", "len"]:
        saved = view.drilldown.save(name)
        refused = one_line_error(shell, capsys, f"%%otsessions --out {name}\nlimit = 1\n")
        assert saved.startswith("Save as: '") and refused.startswith(
            "UsageError: argument -o/--out"
        )
        assert saved.removeprefix("Save as: ") == refused.removeprefix(
            "UsageError: argument -o/--out: "
        )
    assert shell.run_cell("print(len(In) > 0, display, len)").success  # the shell still works
    assert view.drilldown.save("clicks").startswith("saved as clicks")


class _Tripwire:
    """A variable that records any code run on it besides being looked up."""

    calls: ClassVar[list[str]] = []

    def __getattr__(self, name: str) -> Any:
        self.calls.append(f"getattr {name}")
        return self

    def __getitem__(self, key: Any) -> Any:
        self.calls.append(f"getitem {key}")
        return self

    def __call__(self, *args: Any) -> Any:
        self.calls.append("call")
        return self


@pytest.mark.parametrize(
    "expression",
    ["__import__('os').system('touch pwned')", "a.b", "a[0]", "a()", "a.__class__", "a!r",
     "a:>10", "0", "a + a", " a"],
)  # fmt: skip
def test_interpolation_looks_names_up_only_and_runs_no_code(
    shell, emulator, capsys, expression, tmp_path
):
    shell.run_line_magic("cd", str(tmp_path))
    shell.user_ns["a"] = _Tripwire()
    _Tripwire.calls.clear()
    before = len(emulator.requests)
    line = one_line_error(
        shell, capsys, f"%%otsessions\ndate = 2011-11-16\nsearch = {{{expression}}}\n"
    )
    assert "search: expected a variable name inside {...}" in line, line
    assert _Tripwire.calls == [] and not (tmp_path / "pwned").exists()
    assert len(emulator.requests) == before


_OPTION_WORDS = st.sampled_from(
    ["--out", "-o", "--dry-run", "--demo", "--all", "--max-rows", "--no-display", "--panel",
     "-h", "--", "x", "1", "0", "-1", "'", '"', "=", "limit=5", "class", "--out=", "\\", "{a}"]
)  # fmt: skip
_OPTION_LINES = st.lists(st.one_of(_OPTION_WORDS, st.text(max_size=8)), max_size=6).map(" ".join)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(line=_OPTION_LINES)
def test_no_magic_line_makes_the_magic_raise_anything_but_one_line(shell, emulator, capsys, line):
    """Whatever follows ``%%otsessions``, a cell whose body is wrong ends in one line and sends
    nothing (the options are read first, the body next, nothing is fetched before both pass)."""
    if "\n" in line or "\r" in line:
        line = line.replace("\n", " ").replace("\r", " ")
    before = len(emulator.requests)
    capsys.readouterr()
    result = shell.run_cell(f"%%otsessions {line}\nlimit = 0\n", store_history=True)
    out, err = capsys.readouterr()
    if result.success:  # only -h/--help succeeds here: it lists the parameters, sends nothing
        assert "Parameters of %%otsessions" in out, (line, out)
    else:
        assert isinstance(result.error_in_exec, UsageError), (line, result.error_in_exec, out)
        lines = [text for text in err.splitlines() if text.strip()]
        assert len(lines) == 1 and "Traceback" not in out + err, err
    assert len(emulator.requests) == before
    assert not Path("pwned").exists()


def test_wrong_python_types_from_variables_are_refused_not_reinterpreted(shell, capsys):
    """A dict is not a list of its keys and bytes are not a list of numbers; a date object is a
    date; a list is a list."""
    shell.user_ns.update(codes={"US": 1}, raw=b"US", day=dt.date(2011, 11, 16), many=["US", "GB"])
    for cell in ("includeCountryCode = {codes}", "search = {raw}", "site = {raw}"):
        line = one_line_error(shell, capsys, f"%%otsessions --dry-run\n{cell}\n")
        assert ": expected " in line
    shell.run_cell("%%otsessions --dry-run\ndate = {day}\nincludeCountryCode = {many}\n")
    out = capsys.readouterr().out
    assert "  date = 2011-11-16" in out and "  includeCountryCode = US,GB" in out


_ANY_VALUE = st.one_of(
    st.text(), st.integers(), st.floats(), st.none(), st.booleans(), st.binary(), st.dates(),
    st.datetimes(), st.lists(st.text(max_size=5), max_size=4), st.sets(st.text(max_size=3), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2), st.tuples(st.integers(), st.text(max_size=3)),
)  # fmt: skip


@settings(max_examples=800, deadline=None)
@given(name=st.sampled_from(sorted(USER_PARAMS)), value=_ANY_VALUE)
def test_no_value_of_any_type_makes_a_parameter_raise_anything_but_its_one_line_error(name, value):
    """What a ``{variable}`` or the Python API may hand a parameter: refused in one line naming
    it, or accepted as a value that cell text reads back exactly."""
    try:
        request = SessionsRequest(**{name: value})
    except ParameterError as error:
        assert error.name == name and "\n" not in str(error)
    else:
        assert SessionsRequest.from_cell(request.to_cell()) == request


def _typed_in() -> list[str]:
    """Parameters whose panel control takes free text; the others (dates, periods, tags,
    dropdowns) offer only valid choices and cannot take a malformed value at all."""
    return [
        name
        for name, param in USER_PARAMS.items()
        if type(build_control(param).inputs[0]) in (widgets.Text, widgets.Combobox)
    ]


TYPED = [
    pytest.param(name, value, id=f"{name}-{value!r}")
    for name in _typed_in()
    if USER_PARAMS[name].kind.name in MALFORMED
    for value in [*MALFORMED[USER_PARAMS[name].kind.name](USER_PARAMS[name]), "x\nlimit = 5"]
]  # fmt: skip


@pytest.fixture(scope="module")
def panel():
    return SessionsPanel(out="hardening_panel", namespace={})


@pytest.mark.parametrize(("name", "value"), TYPED)
def test_a_malformed_value_typed_into_the_panel_is_marked_in_one_line_and_run_is_off(
    panel, name, value
):
    """The panel reads the same table: a value typed into a free-text control gets the same one
    line next to it, and Run stays disabled (nothing can be sent)."""
    control = panel.controls[name]
    box = control.inputs[0]
    box.value = value
    try:
        mark = html.unescape(re.sub(r"<[^>]+>", "", control.message.value))
        assert mark.startswith(f"{name}: expected {USER_PARAMS[name].accepted}"), mark
        assert "\n" not in mark and "hunter2" not in mark
        assert panel.run_button.disabled
    finally:
        box.value = ""
    assert not panel.run_button.disabled
