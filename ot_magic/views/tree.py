"""The widgets a view is made of: every widget its synced state refers to, itself included.

>>> len(widget_tree(result.map))     # doctest: +SKIP  map, layers, controls, layouts, styles
24
"""

from __future__ import annotations

from typing import Any

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


def shared(kind: type[widgets.Widget], **traits: Any) -> widgets.Widget:
    """One ``kind(**traits)`` (a layout, a style, a scale) for every view of the kernel that
    uses it and never changes it: ``shared(widgets.Layout, width="100px")``.

    Each widget's own layout and style would be models of their own, in the browser and in a
    saved notebook (about 1 KB each written there): a panel is some 25 rows of widgets, and a
    result's display some 30 more. Made again if it was closed; :func:`close_tree` keeps it."""
    key = (kind, tuple(sorted(traits.items())))
    widget = _SHARED_WIDGETS.get(key)
    if widget is None or widget.comm is None:
        widget = _SHARED_WIDGETS[key] = kind(**traits)
        setattr(widget, SHARED, True)
    return widget


_SHARED_WIDGETS: dict[tuple, widgets.Widget] = {}


def shared_look(widget_type: type[widgets.Widget], **layout: Any) -> dict[str, widgets.Widget]:
    """The shared ``layout`` (and default style, if the type has one) of a widget whose look
    never changes: ``widgets.HTML(value, **shared_look(widgets.HTML))``."""
    look = {"layout": shared(widgets.Layout, **layout)}
    style = widget_type.class_traits().get("style")
    if style is not None:
        look["style"] = shared(style.klass)
    return look


def close_tree(root: widgets.Widget) -> None:
    """Close ``root`` and every widget of its tree, except those other views share."""
    for widget in widget_tree(root):
        if not getattr(widget, SHARED, False):
            widget.close()
