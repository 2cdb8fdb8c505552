"""The shape of a sessions answer: its 69 fields, their UI metadata and their value types.

The metadata (``field``, ``label``, ``hidden``, ``profileColumns`` ...) is the reference page's
sample, kept verbatim in ``data/sessions_meta.json``; the emulator answers with it and the
frame/views read the same names. The type sets say how each field's string value is read::

    >>> from ot_magic import schema
    >>> len(schema.FIELDS), schema.FIELDS[0]
    (69, 'lastEvent')
    >>> "latitude" in schema.FLOAT_FIELDS
    True
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any


@cache
def reference_meta() -> dict[str, Any]:
    """The metadata of the reference page's sample answer (everything but ``resultsList``)."""
    text = resources.files("ot_magic").joinpath("data/sessions_meta.json").read_text("utf-8")
    return json.loads(text)


FIELDS: tuple[str, ...] = tuple(reference_meta()["field"])
LABELS: dict[str, str] = dict(zip(FIELDS, reference_meta()["label"], strict=True))
HIDDEN: frozenset[str] = frozenset(reference_meta()["hidden"])
VISIBLE_FIELDS: tuple[str, ...] = tuple(f for f in FIELDS if f not in HIDDEN)
PROFILE_COLUMNS: tuple[str, ...] = tuple(reference_meta()["profileColumns"])

# Epoch milliseconds as text, e.g. "1321472680399".
EPOCH_MS_FIELDS = frozenset(
    {
        "eventUnixTimestamp",
        "first_session_unix_timestamp",
        "session_end_unix_timestamp",
        "session_referrer_unix_timestamp",
        "session_start_unix_timestamp",
    }
)
# Whole numbers as text, e.g. "1169".
COUNT_FIELDS = frozenset(
    {
        "inet_aton",
        "number_of_pages_viewed",
        "number_visits",
        "pages_viewed",
        "total_number_visits",
        "total_pages_viewed",
    }
)
FLOAT_FIELDS = frozenset({"latitude", "longitude"})
# "20s", "3m 16s", "20h 44m 57s" ("20u 44m 57s" in nl: see values.py), or "s.e." for a
# single-event visit (read as 0 s, flagged in single_event).
DURATION_FIELDS = frozenset({"duration", "currentVisitDuration", "total_duration"})
# "<epoch ms>.<number>": kept as text, never as floats.
ID_FIELDS = frozenset({"event_id", "machine_idx", "session_id", "use_id", "visit_id", "machine_id"})
# "16 (2)": visits of the visitor, then pages viewed in this visit.
VISITS_PAGEVIEWS_FIELD = "visits_pageviews"
# Text nearly every session has its own of (Google's referrer links carry per-click tokens,
# dates are written to the minute, rnd is one of 90,000 numbers): kept as strings, which cost
# less than a category each. Every other text field repeats (countries, cities, browsers,
# pages, titles, referrer hosts, search terms ...) and is a categorical in the frame.
UNIQUE_TEXT_FIELDS = ID_FIELDS | {
    "referrer", "session_referrer", "ip_number", "lastEvent", "firstMeasurement", "rnd",
}  # fmt: skip
CATEGORY_FIELDS = frozenset(
    {*FIELDS, "filtered_company"}
    - EPOCH_MS_FIELDS
    - COUNT_FIELDS
    - FLOAT_FIELDS
    - DURATION_FIELDS
    - UNIQUE_TEXT_FIELDS
)

assert len(FIELDS) == 69
