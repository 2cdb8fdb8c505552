"""A :class:`~ot_magic.emulator.query.Table` written out as the API writes it.

``json`` and ``jsondatatable`` have exactly the reference sample's shape
(:func:`ot_magic.schema.reference_meta`, key for key, with this answer's columns, labels, rows,
``nextToken`` and the emulator's own ``expandUrl``); slashes are escaped as ``\\/`` like the
sample's Java JSON writer did. ``jsonjqgrid`` is jqGrid's ``page/total/records/rows`` form, ``html``
a table, ``csv`` the rows under a header of field names, after the ``metaCsv`` lines (site, start
date, end date, title) unless ``metaCsv=false``. ``jsoncallback=cb`` wraps JSON as ``cb(...)``::

    >>> from ot_magic.emulator.query import parse_params, sessions_table
    >>> values = parse_params("sessions", {"date": "2011-11-16", "limit": "1",
    ...                                    "showColumns": "city", "dataType": "csv", "metaCsv": "false"})
    >>> body, kind = render(sessions_table(values, now=1321508700000), values)
    >>> body.decode(), kind
    ('city\\r\\nKonin\\r\\n', 'text/csv; charset=UTF-8')
"""

from __future__ import annotations

import csv
import html
import io
import json
from collections.abc import Mapping
from functools import lru_cache
from itertools import accumulate
from threading import Lock
from typing import Any, NamedTuple

import numpy as np

from ..schema import LABELS, reference_meta
from .dataset import FIELD_INDEX, Day
from .query import Display, Run, Table
from .rules import API_DATE_PATTERN, format_date, value

JSON_TYPE = "application/json; charset=UTF-8"
JSONP_TYPE = "text/javascript; charset=UTF-8"

_NL = {
    "last event": "laatste gebeurtenis", "duration": "duur", "flag": "vlag", "country": "land",
    "visits(pv)": "bezoeken(pv)", "current page (exit page)": "huidige pagina (uitstappagina)",
    "area code (tel)": "netnummer (tel)", "city": "stad", "company/ org": "bedrijf/ org",
    "current visit duration": "duur huidig bezoek",
    "entry page (landing page)": "instappagina (landingspagina)",
    "entry title": "titel instappagina", "exit title": "titel uitstappagina",
    "first measurement": "eerste meting", "IP address": "IP-adres", "isp/ org": "provider/ org",
    "latitude": "breedtegraad", "longitude": "lengtegraad",
    "pages viewed during visits (avg.)": "bekeken pagina's per bezoek (gem.)",
    "number of visits": "aantal bezoeken", "pageviews": "paginaweergaven",
    "operating systems": "besturingssystemen", "referrer": "verwijzer", "region": "regio",
    "resolution": "resolutie", "search term": "zoekterm", "timezone": "tijdzone",
    "total duration": "totale duur", "total pages viewed": "totaal bekeken pagina's",
    "zip code": "postcode", "email": "e-mail", "filtered company": "gefilterd bedrijf",
}  # fmt: skip
_DE = {
    "last event": "letztes Ereignis", "duration": "Dauer", "status": "Status", "flag": "Flagge",
    "country": "Land", "visits(pv)": "Besuche(SA)",
    "current page (exit page)": "aktuelle Seite (Ausstiegsseite)",
    "area code (tel)": "Vorwahl (Tel)", "browser": "Browser", "city": "Stadt",
    "company/ org": "Firma/ Org", "connection": "Verbindung",
    "current visit duration": "Dauer des aktuellen Besuchs",
    "entry page (landing page)": "Einstiegsseite (Landingpage)",
    "entry title": "Titel der Einstiegsseite", "exit title": "Titel der Ausstiegsseite",
    "first measurement": "erste Messung", "IP address": "IP-Adresse", "isp/ org": "Provider/ Org",
    "latitude": "Breitengrad", "longitude": "Längengrad",
    "pages viewed during visits (avg.)": "angesehene Seiten pro Besuch (Durchschn.)",
    "number of visits": "Anzahl Besuche", "pageviews": "Seitenaufrufe",
    "operating systems": "Betriebssysteme", "region": "Region", "resolution": "Auflösung",
    "search term": "Suchbegriff", "site": "Website", "timezone": "Zeitzone",
    "total duration": "Gesamtdauer", "total pages viewed": "insgesamt angesehene Seiten",
    "type": "Typ", "zip code": "Postleitzahl", "email": "E-Mail", "isp": "Provider",
    "provider": "Anbieter", "filtered company": "gefilterte Firma",
}  # fmt: skip
TRANSLATIONS: dict[str, dict[str, str]] = {"nl": _NL, "de": _DE}


