"""ot_magic: Opentracker's sessions API in Jupyter.

    %load_ext ot_magic

    %%otsessions --demo --out visits
    date = 2011-11-16
    period = 3d

Loading the extension imports nothing heavy: pandas, the client and the views load on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "SessionsRequest": "ot_magic.request",
    "OpenTrackerClient": "ot_magic.client",
    "SessionsResult": "ot_magic.result",
    "SessionsPanel": "ot_magic.panel",
    "OpenTrackerError": "ot_magic.errors",
    "ParameterError": "ot_magic.errors",
    "ApiError": "ot_magic.errors",
    "AuthenticationError": "ot_magic.errors",
    "ResponseError": "ot_magic.errors",
    "TransportError": "ot_magic.errors",
    "PartialResultError": "ot_magic.errors",
    "ConfigurationError": "ot_magic.errors",
    "CellSyntaxError": "ot_magic.errors",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'ot_magic' has no attribute {name!r}")


def load_ipython_extension(ipython: Any) -> None:
    """Register %%otsessions, %otsessions, %otpanel and %otlogin (``%load_ext ot_magic``)."""
    from .magics import register

    register(ipython)
