"""Answer bytes → a typed pandas DataFrame, with the answer's labels, hidden columns and token.

    >>> from ot_magic.frame import parse_sessions
    >>> answer = parse_sessions(body, request=req, time_zone="EST")      # doctest: +SKIP
    >>> answer.df["duration"].iloc[1], answer.next_token                 # doctest: +SKIP
    (Timedelta('0 days 20:44:57'), '1321401600000.1321466400000')

The rows are read by polars, a chunk of about 1 MB of whole rows at a time, each chunk copied
at once into Arrow text columns (empty text missing) and its polars buffers let go: working
memory stays that of one chunk, where ``json.loads`` would build one Python object per value.
:func:`read_page` stops there, so that paging joins the pages' columns (without a copy) and
types them once (:func:`to_dataframe`): epoch ms → aware datetimes, counts → ``Int64``,
coordinates → floats, durations → timedeltas (``s.e.`` → 0 s, flagged in ``single_event``);
text that repeats (``schema.CATEGORY_FIELDS``: countries, cities, browsers, pages,
titles, referrer hosts, search terms ...) is dictionary-encoded as each chunk is read and
becomes pandas categoricals (missing: ``NaN``); the rest of the text (ids, referrer links, IP
addresses: ``schema.UNIQUE_TEXT_FIELDS``) goes to pandas as it is, Arrow-backed strings with
``pd.NA`` for missing values. Values are read in the request's ``locale`` (:mod:`ot_magic.values`); a text that
cannot be read is missing and counted in ``df.attrs["unreadable"]``. Besides the documented shape, the answer may be a bare
JSON array (of objects, or of arrays with or without a header row), JSONP with a ``/**/``
prefix, numbers as JSON numbers, fields missing, reordered or extra (unknown ones kept as text),
and ``nextToken`` anywhere in the object. Error answers (``Error: ...`` text in any case,
``{"error": ...}``, ``{"resultsList": [{"error": ...}]}``, HTML pages, bodies cut short) and
malformed ones (nested too deeply, ``field`` not a list of names, a ``nextToken`` that is not
text ...) become :mod:`ot_magic.errors` exceptions with one-line messages.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import groupby
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from . import schema
from .errors import ApiError, AuthenticationError, ResponseError
from .javatime import java_zone
from .params import PARAMS
from .values import (
    DERIVED_FIELDS,
    SINGLE_EVENT_FIELD,
    TYPED_FIELDS,
    ValueLocale,
    typed_columns,
)

if TYPE_CHECKING:
    from .request import SessionsRequest

# What the frame is read for: a request, or its API parameters (``{"locale": "nl_NL"}``).
RequestLike: TypeAlias = "SessionsRequest | Mapping[str, object] | None"

# Derived flags the table keeps among the hidden columns: the duration already says it (0 s).
_FLAGS = (SINGLE_EVENT_FIELD,)
AUTHENTICATION_MESSAGES = ("Login/ site combination is not valid",)

_META_NAMES = (
    "rows",
    "field",
    "label",
    "hidden",
    "profileColumns",
    "expandUrl",
    "expand",
    "nextToken",
    "error",
)
_ROWS_KEY = re.compile(rb'"resultsList"\s*:\s*\[\s*')
_ROWS_END = re.compile(rb"\]\s*\]\s*[,}]")  # the last row's ']', resultsList's ']', what follows
_ROW_BOUNDARY = re.compile(rb"\]\s*,\s*\[")
_CHUNK_BYTES = 1 << 20
_DECAY_MS = 100
_NOT_SPACE = re.compile(rb"\S")


def _arrow_pool() -> pa.MemoryPool:
    """Where the frame's Arrow buffers are allocated: Arrow's jemalloc pool where this build of
    pyarrow has one. Reading an answer allocates and frees thousands of buffers of every size,
    and jemalloc reuses freed memory better there: a 10,000-row parse peaks at 2.6x its
    payload, against 3.3x with the default pool (mimalloc). Only this module's own calls use
    it; the process's default pool is left as it is. Its freed pages go back to the system
    after 0.1 s instead of jemalloc's 1 s: a pull frees about as fast as it allocates, and a
    second of freed pages made a tenth of a 120-day pull's peak."""
    try:
        pool = pa.jemalloc_memory_pool()
    except NotImplementedError:  # a build without jemalloc (Windows)
        return pa.default_memory_pool()
    pa.jemalloc_set_decay_ms(_DECAY_MS)
    return pool


