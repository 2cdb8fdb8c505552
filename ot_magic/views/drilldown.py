"""Drill-down from a selected session: its page views, or every session of its visitor.

    >>> drill = DrillDown(result, table)          # doctest: +SKIP  (part of the result's display)
    >>> table.select_rows([0]); drill.page_views_button.click()   # doctest: +SKIP
    >>> drill.result.df                           # doctest: +SKIP  one row per page view

"Page views" asks the page-views endpoint that the answer names (``expandUrl``, with the visit
id as its ``expand`` parameter ``filterByVisitId``) through ``client.page_views(visit_id)``;
"Visitor's sessions" asks ``client.sessions_by_user(machine_idx)``; both carry the session's
site and the time zone of the request the table came from (:meth:`DrillDown.carried`). The
answer is shown under the buttons (:mod:`ot_magic.views.visit`): the visit's path and its page
views' table, or the visitor's sessions on a time axis; "Save as" binds its DataFrame to a name in the user's
namespace (the IPython shell's, unless one is given).
"""

from __future__ import annotations

import html
from collections.abc import MutableMapping
from typing import TYPE_CHECKING

import ipywidgets as widgets

from ..params import ENDPOINT_PATHS, params_for
from ..run import bind, run_call, user_namespace
from .columns import plural
from .table import SessionsTable
from .tree import close_tree, shared_look
from .visit import JourneyView, PageViewsView, drill_view

if TYPE_CHECKING:
    import pandas as pd

    from ..result import SessionsResult


