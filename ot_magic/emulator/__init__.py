"""A faithful emulator of Opentracker's API: a real HTTP server on loopback with demo data.

    >>> from ot_magic.emulator import Emulator, DEMO_LOGIN, DEMO_PASSWORD, DEMO_SITE
    >>> with Emulator() as emu:              # a free port on 127.0.0.1, a background thread
    ...     emu.url.startswith("http://127.0.0.1:")
    True

From a shell: ``python -m ot_magic.emulator --port 8765`` (prints its base URL first).
``demo_url()`` starts one emulator in its own process on first use (``OT_API_URL=demo``,
``--demo``; ``process.py``), stopped when this process exits.
``server.py`` holds the HTTP side, ``query.py`` what an answer holds, ``render.py`` how it is
written, ``dataset.py`` the deterministic sessions and ``world.py`` the places, providers and
browsers they are drawn from.
"""

from __future__ import annotations

from .server import (
    DEMO_LOGIN,
    DEMO_PASSWORD,
    DEMO_SITE,
    DEMO_SITES,
    Emulator,
    Faults,
    RequestRecord,
    demo_url,
)

__all__ = ["DEMO_LOGIN", "DEMO_PASSWORD", "DEMO_SITE", "DEMO_SITES", "Emulator", "Faults",
           "RequestRecord", "demo_url"]  # fmt: skip
