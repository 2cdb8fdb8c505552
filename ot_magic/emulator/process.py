"""The demo emulator in its own process, so a kernel holds only its frames.

``--demo`` and ``OT_API_URL=demo`` use :func:`ot_magic.emulator.demo_url`, which starts one
``python -m ot_magic.emulator --host 127.0.0.1 --port 0`` per process on first use. The
emulator then generates its sessions on another core than the one that parses them, the client's
day split runs against a server that does not share the kernel's interpreter lock, and none of the
emulator's caches live in the kernel. It stops when the kernel exits: at exit it is told to stop
(its standard input is closed), and if the kernel dies without running its exit handlers, the
operating system closes that pipe all the same and the emulator stops on its own::

    >>> demo = DemoProcess().start()
    >>> demo.url.startswith("http://127.0.0.1:"), demo.running
    (True, True)
    >>> demo.stop(); demo.running
    False
"""

from __future__ import annotations

import atexit
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[2]  # the directory that holds the ot_magic package


class DemoProcess:
    """``python -m ot_magic.emulator`` on a free loopback port, owned by this process."""

    def __init__(self) -> None:
        self.url = ""
        self._process: subprocess.Popen[str] | None = None

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> DemoProcess:
        """Start the emulator and wait for its URL (the first line it prints)."""
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_ROOT), env.get("PYTHONPATH")]))
        command = [sys.executable, "-m", "ot_magic.emulator", "--host", "127.0.0.1", "--port", "0",
                   "--watch-stdin"]  # fmt: skip
        with tempfile.TemporaryFile(mode="w+") as errors:  # the child keeps its own copy
            # In _ROOT: ``python -m`` puts its working directory first on sys.path, and the
            # emulator must be this very ot_magic, whatever the kernel's directory holds.
            self._process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                             stderr=errors, text=True, env=env, cwd=_ROOT)  # fmt: skip
            line = self._process.stdout.readline().strip()  # type: ignore[union-attr]
            if not line.startswith("http://127.0.0.1:"):
                self._process.wait(timeout=30)
                errors.seek(0)
                raise RuntimeError(
                    f"the demo emulator did not start: {errors.read().strip()[-500:]}"
                )
        self.url = line
        # Keep reading what it prints, so that it never blocks on a full pipe.
        threading.Thread(
            target=self._process.stdout.read, name="ot-demo-output", daemon=True
        ).start()  # type: ignore[union-attr]
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the emulator to stop (close its input), then make sure it did."""
        process = self._process
        if process is None or process.poll() is not None:
            return
        try:
            process.stdin.close()  # type: ignore[union-attr]
            process.wait(timeout=timeout)
        except (OSError, subprocess.TimeoutExpired):
            process.kill()
            process.wait(timeout=timeout)


_DEMO: DemoProcess | None = None
_OWNER = 0  # the pid that started _DEMO (a forked child starts its own)
_LOCK = threading.Lock()


def demo_process() -> DemoProcess:
    """This process's demo emulator, started on first use (and again if it has died)."""
    global _DEMO, _OWNER
    with _LOCK:
        if _DEMO is None or os.getpid() != _OWNER or not _DEMO.running:
            _DEMO, _OWNER = DemoProcess().start(), os.getpid()
            atexit.register(_DEMO.stop)
        return _DEMO
