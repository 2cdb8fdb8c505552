"""Finished past days (and single answers of past periods) kept on disk, so a repeated cell
makes no request for them.

    >>> from ot_magic.cache import DayCache
    >>> cache = DayCache()                                      # OT_CACHE_DIR, else ~/.cache/ot_magic
    >>> key = cache.key("demo", SessionsRequest(date="2011-11-16", period="1d"))  # doctest: +SKIP
    >>> cache.get(key) is None                                  # doctest: +SKIP
    True

An entry is keyed by the redacted request (site, day, filters, zone, locale, ...: every API
parameter but the credentials) and the API it came from (``demo``, ``replay:NAME`` or the
URL); never by a credential. A whole day's entry leaves out ``limit``, which changes the pages
and not the rows. Only a day that has ended in the request's time zone is stored or served:
today's day is always fetched. Each entry is an Arrow IPC file (the typed frame, its ``attrs``
and provenance in the metadata) and a JSON file naming its key, written in that order, each
renamed into place.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .store import frame_to_table, table_to_frame, write_atomically, write_json_atomically

if TYPE_CHECKING:
    import pandas as pd

    from .request import SessionsRequest

ENTRIES_DIR = "days"
SUFFIX = ".arrow"  # Arrow IPC, lz4: read back 5x faster than Parquet
_PAGING_ONLY = ("limit",)


def cache_dir() -> Path:
    """``OT_CACHE_DIR``, else ``$XDG_CACHE_HOME/ot_magic``, else ``~/.cache/ot_magic``."""
    if os.environ.get("OT_CACHE_DIR"):
        return Path(os.environ["OT_CACHE_DIR"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "ot_magic"


def day_is_over(day: dt.date, request: SessionsRequest, now: dt.datetime | None = None) -> bool:
    """Whether ``day`` has ended in the request's time zone (the API's default: EST), so its
    sessions can no longer change: ``day_is_over(date(2011, 11, 16), req)``."""
    from .javatime import java_zone
    from .params import PARAMS

    zone = java_zone(request.params.get("timeZone") or PARAMS["timeZone"].default)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    return (now or dt.datetime.now(dt.timezone.utc)) >= end


class DayCache:
    """Entries on disk under ``directory`` (default :func:`cache_dir`)."""

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        self.directory = Path(directory) if directory is not None else cache_dir()

    def __repr__(self) -> str:
        return f"<DayCache {str(self.directory)!r}>"

    def key(self, source: str, request: SessionsRequest, *, whole_day: bool = True) -> dict:
        """The key of ``request``'s answer from ``source``: ``whole_day`` for every page of
        one day (``limit`` left out), else for the one answer of exactly this request."""
        from .frame import redacted_params

        params = redacted_params(request)
        if whole_day:
            params = {k: v for k, v in params.items() if k not in _PAGING_ONLY}
        return {"source": source, "kind": "day" if whole_day else "page", "params": params}

    def _path(self, key: dict) -> Path:
        digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:32]
        return self.directory / ENTRIES_DIR / digest

    def get(self, key: dict) -> pd.DataFrame | None:
        """The cached frame of ``key`` (its ``attrs`` restored), or ``None``."""
        path = self._path(key)
        if not path.with_suffix(".json").exists():
            return None
        import pyarrow.feather as feather

        try:
            return table_to_frame(feather.read_table(path.with_suffix(SUFFIX)))
        except (OSError, ValueError):  # a file damaged or removed by hand: fetch again
            return None

    def put(self, key: dict, df: pd.DataFrame, *, next_token: str | None = None) -> None:
        """Keep ``df`` for ``key`` (the frame first, then the key file that makes it count)."""
        path = self._path(key)
        provenance = {
            "request": key["params"],
            "api": key["source"],
            "fetched_at": df.attrs.get("fetched_at"),
            "next_token": next_token,
        }
        import pyarrow.feather as feather

        table = frame_to_table(df, provenance)
        write_atomically(
            path.with_suffix(SUFFIX),
            lambda temporary: feather.write_feather(table, temporary, compression="lz4"),
        )
        entry = {**key, "rows": len(df), "fetched_at": df.attrs.get("fetched_at")}
        write_json_atomically(path.with_suffix(".json"), entry)

    def entries(self) -> list[dict[str, Any]]:
        """Every entry's key, rows, fetch time and size on disk, oldest day first."""
        found = []
        for marker in (self.directory / ENTRIES_DIR).glob("*.json"):
            try:
                entry = json.loads(marker.read_text("utf-8"))
                entry["bytes"] = marker.with_suffix(SUFFIX).stat().st_size
            except (OSError, ValueError):
                continue
            found.append(entry)
        return sorted(found, key=lambda e: (e["source"], e["params"].get("date", "")))

    def clear(self, source: str | None = None) -> int:
        """Remove every entry (or those of one ``source``); returns how many were removed."""
        removed = 0
        for entry_file in list((self.directory / ENTRIES_DIR).glob("*.json")):
            try:
                entry = json.loads(entry_file.read_text("utf-8"))
            except (OSError, ValueError):
                entry = {}
            if source is None or entry.get("source") == source:
                entry_file.unlink(missing_ok=True)
                entry_file.with_suffix(SUFFIX).unlink(missing_ok=True)
                removed += 1
        return removed

    def describe(self) -> str:
        """What ``%otcache`` shows: the directory, then one line per site and source."""
        entries = self.entries()
        size = sum(e["bytes"] for e in entries)
        lines = [f"ot_magic cache in {self.directory}: {len(entries)} entries, {size / 1e6:.1f} MB"]
        groups: dict[tuple[str, str, str], list[dict]] = {}
        for entry in entries:
            site = entry["params"].get("site", "(account's default site)")
            groups.setdefault((entry["source"], site, entry["kind"]), []).append(entry)
        for (source, site, kind), group in groups.items():
            dates = sorted(e["params"].get("date", "") for e in group)
            rows = sum(e["rows"] for e in group)
            what = "days" if kind == "day" else "single answers"
            lines.append(
                f"  {source} · {site}: {len(group)} {what} ({dates[0]} – {dates[-1]}), "
                f"{rows:,} sessions"
            )
        return "\n".join(lines)


__all__ = ["DayCache", "cache_dir", "day_is_over"]
