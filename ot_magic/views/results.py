"""The whole display of a :class:`~ot_magic.result.SessionsResult`: its summary line, the
overview's charts, the table, the drill-down buttons (and what they fetched) under it, then the
map; table and map linked, and both filtered by the overview.

    >>> view = build_view(result)      # doctest: +SKIP  (what ``result`` shows in a notebook)
    >>> view.table.select_rows([3])    # doctest: +SKIP  rings row 3's place on view.map
    >>> view.overview.select("country", ["US"])   # doctest: +SKIP  table and map: US sessions
"""

from __future__ import annotations

import html
from collections.abc import MutableMapping
from typing import TYPE_CHECKING

import ipywidgets as widgets

from .drilldown import DrillDown
from .linking import crossfilter, link
from .tree import shared_look

if TYPE_CHECKING:
    from ..result import SessionsResult


class ResultsView(widgets.VBox):
    """Summary, overview, table, drill-down and map of one result, linked."""

    def __init__(self, result: SessionsResult, namespace: MutableMapping | None = None) -> None:
        self.overview = result.overview
        self.table = result.table
        self.map = result.map
        link(self.table, self.map)
        crossfilter(self.overview, self.table, self.map)
        self.drilldown = DrillDown(result, self.table, namespace)
        self.summary = widgets.HTML(
            f"<b>{html.escape(result.summary())}</b>", **shared_look(widgets.HTML)
        )
        super().__init__([self.summary, self.overview, self.table, self.drilldown, self.map])


def build_view(result: SessionsResult, namespace: MutableMapping | None = None) -> ResultsView:
    """The linked views of ``result`` (``namespace``: where "Save as" binds names; default the
    IPython shell's)."""
    return ResultsView(result, namespace)
