"""What the kernel sends of widgets: the one place tests and benchmarks read ipywidgets (8.1,
as ``pyproject.toml`` declares) beyond its public API, which has no name for every live widget
(``Widget.widgets`` is deprecated) nor for a state split into JSON and binary buffers.

    >>> text, buffers = sent_state(result.table)       # doctest: +SKIP
    >>> sum(len(sent_state(w)[0]) for w in live_widgets())   # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

import ipywidgets
from ipywidgets.widgets.widget import _instances, _remove_buffers
from jupyter_client.session import json_packer


def live_widgets() -> list[ipywidgets.Widget]:
    """Every widget of the kernel that is not closed."""
    return list(_instances.values())


def split_state(widget: ipywidgets.Widget) -> tuple[dict[str, Any], list[memoryview]]:
    """``widget``'s state as the kernel splits it to send: JSON-able values, binary buffers."""
    state, _, buffers = _remove_buffers(widget.get_state())
    return state, [memoryview(b).cast("B") for b in buffers]


def sent_state(widget: ipywidgets.Widget) -> tuple[bytes, list[memoryview]]:
    """``widget``'s state as the kernel sends it: packed JSON, then its binary buffers."""
    state, buffers = split_state(widget)
    return json_packer(state), buffers


def sent_text(widget: ipywidgets.Widget) -> str:
    """Everything the kernel sends of ``widget``'s state as one text (buffers read byte for
    byte), to search for what must never be sent, a secret say."""
    packed, buffers = sent_state(widget)
    return packed.decode() + "".join(bytes(b).decode("latin-1") for b in buffers)


def sent_bytes(widgets: list[ipywidgets.Widget]) -> int:
    """Bytes the kernel sends for ``widgets``' states, binary buffers included."""
    total = 0
    for widget in widgets:
        text, buffers = sent_state(widget)
        total += len(text) + sum(len(b) for b in buffers)
    return total
