"""The --demo emulator runs in its own process: started on first use, gone with its kernel."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import psutil
import requests

from ot_magic.emulator import DEMO_LOGIN, DEMO_PASSWORD, demo_url
from ot_magic.emulator.process import demo_process

SESSIONS = "views/c_view_session.jsp"
STOP_SECONDS = 15

_KERNEL = """
import sys
from ot_magic import OpenTrackerClient, SessionsRequest
from ot_magic.emulator import dataset
from ot_magic.emulator.process import demo_process
client = OpenTrackerClient("demo")
result = client.sessions(SessionsRequest(date="2011-11-16", period="3d", limit=500), all_pages=True)
print(demo_process().pid, len(result.df), len(dataset._DAYS), flush=True)
if sys.argv[1] == "wait":
    sys.stdin.read()
"""


def _stopped(pid: int) -> bool:
    """True once ``pid`` has exited (a zombie waiting for its new parent counts as exited)."""
    deadline = time.monotonic() + STOP_SECONDS
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.1)
    return False


def _kernel(mode: str) -> tuple[subprocess.Popen, list[str]]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    process = subprocess.Popen([sys.executable, "-c", _KERNEL, mode], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True, env=env)  # fmt: skip
    return process, process.stdout.readline().split()


def test_demo_url_is_an_emulator_in_another_process_started_once():
    demo = demo_process()
    assert demo.pid != os.getpid() and psutil.Process(demo.pid).parent().pid == os.getpid()
    assert demo_url() == demo_url() == demo.url and demo_process() is demo
    data = {"login": DEMO_LOGIN, "password": DEMO_PASSWORD, "date": "2011-11-16", "limit": 3}
    assert requests.post(demo.url + SESSIONS, data=data, timeout=30).json()["rows"] == 3


def test_a_kernel_pulling_demo_data_generates_none_of_it_itself_and_its_emulator_stops_with_it():
    kernel, (pid, rows, days_in_kernel) = _kernel("exit")
    assert int(rows) > 1000 and days_in_kernel == "0"
    assert kernel.wait(timeout=60) == 0
    assert _stopped(int(pid))


def test_the_demo_emulator_stops_when_its_kernel_is_killed():
    kernel, (pid, _, _) = _kernel("wait")
    assert psutil.pid_exists(int(pid))
    kernel.send_signal(signal.SIGKILL)  # no exit handler runs
    kernel.wait(timeout=30)
    assert _stopped(int(pid))
