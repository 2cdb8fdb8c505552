"""What counts as loopback, for the client (plain http, no proxy) and the emulator (where it may
listen) alike: ``is_loopback("127.0.0.1") is True``, ``is_loopback("10.0.0.5") is False``.

Standard library only, so the emulator can share it without importing the client's side.
"""

from __future__ import annotations

import ipaddress

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


def is_loopback(host: str) -> bool:
    """``127.0.0.0/8``, ``::1`` (bracketed or not) or ``localhost``."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