POOL = _arrow_pool()
_CHUNK_SCHEMA = {"rows": pl.List(pl.List(pl.String))}
_JSONP = re.compile(rb"^\s*(?:/\*.*?\*/\s*)*(?:[A-Za-z_$][\w$.]*)?\s*\(", re.DOTALL)
_ERROR_TEXT = re.compile(
    r"^Error:\s*(?:([\w.$]+(?:Exception|Error)\w*)\s*:\s*)?(.*)$", re.DOTALL | re.IGNORECASE
)
_TITLE = re.compile(rb"<title[^>]*>([^<]{0,200})", re.IGNORECASE)


@dataclass(frozen=True)
class ParsedAnswer:
    """One parsed answer: the typed rows, the token to go on from (``None`` when done), the
    answer's metadata (``field``, ``label``, ``hidden``, ``profileColumns``, ``expandUrl`` ...)."""

    df: pd.DataFrame
    next_token: str | None
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TextRows:
    """One answer's rows as Arrow text columns named by ``field``, empty text missing; or,
    when ``typed``, rows already in the frame's types (:func:`typed_page`: a complete day of
    a pull, kept compact), with the count of texts that could not be read."""

    table: pa.Table
    typed: bool = False
    unreadable: dict[str, int] = field(default_factory=dict)

    @property
    def height(self) -> int:
        """The number of rows."""
        return self.table.num_rows


@dataclass(frozen=True)
class ParsedPage:
    """One answer's rows as columns of text, before typing: pages are joined first, then
    typed and handed to pandas once (:func:`to_dataframe`)."""

    rows: TextRows
    next_token: str | None
    meta: dict[str, Any] = field(default_factory=dict)

    def head(self, count: int) -> ParsedPage:
        """The page with its first ``count`` rows only."""
        rows = self.rows
        cut = TextRows(rows.table.slice(0, count), rows.typed, rows.unreadable)
        return ParsedPage(cut, self.next_token, self.meta)


def parse_sessions(
    body: bytes | str, *, request: RequestLike = None, time_zone: str | None = None
) -> ParsedAnswer:
    """Read a sessions answer (JSON or JSONP; rows as arrays or objects) into a typed frame.

    ``request`` (a ``SessionsRequest`` or a dict of API parameters) is kept, without secrets,
    in ``df.attrs["request"]``; its ``timeZone`` (or ``time_zone``) sets the datetime columns'
    zone, else the API's own default (the zone its ``lastEvent`` text and day boundaries use);
    its ``locale`` says how numbers and durations are written (``42,850006`` for ``nl_NL``).

        >>> parse_sessions(b'Error: java.lang.RuntimeException: Login/ site combination is not valid')
        Traceback (most recent call last):
        ...
        ot_magic.errors.AuthenticationError: Login/ site combination is not valid
    """
    page = read_page(body)
    return ParsedAnswer(
        to_dataframe([page], request=request, time_zone=time_zone), page.next_token, page.meta
    )


def read_page(body: bytes | str) -> ParsedPage:
    """The rows of one answer as Arrow text columns, or the error the answer holds."""
    data = _unwrap(body.encode("utf-8", "replace") if isinstance(body, str) else bytes(body))
    try:
        with gc_paused():
            rows, meta = _read_rows(data)
    except RecursionError:  # json's own guard, for arrays or objects nested thousands deep
        raise ResponseError(
            "the API's answer is nested too deeply to be a sessions answer"
        ) from None
    return ParsedPage(TextRows(as_categories(rows, _CATEGORIES_READ)), meta.get("nextToken"), meta)


def to_dataframe(
    pages: list[ParsedPage],
    *,
    request: RequestLike = None,
    time_zone: str | None = None,
    release: bool = False,
) -> pd.DataFrame:
    """The pages' rows, one after the other, as one typed DataFrame with its ``attrs``::

    to_dataframe([read_page(b) for b in bodies], request=req)

    Values are read in the request's ``locale``; ``attrs["unreadable"]`` counts, per column,
    the texts that could not be read (they are missing in the frame). With ``release``, the
    list is emptied once its rows are joined, so that each column's Arrow memory is let go as
    soon as pandas has it (a pull's pages: the frame is built in little more than its size).
    """
    typed = typed_rows(pages, request=request, time_zone=time_zone)
    if release:
        pages.clear()
    df = arrow_to_frame(typed.table, consume=True)
    df.attrs.update(typed.attrs)
    return df


