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
today's day is always fetched. Each entry is an Arrow IPC file (the answers' rows as text,
as the paging layer holds them, so a cached day is typed exactly as a fetched one; the first
answer's metadata and the provenance in the file's metadata) and a JSON file naming its key,
written in that order, each renamed into place. The client's day split asks the cache through
:meth:`DayCache.days` (a :class:`~ot_magic.paging.DaySource`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import demo
from .store import META_KEY, write_atomically, write_json_atomically

if TYPE_CHECKING:
    from .frame import ParsedPage
    from .request import SessionsRequest

ENTRIES_DIR = "days"
SUFFIX = ".arrow"  # Arrow IPC, uncompressed: read back mapped, without a copy
_PAGING_ONLY = ("limit",)
FORMAT = 2  # entries hold the answers' text rows (1 held typed frames): a new key, a new entry


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
        kind = "day" if whole_day else "page"
        key = {"source": source, "kind": kind, "params": params, "format": FORMAT}
        if source == demo.NAME:  # the demo's days change with the emulator that makes them
            key["data"] = demo.data_version()
        return key

    def _path(self, key: dict) -> Path:
        digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:32]
        return self.directory / ENTRIES_DIR / digest

    def get(self, key: dict) -> list[ParsedPage] | None:
        """The pages kept for ``key`` (as one page of the same rows), or ``None``."""
        path = self._path(key)
        if not path.with_suffix(".json").exists():
            return None
        import pyarrow.feather as feather

        from .frame import ParsedPage, TextRows

        try:
            table = feather.read_table(path.with_suffix(SUFFIX), memory_map=True)
            kept = json.loads(table.schema.metadata[META_KEY])
        except (OSError, ValueError, KeyError):  # a file damaged or removed by hand: fetch again
            return None
        rows = TextRows(table.replace_schema_metadata())
        return [ParsedPage(rows, kept["next_token"], kept["meta"])]

    def put(self, key: dict, pages: list[ParsedPage], *, next_token: str | None = None) -> None:
        """Keep ``pages`` (the answers' rows as text, before typing, so that reading them back
        types them exactly as a fetch does) for ``key``: the rows first, then the key file
        that makes them count."""
        import pyarrow as pa
        import pyarrow.feather as feather

        path = self._path(key)
        table = pa.concat_tables(  # one chunk a column: one dictionary a category to unify
            [p.rows.table for p in pages], promote_options="permissive"
        ).combine_chunks()
        fetched_at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        kept = {
            "meta": pages[0].meta,  # a whole day or an answer: one page at least
            "next_token": next_token,
            "request": key["params"],
            "api": key["source"],
            "fetched_at": fetched_at,
        }
        table = table.replace_schema_metadata({META_KEY: json.dumps(kept).encode()})
        write_atomically(
            path.with_suffix(SUFFIX),
            lambda temporary: feather.write_feather(table, temporary, compression="uncompressed"),
        )
        entry = {**key, "rows": table.num_rows, "fetched_at": fetched_at}
        write_json_atomically(path.with_suffix(".json"), entry)

    def days(self, source: str, request: SessionsRequest, *, refresh: bool = False) -> CachedDays:
        """The :class:`~ot_magic.paging.DaySource` of ``request``'s days from ``source``, for
        the client's day split: ``client.sessions(req, all_pages=True, cache=DayCache())``
        uses it."""
        return CachedDays(self, source, request, refresh=refresh)

    def answer(
        self, source: str, request: SessionsRequest, *, refresh: bool = False
    ) -> CachedAnswer:
        """The cache of ``request``'s single answer from ``source`` (what
        ``client.sessions(req, cache=DayCache())`` without ``all_pages`` uses)."""
        return CachedAnswer(self, source, request, refresh=refresh)

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


class CachedAnswer:
    """The single answer of a request (one page, ``limit`` rows) in a :class:`DayCache`, kept
    and served once every day it covers has ended. Made by :meth:`DayCache.answer`."""

    def __init__(
        self, cache: DayCache, source: str, request: SessionsRequest, *, refresh: bool = False
    ) -> None:
        from .paging import covered_days

        days = covered_days(request)
        self.over = bool(days) and day_is_over(max(days), request)
        self.cache, self.refresh = cache, refresh
        self.key = cache.key(source, request, whole_day=False)

    def get(self) -> ParsedPage | None:
        """The kept answer, or ``None`` (also with ``refresh``, or a day not over)."""
        if not self.over or self.refresh:
            return None
        pages = self.cache.get(self.key)
        return pages[0] if pages else None

    def put(self, page: ParsedPage) -> None:
        """Keep ``page`` if every day it covers has ended."""
        if self.over:
            self.cache.put(self.key, [page], next_token=page.next_token)


class CachedDays:
    """A :class:`~ot_magic.paging.DaySource` over a :class:`DayCache`: a day that has ended
    is served from the cache (unless ``refresh``) and stored once fetched whole; today's day
    is neither. Made by :meth:`DayCache.days`."""

    def __init__(
        self, cache: DayCache, source: str, request: SessionsRequest, *, refresh: bool = False
    ) -> None:
        self.cache, self.source, self.request, self.refresh = cache, source, request, refresh

    def _key(self, day: dt.date) -> dict:
        return self.cache.key(self.source, self.request.replace(date=day, period="1d"))

    def cached(self, day: dt.date) -> list[ParsedPage] | None:
        """The day's pages if it has ended and the cache holds it (``None`` with ``refresh``)."""
        if self.refresh or not day_is_over(day, self.request):
            return None
        return self.cache.get(self._key(day))

    def finished(self, day: dt.date, pages: list[ParsedPage]) -> bool:
        """Store a day that has ended; the pull keeps its pages (``False``)."""
        if day_is_over(day, self.request):
            self.cache.put(self._key(day), pages)
        return False


__all__ = ["CachedAnswer", "CachedDays", "DayCache", "cache_dir", "day_is_over"]
