"""Table ↔ map: rows selected in the table ring their places on the map (and the map fits to
them); clicking a place selects its sessions in the table. Overview → table and map: the
overview's filter (a bar clicked, a span brushed) keeps only its sessions in both.

    >>> link(result.table, result.map)       # doctest: +SKIP  (done by the result's display)
    >>> crossfilter(result.overview, result.table, result.map)   # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import numpy as np

    from .map import SessionsMap
    from .overview import Overview
    from .table import SessionsTable


class FilteredView(Protocol):
    """A view that can show only some of its frame's sessions (a table, a map)."""

    def show_rows(self, mask: np.ndarray | None) -> None: ...


def link(table: SessionsTable, map_: SessionsMap) -> None:
    """Link a :class:`~ot_magic.views.table.SessionsTable` and a
    :class:`~ot_magic.views.map.SessionsMap` of the same DataFrame, both ways."""
    table.observe(lambda change: map_.highlight(change["new"]), "selected")
    map_.observe(lambda change: table.select_rows(change["new"]), "picked")


def crossfilter(overview: Overview, *views: FilteredView) -> None:
    """Show in each of ``views`` (a table, a map: anything with ``show_rows(mask)``) only the
    sessions that pass the :class:`~ot_magic.views.overview.Overview`'s filter."""

    def refilter(_change: object = None) -> None:
        mask = overview.mask if overview.crossfilter.chosen else None
        for view in views:
            view.show_rows(mask)

    overview.observe(refilter, "expression")
