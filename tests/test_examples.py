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
def _demo_kernel_env(monkeypatch, tmp_path_factory):
    monkeypatch.setenv("OT_API_URL", "demo")
    # a day cache of its own: days cached by another run (another emulator) are not this one's
    monkeypatch.setenv("OT_CACHE_DIR", str(tmp_path_factory.mktemp("ot-cache")))
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


LESSON_DAY = "2011-11-16"
LESSON_ZONE = "Europe/Amsterdam"
# What the lesson's cells computed, asked of its kernel after the last cell.
LESSON_FACTS = """{
    'visits': len(visits), 'hours': sorted(set(visits.session_start_unix_timestamp.dt.hour)),
    'journey': len(journey), 'journey_more': history.more, 'pages': len(pages),
    'visitor_ids': sorted(set(journey.machine_idx)), 'regular': regular.machine_idx,
    'number_visits': int(regular.number_visits),
    'first_session_ms': round(regular.first_session_unix_timestamp.timestamp() * 1000),
    'first_visit_ms': round(first_visit.session_start_unix_timestamp.timestamp() * 1000),
    'span_ms': span // pd.Timedelta(milliseconds=1),
    'de_nl': sorted(set(de_nl.country_code)), 'privacy': len(privacy),
    'privacy_everywhere': bool(privacy.apply(
        lambda row: 'privacy' in str(row.to_dict()).lower(), axis=1).all()),
    'top_cities': [[country, city, int(n)] for (country, city), n in top_cities.items()],
    'outside_us': float(outside_us), 'single_page': float(single_page.mean()),
    'longest_terms': list(longest.index),
    'zone_day': len(day.df), 'busiest_hour': busiest_hour, 'busiest_hour_visits': int(hours.max()),
}"""


@pytest.fixture(scope="module")
def lesson(tmp_path_factory) -> tuple[nbformat.NotebookNode, dict]:
    """The teaching notebook executed once on the demo, with what its answer cells computed.

    Its kernel gets a day cache of its own: one left by an older emulator would hold other data.
    """
    workdir = tmp_path_factory.mktemp("lesson")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("OT_API_URL", "demo")
        env.setenv("OT_CACHE_DIR", str(workdir / "ot_cache"))
        for secret in ("OT_LOGIN", "OT_PASSWORD", "OT_TICKET_ID"):
            env.delenv(secret, raising=False)
        return execute("teaching", LESSON_FACTS, workdir)


@pytest.fixture(scope="module")
def demo_day():
    """The lesson's day fetched again in the test process, EST and Amsterdam time."""
    from ot_magic import OpenTrackerClient, SessionsRequest

    with OpenTrackerClient.demo() as client:
        return {
            zone: client.sessions(
                SessionsRequest(date=LESSON_DAY, limit=1000, timeZone=zone), all_pages=True
            ).df
            for zone in ("EST", LESSON_ZONE)
        }


def visitor_history(uid: str) -> list[dict[str, str]]:
    """A visitor's visits up to the lesson's day, asked of the demo API with a plain POST."""
    import requests

    from ot_magic import demo
    from ot_magic.emulator import DEMO_LOGIN, DEMO_PASSWORD

    form = {"login": DEMO_LOGIN, "password": DEMO_PASSWORD, "uid": uid, "date": LESSON_DAY,
            "limit": 10000, "dataType": "json"}  # fmt: skip
    answer = requests.post(demo.url() + "views/c_view_sessions_by_user.jsp", data=form, timeout=60)
    answer.raise_for_status()
    body = answer.json()
    return [dict(zip(body["field"], row, strict=True)) for row in body["resultsList"]]


def test_teaching_lesson_runs_every_answer(lesson):
    nb, facts = lesson
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


def test_teaching_lesson_outputs_show_plain_values(lesson):
    nb, _ = lesson
    raw_reprs = ("np.int", "np.float", "Timedelta(", "Timestamp(", "0 days 0", "dtype:")
    for i, out in outputs(nb):
        data = out.get("data", {})
        if "application/vnd.jupyter.widget-view+json" in data:
            continue
        text = out.get("text", "") + data.get("text/plain", "")
        assert not [r for r in raw_reprs if r in text], f"cell {i} shows {text[:300]!r}"


def test_teaching_answers_match_pandas_on_the_day_fetched_again(lesson, demo_day):
    _, facts = lesson
    day = demo_day["EST"]
    assert facts["visits"] == len(day)
    per_city = day.groupby(["country_name", "city"], observed=True).size()
    shown = facts["top_cities"]
    assert [n for *_, n in shown] == sorted(per_city, reverse=True)[:5]
    assert all(per_city[(country, city)] == n for country, city, n in shown)
    assert facts["outside_us"] == pytest.approx((day.country_code != "US").sum() / len(day))
    assert facts["single_page"] == pytest.approx(day.single_event.mean())
    several = day[~day.single_event].groupby("search", observed=True).duration
    medians = several.median()[several.size() >= 10]
    assert medians[facts["longest_terms"][0]] == medians.max()
    assert facts["number_visits"] == day.number_visits.max()


def test_teaching_busiest_hour_is_read_in_the_lessons_time_zone(lesson, demo_day):
    _, facts = lesson
    zoned = demo_day[LESSON_ZONE].session_start_unix_timestamp.dt.tz_convert(LESSON_ZONE)
    assert facts["zone_day"] == len(zoned)
    assert zoned.dt.date.astype(str).eq(LESSON_DAY).all(), "the day runs midnight to midnight"
    est_starts = demo_day["EST"].session_start_unix_timestamp
    assert zoned.min() < est_starts.min() and zoned.max() < est_starts.max(), "another day"
    hours = zoned.dt.hour.value_counts()
    assert facts["busiest_hour_visits"] == hours[facts["busiest_hour"]] == hours.max()


def test_teaching_regular_visitors_history_is_whole_and_spans_first_to_last_visit(lesson):
    _, facts = lesson
    history = visitor_history(facts["regular"])
    starts = [int(row["session_start_unix_timestamp"]) for row in history]
    assert {row["first_session_unix_timestamp"] for row in history} == {
        str(facts["first_session_ms"])
    }
    assert facts["first_visit_ms"] == facts["first_session_ms"] == min(starts)
    assert facts["journey"] == facts["number_visits"] == len(history)
    assert max(int(row["number_visits"]) for row in history) == len(history)
    assert facts["span_ms"] == max(starts) - min(starts)
    assert facts["journey_more"] is False


def test_the_student_version_of_the_lesson_runs_with_its_exercises_left_open(tmp_path, monkeypatch):
    monkeypatch.setenv("OT_CACHE_DIR", str(tmp_path / "ot_cache"))  # see the lesson fixture
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
