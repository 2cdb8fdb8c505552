"""The widgets a view is made of: every widget its synced state refers to, itself included.

>>> len(widget_tree(result.map))     # doctest: +SKIP  map, layers, controls, layouts, styles
24
"""

from __future__ import annotations

import ipywidgets as widgets


def widget_tree(root: widgets.Widget) -> list[widgets.Widget]:
    """``root`` and every widget reachable through its synced traits (children, layers,
    controls, layout, style, renderers ...), each once."""
    found: dict[int, widgets.Widget] = {}

    def walk(node: widgets.Widget) -> None:
        if id(node) in found:
            return
        found[id(node)] = node
        for name in node.keys:
            value = getattr(node, name, None)
            if isinstance(value, dict):
                items = list(value.values())
            else:
                items = list(value) if isinstance(value, (list, tuple)) else [value]
            for item in items:
                if isinstance(item, widgets.Widget):
                    walk(item)

    walk(root)
    return list(found.values())


SHARED = "_ot_shared"  # set on widgets that several views use (the outlines' layer)


def close_tree(root: widgets.Widget) -> None:
    """Close ``root`` and every widget of its tree, except those other views share."""
    for widget in widget_tree(root):
        if not getattr(widget, SHARED, False):
            widget.close()