def typed_page(
    pages: list[ParsedPage], *, request: RequestLike = None, time_zone: str | None = None
) -> ParsedPage:
    """Pages (a complete day of a pull) as one page of rows already typed: what a long pull
    keeps of each day, smaller than its text; :func:`to_dataframe` joins it as it is::

        day = typed_page(pages, request=req); day.rows.typed, day.rows.height
    """
    typed = typed_rows(pages, request=request, time_zone=time_zone)
    rows = TextRows(  # one chunk a column: a category's one dictionary of the day, small codes
        _narrowed(typed.table.combine_chunks(memory_pool=POOL)),
        typed=True,
        unreadable=typed.attrs["unreadable"],
    )
    return ParsedPage(rows, pages[-1].next_token if pages else None, pages[0].meta if pages else {})


def _narrowed(table: pa.Table) -> pa.Table:
    """``table`` with each category column's codes in the fewest bytes that hold its
    dictionaries (most hold a few dozen values: one byte a code, not four)."""
    columns = []
    for column in table.columns:
        if pa.types.is_dictionary(column.type):
            most = max((len(chunk.dictionary) for chunk in column.chunks), default=0)
            width = next(t for t in (pa.int8(), pa.int16(), pa.int32()) if most <= _MOST[t])
            if width != column.type.index_type:
                column = pc.cast(
                    column, pa.dictionary(width, column.type.value_type), memory_pool=POOL
                )
        columns.append(column)
    return pa.Table.from_arrays(columns, names=table.column_names)


_MOST = {pa.int8(): 2**7, pa.int16(): 2**15, pa.int32(): 2**31}  # dictionary sizes codes hold


@dataclass(frozen=True)
class TypedRows:
    """Pages joined and typed, still in Arrow: the frame's columns and its ``attrs``. What
    :func:`to_dataframe` hands to pandas, and what a dataset writes without pandas."""

    table: pa.Table
    attrs: dict[str, Any]


def typed_rows(
    pages: list[ParsedPage], *, request: RequestLike = None, time_zone: str | None = None
) -> TypedRows:
    """The pages' rows typed as the frame types them (in the request's ``locale`` and zone),
    as an Arrow table with the frame's ``attrs``::

        typed = typed_rows(pages, request=req); typed.table.num_rows, typed.attrs["time_zone"]
    """
    if not pages:  # nothing read (a pull cancelled before its first page): no rows
        pages = [ParsedPage(TextRows(_no_rows(schema.FIELDS)), None, {})]
    params = redacted_params(request)
    zone_name = (
        time_zone or params.get("timeZone") or params.get("timezone") or PARAMS["timeZone"].default
    )
    zone = java_zone(zone_name)
    locale = ValueLocale.of(params.get("locale"))
    parts, unreadable = [], Counter()
    with gc_paused():
        for typed, run in groupby(pages, key=lambda page: page.rows.typed):
            run = list(run)
            if typed:
                parts += [page.rows.table for page in run]
                for page in run:
                    unreadable.update(page.rows.unreadable)
                continue
            joined = pa.concat_tables(
                [page.rows.table for page in run], promote_options="permissive", memory_pool=POOL
            )
            table, counts = _typed_table(joined, zone, locale)
            parts.append(table)
            unreadable.update(counts)
            del joined, table
        # Every category encoded before the join (typed days hold theirs so), and the frame's
        # table the only holder of its columns.
        parts = [as_categories(part) for part in parts]
        table = (
            parts[0]
            if len(parts) == 1
            else pa.concat_tables(parts, promote_options="permissive", memory_pool=POOL)
        )
        del parts
    meta, columns = pages[0].meta, set(table.column_names)
    attrs = dict(
        labels=_labels(meta, columns),
        hidden=list(
            dict.fromkeys(f for f in (*(meta.get("hidden") or ()), *_FLAGS) if f in columns)
        ),
        profile_columns=list(meta.get("profileColumns") or ()),
        expand_url=meta.get("expandUrl"),
        expand=meta.get("expand"),
        next_token=pages[-1].next_token,
        request=params,
        fetched_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        time_zone=zone_name,
        locale=locale.name,
        unreadable={name: count for name, count in unreadable.items() if count},
    )
    return TypedRows(table, attrs)