class DrillDown(widgets.VBox):
    """Buttons acting on the first selected session of ``table``, and what they fetched."""

    def __init__(
        self,
        source: SessionsResult | pd.DataFrame,
        table: SessionsTable,
        namespace: MutableMapping | None = None,
    ) -> None:
        self.client = getattr(source, "client", None)
        self.table = table
        self.namespace = namespace
        self.result: SessionsResult | None = None
        self.result_view: PageViewsView | JourneyView | None = None
        button = shared_look(widgets.Button)
        self.page_views_button = widgets.Button(description="Page views", icon="list", **button)
        self.visitor_button = widgets.Button(
            description="Visitor's sessions", icon="user", **button
        )
        self.save_name = widgets.Text(
            placeholder="name", disabled=True, **shared_look(widgets.Text, width="160px")
        )
        self.save_button = widgets.Button(
            description="Save as", icon="save", disabled=True, **button
        )
        self.status = widgets.HTML(**shared_look(widgets.HTML))
        self.page_views_button.on_click(lambda _: self._fetch("page_views"))
        self.visitor_button.on_click(lambda _: self._fetch("sessions_by_user"))
        self.save_button.on_click(lambda _: self.save())
        table.observe(self._on_selected, "selected")
        buttons = widgets.HBox(
            [self.page_views_button, self.visitor_button, self.save_button, self.save_name],
            **shared_look(widgets.HBox),
        )
        super().__init__([buttons, self.status])
        self._on_selected()

    # --- what the selection allows ----------------------------------------------------------

    def session_row(self) -> int | None:
        """The row of ``table.df`` the buttons act on: the first selected one."""
        return self.table.selected[0] if self.table.selected else None

    def _value(self, column: str) -> str | None:
        row = self.session_row()
        if row is None or column not in self.table.df:
            return None
        value = self.table.df[column].iloc[row]
        return str(value) if isinstance(value, str) and value else None

    def page_views_reason(self) -> str | None:
        """Why "Page views" cannot run now (``None``: it can)."""
        attrs = self.table.df.attrs
        expand = attrs.get("expand") or [[None]]
        if not str(attrs.get("expand_url") or "").split("?")[0].endswith(
            ENDPOINT_PATHS["page_views"]
        ) or (expand[0][0] not in params_for("page_views")):
            return "the answer names no page-views endpoint (expandUrl/expand)"
        return self._common_reason("visit_id")

    def visitor_reason(self) -> str | None:
        """Why "Visitor's sessions" cannot run now (``None``: it can)."""
        return self._common_reason("machine_idx")

    def _common_reason(self, column: str) -> str | None:
        if self.client is None:
            return "no client: drill-down needs a result fetched by OpenTrackerClient"
        if self.session_row() is None:
            return "select a session in the table"
        if self._value(column) is None:
            return f"the selected session has no {column}"
        return None

    def carried(self) -> dict[str, str]:
        """The ``site`` and ``timeZone`` a follow-up request carries: the selected session's
        own site (else the request's), and the zone of the request the table came from."""
        attrs = self.table.df.attrs
        sent = attrs.get("request") or {}
        carried = {}
        site = self._value("site") or sent.get("site")
        if site:
            carried["site"] = site
        zone = sent.get("timeZone") or sent.get("timezone") or attrs.get("time_zone")
        if zone:
            carried["timeZone"] = zone
        return carried

    def until(self) -> dict[str, str]:
        """The ``date`` the visitor's sessions go up to: the last day of the request the table
        came from (its ``date``), so the journey ends where the table does; ``{}`` without one."""
        date = (self.table.df.attrs.get("request") or {}).get("date")
        return {"date": date} if date else {}

    def _enable_buttons(self) -> None:
        for button, reason in (
            (self.page_views_button, self.page_views_reason()),
            (self.visitor_button, self.visitor_reason()),
        ):
            button.disabled = reason is not None
            button.tooltip = reason or ""

    def _on_selected(self, _change: object = None) -> None:
        self._enable_buttons()
        if self.result is None:
            row = self.session_row()
            self.status.value = (
                "<small>select a session for its page views or its visitor's sessions</small>"
                if row is None
                else f"<small>session of row {row}</small>"
            )

    # --- fetching and saving ----------------------------------------------------------------

    def _fetch(self, what: str) -> None:
        reason = self.page_views_reason() if what == "page_views" else self.visitor_reason()
        if reason is not None:
            self.status.value = f"<small>{html.escape(reason)}</small>"
            return
        row = self.session_row()
        self.page_views_button.disabled = self.visitor_button.disabled = True

        def fetch() -> SessionsResult:
            if what == "page_views":
                return self.client.page_views(self._value("visit_id"), **self.carried())
            return self.client.sessions_by_user(
                self._value("machine_idx"), **self.carried(), **self.until()
            )

        outcome = run_call(fetch, catch_all=True)  # a click must never fail silently
        self._enable_buttons()
        if not outcome.ok:
            self.status.value = f"<span style='color:#b00'>{html.escape(outcome.line)}</span>"
            return
        result = outcome.value
        if what == "page_views":
            noun, default = "page views of the visit", "ot_page_views"
        else:
            noun, default = "sessions of the visitor", "ot_visitor_sessions"
        counted = plural(len(result.df), "page view" if what == "page_views" else "session")
        self._show(result, f"{counted} of {noun.split(' of ', 1)[1]} of row {row}", default, what)

    def _show(self, result: SessionsResult, caption: str, default_name: str, what: str) -> None:
        self.result = result
        if self.result_view is not None:
            close_tree(self.result_view)
        self.result_view = drill_view(what, result.df)
        self.save_name.value = default_name
        self.save_name.disabled = self.save_button.disabled = False
        self.status.value = f"<small>{html.escape(caption)} ({result.elapsed:.2f} s)</small>"
        self.children = [self.children[0], self.status, self.result_view]

    def save(self, name: str | None = None) -> str:
        """Bind the drill-down's DataFrame to ``name`` (default: the "Save as" box) in the
        namespace; returns the line shown under the buttons."""
        name = (name or self.save_name.value).strip()
        namespace = self.namespace if self.namespace is not None else user_namespace()
        if self.result is None:
            line = "nothing fetched yet"
        elif problem := bind(namespace, name, self.result):
            line = f"Save as: {problem}" + "; use drill.result.df" * (namespace is None)
        else:
            line = f"saved as {name} ({len(self.result.df):,} rows)"
        self.status.value = f"<small>{html.escape(line)}</small>"
        return line
