"""The one place that knows what "demo" means: the built-in emulator's URL and its account.

    >>> from ot_magic import demo
    >>> demo.is_demo("demo"), demo.is_demo("https://api.opentracker.net/api/")
    (True, False)
    >>> client = OpenTrackerClient.demo()         # doctest: +SKIP  (same as OpenTrackerClient("demo"))

``OT_API_URL=demo``, ``--demo`` and ``OpenTrackerClient("demo")`` come here through
:mod:`ot_magic.sources` (which resolves ``demo``, ``replay:NAME`` and URLs). The emulator is
imported only when a demo URL is first asked for (:func:`url`), through
``ot_magic.emulator.demo_url()``, which may start it in this process or find it elsewhere.
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib import resources

from .credentials import Credentials

NAME = "demo"


def is_demo(api_url: str | None) -> bool:
    """Whether ``api_url`` names the built-in emulator (the word ``demo``, any case)."""
    return (api_url or "").strip().lower() == NAME


def url() -> str:
    """The emulator's base URL, starting it on first use: ``http://127.0.0.1:PORT/api/``."""
    from .emulator import demo_url

    return demo_url()


def credentials() -> Credentials:
    """The demo account: the only credentials ever sent to the emulator."""
    from .emulator import DEMO_LOGIN, DEMO_PASSWORD

    return Credentials(DEMO_LOGIN, DEMO_PASSWORD, source="demo")


def site() -> str:
    """The demo account's default site."""
    from .emulator import DEMO_SITE

    return DEMO_SITE


@cache
def data_version() -> str:
    """A digest of what the demo data is made from (the emulator's code and data files): a
    cache of demo days keys on it, so days made by another version are never served."""
    digest = hashlib.blake2b(digest_size=8)
    package = resources.files("ot_magic")
    for folder, pattern in (("emulator", "*.py"), ("data", "*.csv")):
        for path in sorted(package.joinpath(folder).iterdir(), key=lambda p: p.name):
            if path.is_file() and path.match(pattern):
                digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


__all__ = ["NAME", "credentials", "data_version", "is_demo", "site", "url"]
