"""The views of a :class:`~ot_magic.result.SessionsResult`: table, map, their linking, drill-down.

    >>> result.table        # doctest: +SKIP  ipydatagrid table (views.table.build_table)
    >>> result.map          # doctest: +SKIP  ipyleaflet map (views.map.build_map)
    >>> result              # doctest: +SKIP  summary line, table, drill-down and map, linked
    >>> from ot_magic.views.map import build_map
    >>> build_map(result, basemap="offline")   # doctest: +SKIP  country outlines, no tiles

Each module is imported on first use, so loading the extension stays light.
"""
