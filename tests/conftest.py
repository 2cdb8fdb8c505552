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
