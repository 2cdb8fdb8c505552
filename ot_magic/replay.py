"""Record the raw answers of a pull, and serve them again offline (``OT_API_URL=replay:NAME``).

    >>> from ot_magic.replay import recording_client, replay_client
    >>> client = recording_client("demo", "lesson1")       # doctest: +SKIP
    >>> client.sessions(SessionsRequest(date="2011-11-16", period="3d"), all_pages=True)
    ...                                                      # doctest: +SKIP
    >>> replay_client("lesson1").sessions(...)               # the same answers, no network
    ...                                                      # doctest: +SKIP

A recording is a folder (``NAME`` under ``OT_RECORDINGS``, default ``<cache dir>/recordings``;
a name holding a ``/`` is a path): ``index.jsonl``, one line per answer (the endpoint, every
parameter of the request but the credentials, the content type) and ``answers/<n>.gz``, the
answer's bytes. The credentials never reach it: the form's ``login``, ``password`` and
``ticketId`` are dropped, any of their values that an answer echoes is replaced by ``***``,
and ticket answers (``login_user.jsp``) are not kept. Recording wraps the client's
``requests.Session`` with a response hook (public ``requests`` API), so the client's own
retries and errors are untouched.

``OpenTrackerClient("replay:NAME")``, ``OT_API_URL=replay:NAME`` and the magic all resolve the
name in :mod:`ot_magic.sources`. Replaying serves the recording from the emulator's HTTP server (a subclass of
:class:`~ot_magic.emulator.Emulator` whose answers come from the recording: the same
loopback server, pool and request log); a request it has no answer for gets the API's error
text naming what is missing.
"""

from __future__ import annotations

import gzip
import json
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ConfigurationError
from .params import ENDPOINT_PATHS

if TYPE_CHECKING:
    from .client import OpenTrackerClient

PREFIX = "replay:"
INDEX = "index.jsonl"
_CREDENTIALS = frozenset({"login", "password", "ticketId"})
_ENDPOINTS = {path: name for name, path in ENDPOINT_PATHS.items()}
_SERVERS: dict[Path, Any] = {}
_SERVERS_LOCK = threading.Lock()


def recordings_dir() -> Path:
    """``OT_RECORDINGS``, else ``recordings`` in the cache directory."""
    from .cache import cache_dir

    if os.environ.get("OT_RECORDINGS"):
        return Path(os.environ["OT_RECORDINGS"]).expanduser()
    return cache_dir() / "recordings"


def recording_path(name: str) -> Path:
    """Where recording ``name`` lives: ``recording_path("lesson1")``."""
    if not name or name in (".", ".."):
        raise ConfigurationError("--record/replay: expected a recording name such as lesson1")
    return Path(name).expanduser() if "/" in name else recordings_dir() / name


class Recorder:
    """Appends each answer a session receives to a recording; thread-safe."""

    def __init__(self, path: Path) -> None:
        self.path = path
        (path / "answers").mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._count = sum(1 for _ in (path / "answers").glob("*.gz"))

    def record(self, path: str, params: dict[str, str], body: bytes) -> None:
        """Keep one answer (the transport's ``on_answer``: parameters without credentials, the
        body with every secret already scrubbed); tickets are never kept."""
        endpoint = _ENDPOINTS.get(path)
        if endpoint is None or endpoint == "login":
            return
        params = {k: v for k, v in params.items() if k not in _CREDENTIALS}
        kind = "application/json" if body.lstrip()[:1] in (b"{", b"[") else "text/plain"
        with self._lock:
            self._count += 1
            name = f"{self._count:06d}.gz"
            (self.path / "answers" / name).write_bytes(gzip.compress(body, 1))
            line = {
                "endpoint": endpoint,
                "params": params,
                "answer": name,
                "content_type": f"{kind}; charset=UTF-8",
            }
            with (self.path / INDEX).open("a", encoding="utf-8") as index:
                index.write(json.dumps(line, sort_keys=True) + "\n")


def recording_client(api_url: str | None, name: str, **options: Any) -> OpenTrackerClient:
    """A client for ``api_url`` (``"demo"``, a URL, ``None`` for the configured one) whose
    answers are also saved to recording ``name``: ``recording_client("demo", "lesson1")``."""
    from .client import OpenTrackerClient

    recorder = Recorder(recording_path(name))
    return OpenTrackerClient(api_url, on_answer=recorder.record, **options)


def _make_replay_emulator(path: Path) -> Any:
    from .emulator import Emulator
    from .emulator.query import ApiFailure

    answers: dict[str, tuple[str, str]] = {}
    for line in (path / INDEX).read_text("utf-8").splitlines():
        entry = json.loads(line)
        answers[_key(entry["endpoint"], entry["params"])] = (entry["answer"], entry["content_type"])

    class ReplayEmulator(Emulator):
        """The emulator's server, answering from a recording (any credentials accepted)."""

        def answer(
            self,
            endpoint: str,
            items: dict[str, str],
            cancelled: Callable[[], bool] | None = None,
        ) -> tuple[bytes, str]:
            params = {k: v for k, v in items.items() if k not in _CREDENTIALS}
            found = answers.get(_key(endpoint, params))
            if found is None:
                wanted = ", ".join(f"{k}={v}" for k, v in params.items() if k != "dataType")
                failure = ApiFailure(f"the recording {path.name} has no answer for {wanted}")
                return failure.body().encode(), "text/plain; charset=UTF-8"
            return gzip.decompress((path / "answers" / found[0]).read_bytes()), found[1]

    return ReplayEmulator()


def _key(endpoint: str, params: dict[str, str]) -> str:
    return json.dumps([endpoint, sorted(params.items())])


def replay_url(name: str) -> str:
    """The base URL of a loopback server replaying recording ``name`` (one per recording and
    process, started on first use)."""
    path = recording_path(name)
    if not (path / INDEX).exists():
        raise ConfigurationError(
            f"OT_API_URL=replay:{name}: no recording there ({path}); record one with "
            f"--record {name}"
        )
    with _SERVERS_LOCK:
        if path not in _SERVERS:
            import atexit

            server = _make_replay_emulator(path).start()
            atexit.register(server.stop)
            _SERVERS[path] = server
        return _SERVERS[path].url


def replay_client(name: str, **options: Any) -> OpenTrackerClient:
    """``OpenTrackerClient("replay:" + name)``: a client of recording ``name``, which sends the
    demo account only (never configured credentials), as ``--demo`` does:
    ``replay_client("lesson1").sessions(req)``."""
    from .client import OpenTrackerClient

    return OpenTrackerClient(PREFIX + name, **options)


def is_replay(api_url: str | None) -> bool:
    """Whether an ``api_url``/``OT_API_URL`` value names a recording (``replay:NAME``)."""
    return bool(api_url) and str(api_url).strip().lower().startswith(PREFIX)


def client_for(api_url: str, **options: Any) -> OpenTrackerClient:
    """``OpenTrackerClient(api_url)`` (``"replay:lesson1"`` works there too, resolved by
    :mod:`ot_magic.sources`): ``client_for("replay:lesson1")``."""
    from .client import OpenTrackerClient

    return OpenTrackerClient(api_url, **options)


__all__ = [
    "Recorder",
    "client_for",
    "is_replay",
    "recording_client",
    "recording_path",
    "replay_client",
    "replay_url",
]
