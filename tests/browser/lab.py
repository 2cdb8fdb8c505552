"""A throw-away JupyterLab 4 server on 127.0.0.1, started and always stopped by the tests.

    with JupyterLab(root_dir=tmp_path, env={"OT_API_URL": "demo"}) as lab:
        lab.url("example.ipynb")   # http://127.0.0.1:PORT/lab/tree/example.ipynb?token=...

Config, data (user part), runtime, settings and workspaces live in fresh folders, so nothing on
the machine leaks in and nothing is left behind; the widget extensions installed with the Python
packages (``<sys.prefix>/share/jupyter/labextensions``) stay visible.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psutil

STARTUP_SECONDS = 90


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class JupyterLab:
    """JupyterLab serving ``root_dir``, its kernels started with ``env`` added."""

    app_module = "jupyterlab"  # the server started with ``python -m`` (Notebook 7: "notebook")

    def __init__(self, root_dir: Path, env: dict[str, str] | None = None) -> None:
        self.root_dir = Path(root_dir)
        self.extra_env = dict(env or {})
        self.token = secrets.token_hex(16)
        self.port = 0
        self.process: subprocess.Popen | None = None
        self._home = tempfile.TemporaryDirectory(prefix="ot-lab-")
        self.log_path = Path(self._home.name) / "lab.log"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        """The address of ``path`` (relative to ``root_dir``) opened in Lab, token included.

        Each path gets a workspace of its own, so no other notebook is reopened beside it.
        """
        workspace = Path(path).stem
        return f"{self.base}/lab/workspaces/{workspace}/tree/{path}?token={self.token}"

    def __enter__(self) -> JupyterLab:
        home = Path(self._home.name)
        dirs = {
            name: home / name for name in ("config", "data", "runtime", "settings", "workspaces")
        }
        for folder in dirs.values():
            folder.mkdir()
        # No news or update checks: they would reach out of loopback and pop up toasts.
        (dirs["config"] / "labconfig").mkdir()
        (dirs["config"] / "labconfig" / "page_config.json").write_text(
            json.dumps(
                {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}
            )
        )
        # Every cell rendered (Lab 4 otherwise virtualizes the cells out of view, prompts and
        # widget outputs included), and no news or update notifications.
        settings = {
            "notebook-extension/tracker": {"windowingMode": "none"},
            "apputils-extension/notification": {"checkForUpdates": False, "fetchNews": "false"},
        }
        for plugin, values in settings.items():
            extension, name = plugin.split("/")
            folder = dirs["settings"] / "@jupyterlab" / extension
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{name}.jupyterlab-settings").write_text(json.dumps(values))
        env = {
            **os.environ,
            "OT_CACHE_DIR": str(home / "ot_cache"),  # no day cached by another run or emulator
            **self.extra_env,
            "JUPYTER_CONFIG_DIR": str(dirs["config"]),
            "JUPYTER_DATA_DIR": str(dirs["data"]),
            "JUPYTER_RUNTIME_DIR": str(dirs["runtime"]),
            "JUPYTERLAB_SETTINGS_DIR": str(dirs["settings"]),
            "JUPYTERLAB_WORKSPACES_DIR": str(dirs["workspaces"]),
            "JUPYTER_PLATFORM_DIRS": "0",
        }
        self.port = free_port()
        args = [
            sys.executable, "-m", self.app_module,
            "--allow-root",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            "--ServerApp.open_browser=False",
            f"--ServerApp.root_dir={self.root_dir}",
            f"--IdentityProvider.token={self.token}",
            "--LabApp.extension_manager=readonly",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.news_url=",
            f"--LabApp.user_settings_dir={dirs['settings']}",
            f"--LabApp.workspaces_dir={dirs['workspaces']}",
        ]  # fmt: skip
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            args, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            self._wait_until_up()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        status = f"{self.base}/api/status?token={self.token}"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited at start-up:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(status, timeout=2) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise TimeoutError(f"JupyterLab did not answer in {STARTUP_SECONDS} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        """The end of the server's log (kernel start-up errors show up here)."""
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """Stop the server and every kernel it started (terminate, then kill what is left)."""
        if self.process is None:
            return
        try:
            server = psutil.Process(self.process.pid)
            family = [server, *server.children(recursive=True)]
        except psutil.NoSuchProcess:
            family = []
        for proc in family:
            with contextlib.suppress(psutil.NoSuchProcess):
                proc.terminate()
        _, alive = psutil.wait_procs(family, timeout=10)
        for proc in alive:
            with contextlib.suppress(psutil.NoSuchProcess):
                proc.kill()
        psutil.wait_procs(alive, timeout=5)
        self.process = None

    def __exit__(self, *exc: object) -> None:
        self.stop()
        self._home.cleanup()
