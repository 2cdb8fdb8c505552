"""Shared fixtures: a real emulator on loopback, shared by the whole session."""

from __future__ import annotations

import os

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def emulator():
    """A running emulator on 127.0.0.1 (a free port), stopped after the session."""
    from ot_magic.emulator import Emulator

    with Emulator() as emu:
        yield emu


@pytest.fixture(scope="session")
def _shell():
    """IPython's test shell (a real InteractiveShell) with ``%load_ext ot_magic`` run once."""
    from IPython.testing.globalipapp import start_ipython

    shell = start_ipython()
    shell.run_line_magic("load_ext", "ot_magic")
    return shell


@pytest.fixture
def ip(_shell, monkeypatch, tmp_path):
    """A real IPython shell with ot_magic loaded, clean for each test.

    No ``OT_*`` variable from the outside, no remembered login; afterwards ``%config OTMagic``
    is back to its defaults and the names the test bound are gone.
    """
    from ot_magic import credentials

    for name in [n for n in os.environ if n.startswith("OT_")]:
        monkeypatch.delenv(name)
    # Tests re-run cells with faults injected: the day cache is theirs to turn on (test_cache),
    # in a folder of their own.
    monkeypatch.setenv("OT_CACHE_DIR", str(tmp_path / "ot_cache"))
    names = set(_shell.user_ns)
    credentials.forget()
    _shell.run_line_magic("config", "OTMagic.cache = False")
    yield _shell
    credentials.forget()
    _shell.config.pop("OTMagic", None)
    for magics in [c for c in _shell.configurables if type(c).__name__ == "OTMagic"]:
        magics.close_clients()
        for name, trait in magics.traits(config=True).items():
            setattr(magics, name, trait.default())
    for name in set(_shell.user_ns) - names:
        del _shell.user_ns[name]
    forget_panels()


@pytest.fixture
def api(ip, emulator, monkeypatch):
    """The shell pointed at the emulator (``%config OTMagic.api_url``), with the demo account."""
    from ot_magic.emulator import DEMO_LOGIN, DEMO_PASSWORD

    ip.run_line_magic("config", f"OTMagic.api_url = {emulator.url!r}")
    monkeypatch.setenv("OT_LOGIN", DEMO_LOGIN)
    monkeypatch.setenv("OT_PASSWORD", DEMO_PASSWORD)
    return ip


def forget_panels() -> None:
    """Drop what panels remember per out name, so one test's panel never fills another's."""
    import sys

    panel = sys.modules.get("ot_magic.panel")
    if panel is not None:
        panel.SessionsPanel._memory.clear()
