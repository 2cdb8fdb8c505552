"""SessionsPanel: a widget form over the parameter table, bound to :class:`SessionsRequest`.

Every user parameter of :data:`ot_magic.params.USER_PARAMS` gets a control chosen by its kind
(a parameter added to the table appears here with no change to this module). The panel's
``request`` is always the request its controls describe; Run fetches it in a background thread
and binds the DataFrame to ``out`` in the user namespace::

    >>> panel = SessionsPanel(out="visits", demo=True)            # doctest: +SKIP
    >>> panel.request = SessionsRequest(date="2011-11-16", period="3d")  # doctest: +SKIP
    >>> panel.run(); panel.wait(30).df.shape                         # doctest: +SKIP
    (40, 69)
    >>> print(panel.to_cell())                                       # doctest: +SKIP
    %%otsessions --out visits --demo
    date = 2011-11-16
    period = 3d
"""

from __future__ import annotations

import html
import threading
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import anywidget
import ipywidgets as widgets

from .completion import suggestions
from .errors import ParameterError
from .help import SECTIONS, sections
from .params import COLUMN_NAMES, USER_PARAMS, Param, Period, country_codes
from .request import SessionsRequest
from .run import (
    Pull,
    Wording,
    in_background,
    run_call,
    run_sessions,
    secrets_of,
    user_namespace,
)
from .schema import FIELDS
from .views.tree import close_tree, shared, shared_look

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell

    from .client import OpenTrackerClient
    from .result import SessionsResult
    from .store import SessionsDataset

DEFAULT_OUT = "ot_sessions"
_NAME = "190px"  # the width of the column of parameter names
_NOT_SET = ""
_IN_VIEW = SECTIONS[0][0]  # the first section of the help is in view, the others fold


# ---------------------------------------------------------------- one control per parameter


class Control:
    """The widgets of one parameter: read the raw value, show a normal value, mark a message.

    ``raw()`` is what the user entered (``None`` when not set), handed to ``Param.parse``;
    ``show(value)`` displays a normal Python value (``None`` clears the control).
    """

    def __init__(self, param: Param, *inputs: widgets.DOMWidget, label: bool = False) -> None:
        self.param = param
        self.inputs = inputs
        for widget in inputs:
            widget.tooltip = param.help
        self._message: widgets.HTML | None = None
        name = [_name_label(param)] if label else []
        self.row = widgets.HBox([*name, *inputs], layout=shared(widgets.Layout))

    @property
    def message(self) -> widgets.HTML:
        """The red line beside the inputs; made (and added to the row) when first needed, as a
        panel has some 25 controls and most never say anything."""
        if self._message is None:
            self._message = widgets.HTML(**shared_look(widgets.HTML))
            self.row.children = (*self.row.children, self._message)
        return self._message

    def raw(self) -> Any:
        value = self.inputs[0].value
        blank = value is None or value == [] or (isinstance(value, str) and not value.strip())
        return None if blank else value

    def show(self, value: Any) -> None:
        self.inputs[0].value = _NOT_SET if value is None else self.param.render_cell(value)

    def mark(self, message: str) -> None:
        if message or self._message is not None:
            self.message.value = _error_html(message)


def _name_label(param: Param) -> widgets.HTML:
    """The parameter's name, for widgets whose description the front end does not draw."""
    return widgets.HTML(
        f'<div style="text-align:right; padding-right:8px" title="{html.escape(param.help)}">'
        f"{html.escape(param.name)}</div>",
        layout=shared(widgets.Layout, width=_NAME, flex="0 0 auto"),
        style=_style(widgets.HTML),
    )


def _style(widget_type: type[widgets.Widget], width: str = "") -> widgets.Widget:
    """The shared style a ``widget_type`` takes, its description ``width`` wide (or default)."""
    kind = widget_type.class_traits()["style"].klass
    return shared(kind, description_width=width) if width else shared(kind)


def _width(pixels: int) -> widgets.Layout:
    return shared(widgets.Layout, width=f"{pixels}px")


def _placeholder(param: Param) -> str:
    return f"default {param.default}" if param.default is not None else "not set"


def _text_box(param: Param, widget_type: type = widgets.Text, **more: Any) -> widgets.Text:
    return widget_type(
        description=param.name,
        placeholder=_placeholder(param),
        style=_style(widget_type, _NAME),
        layout=_width(520),
        **more,
    )


