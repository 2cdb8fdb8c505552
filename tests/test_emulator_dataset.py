"""The emulator's sessions as data: whole visitor histories, one value per (site, day), realism.

Histories and days are checked over real HTTP against ``Emulator()`` with plain ``requests``
POSTs and the demo account, the way an outside check would ask them.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import numpy as np
import pytest
import requests

from ot_magic.emulator import DEMO_LOGIN, DEMO_PASSWORD, DEMO_SITES, Emulator, dataset
from ot_magic.schema import FIELDS

SESSIONS = "views/c_view_session.jsp"
BY_USER = "views/c_view_sessions_by_user.jsp"
AUTH = {"login": DEMO_LOGIN, "password": DEMO_PASSWORD}
DAY = "2011-11-16"
NOW = 1321508700.0  # 2011-11-17 00:45 EST
F = {name: i for i, name in enumerate(FIELDS)}
VISITORS_PER_SITE = 4
EST = dt.timezone(dt.timedelta(hours=-5))  # Java's EST: no daylight saving time


@pytest.fixture(scope="module")
def emu():
    with Emulator(clock=lambda: NOW) as running:
        yield running


@pytest.fixture(scope="module")
def http():
    with requests.Session() as session:
        yield session


def ask(http, emu, path: str, **params) -> dict:
    answer = http.post(emu.url + path, data={**AUTH, **params}, timeout=120)
    assert answer.status_code == 200 and not answer.text.startswith("Error:"), answer.text[:200]
    return answer.json()


def returning_visitors(http, emu, site: str) -> list[list[str]]:
    """Rows of returning visitors seen on DAY: the keenest, the least keen and two between."""
    rows = ask(http, emu, SESSIONS, site=site, date=DAY, limit=1000)["resultsList"]
    seen = {r[F["machine_idx"]]: r for r in rows if int(r[F["number_visits"]]) > 1}
    ranked = sorted(seen.values(), key=lambda r: int(r[F["number_visits"]]))
    assert len(ranked) >= VISITORS_PER_SITE
    picks = np.linspace(0, len(ranked) - 1, VISITORS_PER_SITE).round().astype(int)
    return [ranked[i] for i in picks]


def history(http, emu, site: str, uid: str) -> dict:
    return ask(http, emu, BY_USER, site=site, uid=uid, date=DAY, limit=10000)


@pytest.mark.parametrize("site", DEMO_SITES)
def test_a_returning_visitors_whole_history_is_returned_from_their_first_visit(http, emu, site):
    for seen in returning_visitors(http, emu, site):
        answer = history(http, emu, site, seen[F["machine_idx"]])
        visits = answer["resultsList"][::-1]  # oldest first
        assert answer["nextToken"] == ""
        starts = [int(v[F["session_start_unix_timestamp"]]) for v in visits]
        assert starts == sorted(starts)
        assert starts[0] == int(seen[F["first_session_unix_timestamp"]])
        # Up to the visit seen on DAY, the history holds exactly number_visits visits ...
        upto = starts.index(int(seen[F["session_start_unix_timestamp"]])) + 1
        assert upto == int(seen[F["number_visits"]])
        # ... and visit k, the k-th in time, says number_visits k.
        assert [int(v[F["number_visits"]]) for v in visits] == list(range(1, len(visits) + 1))
        assert {v[F["first_session_unix_timestamp"]] for v in visits} == {
            seen[F["first_session_unix_timestamp"]]
        }


def _day_rows(http, emu, site: str, day: str) -> dict[str, list[str]]:
    """Every session of a day (EST, the API's default) from the sessions endpoint, by session_id."""
    rows, token = {}, None
    for _ in range(50):
        params = {"site": site, "date": day, "dataType": "jsondatatable",
                  "limit": 1000, **({"nextToken": token} if token else {})}  # fmt: skip
        answer = ask(http, emu, SESSIONS, **params)
        rows.update((r[F["session_id"]], r) for r in answer["resultsList"])
        token = answer["nextToken"]
        if not token:
            return rows
    raise AssertionError("paging did not end")


@pytest.mark.parametrize("site", DEMO_SITES)
def test_a_visitors_visits_are_the_sessions_the_sessions_endpoint_shows_on_their_days(
    http, emu, site
):
    keenest = returning_visitors(http, emu, site)[-1]
    visits = history(http, emu, site, keenest[F["machine_idx"]])["resultsList"][::-1]
    for visit in (visits[0], visits[1], visits[len(visits) // 2], visits[-1]):
        start = int(visit[F["session_start_unix_timestamp"]])
        day = dt.datetime.fromtimestamp(start / 1000, EST).date().isoformat()
        assert _day_rows(http, emu, site, day)[visit[F["session_id"]]] == visit


@pytest.mark.parametrize("site", DEMO_SITES)
def test_a_returning_visitor_keeps_place_browser_and_address_on_every_visit(http, emu, site):
    keenest = returning_visitors(http, emu, site)[-1]
    visits = history(http, emu, site, keenest[F["machine_idx"]])["resultsList"]
    for name in ("city", "country_code", "browser", "platform", "ip_number", "machine_id"):
        assert {v[F[name]] for v in visits} == {keenest[F[name]]}, name


def test_returning_visitors_make_about_one_session_in_eight(http, emu):
    for site in DEMO_SITES:
        rows = ask(http, emu, SESSIONS, site=site, date=DAY, limit=1000)["resultsList"]
        returning = sum(int(r[F["number_visits"]]) > 1 for r in rows) / len(rows)
        assert 0.05 < returning < 0.25, (site, returning)


def test_about_half_of_the_visits_are_single_page_views(http, emu):
    rows = ask(http, emu, SESSIONS, date=DAY, limit=1000)["resultsList"]
    single = [r for r in rows if r[F["duration"]] == "s.e."]
    assert 0.35 < len(single) / len(rows) < 0.55
    assert all(r[F["number_of_pages_viewed"]] == "1" for r in single)


@pytest.mark.parametrize("site", DEMO_SITES)
def test_a_session_is_the_same_built_alone_or_with_its_whole_day(site):
    day = dt.date(2011, 11, 9)
    whole = dataset.Day(site, day)
    whole.build()
    picks = np.linspace(0, len(whole) - 1, 2 * dataset.SINGLE_ROWS).round().astype(int).tolist()
    alone = [dataset.Day(site, day).row(i) for i in picks]  # each a fresh day: one row built
    assert alone == [whole.row(i) for i in picks]


_ROWS_OF_A_DAY = """
import datetime as dt, hashlib
from ot_magic.emulator import dataset
digest = hashlib.sha256()
for site in dataset.SITES:
    day = dataset.get_day(site, dt.date(2011, 11, 16))
    for i in range(len(day)):
        digest.update(repr(day.row(i)).encode())
print(digest.hexdigest())
"""


def _digest_in_a_fresh_process(hash_seed: str) -> str:
    env = {"PYTHONHASHSEED": hash_seed, "PYTHONPATH": os.pathsep.join(sys.path)}
    run = subprocess.run([sys.executable, "-c", _ROWS_OF_A_DAY], capture_output=True, text=True,
                         check=True, timeout=300, env=env)  # fmt: skip
    return run.stdout.strip()


def test_a_days_rows_are_identical_in_fresh_processes_with_other_hash_seeds():
    first, second = _digest_in_a_fresh_process("1"), _digest_in_a_fresh_process("2")
    assert first == second and len(first) == 64
