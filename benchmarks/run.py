"""Run every ``benchmarks/bench_*.py`` and gather their rows into one markdown table.

    python -m benchmarks.run                 # all topics; writes benchmarks/RESULTS.md
    python -m benchmarks.run load map        # only bench_load and bench_map
    python -m benchmarks.run --readme        # also refresh the table in README.md

The table carries the date, the machine and the command, so a figure is never read without
them. A missed target is shown (and counted) but is not an error; a benchmark that cannot run
is, and the exit status is then 1.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import os
import platform
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS.md"
README = HERE.parent / "README.md"
README_START, README_END = "<!-- benchmarks:start -->", "<!-- benchmarks:end -->"
COLUMNS = ("figure", "value", "baseline", "ratio", "target", "ok")


def topics() -> list[str]:
    """The topic of every ``bench_<topic>.py``, sorted."""
    return sorted(path.stem.removeprefix("bench_") for path in HERE.glob("bench_*.py"))


def machine() -> str:
    """Cores, RAM, CPU model, Python and OS of this machine, on one line."""
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        models = [line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
                  if line.startswith("model name")]  # fmt: skip
        cpu = models[0] if models else cpu
    return (
        f"{os.cpu_count()} cores, {ram:.0f} GiB RAM, {cpu}; "
        f"Python {platform.python_version()}; {platform.platform(terse=True)}"
    )


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _row(row: dict) -> str:
    unit = row.get("unit", "")
    cells = {
        "figure": row["figure"],
        "value": f"{row['value']} {unit}".strip(),
        "baseline": row["baseline"],
        "ratio": row["ratio"],
        "target": row["target"],
        "ok": "yes" if row["ok"] else "**MISSED**",
    }
    return "| " + " | ".join(_cell(cells[name]) for name in COLUMNS) + " |"


def run(selected: list[str]) -> tuple[list[dict], list[str]]:
    """Each topic's ``measure()`` rows (topic added), and the topics that failed to run."""
    rows, failed = [], []
    for topic in selected:
        start = time.perf_counter()
        print(f"benchmarks: {topic} ...", file=sys.stderr, flush=True)
        try:
            module = importlib.import_module(f"benchmarks.bench_{topic}")
            measured = module.measure()
        except Exception:
            traceback.print_exc()
            failed.append(topic)
            continue
        rows += [{"topic": topic, **row} for row in measured]
        print(f"benchmarks: {topic} done in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    return rows, failed


def table(rows: list[dict], failed: list[str], command: str) -> str:
    """The markdown report: date, machine, command, then one line per figure."""
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"Measured {now} on {machine()}, with `{command}`.",
        "",
        "| topic | " + " | ".join(COLUMNS) + " |",
        "|---" * (len(COLUMNS) + 1) + "|",
        *(f"| {row['topic']} {_row(row)}" for row in rows),
    ]
    missed = [row["figure"] for row in rows if not row["ok"]]
    lines.append("")
    lines.append(f"{len(rows) - len(missed)} of {len(rows)} targets met.")
    if missed:
        lines.append("Missed: " + "; ".join(missed) + ".")
    if failed:
        lines.append("Could not run: " + ", ".join(f"bench_{topic}" for topic in failed) + ".")
    return "\n".join(lines) + "\n"


def refresh_readme(report: str) -> None:
    """Put ``report`` between the benchmark markers of README.md."""
    text = README.read_text()
    head, _, rest = text.partition(README_START)
    _, _, tail = rest.partition(README_END)
    README.write_text(f"{head}{README_START}\n{report}{README_END}{tail}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run", description=__doc__.split("\n")[0]
    )
    parser.add_argument("topics", nargs="*", help=f"some of: {', '.join(topics())}")
    parser.add_argument("--readme", action="store_true", help="also refresh README.md's table")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.topics) - set(topics()))
    if unknown:
        parser.error(f"unknown topic {', '.join(unknown)} (known: {', '.join(topics())})")
    command = " ".join(["python -m benchmarks.run", *(argv if argv is not None else sys.argv[1:])])
    rows, failed = run(args.topics or topics())
    report = table(rows, failed, command)
    RESULTS.write_text("# Benchmarks\n\n" + report)
    if args.readme:
        refresh_readme(report)
    print(report)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