def _labels(meta: dict[str, Any], columns: set[str]) -> dict[str, str]:
    pairs = zip(meta.get("field") or (), meta.get("label") or (), strict=False)
    labels = {name: text for name, text in pairs if text is not None}
    labels.update({name: name for derived in DERIVED_FIELDS.values() for name in derived})
    return {name: text for name, text in labels.items() if name in columns}


def redacted_params(request: RequestLike) -> dict[str, str]:
    """The API parameters of ``request`` without any credential (login, password, ticketId)."""
    if request is None:
        return {}
    params = request.to_api_params() if hasattr(request, "to_api_params") else dict(request)
    return {
        str(name): str(value)
        for name, value in params.items()
        if name not in _CREDENTIAL_NAMES and str(name).lower() not in _CREDENTIAL_LOWER
    }


_CREDENTIAL_NAMES = frozenset(n for n, p in PARAMS.items() if p.group == "auth" and n != "expires")
_CREDENTIAL_LOWER = frozenset(n.lower() for n in _CREDENTIAL_NAMES)


@contextmanager
def gc_paused() -> Iterator[None]:
    """The garbage collector paused inside the block (as it was after it, even on an error).

    Large parses and view builds allocate many objects that all survive: the collector would
    only walk the heap again and again::

        with gc_paused():
            rows = [dict(zip(fields, values)) for values in table]
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _unwrap(data: bytes) -> bytes:
    """Strip a JSONP wrapper, or raise the error the body carries instead of JSON."""
    head = data[:512].lstrip()
    if not head:
        raise ResponseError("the API's answer is empty (expected JSON)")
    if head[:1] in (b"{", b"["):
        return data
    if head[:6].lower() == b"error:":
        raise _api_error(data.decode("utf-8", "replace").strip())
    if head[:1] == b"<":
        title = _TITLE.search(data[:4096])
        shown = f" ({_one_line(title.group(1).decode('utf-8', 'replace'))})" if title else ""
        raise ResponseError(f"the API answered with an HTML page{shown} instead of JSON")
    start = _JSONP.match(data)
    if start:
        end = data.rstrip().rstrip(b";").rstrip()
        if not end.endswith(b")"):
            raise ResponseError("the API's JSONP answer has no closing ')': was it cut short?")
        return end[start.end() : -1]
    raise ResponseError(
        f"expected JSON or JSONP from the API, got text starting {_one_line(head[:20].decode('utf-8', 'replace'))!r}"
    )


def _api_error(text: str) -> ApiError:
    """``Error: java.lang.RuntimeException: Login/ site combination is not valid`` → ApiError."""
    first = _one_line(text, limit=300)
    match = _ERROR_TEXT.match(first)
    exception, message = (match.group(1) or "", match.group(2).strip()) if match else ("", first)
    message = message or exception or "the API reported an error without a message"
    kind = AuthenticationError if message.startswith(AUTHENTICATION_MESSAGES) else ApiError
    return kind(message, exception=exception)


def _stack_trace_error(trace: Any) -> ApiError:
    """The first line of a Java stack trace (``{"resultsList": [{"error": ...}]}``)."""
    return _api_error("Error: " + str(trace).strip())


def _one_line(text: str, limit: int = 120) -> str:
    line = text.strip().splitlines()[0].strip() if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _read_rows(data: bytes) -> tuple[pa.Table, dict[str, Any]]:
    """The rows as text columns named by ``field``, and the answer's metadata.

    The fast way reads the rows a chunk of about 1 MB at a time (whole rows, cut where a row
    ends), so the parser's working memory stays that of one chunk; anything it does not
    expect (rows as objects, an error row, a body that is not JSON) is read the slow
    way, which also words the errors."""
    found = _rows_span(data)
    if found is not None:
        doc, start, stop = found
        meta = _checked_meta(doc)
        fields = tuple(meta["field"] or ())
        strings = _read_row_chunks(data, start, stop, fields) if fields else None
        if strings is not None:
            return strings, meta
    return _read_rows_python(data)


def _loads(data: bytes | str) -> Any:
    """JSON with fractions, ``NaN`` and long whole numbers kept as the text they are written in
    (as the API writes every value): a 5000-digit number is text to read later, not an error
    of Python's int conversion."""
    return json.loads(data, parse_int=_int_or_text, parse_float=str, parse_constant=str)


