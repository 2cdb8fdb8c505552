"""Every example notebook runs top to bottom in a real kernel, on the built-in emulator.

Each notebook is executed once by nbclient (``OT_API_URL=demo`` in the kernel's environment, no
credentials, loopback only); the tests then read its outputs, its widget state, and facts asked
of the kernel after the last cell, the way a reader would check them.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
NOTEBOOKS = sorted(path.stem for path in EXAMPLES.glob("*.ipynb"))
CELL_SECONDS = 120
FACTS_MARK = "ot-facts:"


def execute(name: str, facts: str, workdir: Path) -> tuple[nbformat.NotebookNode, dict]:
    """Run ``examples/<name>.ipynb``, then ``facts`` (an expression) in the same kernel.

    Returns the executed notebook (the extra cell removed) and the value of ``facts``.
    """
    nb = nbformat.read(EXAMPLES / f"{name}.ipynb", as_version=4)
    probe = f"import json as _json\nprint({FACTS_MARK!r} + _json.dumps({facts}, default=str))"
    nb.cells.append(nbformat.v4.new_code_cell(probe))
    NotebookClient(
        nb,
        timeout=CELL_SECONDS,
        kernel_name="python3",
        resources={"metadata": {"path": str(workdir)}},
    ).execute()
    printed = "".join(output.get("text", "") for output in nb.cells.pop().outputs)
    return nb, json.loads(printed.split(FACTS_MARK, 1)[1])


def outputs(nb: nbformat.NotebookNode) -> list[tuple[int, dict]]:
    return [
        (i, out)
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
        for out in cell.outputs
    ]


def problems(nb: nbformat.NotebookNode) -> list[str]:
    """Error outputs and anything written to stderr, with the cell they came from."""
    found = []
    for i, out in outputs(nb):
        if out.output_type == "error":
            found.append(f"cell {i}: {out.ename}: {out.evalue}")
        elif out.output_type == "stream" and out.name == "stderr":
            found.append(f"cell {i} (stderr): {out.text.strip()[:300]}")
    return found


def widget_models(nb: nbformat.NotebookNode, cell_index: int) -> list[str]:
    """The model names of every widget shown by a cell, its children included (e.g. 'LeafletMapModel')."""
    state = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    models = state.get("state", {})
    todo = [
        out["data"]["application/vnd.jupyter.widget-view+json"]["model_id"]
        for out in nb.cells[cell_index].outputs
        if "application/vnd.jupyter.widget-view+json" in out.get("data", {})
    ]
    seen: dict[str, str] = {}
    while todo:
        model_id = todo.pop()
        if model_id in seen or model_id not in models:
            continue
        seen[model_id] = models[model_id]["model_name"]
        text = json.dumps(models[model_id]["state"])
        todo += [ref.split('"')[0] for ref in text.split("IPY_MODEL_")[1:]]
    return list(seen.values())


def cell_index(nb: nbformat.NotebookNode, starts_with: str) -> int:
    """The index of the first code cell whose source starts with ``starts_with``."""
    return next(
        i for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and cell.source.startswith(starts_with)
    )  # fmt: skip


@pytest.fixture(autouse=True)
def _demo_kernel_env(monkeypatch):
    monkeypatch.setenv("OT_API_URL", "demo")
    for secret in ("OT_LOGIN", "OT_PASSWORD", "OT_TICKET_ID"):
        monkeypatch.delenv(secret, raising=False)


def test_every_example_is_stored_without_outputs():
    assert NOTEBOOKS == ["dashboard", "panel", "quickstart", "teaching", "teaching-student"]
    for name in NOTEBOOKS:
        nb = nbformat.read(EXAMPLES / f"{name}.ipynb", as_version=4)
        nbformat.validate(nb)
        code = [cell for cell in nb.cells if cell.cell_type == "code"]
        assert all(not cell.outputs and cell.execution_count is None for cell in code), name
        assert "widgets" not in nb.metadata, f"{name} carries saved widget state"


def test_quickstart_runs_binds_a_typed_dataframe_and_shows_table_and_map(tmp_path):
    nb, facts = execute(
        "quickstart",
        "{'rows': len(visits), 'dtypes': visits.dtypes.astype(str).to_dict(), "
        "'searched': sorted(set(searched.country_code)), 'result_rows': len(result.df)}",
        tmp_path,
    )
    assert problems(nb) == []
    assert facts["rows"] == 200 and facts["result_rows"] == 200
    assert facts["dtypes"]["session_start_unix_timestamp"].startswith("datetime64")
    assert facts["dtypes"]["latitude"] == "float64"
    assert set(facts["searched"]) <= {"US", "GB"} and facts["searched"]
    shown = set(widget_models(nb, cell_index(nb, "%%otsessions --demo --out visits")))
    assert {"StreamingDataGridModel", "LeafletMapModel", "LeafletGeoJSONModel"} <= shown
    assert "StreamingDataGridModel" in widget_models(nb, cell_index(nb, "result.table"))
    assert "LeafletMapModel" in widget_models(nb, cell_index(nb, "result.map"))
    dry_run = "".join(
        out.get("text", "") + json.dumps(out.get("data", {}))
        for out in nb.cells[cell_index(nb, "%%otsessions --demo --dry-run")].outputs
    )
    assert "nothing was sent" in dry_run and "password = ***" in dry_run
    assert "demo123" not in json.dumps(nb)
    listed = "".join(
        out.get("text", "") + json.dumps(out.get("data", {}))
        for out in nb.cells[cell_index(nb, "%otparams")].outputs
    )
    assert all(name in listed for name in ("includeCountryCode", "period", "showColumns"))


def test_panel_example_runs_the_panel_and_round_trips_to_a_cell(tmp_path):
    nb, facts = execute(
        "panel",
        "{'rows': len(uk_us), 'countries': sorted(set(uk_us.country_code)), "
        "'cell': panel.to_cell()}",
        tmp_path,
    )
    assert problems(nb) == []
    assert facts["rows"] > 0 and set(facts["countries"]) <= {"US", "GB"}
    assert facts["cell"].startswith("%%otsessions --out uk_us --demo\n")
    assert "period = 1w" in facts["cell"] and "limit = 500" in facts["cell"]
    round_trip = nb.cells[cell_index(nb, "SessionsRequest.from_cell(panel.to_cell())")]
    assert round_trip.outputs[0]["data"]["text/plain"] == "True"
    panel_models = widget_models(nb, cell_index(nb, "%otpanel --demo"))
    assert {"ButtonModel", "DatePickerModel"} <= set(panel_models)


def test_dashboard_shows_the_panel_with_its_first_results(tmp_path):
    nb, facts = execute(
        "dashboard", "{'rows': len(panel.wait(60).df), 'bound': len(visits)}", tmp_path
    )
    assert problems(nb) == []
    assert facts["rows"] == facts["bound"] == 200
    panel_models = widget_models(nb, cell_index(nb, "from ot_magic import SessionsPanel"))
    assert {"ButtonModel", "StreamingDataGridModel", "LeafletMapModel"} <= set(panel_models)


def test_teaching_lesson_runs_every_answer(tmp_path):
    nb, facts = execute(
        "teaching",
        "{'visits': len(visits), 'hours': sorted(set(visits.session_start_unix_timestamp.dt.hour)), "
        "'journey': len(journey), 'pages': len(pages), "
        "'visitor_ids': sorted(set(journey.machine_idx)), 'regular': regular.machine_idx, "
        "'de_nl': sorted(set(de_nl.country_code)), 'privacy': len(privacy), "
        "'privacy_everywhere': bool(privacy.apply(lambda row: 'privacy' in str(row.to_dict()).lower(), axis=1).all())}",
        tmp_path,
    )
    assert problems(nb) == []
    assert facts["visits"] > 1000 and facts["hours"] == list(range(24)), "the whole day, all pages"
    assert facts["journey"] > 1 and facts["visitor_ids"] == [facts["regular"]]
    assert facts["pages"] > 0
    assert facts["de_nl"] and set(facts["de_nl"]) <= {"DE", "NL"}
    assert 0 < facts["privacy"] < facts["visits"] and facts["privacy_everywhere"]
    answers = [
        cell
        for cell in nb.cells
        if cell.cell_type == "code" and "answer" in cell.metadata.get("tags", [])
    ]
    assert len(answers) >= 7
    assert all(cell.outputs for cell in answers if not cell.source.startswith("%%"))


def test_the_student_version_of_the_lesson_runs_with_its_exercises_left_open(tmp_path):
    nb, facts = execute("teaching-student", "{'visits': len(visits)}", tmp_path)
    assert problems(nb) == []
    assert facts["visits"] > 1000
    sources = [cell.source for cell in nb.cells]
    assert not any(source.startswith("**Answer") for source in sources)
    assert sum(source.startswith("# your answer") for source in sources) >= 7


EXAMPLE_MAX_BYTES = 400_000


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_each_executed_example_weighs_at_most_400_kb(name, tmp_path):
    """Executed, with its widget state saved as nbclient saves it: the table streams its rows
    from the kernel, so none of them is stored in the notebook."""
    nb, _ = execute(name, "None", tmp_path)
    size = len(nbformat.writes(nb))
    assert size <= EXAMPLE_MAX_BYTES, f"{name}.ipynb executed weighs {size:,} bytes"
