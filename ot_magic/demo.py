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


__all__ = ["NAME", "credentials", "is_demo", "site", "url"]
