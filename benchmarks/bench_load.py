"""What ``%load_ext ot_magic`` adds to an IPython start, and which heavy modules it imports.

Each run is a fresh ``ipython --quick`` subprocess (cold imports), alternating a bare start and a
start that loads the extension, so that both see the same machine load. The added time is taken
inside the process, around ``%load_ext ot_magic`` (the whole-process wall times differ by less
than their own noise); the baseline is the wall time of the bare start.

    python -m benchmarks.bench_load
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

RUNS = 9
TARGET_SECONDS = 0.1
HEAVY = ("pandas", "polars", "requests", "ipyleaflet", "ipydatagrid", "ipywidgets", "tqdm")
_REPORT = f"import json, sys; print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
_LOAD = (
    "import time; _t = time.perf_counter(); get_ipython().run_line_magic('load_ext', 'ot_magic'); "
    "print(time.perf_counter() - _t)"
)


def _ipython(code: str, ipython_dir: str) -> tuple[float, str]:
    """Wall time of one fresh ``ipython --quick -c code``, and what it printed."""
    env = {**os.environ, "IPYTHONDIR": ipython_dir, "PYTHONDONTWRITEBYTECODE": "1"}
    command = [sys.executable, "-m", "IPython", "--quick", "--no-banner", "--colors=NoColor"]
    start = time.perf_counter()
    done = subprocess.run(
        [*command, "-c", code], env=env, capture_output=True, text=True, timeout=120, check=True
    )
    return time.perf_counter() - start, done.stdout


def measure(runs: int = RUNS) -> list[dict]:
    """Rows for the README: the added start time and the heavy modules loaded at load time."""
    with tempfile.TemporaryDirectory() as ipython_dir:
        _ipython("pass", ipython_dir)  # warm the file cache and create the profile once
        bare, loaded = [], []
        for _ in range(runs):
            bare.append(_ipython(_REPORT, ipython_dir)[0])
            printed = _ipython(f"{_LOAD}\n{_REPORT}", ipython_dir)[1].strip().splitlines()
            loaded.append(float(printed[-2]))
        heavy_bare = json.loads(_ipython(_REPORT, ipython_dir)[1].strip().splitlines()[-1])
    heavy = [m for m in json.loads(printed[-1]) if m not in heavy_bare]
    base, added = statistics.median(bare), statistics.median(loaded)
    return [
        {
            "figure": f"%load_ext ot_magic over a bare IPython start (median of {runs} fresh runs)",
            "value": round(added, 3),
            "unit": "s",
            "baseline": f"{base:.3f} s: ipython --quick -c pass",
            "ratio": round(added / base, 3),
            "target": f"<= {TARGET_SECONDS} s",
            "ok": added <= TARGET_SECONDS,
        },
        {
            "figure": "heavy modules imported by %load_ext ot_magic (" + ", ".join(HEAVY) + ")",
            "value": len(heavy),
            "unit": "modules" + (f" ({', '.join(heavy)})" if heavy else ""),
            "baseline": f"{len(heavy_bare)} imported by a bare IPython start",
            "ratio": len(heavy),
            "target": "0",
            "ok": not heavy,
        },
    ]


if __name__ == "__main__":
    for row in measure():
        print(row)