def _int_or_text(text: str) -> int | str:
    return int(text) if len(text) <= _LONGEST_INT else text


_LONGEST_INT = 18  # digits; any int64 epoch ms or count fits


def _rows_span(data: bytes) -> tuple[dict[str, Any], int, int] | None:
    """The answer without its rows, and where the rows (arrays) of ``resultsList`` start and
    stop, wherever resultsList stands in the object. None when the rows are not arrays or the
    cut is not where resultsList ends (the slow way then reads the whole answer)."""
    key = _ROWS_KEY.search(data)
    if key is None:
        return None
    start = key.end()
    if data[start : start + 1] == b"]":
        stop = start
    elif data[start : start + 1] == b"[":
        end = _ROWS_END.search(data, start)
        if end is None:
            return None
        stop = data.index(b"]", end.start() + 1)
    else:
        return None
    try:
        doc = _loads(data[: key.start()] + b'"resultsList": []' + data[stop + 1 :])
    except (ValueError, RecursionError):
        return None
    if not isinstance(doc, dict) or doc.get("resultsList") != []:
        return None
    return doc, start, stop


def _checked_meta(doc: dict[str, Any]) -> dict[str, Any]:
    """The answer's metadata, each entry of the type the views read, or the error it holds.

    ``field`` must be a list of names and ``nextToken`` text (else the rows or the next page
    would be misread: a one-line error); the UI lists (``label``, ``hidden``,
    ``profileColumns``, ``expand``) of another type are left out, as if absent."""
    if doc.get("error"):
        raise _stack_trace_error(doc["error"])
    meta: dict[str, Any] = {name: doc.get(name) for name in _META_NAMES}
    fields = meta["field"]
    if fields is not None and not (
        isinstance(fields, list) and all(isinstance(f, str) and f for f in fields)
    ):
        raise ResponseError(
            f"the API's 'field' is {_kind(fields)}, expected a list of field names "
            'such as ["lastEvent", "duration", ...]'
        )
    token = meta["nextToken"]
    if isinstance(token, int) and not isinstance(token, bool):  # a JSON number: its text
        token = str(token)
    if token is not None and not isinstance(token, str):
        raise ResponseError(
            f"the API's nextToken is {_kind(token)}, expected text such as "
            "1321401600000.1321466400000: paging cannot go on from it"
        )
    meta["nextToken"] = token.strip() if token and token.strip() else None
    label = meta["label"]
    meta["label"] = (
        [t if isinstance(t, str) else None for t in label] if isinstance(label, list) else None
    )
    for name in ("hidden", "profileColumns"):
        value = meta[name]
        meta[name] = [v for v in value if isinstance(v, str)] if isinstance(value, list) else None
    if not isinstance(meta["expandUrl"], str):
        meta["expandUrl"] = None
    expand = meta["expand"]
    if not (
        isinstance(expand, list)
        and expand
        and isinstance(expand[0], list)
        and expand[0]
        and isinstance(expand[0][0], str)
    ):
        meta["expand"] = None
    del meta["error"]
    return meta


def _kind(value: Any) -> str:
    """How a JSON value is named in a message: ``an object``, ``a list``, ``true`` ..."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "text"
    return json.dumps(value) if isinstance(value, (bool, int)) or value is None else "a number"


def _read_row_chunks(
    data: bytes, start: int, stop: int, fields: tuple[str, ...]
) -> pa.Table | None:
    """Text columns from the rows in ``data[start:stop]``; None if they are not plain rows.

    The rows are read about 1 MB at a time (whole rows, cut where a row ends), so the
    parser's working memory stays that of one chunk."""
    if len(set(fields)) != len(fields):  # the slow way sorts out a field named twice
        return None
    parts = []
    for span in _chunk_spans(data, start, stop):
        part = _read_chunk(data, span, fields)
        if part is None:
            return None
        parts.append(part)
    return pa.concat_tables(parts, memory_pool=POOL) if parts else _no_rows(fields)


def _chunk_spans(data: bytes, start: int, stop: int) -> Iterator[tuple[int, int]]:
    """Where each chunk of whole rows starts and stops in ``data[start:stop]``."""
    position = start
    while _NOT_SPACE.search(data, position, stop):
        boundary = (
            _ROW_BOUNDARY.search(data, position + _CHUNK_BYTES, stop)
            if position + _CHUNK_BYTES < stop
            else None
        )
        yield position, boundary.start() + 1 if boundary else stop
        position = boundary.end() - 1 if boundary else stop


