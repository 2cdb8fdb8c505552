"""``python -m ot_magic.emulator --host 127.0.0.1 --port 8765``: serve the emulated API.

The first line printed is the base URL (``--port 0`` picks a free port); Ctrl-C or SIGTERM stop
it cleanly (exit status 0). A non-loopback ``--host`` needs ``--allow-remote``. Then, e.g.::

    curl -s http://127.0.0.1:8765/api/views/c_view_session.jsp \
         -d login=demo@opentracker.net -d "password=$DEMO_PASSWORD" -d date=2011-11-16 -d limit=5
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from .server import DEMO_LOGIN, DEMO_SITE, Emulator


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ot_magic.emulator", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port (0: a free one; default 8765)")
    parser.add_argument("--allow-remote", action="store_true", help="allow a non-loopback --host")
    parser.add_argument("--workers", type=int, default=16, help="connections served at once")
    parser.add_argument("--watch-stdin", action="store_true",
                        help="stop when standard input closes (the parent process has ended)")  # fmt: skip
    args = parser.parse_args(argv)
    try:
        emulator = Emulator(
            args.host, args.port, allow_remote=args.allow_remote, workers=args.workers
        )
        emulator.start()
    except (ValueError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    if args.watch_stdin:
        threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    print(emulator.url, flush=True)
    print(
        f"demo account: {DEMO_LOGIN} on {DEMO_SITE} (password: ot_magic.emulator.DEMO_PASSWORD)",
        flush=True,
    )
    try:
        while not stop.wait(0.1):
            pass
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