def _text(param: Param) -> Control:
    return Control(param, _text_box(param))


def _choice(param: Param, choices: tuple[str, ...]) -> Control:
    options = [(_placeholder(param), _NOT_SET), *((c, c) for c in choices)]
    return Control(
        param,
        widgets.Dropdown(
            description=param.name,
            options=options,
            style=_style(widgets.Dropdown, _NAME),
            layout=shared(widgets.Layout),
        ),
    )


class _Tags(Control):
    """A tag box that takes whatever is typed (Enter, a comma-free value, or leaving the box
    adds it): the box's ``allowed_tags`` would drop an unknown or lower-case code silently and
    leave its text behind, so values are written the table's way here (``us`` → ``US``,
    ``City`` → ``city``) and a value the table refuses is named in red beside the box."""

    def __init__(self, param: Param, allowed: tuple[str, ...] | list[str]) -> None:
        self.known = {value.casefold(): value for value in allowed}
        tags = widgets.TagsInput(
            description=param.name,
            style=_style(widgets.TagsInput),
            placeholder=f"{_placeholder(param)} · type, then Enter",
            layout=_width(330),
        )
        super().__init__(param, tags, label=True)

    def raw(self) -> Any:
        typed = (tag.strip() for tag in self.inputs[0].value)
        value = [self.known.get(tag.casefold(), tag) for tag in typed if tag]
        if value != list(self.inputs[0].value):
            self.inputs[0].value = value  # shown as the request will send it
        return value or None

    def show(self, value: Any) -> None:
        self.inputs[0].value = [] if value is None else list(value)


class _Date(Control):
    def __init__(self, param: Param) -> None:
        super().__init__(
            param,
            widgets.DatePicker(
                description=param.name,
                style=_style(widgets.DatePicker, _NAME),
                layout=_width(360),
            ),
        )

    def show(self, value: Any) -> None:
        self.inputs[0].value = value


class _Period(Control):
    """A count (limits from the table) and a unit; the unit "not set" leaves the period out."""

    _UNITS = (("days", "d"), ("weeks", "w"), ("months", "m"))

    def __init__(self, param: Param) -> None:
        self.count = widgets.BoundedIntText(
            description=param.name,
            min=param.minimum,
            max=param.maximum,
            value=param.minimum,
            style=_style(widgets.BoundedIntText, _NAME),
            layout=_width(270),
            disabled=True,
        )
        self.unit = widgets.Dropdown(
            options=[(_placeholder(param), _NOT_SET), *self._UNITS],
            style=_style(widgets.Dropdown),
            layout=_width(140),
        )
        self.unit.observe(self._enable_count, names="value")
        super().__init__(param, self.count, self.unit)

    def _enable_count(self, change: Mapping[str, Any]) -> None:
        self.count.disabled = change["new"] == _NOT_SET

    def raw(self) -> Any:
        return f"{self.count.value}{self.unit.value}" if self.unit.value else None

    def show(self, value: Period | None) -> None:
        if value is not None:
            self.count.value = value.count
        self.unit.value = _NOT_SET if value is None else value.unit


class _Order(Control):
    """A column of the sessions table, then nothing, asc or desc."""

    def __init__(self, param: Param) -> None:
        self.column = widgets.Dropdown(
            description=param.name,
            options=[("not set", _NOT_SET), *((f, f) for f in FIELDS)],
            style=_style(widgets.Dropdown, _NAME),
            layout=shared(widgets.Layout),
        )
        self.direction = widgets.Dropdown(
            options=[("", _NOT_SET), ("asc", "asc"), ("desc", "desc")],
            style=_style(widgets.Dropdown),
            layout=_width(90),
        )
        super().__init__(param, self.column, self.direction)

    def raw(self) -> Any:
        return " ".join(filter(None, (self.column.value, self.direction.value))) or None

    def show(self, value: str | None) -> None:
        column, _, direction = (value or "").partition(" ")
        self.column.value, self.direction.value = column, direction