def _read_chunk(data: bytes, span: tuple[int, int], fields: tuple[str, ...]) -> pa.Table | None:
    """The text columns of one chunk of rows; None if they are not plain rows of strings."""
    try:
        text = b"".join((b'{"rows": [', memoryview(data)[span[0] : span[1]], b"]}"))
        chunk = pl.read_json(text, schema=_CHUNK_SCHEMA)
    except Exception:  # not rows of strings (or a cut inside a string): the slow way
        return None
    del text
    rows = chunk.get_column("rows").to_arrow()  # one list of rows, each a list of values
    del chunk
    if isinstance(rows, pa.ChunkedArray):
        rows = rows.combine_chunks()
    rows = rows.flatten()
    lengths = pc.min_max(pc.list_value_length(rows))
    if rows.null_count or not len(fields) == lengths["min"].as_py() == lengths["max"].as_py():
        return None
    return _columns_of_values(rows.flatten(), fields)


def _no_rows(fields: tuple[str, ...] | list[str]) -> pa.Table:
    return pa.table({f: pa.array([], pa.large_string()) for f in fields})


def _columns_of_values(values: pa.Array, fields: tuple[str, ...]) -> pa.Table:
    """Row-major values → one column per field, empty text missing, repeated text
    dictionary-encoded. One Arrow ``take`` a kind of column (kept text, typed text, text to
    encode) lays the fields out one after the other; a column is a slice of its kind's buffer,
    so text that is encoded or typed is let go without holding the text that is kept. Arrow's
    kernels, in the reading thread: polars would spread this over its thread pool, whose
    per-thread arenas keep memory long after a page is read."""
    empty = pc.equal(pc.binary_length(values, memory_pool=POOL), 0, memory_pool=POOL)
    values = pc.if_else(empty, pa.scalar(None, values.type), values, memory_pool=POOL)
    step, rows = len(fields), len(values) // len(fields)
    columns = {}
    for kind in _kinds_of(fields):
        where = np.array([fields.index(name) for name in kind], dtype=np.int64)
        order = (where[:, None] + np.arange(0, len(values), step)).ravel()
        laid_out = pc.take(values, order, memory_pool=POOL)
        for number, name in enumerate(kind):
            column = laid_out.slice(number * rows, rows)
            if name in _CATEGORIES_READ:
                column = pc.dictionary_encode(column, memory_pool=POOL)
            columns[name] = column
        del laid_out
    return pa.table({name: columns[name] for name in fields})