def labels(columns: list[str], locale: str = "en_US", ignore_locale: bool = False) -> list[str]:
    """Column labels in the locale's language (English for other locales or ``ignoreLocale``)."""
    return list(_labels(tuple(columns), "" if ignore_locale else locale.split("_")[0]))


@lru_cache(maxsize=64)
def _labels(columns: tuple[str, ...], language: str) -> tuple[str, ...]:
    english = [LABELS.get(c, c.replace("_", " ")) for c in columns]
    table = TRANSLATIONS.get(language, {})
    return tuple(table.get(label, label) for label in english)


def _json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False).replace("/", "\\/")


_LAST, _FIRST = FIELD_INDEX["lastEvent"], FIELD_INDEX["firstMeasurement"]
_FIRST_MS = FIELD_INDEX["first_session_unix_timestamp"]


_PRINTABLE = bytes(range(0x20, 0x100))  # JSON writes the other bytes (controls) as escapes


def _escaped(column: list[str]) -> list[str]:
    """A column's values as they stand between the quotes of the answer's JSON (``/`` as
    ``\\/``), escaped at once; most columns need nothing (ids, numbers, names)."""
    values = "".join(column)
    if values.encode().translate(None, _PRINTABLE):  # rare: a control, one by one
        table = {text: _json(text)[1:-1] for text in set(column)}
        return [table[text] for text in column]
    if '"' not in values and "\\" not in values and "/" not in values:
        return column
    joined = "\x00".join(column)  # no value holds the separator: it is a control character
    return joined.replace("\\", "\\\\").replace('"', '\\"').replace("/", "\\/").split("\x00")


class _Written(NamedTuple):
    """A built day's rows as the answer writes them, newest first, each followed by ``, ``:
    the rows of indexes [first, stop) are one slice of ``text``."""

    dates: tuple[str, str, str]  # how its dates are written: pattern, zone, locale
    text: bytes
    offsets: list[int]  # where the row of index i ends: offsets[len - i]

    def rows(self, first: int, stop: int) -> memoryview:
        """The rows of indexes [first, stop), newest first (not copied)."""
        end = len(self.offsets) - 1
        return memoryview(self.text)[self.offsets[end - stop] : self.offsets[end - first]]


_WRITING = Lock()  # a day that answers computed at once all want is written once


def _written(day: Day, display: Display) -> _Written:
    """The day's rows written as ``display`` writes them, kept with the day (for one way of
    writing dates at a time)."""
    dates = (display.pattern, display.zone, display.locale)
    found = day.written
    if not (isinstance(found, _Written) and found.dates == dates):
        with _WRITING:
            found = day.written
            if not (isinstance(found, _Written) and found.dates == dates):
                found = day.written = _write(day, display)
    return found


def _write(day: Day, display: Display) -> _Written:
    """The day's rows written as ``display`` writes them: every column escaped once, each row
    then joined."""
    escaped: dict[int, list[str]] = {}  # fields that share a column are escaped once
    columns = [
        escaped.get(id(column)) or escaped.setdefault(id(column), _escaped(column))
        for column in day.columns()
    ]
    firsts = list(map(int, day.columns()[_FIRST_MS]))
    columns[_LAST], columns[_FIRST] = _dates(display, day.last_events(), firsts)
    rows = [f'[ "{row}"], '.encode() for row in map('", "'.join, zip(*columns, strict=True))]
    rows.reverse()
    dates = (display.pattern, display.zone, display.locale)
    return _Written(dates, b"".join(rows), [0, *accumulate(map(len, rows))])


def _dates(display: Display, *columns: list[int]) -> list[list[str]]:
    """Columns of epoch ms as the dates stand between the quotes of the answer's JSON, each
    date written once."""
    moments = np.concatenate([np.array(column, dtype=np.int64) for column in columns])
    api = display.pattern == API_DATE_PATTERN  # minutes at most, in ASCII with no escapes
    if api:
        moments -= moments % 60_000
    unique, where = np.unique(moments, return_inverse=True)
    texts = [display.date(moment) for moment in unique.tolist()]
    written = np.array(texts if api else [_json(text)[1:-1] for text in texts], dtype=object)
    ends = np.cumsum([len(column) for column in columns])
    return [part.tolist() for part in np.split(written[where.reshape(-1)], ends[:-1])]


