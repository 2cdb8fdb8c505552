"""The magic in a real kernel run by nbclient: one-line errors that still fail the run, no secret."""

from __future__ import annotations

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

CANARY = "canary-kernel-pw-51d2e8"


def execute(cells: list[str], allow_errors: bool = True) -> nbformat.NotebookNode:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    NotebookClient(
        notebook, timeout=120, kernel_name="python3", allow_errors=allow_errors
    ).execute()
    return notebook


def test_a_user_mistake_prints_one_line_yet_fails_the_run():
    with pytest.raises(CellExecutionError):
        execute(["%load_ext ot_magic", "%%otsessions --demo\nlimit = 0", "print('not reached')"],
                allow_errors=False)  # fmt: skip


def test_short_errors_decides_between_one_line_and_the_traceback(monkeypatch, emulator):
    monkeypatch.setenv("OT_LOGIN", "someone@example.com")
    monkeypatch.setenv("OT_PASSWORD", CANARY)
    notebook = execute(
        [
            "%load_ext ot_magic",
            "%%otsessions --demo\nlimit = 0",
            f"%config OTMagic.api_url = {emulator.url!r}",
            "%%otsessions --dry-run\ndate = 2011-11-16",
            "%%otsessions\ndate = 2011-11-16",
            "%config OTMagic.short_errors = False",
            "%%otsessions --demo\nlimit = 0",
        ]
    )
    short, dry, refused, long = (notebook.cells[i].outputs for i in (1, 3, 4, 6))
    assert [(o.output_type, o.get("name")) for o in short] == [("stream", "stderr")]
    assert short[0].text == (
        "UsageError: line 2: limit: expected a whole number from 1 to 1000, got '0'\n"
    )
    assert "password = ***" in dry[0].text
    assert refused[0].text.startswith("UsageError: Login/ site combination is not valid")
    assert len(refused[0].text.splitlines()) == 1
    assert long[0].output_type == "error" and long[0].ename == "ParameterError"
    assert len(long[0].traceback) > 1
    assert CANARY not in nbformat.writes(notebook)
    assert all(set(record.credentials.values()) <= {"body"} for record in emulator.requests)
