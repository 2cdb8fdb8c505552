"""Table ↔ map: rows selected in the table ring their places on the map (and the map fits to
them); clicking a place selects its sessions in the table.

    >>> link(result.table, result.map)       # doctest: +SKIP  (done by the result's display)
"""

from __future__ import annotations

from typing import Any


def link(table: Any, map_: Any) -> None:
    """Link a :class:`~ot_magic.views.table.SessionsTable` and a
    :class:`~ot_magic.views.map.SessionsMap` of the same DataFrame, both ways."""
    table.observe(lambda change: map_.highlight(change["new"]), "selected")
    map_.observe(lambda change: table.select_rows(change["new"]), "picked")
