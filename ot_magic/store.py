"""A pull on disk: a Hive-partitioned Parquet dataset that DuckDB, polars and Spark read.

    >>> from ot_magic.store import SessionsDataset
    >>> ds = SessionsDataset("visits")                       # doctest: +SKIP
    >>> ds.relation().aggregate("count(*)").fetchall()       # doctest: +SKIP
    [(313200,)]
    >>> ds.result(where="country_code = 'US'", limit=5000).map   # doctest: +SKIP

Layout: ``PATH/site=<site>/day=<yyyy-mm-dd>/part-0.parquet``, one file a site and day, written
to a hidden temporary name and renamed into place; the ``site`` column lives in the path (Hive
style), every other column of the frame in the file with its type. Each file's metadata holds
the provenance under the key ``ot_magic``: the redacted request of its day, the fetch time, the
API URL, the time zone and the answer's labels. ``PATH/_ot_days/<day>.json`` says that a day is
complete (written last, atomically): a resumed pull skips those days. Readers skip names that
start with ``_`` or ``.``, so they see the data files only.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
from collections.abc import Callable, Iterator
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ConfigurationError

if TYPE_CHECKING:
    import duckdb
    import pandas as pd
    import polars as pl
    import pyarrow as pa

    from .frame import TypedRows
    from .result import SessionsResult

META_KEY = b"ot_magic"
DAYS_DIR = "_ot_days"
DATASET_FILE = "_ot_dataset.json"
PART_NAME = "part-0.parquet"
NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"  # what Hive, Spark and DuckDB read as a null
FILES_GLOB = "site=*/day=*/*.parquet"


def write_json_atomically(path: Path, value: Any) -> None:
    """``value`` as JSON at ``path``: written beside it, then renamed over it."""
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    temporary.write_text(json.dumps(value, indent=1, sort_keys=True), "utf-8")
    os.replace(temporary, path)


def with_provenance(table: pa.Table, meta: dict[str, Any]) -> pa.Table:
    """``table`` with ``meta`` (the frame's ``attrs``, the provenance, the column order) in its
    schema metadata under the key ``ot_magic``: what :func:`table_to_frame` restores."""
    return table.replace_schema_metadata(
        {**(table.schema.metadata or {}), META_KEY: json.dumps(meta, default=str).encode()}
    )


def write_parquet_atomically(table: pa.Table, path: Path) -> None:
    """``table`` as Parquet at ``path``: a hidden temporary file beside it, then a rename."""
    import pyarrow.parquet as pq

    write_atomically(path, lambda temporary: pq.write_table(table, temporary, compression="zstd"))


def write_atomically(path: Path, write: Callable[[Path], object]) -> None:
    """``write(temporary)`` a hidden file beside ``path``, then rename it to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        write(temporary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def table_to_frame(table: pa.Table) -> pd.DataFrame:
    """A table written by :meth:`SessionsDataset.write_day` as the typed frame it came from
    (the same dtypes, ``attrs`` restored from the ``ot_magic`` metadata)."""
    from .frame import arrow_to_frame  # the frame's own types: one source

    meta = json.loads((table.schema.metadata or {}).get(META_KEY, b"{}"))
    df = arrow_to_frame(table)
    df.attrs.update({k: v for k, v in meta.items() if k != "columns"})
    return df


class SessionsDataset:
    """A pull on disk (see the module's docstring), read lazily.

    ``relation()`` is a DuckDB relation over every file, ``lazy()`` a polars LazyFrame,
    ``result(where=..., limit=...)`` a :class:`~ot_magic.result.SessionsResult` (typed frame,
    table and map) of the rows a query picks::

        ds = SessionsDataset("visits")
        ds.relation().filter("country_code = 'US'").aggregate("count(*)").fetchall()
        ds.result(where="day = DATE '2011-11-16'", limit=10_000).table
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path).expanduser()

    def __repr__(self) -> str:
        return f"<SessionsDataset {str(self.path)!r}: {len(self.days())} days>"

    # --- writing ------------------------------------------------------------------------------

    def claim(self, base_request: dict[str, str], source: str) -> None:
        """Mark the dataset as the pull of ``base_request`` (its parameters but the days)
        from ``source`` (``demo``, ``replay:NAME`` or the API URL); refuse a path that holds
        another request's pull."""
        self.path.mkdir(parents=True, exist_ok=True)
        mine = {"request": base_request, "api": source}
        marker = self.path / DATASET_FILE
        if marker.exists():
            held = json.loads(marker.read_text("utf-8"))
            if held != mine:
                raise ConfigurationError(
                    f"--to {self.path}: holds the pull of another request "
                    f"({_describe(held)}); choose another path or delete it"
                )
            return
        if any(self.path.iterdir()):
            raise ConfigurationError(
                f"--to {self.path}: the directory is not empty and holds no ot_magic dataset; "
                "choose a new or empty path"
            )
        write_json_atomically(marker, mine)

    def write_day(self, day: dt.date, rows: TypedRows, provenance: dict[str, Any]) -> int:
        """Write one day's sessions (one file a site, each renamed into place), then mark the
        day complete; returns the rows written. A day written before is replaced whole. The
        rows go from Arrow to Parquet as they are typed (no pandas copy): with one site, the
        file is the table itself."""
        from .frame import as_categories

        table = as_categories(rows.table)  # the frame's categoricals: dictionaries on disk
        meta = {**rows.attrs, **provenance, "columns": table.column_names}
        day_text = day.isoformat()
        written: list[str] = []
        for site, part in _by_site(table):
            relative = f"site={_partition_value(site)}/day={day_text}/{PART_NAME}"
            write_parquet_atomically(with_provenance(part, meta), self.path / relative)
            written.append(relative)
        del table
        for stale in self._files_of(day_text):
            if stale not in written:  # a site the replaced day no longer has
                (self.path / stale).unlink(missing_ok=True)
        (self.path / DAYS_DIR).mkdir(exist_ok=True)
        write_json_atomically(
            self.path / DAYS_DIR / f"{day_text}.json",
            {"day": day_text, "rows": rows.table.num_rows, "files": written, **provenance},
        )
        return rows.table.num_rows

    def _files_of(self, day_text: str) -> Iterator[str]:
        for file in self.path.glob(f"site=*/day={day_text}/*.parquet"):
            yield file.relative_to(self.path).as_posix()

    # --- reading ------------------------------------------------------------------------------

    def days(self) -> dict[dt.date, int]:
        """The complete days and their row counts, newest first."""
        folder = self.path / DAYS_DIR
        found = {}
        for marker in folder.glob("*.json") if folder.is_dir() else ():
            entry = json.loads(marker.read_text("utf-8"))
            found[dt.date.fromisoformat(entry["day"])] = int(entry["rows"])
        return dict(sorted(found.items(), reverse=True))

    def rows(self) -> int:
        """Sessions in the complete days (from the day markers: no file is read)."""
        return sum(self.days().values())

    @cached_property
    def _connection(self) -> duckdb.DuckDBPyConnection:
        import duckdb

        return duckdb.connect()

    def relation(self, connection: duckdb.DuckDBPyConnection | None = None) -> Any:
        """A lazy DuckDB relation over every file, ``site`` and ``day`` from the paths."""
        con = connection or self._connection
        if not any(self.path.glob(FILES_GLOB)):
            raise ConfigurationError(f"{self.path}: no sessions written there yet")
        return con.read_parquet(
            str(self.path / FILES_GLOB), hive_partitioning=True, union_by_name=True
        )

    def lazy(self) -> pl.LazyFrame:
        """A polars LazyFrame over every file, ``site`` and ``day`` from the paths."""
        import polars as pl

        return pl.scan_parquet(str(self.path / FILES_GLOB), hive_partitioning=True)

    def result(
        self, where: str | None = None, *, limit: int | None = None, order: str | None = None
    ) -> SessionsResult:
        """The sessions a DuckDB query picks, as a typed frame in a ``SessionsResult`` (its
        ``.table`` and ``.map`` as for a fetch): ``ds.result("city = 'Amsterdam'", limit=500)``.
        Newest first unless ``order`` (an ``ORDER BY`` text) says otherwise."""
        import pyarrow as pa

        from .result import SessionsResult

        relation = self.relation()
        if where:
            relation = relation.filter(where)
        time_column = "session_start_unix_timestamp"
        if order or time_column in relation.columns:
            relation = relation.order(order or f"day DESC, {time_column} DESC")
        if limit is not None:
            relation = relation.limit(limit)
        table = relation.arrow()
        if isinstance(table, pa.RecordBatchReader):
            table = table.read_all()
        meta = self.metadata()
        df = _typed(table, meta)
        df.attrs.update({k: v for k, v in meta.items() if k != "columns"})
        df.attrs["query"] = {"where": where, "limit": limit, "order": order}
        return SessionsResult(df=df, request=None, pages=0, api_url=meta.get("api_url", ""))

    def metadata(self) -> dict[str, Any]:
        """The provenance and frame metadata of the newest file (``ot_magic`` key)."""
        import pyarrow.parquet as pq

        files = sorted(self.path.glob(FILES_GLOB), key=lambda p: p.parent.name, reverse=True)
        if not files:
            return {}
        schema = pq.read_schema(files[0])
        return json.loads((schema.metadata or {}).get(META_KEY, b"{}"))

    def summary(self) -> str:
        """``313,200 sessions · 90 days (2011-08-19 – 2011-11-16) · in visits · DuckDB: ...``."""
        days = self.days()
        text = f"{sum(days.values()):,} sessions · {len(days)} day{'s' * (len(days) != 1)}"
        if days:
            text += f" ({min(days)} – {max(days)})"
        return f"{text} · in {self.path} (Parquet, site=…/day=…)"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        import html

        hint = "query it: .relation() (DuckDB), .lazy() (polars), .result(where=..., limit=...)"
        return {
            "text/plain": f"{self.summary()}\n{hint}",
            "text/html": f"<b>{html.escape(self.summary())}</b><br>{html.escape(hint)}",
        }


def _typed(table: pa.Table, meta: dict[str, Any]) -> pd.DataFrame:
    """DuckDB's answer with the frame's types back: durations (stored as milliseconds by
    engines that do not know Arrow durations), datetimes in the pull's zone, the frame's
    column order (``site`` back in place, ``day`` dropped)."""
    import pyarrow as pa

    from . import schema
    from .frame import arrow_to_frame
    from .javatime import java_zone

    zone = java_zone(meta.get("time_zone") or "EST")
    zone_name = getattr(zone, "key", None) or _offset_name(zone)
    columns = {}
    for name, column in zip(table.column_names, table.columns, strict=True):
        if name in schema.DURATION_FIELDS and pa.types.is_integer(column.type):
            column = column.cast(pa.duration("ms"))
        elif pa.types.is_timestamp(column.type):
            column = column.cast(pa.timestamp("ms", tz=zone_name))
        columns[name] = column
    order = [c for c in meta.get("columns", []) if c in columns]
    order += [c for c in columns if c not in order and c != "day"]
    return arrow_to_frame(pa.table({name: columns[name] for name in order}))


def _by_site(table: pa.Table) -> Iterator[tuple[str, pa.Table]]:
    """``(site, its rows without the site column)`` for each site of ``table``, by name
    (missing: Hive's null partition); the table itself, not a copy, when it has one site."""
    import pyarrow.compute as pc

    if "site" not in table.column_names:
        yield NULL_PARTITION, table
        return
    sites = table["site"]
    rest = table.drop_columns(["site"])
    names = sorted(str(v) for v in pc.unique(sites).to_pylist() if v is not None)
    if len(names) == 1 and not sites.null_count:
        yield names[0], rest
        return
    for name in names:
        yield name, rest.filter(pc.equal(sites, name))
    if sites.null_count:
        yield NULL_PARTITION, rest.filter(pc.is_null(sites))


def _offset_name(zone: dt.tzinfo) -> str:
    offset = zone.utcoffset(None) or dt.timedelta(0)
    minutes = int(offset.total_seconds()) // 60
    return f"{'-' if minutes < 0 else '+'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _partition_value(value: Any) -> str:
    """A Hive partition value: ``/`` and ``=`` would break the path, so they are escaped as
    Hive does (``%2F``, ``%3D``)."""
    text = str(value)
    return text.replace("%", "%25").replace("/", "%2F").replace("=", "%3D")


def _describe(held: dict[str, Any]) -> str:
    params = ", ".join(f"{k}={v}" for k, v in held.get("request", {}).items())
    return f"{params or 'no parameters'} from {held.get('api')}"


__all__ = [
    "SessionsDataset",
    "table_to_frame",
    "with_provenance",
    "write_atomically",
    "write_parquet_atomically",
]