class _Suggest(Control):
    """A text box whose list offers the values matching what is typed (a few common ones while
    it is empty), refreshed at each keystroke: the whole list (624 time zones, 1147 locales)
    would be in every saved notebook. Not ``ensure_option``: Java also takes offsets such as
    GMT+1; the table's validator names a mistake instead of a silent red box."""

    def __init__(self, param: Param) -> None:
        box = _text_box(param, widgets.Combobox, options=suggestions(param, ""))
        box.placeholder += " · type to search"
        box.observe(self._suggest, names="value")
        super().__init__(param, box)

    def _suggest(self, change: Mapping[str, Any]) -> None:
        self.inputs[0].options = suggestions(self.param, change["new"] or "")


# Kind name -> control. A kind not listed gets a Text box validated by the table.
_CONTROLS: dict[str, Callable[[Param], Control]] = {
    "date": _Date,
    "period": _Period,
    "order": _Order,
    "bool": lambda p: _choice(p, ("true", "false")),
    "countries": lambda p: _Tags(p, sorted(country_codes())),
    "columns": lambda p: _Tags(p, COLUMN_NAMES),
    "zone": _Suggest,
    "locale": _Suggest,
}


def build_control(param: Param) -> Control:
    """The control for one parameter of the table: ``build_control(USER_PARAMS["limit"])``."""
    if param.choices:
        return _choice(param, param.choices)
    return _CONTROLS.get(param.kind.name, _text)(param)


