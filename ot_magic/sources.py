"""The one place that resolves where answers come from: an API URL, ``demo`` or ``replay:NAME``.

    >>> from ot_magic.sources import resolve
    >>> resolve("https://api.opentracker.net/api/").name
    'https://api.opentracker.net/api/'
    >>> resolve("demo").name, resolve("demo").account.source   # doctest: +SKIP
    ('demo', 'demo')

``OpenTrackerClient(url)``, ``OT_API_URL``, ``--demo`` and ``replay:NAME`` all come here. The
built-in emulator (:mod:`ot_magic.demo`) and a recording's server (:mod:`ot_magic.replay`) are
started only when resolved, and both are sent the demo account only: configured credentials
never reach them. ``name`` is how caches and datasets say where their answers came from (the
emulator's and the replay's ports change from process to process; their names do not).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import demo, replay

if TYPE_CHECKING:
    from .credentials import Credentials


@dataclass(frozen=True)
class Source:
    """Where a client's requests go: ``url`` (what the transport posts to), ``name`` (``demo``,
    ``replay:NAME`` or the URL) and ``account``, the only credentials sent there (``None``:
    the configured ones)."""

    name: str
    url: str
    account: Credentials | None = None


def resolve(api_url: str) -> Source:
    """The :class:`Source` an ``api_url`` setting names: ``resolve("replay:lesson1")``."""
    value = api_url.strip()
    if demo.is_demo(value):
        return Source(demo.NAME, demo.url(), demo.credentials())
    if replay.is_replay(value):
        name = value[len(replay.PREFIX) :]
        return Source(replay.PREFIX + name, replay.replay_url(name), demo.credentials())
    return Source(value, value)


__all__ = ["Source", "resolve"]
