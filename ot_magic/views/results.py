"""The whole display of a :class:`~ot_magic.result.SessionsResult`: its summary line, the table,
the drill-down buttons (and what they fetched) under it, then the map, table and map linked.

    >>> view = build_view(result)      # doctest: +SKIP  (what ``result`` shows in a notebook)
    >>> view.table.select_rows([3])    # doctest: +SKIP  rings row 3's place on view.map
"""

from __future__ import annotations

import html
from collections.abc import MutableMapping
from typing import Any

import ipywidgets as widgets

from .drilldown import DrillDown
from .linking import link


class ResultsView(widgets.VBox):
    """Summary, table, drill-down and map of one result, the table and map linked."""

    def __init__(self, result: Any, namespace: MutableMapping | None = None) -> None:
        self.table = result.table
        self.map = result.map
        link(self.table, self.map)
        self.drilldown = DrillDown(result, self.table, namespace)
        self.summary = widgets.HTML(f"<b>{html.escape(result.summary())}</b>")
        super().__init__([self.summary, self.table, self.drilldown, self.map])


def build_view(result: Any, namespace: MutableMapping | None = None) -> ResultsView:
    """The linked views of ``result`` (``namespace``: where "Save as" binds names; default the
    IPython shell's)."""
    return ResultsView(result, namespace)