def rows_json(table: Table) -> bytes:
    """The rows as the sample writes them, ``[ "Nov 17 12:44 AM", "20s", ...]``, comma separated.

    Rows of built days are written once (:func:`_written`) and then only copied.
    """
    display = table.display
    if not display.plain:
        return _json(table.rows)[1:-1].replace('["', '[ "').encode()
    parts: list[bytes | memoryview] = []
    add = parts.append
    for part in table.parts:
        if part.__class__ is Run:
            add(_written(part.day, display).rows(part.first, part.stop))
        elif part.cached() and part.day.is_built:
            add(_written(part.day, display).rows(part.index, part.index + 1))
        else:
            add(b"[ " + _json(display.present(part.row, part.last_event))[1:-1].encode() + b"], ")
    if parts:
        parts[-1] = memoryview(parts[-1])[:-2]  # no comma after the last row
    return b"".join(parts)


_VARYING = ("rows", "nextToken", "resultsList")  # in this order in the sample


@lru_cache(maxsize=256)
def _meta_template(
    columns: tuple[str, ...], shown: tuple[str, ...], expand_url: str
) -> list[bytes]:
    """The reference shape as the JSON text before each of the three values that vary."""
    own = {"field": columns, "label": shown, "className": columns, "width": columns,
           "expandUrl": expand_url}  # fmt: skip
    segments, current = [], "{"
    for i, (key, sample) in enumerate(reference_meta().items()):
        current += ("" if i == 0 else ", ") + f"{_json(key)}: "
        if key in _VARYING:
            segments.append(current.encode())
            current = ""
        else:
            current += _json(own.get(key, sample))
    return segments


def json_bytes(table: Table, values: Mapping[str, Any], expand_url: str, endpoint: str) -> bytes:
    """The reference shape, key for key, with this answer's content."""
    locale = value(values, "locale", endpoint) or "en_US"
    columns = tuple(table.columns)
    shown = tuple(labels(table.columns, locale, bool(value(values, "ignoreLocale", endpoint))))
    to_rows, to_token, to_list = _meta_template(columns, shown, expand_url)
    return b"".join((to_rows, b"%d" % table.count, to_token, _json(table.next_token).encode(),
                     to_list, b"[", rows_json(table), b" ] }"))  # fmt: skip


def jqgrid_text(table: Table, values: Mapping[str, Any], endpoint: str) -> str:
    key = table.columns.index("session_id") if "session_id" in table.columns else None
    rows = [{"id": row[key] if key is not None else str(n), "cell": row}
            for n, row in enumerate(table.rows, 1)]  # fmt: skip
    locale = value(values, "locale", endpoint) or "en_US"
    return _json({
        "page": "1", "total": "1", "records": str(len(rows)),
        "colNames": labels(table.columns, locale, bool(value(values, "ignoreLocale", endpoint))),
        "colModel": [{"name": c, "index": c} for c in table.columns],
        "nextToken": table.next_token, "rows": rows,
    })  # fmt: skip


def html_text(table: Table, values: Mapping[str, Any], endpoint: str) -> str:
    locale = value(values, "locale", endpoint) or "en_US"
    heads = labels(table.columns, locale, bool(value(values, "ignoreLocale", endpoint)))
    out = io.StringIO()
    out.write('<table class="sessions" border="1">\n<thead><tr>')
    out.writelines(
        f'<th class="{html.escape(c)}">{html.escape(h)}</th>'
        for c, h in zip(table.columns, heads, strict=True)
    )
    out.write("</tr></thead>\n<tbody>\n")
    for row in table.rows:
        out.write("<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>\n")
    out.write("</tbody>\n</table>\n")
    return out.getvalue()


def csv_text(table: Table, values: Mapping[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    if value(values, "metaCsv") and table.high > table.low:
        zone = table.zone
        writer.writerow(["site", ",".join(table.sites)])
        writer.writerow(["start date", format_date(table.low, "yyyy-MM-dd", zone)])
        writer.writerow(["end date", format_date(table.high - 1, "yyyy-MM-dd", zone)])
        writer.writerow(["title", "Visitor sessions"])
    writer.writerow(table.columns)
    writer.writerows(table.rows)
    return out.getvalue()


def render(
    table: Table,
    values: Mapping[str, Any],
    expand_url: str = "",
    endpoint: str = "sessions",
) -> tuple[bytes, str]:
    """(body, content type) for the request's ``dataType`` and ``jsoncallback``."""
    data_type = value(values, "dataType", endpoint) or "json"
    if data_type == "csv":
        return csv_text(table, values).encode(), "text/csv; charset=UTF-8"
    if data_type == "html":
        return html_text(table, values, endpoint).encode(), "text/html; charset=UTF-8"
    if data_type == "jsonjqgrid":
        body = jqgrid_text(table, values, endpoint).encode()
    else:
        body = json_bytes(table, values, expand_url, endpoint)
    callback = values.get("jsoncallback")
    if callback is not None:
        name = "" if callback == "?" else callback
        return name.encode() + b"(" + body + b")", JSONP_TYPE
    return body, JSON_TYPE