@lru_cache(maxsize=8)
def _kinds_of(fields: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    """The fields as kept text, typed text and text to encode (those of each kind)."""
    kinds = (
        tuple(f for f in fields if f not in TYPED_FIELDS and f not in _CATEGORIES_READ),
        tuple(f for f in fields if f in TYPED_FIELDS),
        tuple(f for f in fields if f in _CATEGORIES_READ),
    )
    return tuple(kind for kind in kinds if kind)


def _read_rows_python(data: bytes) -> tuple[pa.Table, dict[str, Any]]:
    try:
        doc = _loads(data)
    except UnicodeDecodeError:
        raise ResponseError("the API's answer is not UTF-8 text (expected JSON)") from None
    except json.JSONDecodeError as error:
        ends_early = error.pos >= len(data) - 1 or not data.rstrip().endswith((b"}", b"]"))
        cut = "; it ends before the JSON closes: was it cut short?" if ends_early else ""
        raise ResponseError(
            f"the API's answer is not valid JSON ({error.msg.lower()} at byte {error.pos} "
            f"of {len(data)}){cut}"
        ) from None
    if isinstance(doc, list):  # a bare array of rows, without metadata
        rows, meta = doc, _checked_meta({})
    elif isinstance(doc, dict) and doc.get("error") and "resultsList" not in doc:
        raise _stack_trace_error(doc["error"])
    elif isinstance(doc, dict) and isinstance(doc.get("resultsList"), list):
        rows, meta = doc["resultsList"], _checked_meta(doc)
    else:
        raise ResponseError(
            "expected a JSON object with a resultsList (the sessions rows) from the API"
        )
    if rows and isinstance(rows[0], dict) and "error" in rows[0]:
        raise _stack_trace_error(rows[0]["error"])
    strange = next((row for row in rows if not isinstance(row, (list, dict))), None)
    if strange is not None:
        raise ResponseError(
            f"expected rows (arrays or objects) in the API's resultsList or bare JSON array, "
            f"got {_kind(strange)}"
        )
    fields, rows = _fields_of(meta["field"], rows)
    meta["field"] = fields
    columns: list[list[str | None]] = [[] for _ in fields]
    for number, row in enumerate(rows, 1):
        if isinstance(row, dict):
            for values, f in zip(columns, fields, strict=True):
                values.append(_text(row.get(f)))
        elif isinstance(row, list) and len(row) == len(fields):
            for values, value in zip(columns, row, strict=True):
                values.append(_text(value))
        else:
            size = len(row) if isinstance(row, list) else type(row).__name__
            raise ResponseError(
                f"row {number} of the API's answer has {size} values, expected {len(fields)} "
                "(one per field)"
            )
    return _unique_columns(fields, columns), meta


def _fields_of(fields: list[str] | None, rows: list[Any]) -> tuple[list[str], list[Any]]:
    """The field names of ``rows`` and the rows themselves: ``field`` plus any other key of
    rows given as objects; for arrays without ``field``, a header row of names or, for rows of
    the reference's length, the reference's fields."""
    objects = [row for row in rows if isinstance(row, dict)]
    if objects:
        names = dict.fromkeys(fields or ())
        for row in objects:
            names.update(dict.fromkeys(k for k in row if isinstance(k, str) and k))
        return list(names), rows
    if fields is not None or not rows:
        return list(fields or ()), rows
    first = rows[0]
    if (
        isinstance(first, list)
        and first
        and all(isinstance(v, str) for v in first)
        and len(set(first)) == len(first)
        and set(first) & set(schema.FIELDS)
        and all(isinstance(row, list) and len(row) == len(first) for row in rows)
    ):
        return list(first), rows[1:]
    if all(isinstance(row, list) and len(row) == len(schema.FIELDS) for row in rows):
        return list(schema.FIELDS), rows
    raise ResponseError(
        "the API's rows come without field names (no 'field' list and no header row), and "
        f"not {len(schema.FIELDS)} values a row as in the reference: they cannot be named"
    )


def _unique_columns(fields: list[str], columns: list[list[str | None]]) -> pa.Table:
    """Text columns by name; a name ``field`` gives twice (``showColumns = city, city``) is one
    column when its values agree, else a one-line error (which one is meant is unknown)."""
    kept: dict[str, list[str | None]] = {}
    for name, values in zip(fields, columns, strict=True):
        if name in kept and kept[name] != values:
            raise ResponseError(
                f"the API's answer names the field {name!r} twice, with different values"
            )
        kept.setdefault(name, values)
    return pa.table({f: pa.array(v, pa.large_string()) for f, v in kept.items()})


def _text(value: Any) -> str | None:
    """A value as text (a list, object or boolean as its JSON); empty text is missing."""
    if value is None or isinstance(value, str):
        return value or None
    return json.dumps(value)


# Text columns whose values repeat, dictionary-encoded as soon as a page is read (the typed
# ones are read as text first, then encoded): a held page then weighs little more than its codes.
_CATEGORIES_READ = schema.CATEGORY_FIELDS - TYPED_FIELDS


def as_categories(table: pa.Table, names: frozenset[str] = schema.CATEGORY_FIELDS) -> pa.Table:
    """``table`` with its text columns of ``names`` dictionary-encoded (one dictionary a
    column): categoricals in pandas, which unifies the pages' dictionaries and keeps the
    smallest codes that hold each. For any table of the frame's columns (a query's answer)::

        typed.to_pandas(types_mapper=...)  →  as_categories(typed).to_pandas(types_mapper=...)
    """
    given = table.columns
    columns = [_encoded(column) if name in names else column
               for name, column in zip(table.column_names, given, strict=True)]  # fmt: skip
    if all(new is old for new, old in zip(columns, given, strict=True)):
        return table  # the same object: converting it with self_destruct frees as it goes
    return pa.Table.from_arrays(columns, names=table.column_names)


def _encoded(column: pa.ChunkedArray) -> pa.ChunkedArray:
    if pa.types.is_dictionary(column.type):  # pandas wants no null among the categories
        if not any(chunk.dictionary.null_count for chunk in column.chunks):
            return column
        column = pc.cast(column, column.type.value_type, memory_pool=POOL)
    if pa.types.is_null(column.type):  # no value at all (as a query may answer)
        column = pc.cast(column, pa.large_string(), memory_pool=POOL)
    return pc.dictionary_encode(column, memory_pool=POOL)


def _arrow_to_pandas_dtype(arrow_type: pa.DataType) -> Any:
    """Text as Arrow-backed strings (missing = ``pd.NA``), whole numbers as nullable ``Int64``."""
    if pa.types.is_large_string(arrow_type) or pa.types.is_string(arrow_type):
        return pd.StringDtype("pyarrow")
    if pa.types.is_int64(arrow_type):
        return pd.Int64Dtype()
    if pa.types.is_boolean(arrow_type):
        return pd.BooleanDtype()
    return None


def _typed_table(
    strings: pa.Table, zone: dt.tzinfo, locale: ValueLocale
) -> tuple[pa.Table, dict[str, int]]:
    """Text columns → the frame's types: the few of other types typed by polars (in
    ``locale``), each derived column right after its source, the text kept as it is (no
    copy); datetimes shown in ``zone``. Also the count of unreadable texts per column."""
    to_type = [name for name in strings.column_names if name in TYPED_FIELDS]
    texts = pl.from_arrow(strings.select(to_type), rechunk=False)
    typed, unreadable = typed_columns(texts, locale)
    typed = _in_pool(typed.to_arrow())
    del texts
    zoned = pa.timestamp("ms", tz=_arrow_zone(zone))
    columns = {}
    for name, column in zip(strings.column_names, strings.columns, strict=True):
        if name == schema.VISITS_PAGEVIEWS_FIELD:
            columns[name] = column
        elif name in TYPED_FIELDS:
            column = typed[name]
            columns[name] = column.cast(zoned) if pa.types.is_timestamp(column.type) else column
        else:
            columns[name] = column
        for derived in DERIVED_FIELDS.get(name, ()):
            if derived not in strings.column_names:  # the answer's own column of that name wins
                columns[derived] = typed[derived]
    table = pa.table(columns)
    del strings, typed
    columns.clear()
    return table, unreadable


def _in_pool(table: pa.Table) -> pa.Table:
    """``table`` copied into :data:`POOL`, a column a chunk: polars' own buffers are let go
    at once (its allocator keeps freed pages for seconds), and the frame's columns are all
    Arrow's to free as pandas takes them."""
    return pa.table(
        {name: pa.concat_arrays(column.chunks or [pa.array([], column.type)], memory_pool=POOL)
         for name, column in zip(table.column_names, table.columns, strict=True)}
    )  # fmt: skip


_NO_CATEGORIES = pd.Index([], dtype="str")


def arrow_to_frame(table: pa.Table, *, consume: bool = False) -> pd.DataFrame:
    """An Arrow table of the frame's columns (already typed) as a frame of the frame's pandas
    types: repeated text as categoricals (of text, even with no value), other text as
    Arrow-backed strings, whole numbers ``Int64``. With ``consume``, the table's own buffers
    are let go as they are converted, and the table must not be used again (a pull's frame is
    then built in little more than its size)::

        df = arrow_to_frame(duckdb_relation.arrow())
    """
    encoded = as_categories(table)
    if encoded is table and not consume:  # a table of its own: the caller's stays whole
        encoded = pa.Table.from_arrays(table.columns, schema=table.schema)
    table = encoded
    empty = [
        name
        for name, column in zip(table.column_names, table.columns, strict=True)
        if pa.types.is_dictionary(column.type) and not any(len(c.dictionary) for c in column.chunks)
    ]
    df = table.to_pandas(
        types_mapper=_arrow_to_pandas_dtype, self_destruct=True, split_blocks=True, memory_pool=POOL
    )
    for name in empty:  # no value: text categories still (for Parquet)
        df[name] = df[name].cat.set_categories(_NO_CATEGORIES)
    return df


def _arrow_zone(zone: dt.tzinfo) -> str:
    """Arrow's name for a zone: the IANA key, or a fixed offset such as ``-05:00`` (EST)."""
    key = getattr(zone, "key", None)
    if key:
        return key
    offset = zone.utcoffset(None) or dt.timedelta(0)
    if not offset:
        return "UTC"
    minutes = int(offset.total_seconds()) // 60
    return f"{'-' if minutes < 0 else '+'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