class CopyCellButton(anywidget.AnyWidget):
    """ "Copy as cell": a click asks the kernel for the panel's cell (so a tag typed just before
    the click is in it), then the browser puts it on the clipboard.

    ipywidgets has no clipboard; this button's few lines of JavaScript call the browser's
    ``navigator.clipboard`` (allowed on 127.0.0.1 and https pages). The panel also shows the
    cell in a text box, for a browser that refuses, and ``panel.to_new_cell()`` from a cell
    puts it in a new cell below. ``button.click()`` does from Python what a click does.
    """

    _esm = """
    function render({ model, el }) {
      const button = document.createElement("button");
      button.className = "jupyter-button widget-button";
      button.title = "Put the %%otsessions cell of this panel on the clipboard";
      button.innerHTML = '<i class="fa fa-copy"></i> Copy as cell';
      const note = document.createElement("span");
      note.className = "ot-copy-note";
      note.style.margin = "0 8px";
      button.addEventListener("click", () => model.send({ event: "copy" }));
      model.on("msg:custom", async (msg) => {
        if (msg.event !== "copy") return;
        if (!msg.ok) { note.textContent = msg.text; return; }
        try {
          await navigator.clipboard.writeText(msg.text);
          note.textContent = "copied: paste it into a new cell";
        } catch (error) {
          note.textContent = "the browser keeps the clipboard closed: copy the cell from the box below";
        }
      });
      el.append(button, note);
    }
    export default { render };
    """

    def __init__(self, copy: Callable[[], tuple[bool, str]], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._copy = copy
        self.on_msg(self._on_msg)

    def click(self) -> tuple[bool, str]:
        """What a click does, kernel side: ``(ok, the cell text or what is wrong)``."""
        return self._copy()

    def _on_msg(self, _widget: Any, content: Mapping[str, Any], _buffers: Any) -> None:
        if content.get("event") == "copy":
            ok, text = self.click()
            self.send({"event": "copy", "ok": ok, "text": text})


# ---------------------------------------------------------------- the panel


@dataclass(frozen=True)
class _Memo:
    request: SessionsRequest
    all_pages: bool
    max_rows: int


class SessionsPanel(widgets.VBox):
    """A form over every user parameter, a Run/Cancel pair and a results area.

    ``SessionsPanel(out="visits", demo=True)`` shows a panel whose results are bound to
    ``visits``; ``SessionsPanel.from_request(request)`` starts from a request. ``panel.request``
    is the request the controls describe; assigning it sets the controls. Re-running the
    cell that creates a panel brings back the last values used under the same ``out``.
    """

    _memory: ClassVar[dict[str, _Memo]] = {}

    def __init__(
        self,
        request: SessionsRequest | None = None,
        *,
        out: str = DEFAULT_OUT,
        demo: bool = False,
        client: OpenTrackerClient | None = None,
        namespace: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        self.out = out
        self.demo = demo
        self.result: SessionsResult | SessionsDataset | None = None
        self._client = client
        self._namespace = namespace
        self._future: Future | None = None
        self._cancel = threading.Event()
        self._request: SessionsRequest | None = None
        self._problem: ParameterError | None = None
        self._observing = False
        self._busy = False

        self.controls: dict[str, Control] = {n: build_control(p) for n, p in USER_PARAMS.items()}
        self.all_pages = widgets.Checkbox(
            description="all pages",
            indent=False,
            layout=_width(100),
            style=_style(widgets.Checkbox),
            tooltip="Follow nextToken until the last page (like --all).",
        )
        self.max_rows = widgets.BoundedIntText(
            description="max rows",
            min=0,
            max=10**9,
            value=0,
            style=_style(widgets.BoundedIntText, "70px"),
            layout=_width(190),
            tooltip="Stop after this many rows (0: no limit).",
        )
        button = shared_look(widgets.Button)
        self.run_button = widgets.Button(
            description="Run", button_style="primary", icon="play", **button
        )
        self.cancel_button = widgets.Button(
            description="Cancel", icon="stop", disabled=True, **button
        )
        self.copy_button = CopyCellButton(self._show_cell, layout=shared(widgets.Layout))
        self.request_message = widgets.HTML(**shared_look(widgets.HTML))
        self.status = widgets.HTML(**shared_look(widgets.HTML))
        # these two are shown and hidden through their own layouts
        self.progress = widgets.IntProgress(
            layout=widgets.Layout(width="300px", display="none"), style=_style(widgets.IntProgress)
        )
        self.cell_text = widgets.Textarea(
            layout=widgets.Layout(width="720px", height="160px", display="none"),
            style=_style(widgets.Textarea),
        )
        self.results = widgets.VBox(**shared_look(widgets.VBox))

        self.run_button.on_click(lambda _: self.run())
        self.cancel_button.on_click(lambda _: self.cancel())

        super().__init__(children=self._layout(), **kwargs)
        memo = self._memory.get(out)
        with self._quiet():
            if request is not None:
                self._show(request)
            elif memo is not None:
                self._show(memo.request)
                self.all_pages.value, self.max_rows.value = memo.all_pages, memo.max_rows
        self._refresh()
        self._observe(True)

    @classmethod
    def from_request(cls, request: SessionsRequest, **kwargs: Any) -> SessionsPanel:
        """A panel whose controls show ``request``: ``SessionsPanel.from_request(req, out="v")``."""
        return cls(request, **kwargs)

    # ------------------------------------------------------------ the request

    @property
    def request(self) -> SessionsRequest:
        """The request the controls describe; ``ParameterError`` while a control is invalid."""
        if self._request is None:
            raise self._problem
        return self._request

    @request.setter
    def request(self, request: SessionsRequest) -> None:
        with self._quiet():
            self._show(request)
        self._refresh()

    def to_cell(self) -> str:
        """The ``%%otsessions`` cell that fetches what Run fetches (options included)."""
        line = f"%%otsessions --out {self.out}"
        if self.demo:
            line += " --demo"
        if self.all_pages.value:
            line += " --all"
        if self.max_rows.value:
            line += f" --max-rows {self.max_rows.value}"
        return self.request.to_cell(magic_line=line)

    def to_new_cell(self) -> str:
        """Put :meth:`to_cell` in a new notebook cell below the running one (call it from a cell)."""
        text = self.to_cell()
        shell = _shell()
        if shell is not None:
            shell.set_next_input(text)
        return text

    def _show(self, request: SessionsRequest) -> None:
        values = request.params
        for name, control in self.controls.items():
            control.show(values.get(name))

    def _refresh(self) -> None:
        """Validate every control, rebuild the request, enable Run only when it is valid."""
        values, problems = {}, []
        for name, control in self.controls.items():
            raw = control.raw()
            try:
                if raw is not None:
                    values[name] = control.param.parse(raw)
            except ParameterError as error:
                problems.append(error)
        self._request = None
        if not problems:
            try:
                # a password typed into a filter is named, never sent or copied into a cell
                self._request = SessionsRequest(**values).check_secrets(secrets_of(self._client))
            except ParameterError as error:
                problems.append(error)
        self._problem = problems[0] if problems else None
        bad = {error.name: str(error) for error in problems}
        whole = "; ".join(msg for name, msg in bad.items() if name not in self.controls)
        for name, control in self.controls.items():
            control.mark(bad.get(name, ""))
        self.request_message.value = _error_html(whole)
        self.accordion.titles = tuple(
            _section_title(title, [c.param.name for c in controls if c.raw() is not None])
            for title, controls in self._sections.items()
        )
        self.run_button.disabled = self._request is None or self.running
        if self._request is not None:
            self._memory[self.out] = _Memo(self._request, self.all_pages.value, self.max_rows.value)

    def _on_control_change(self, change: Mapping[str, Any]) -> None:
        self._refresh()

    def _watched(self) -> Iterator[widgets.Widget]:
        for control in self.controls.values():
            yield from control.inputs
        yield self.all_pages
        yield self.max_rows

    def _observe(self, on: bool) -> None:
        if on == self._observing:
            return
        self._observing = on
        for widget in self._watched():
            if on:
                widget.observe(self._on_control_change, names="value")
            else:
                widget.unobserve(self._on_control_change, names="value")

    @contextmanager
    def _quiet(self) -> Iterator[None]:
        """Set values from code without running the panel's own handlers (no feedback loop)."""
        was_observing = self._observing
        self._observe(False)
        try:
            yield
        finally:
            self._observe(was_observing)

    # ------------------------------------------------------------ running

    @property
    def running(self) -> bool:
        """Whether a Run is in progress."""
        return self._busy

    def run(self) -> Future:
        """Fetch :attr:`request` in a background thread; :meth:`wait` for the result."""
        request = self.request
        if self.running:
            return self._future
        self._cancel.clear()
        self._busy = True
        max_rows = self.max_rows.value or None
        pull = Pull(all_pages=self.all_pages.value, max_rows=max_rows)
        self.run_button.disabled = True
        self.cancel_button.disabled = False  # even a single page can be given up
        self.status.value = _status_html("running…")
        self.progress.value, self.progress.max = 0, max_rows or 1
        self.progress.layout.display = None if max_rows else "none"  # rows of max rows
        shown, self.results.children = self.results.children, ()
        for old in shown:  # a Run replaces the results shown: their widgets go with them
            close_tree(old)
        self._future = in_background(lambda: self._fetch(request, pull), f"ot-panel-{self.out}")
        return self._future

    def cancel(self) -> None:
        """Stop a multi-page pull after the page being read; the rows already read are kept."""
        if self.running:
            self._cancel.set()
            self.cancel_button.disabled = True
            self.status.value = _status_html("cancelling after this page…")

    def wait(self, timeout: float | None = None) -> SessionsResult | SessionsDataset | None:
        """Wait for the last Run: its ``SessionsResult`` (the rows kept, if a later page failed),
        or ``None`` if nothing came (the panel's status line says why).

        Raises ``TimeoutError`` if it is still running after ``timeout`` seconds.
        """
        if self._future is None:
            return None
        try:
            return self._future.result(timeout)
        except FutureTimeout:
            raise TimeoutError(f"the panel's run is still going after {timeout} s") from None

    def _fetch(
        self, request: SessionsRequest, pull: Pull
    ) -> SessionsResult | SessionsDataset | None:
        """The background half of Run (:func:`ot_magic.run.run_sessions`): every outcome ends
        as one line in the status, and the result's display under it."""
        outcome = run_call(self._make_client, catch_all=True)  # OT_API_URL is read here
        if outcome.ok:
            outcome = run_sessions(outcome.value, request, pull, out=self.out,
                                   namespace=self._user_namespace(), wording=_WORDING,
                                   progress=self._progress, cancel=self._cancel,
                                   catch_all=True)  # fmt: skip
        result, line = outcome.value, outcome.line
        failed = outcome.error is not None  # a cancel is no failure: its line says what is left
        try:
            if result is not None:
                self.result = result
                self.results.children = (self._view(result),)
        except Exception as error:
            line, failed = f"{line}; the result could not be drawn: {type(error).__name__}", True
        finally:
            self.status.value = _error_html(line) if failed else _status_html(line)
            self._busy = False
            self.progress.layout.display = "none"
            self.cancel_button.disabled = True
            self.run_button.disabled = self._request is None
        return result

    def _view(self, result: SessionsResult | SessionsDataset) -> widgets.Widget:
        """The result's own display (summary, overview, table, drill-down, map), its "Save as"
        binding where Run binds; a line when no session matched."""
        if not len(result.df):
            return widgets.HTML("No sessions matched this request.")
        from .views.results import build_view

        result.view = build_view(result, self._namespace)
        return result.view

    def _progress(self, rows: int, pages: int) -> None:
        self.status.value = _status_html(f"page {pages}: {rows} rows so far…")
        self.progress.value = min(rows, self.progress.max)

    def _make_client(self) -> OpenTrackerClient:
        """The client given, else one made at the first Run (the demo, or ``OT_API_URL``)."""
        if self._client is None:
            from .client import OpenTrackerClient

            self._client = OpenTrackerClient("demo" if self.demo else None)
        return self._client

    def _user_namespace(self) -> dict[str, Any]:
        """The ``namespace=`` given, else the shell's (found at the first Run), else a dict."""
        if self._namespace is None:
            self._namespace = user_namespace()
            if self._namespace is None:
                self._namespace = {}
        return self._namespace

    @property
    def namespace(self) -> dict[str, Any] | None:
        """Where Run binds the DataFrame: the user namespace, or the ``namespace=`` given."""
        return self._namespace

    # ------------------------------------------------------------ layout

    def _layout(self) -> list[widgets.Widget]:
        blocks: dict[str, list[Control]] = {}
        for title, params in sections(c.param for c in self.controls.values()):
            blocks[title] = [self.controls[param.name] for param in params]
        placed = {name for rows in blocks.values() for name in (c.param.name for c in rows)}
        rest = [c for name, c in self.controls.items() if name not in placed]
        if rest:  # a group no section names
            blocks.setdefault(SECTIONS[-1][0], []).extend(rest)
        self._sections = {title: rows for title, rows in blocks.items() if title != _IN_VIEW}
        box = shared_look(widgets.VBox)
        self.accordion = accordion = widgets.Accordion(
            children=[
                widgets.VBox([c.row for c in rows], **box) for rows in self._sections.values()
            ],
            titles=tuple(self._sections),
            **box,
        )
        buttons = widgets.HBox(
            [self.run_button, self.cancel_button, self.all_pages, self.max_rows, self.copy_button],
            **box,
        )
        title = widgets.HTML(
            f"<b>Opentracker sessions</b> → <code>{html.escape(self.out)}</code>",
            **shared_look(widgets.HTML),
        )
        return [
            title,
            *(control.row for control in blocks.get(_IN_VIEW, [])),
            accordion,
            self.request_message,
            buttons,
            widgets.HBox([self.status, self.progress], **box),
            self.cell_text,
            self.results,
        ]

    def _show_cell(self) -> tuple[bool, str]:
        """Show the cell in the panel's text box: ``(True, cell)``, or ``(False, what is
        wrong)`` while a control holds a value the table refuses."""
        self._refresh()
        try:
            text, ok = self.to_cell(), True
        except ParameterError as error:
            text, ok = f"fix this first: {error}", False
        self.cell_text.value = text if ok else f"# {text}"
        self.cell_text.layout.display = None
        return ok, text


def _shell() -> InteractiveShell | None:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency
        return None
    return get_ipython()


def _error_html(message: str) -> str:
    """A message as one red line (only its first line, should it have more)."""
    line = message.strip().split("\n", 1)[0]
    return f'<span style="color:#b00020">{html.escape(line)}</span>' if line else ""


def _status_html(message: str) -> str:
    return f"<span>{html.escape(message)}</span>"


def _rest(resume: dict[str, str]) -> str:
    """The panel's steps to fetch exactly the rest."""
    from .paging import resume_text

    return f"set {resume_text(resume)} and Run again with 'all pages' ticked"


_WORDING = Wording(every="tick 'all pages' (--all)", rest=_rest)


def _section_title(title: str, set_names: list[str]) -> str:
    """``'Filters'``, or ``'Filters (2 set: includeCountryCode, search)'``."""
    if not set_names:
        return title
    names = ", ".join(set_names[:3]) + (", …" if len(set_names) > 3 else "")
    return f"{title} ({len(set_names)} set: {names})"
