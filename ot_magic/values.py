"""How a field's text is read: epoch ms, counts, coordinates and durations, in the answer's locale.

The API writes every value as text, in the request's ``locale``: a Dutch answer has
``42,850006`` and ``20u 44m 57s`` where an English one has ``42.850006`` and ``20h 44m 57s``.
:class:`ValueLocale` holds what differs (decimal and group symbols, the minus sign, the
duration units, all from CLDR through babel); English forms are always read too, so an answer
that ignores its locale is still understood. ``s.e.`` (a single-event visit) lasts 0 s and is
flagged in the ``single_event`` column. A text that still cannot be read becomes a missing
value and is counted (:func:`typed_columns`), never dropped silently::

    >>> import polars as pl
    >>> from ot_magic.values import ValueLocale, typed_columns
    >>> texts = pl.DataFrame({"latitude": ["42,850006", "north"], "duration": ["20u 44m 57s", "s.e."]})
    >>> typed, unreadable = typed_columns(texts, ValueLocale.of("nl_NL"))
    >>> typed["latitude"].to_list(), unreadable
    ([42.850006, None], {'latitude': 1})
    >>> typed["duration"].dt.total_seconds().to_list(), typed["single_event"].to_list()
    ([74697, 0], [False, True])
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import polars as pl
from babel import Locale, UnknownLocaleError
from babel.numbers import get_decimal_symbol, get_group_symbol, get_minus_sign_symbol
from babel.units import format_unit

from . import schema

VISITS_FIELD = "visits"
PAGEVIEWS_FIELD = "pageviews"
SINGLE_EVENT_FIELD = "single_event"
SINGLE_EVENT_TEXT = "s.e."
# The columns the frame adds to the answer's own, each after the field it is read from.
DERIVED_FIELDS = {
    schema.VISITS_PAGEVIEWS_FIELD: (VISITS_FIELD, PAGEVIEWS_FIELD),
    "duration": (SINGLE_EVENT_FIELD,),
}
TYPED_FIELDS = frozenset(
    (
        *schema.EPOCH_MS_FIELDS,
        *schema.COUNT_FIELDS,
        *schema.FLOAT_FIELDS,
        *schema.DURATION_FIELDS,
        schema.VISITS_PAGEVIEWS_FIELD,
    )
)

_UNITS = (("day", 86_400), ("hour", 3_600), ("minute", 60), ("second", 1))
_ENGLISH = "en_US"
_LATEST_EPOCH_MS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z: later is not a date
_VISITS_PAGEVIEWS = r"^\s*(\d+)\s*\((\d+)\)\s*$"
# The fields a locale writes its own way (read again in it when the API's form fails).
_LOCALIZED = TYPED_FIELDS - {schema.VISITS_PAGEVIEWS_FIELD}


@dataclass(frozen=True)
class ValueLocale:
    """How numbers and durations are written in one locale: ``ValueLocale.of("nl_NL")``."""

    name: str
    decimal: str
    group: str
    minus: str
    units: tuple[tuple[str, ...], ...]  # the words of day, hour, minute, second, longest first

    @staticmethod
    def of(name: str | None) -> ValueLocale:
        """The locale ``name`` (``nl_NL``, ``sr-Latn-RS``); English for None or a name CLDR does
        not know (the answer is then read as the API's default writes it)."""
        return _value_locale(str(name or _ENGLISH).strip().replace("-", "_") or _ENGLISH)


@lru_cache(maxsize=32)
def _value_locale(name: str) -> ValueLocale:
    try:
        locale = Locale.parse(name)
    except (ValueError, TypeError, UnknownLocaleError):
        locale, name = Locale.parse(_ENGLISH), _ENGLISH
    english = Locale.parse(_ENGLISH)
    words = [_unit_words(locale, unit) | _unit_words(english, unit) for unit, _ in _UNITS]
    for index, own in enumerate(words):  # a word two units share is nobody's (never guessed)
        others = set().union(*(w for i, w in enumerate(words) if i != index))
        words[index] = own - others
    return ValueLocale(
        name=name,
        decimal=get_decimal_symbol(locale),
        group=get_group_symbol(locale),
        minus=get_minus_sign_symbol(locale),
        units=tuple(tuple(sorted(w, key=len, reverse=True)) for w in words),
    )


def _unit_words(locale: Locale, unit: str) -> set[str]:
    """``uur``, ``u`` for the Dutch hour: CLDR's narrow and short forms, singular and plural."""
    words = set()
    for length in ("narrow", "short"):
        for count in (1, 7):
            text = format_unit(count, f"duration-{unit}", length=length, locale=locale)
            word = re.sub(r"[\d\s]+", " ", text).strip()
            if word and " " not in word:
                words.add(word)
    return words


def typed_columns(texts: pl.DataFrame, locale: ValueLocale) -> tuple[pl.DataFrame, dict[str, int]]:
    """The typed fields of ``texts`` (text columns, missing = null) read in ``locale``, with the
    columns derived from them (``visits``, ``pageviews``, ``single_event``), and how many
    non-empty texts of each field could not be read (only fields with some).

    A column is read as the API writes by default (``42.850006``, ``20h 44m 57s``: the fast
    way, and right for most answers) unless its first text is not: then in ``locale``, which
    also takes the API's own form. A column read the default way with texts left unread is
    read again in ``locale``. Durations and ``visits_pageviews`` repeat (a few thousand
    distinct texts in a year): each distinct text of theirs is read once."""
    names = tuple(name for name in texts.columns if name in TYPED_FIELDS)
    localized = _written_in_locale(texts, names) if locale.name != _ENGLISH else ()
    typed = _joined(
        _read(texts, tuple(n for n in names if n not in localized), None),
        _read(texts, localized, locale, flags=True),
    )
    unreadable = _unreadable(texts, typed, names)
    again = tuple(
        name
        for name, count in unreadable.items()
        if count and name in _LOCALIZED and name not in localized
    )
    if again:
        typed = typed.with_columns(_read(texts, again, locale))
        unreadable.update(_unreadable(texts, typed, again))
    return typed, {name: count for name, count in unreadable.items() if count}


# Fields whose texts repeat: each distinct text is read once, then joined back to its rows.
_READ_PER_DISTINCT = frozenset({*schema.DURATION_FIELDS, schema.VISITS_PAGEVIEWS_FIELD})
_TEXT_KEY = "\0text"  # no field's name


def _read(
    texts: pl.DataFrame, names: tuple[str, ...], locale: ValueLocale | None, **how: bool
) -> pl.DataFrame:
    """``texts.select(_typed_exprs(names, locale, **how))``, with each distinct text of a
    repeated field (:data:`_READ_PER_DISTINCT`) read once."""
    direct = tuple(n for n in names if n not in _READ_PER_DISTINCT)
    parts = [texts.select(_typed_exprs(direct, locale, **how))]
    for name in (n for n in names if n in _READ_PER_DISTINCT):
        column = texts.select(pl.col(name).alias(_TEXT_KEY))
        distinct = column.unique().with_columns(pl.col(_TEXT_KEY).alias(name))
        read = distinct.select(_TEXT_KEY, *_typed_exprs((name,), locale, **how))
        joined = column.join(
            read, on=_TEXT_KEY, how="left", maintain_order="left", nulls_equal=True
        )
        parts.append(joined.drop(_TEXT_KEY))
    return _joined(*parts)


def _joined(*parts: pl.DataFrame) -> pl.DataFrame:
    """The columns of ``parts`` (frames of the same rows, or of no column) side by side."""
    parts = tuple(part for part in parts if part.width)
    return pl.concat(parts, how="horizontal") if parts else pl.DataFrame()


def _written_in_locale(texts: pl.DataFrame, names: tuple[str, ...]) -> tuple[str, ...]:
    """The fields of ``_LOCALIZED`` whose first text the API's default form does not read."""
    names = tuple(name for name in names if name in _LOCALIZED)
    if not names:
        return ()
    first = texts.select(pl.col(name).drop_nulls().first() for name in names)
    typed = first.select(_typed_exprs(names, None))
    return tuple(name for name in names if first[name][0] is not None and typed[name][0] is None)


def _alternatives(words: set[str]) -> str:
    """A regex of any of ``words``, the longest tried first (``uur`` before ``u``)."""
    return "|".join(re.escape(word) for word in sorted(words, key=lambda w: (-len(w), w)))


def _unreadable(texts: pl.DataFrame, typed: pl.DataFrame, names: tuple[str, ...]) -> dict[str, int]:
    """Per field, how many non-empty texts have a missing typed value."""
    if not names:
        return {}
    pairs = pl.DataFrame(
        [texts[name].alias(f"text{i}") for i, name in enumerate(names)]
        + [
            typed[DERIVED_FIELDS[name][0] if name == schema.VISITS_PAGEVIEWS_FIELD else name].alias(
                f"read{i}"
            )
            for i, name in enumerate(names)
        ]
    )  # the same columns, side by side: every count in one pass
    counts = pairs.select(
        (pl.col(f"text{i}").is_not_null() & pl.col(f"read{i}").is_null()).sum().alias(name)
        for i, name in enumerate(names)
    )
    return {name: int(count) for name, count in counts.row(0, named=True).items()}


@lru_cache(maxsize=32)
def _typed_exprs(
    names: tuple[str, ...], locale: ValueLocale | None, *, flags: bool | None = None
) -> list[pl.Expr]:
    """How each field is read: in ``locale``, or (None) only as the API writes by default;
    with ``flags`` (default: for the default form only, not when a column is read again), the
    ``single_event`` flag after ``duration``."""
    flags = locale is None if flags is None else flags
    exprs = []
    for name in names:
        col = pl.col(name).str.strip_chars()
        if name in schema.EPOCH_MS_FIELDS:
            ms = _whole(col, locale)
            ms = pl.when(ms.is_between(0, _LATEST_EPOCH_MS)).then(ms)
            exprs.append(ms.cast(pl.Datetime("ms", "UTC")).alias(name))
        elif name in schema.COUNT_FIELDS:
            exprs.append(_whole(col, locale).alias(name))
        elif name in schema.FLOAT_FIELDS:
            exprs.append(_decimal(col, locale).alias(name))
        elif name in schema.DURATION_FIELDS:
            exprs.append(_duration(col, locale).alias(name))
        elif name == schema.VISITS_PAGEVIEWS_FIELD:
            exprs.append(col.str.extract(_VISITS_PAGEVIEWS, 1).cast(pl.Int64).alias(VISITS_FIELD))
            exprs.append(
                col.str.extract(_VISITS_PAGEVIEWS, 2).cast(pl.Int64).alias(PAGEVIEWS_FIELD)
            )
        if flags and SINGLE_EVENT_FIELD in DERIVED_FIELDS.get(name, ()):
            exprs.append((col == SINGLE_EVENT_TEXT).alias(SINGLE_EVENT_FIELD))
    return exprs


def _signed(col: pl.Expr, locale: ValueLocale) -> pl.Expr:
    return col.str.replace(locale.minus, "-", literal=True) if locale.minus != "-" else col


def _whole(col: pl.Expr, locale: ValueLocale | None) -> pl.Expr:
    """``22073``, ``22,073`` (en) or ``22.073`` (nl) → 22073; the group symbol only counts
    between groups of three digits, so ``16.0`` is never read as 160."""
    if locale is None:
        return col.cast(pl.Int64, strict=False)
    col = _signed(col, locale)
    group = re.escape(locale.group)
    grouped = col.str.contains(rf"^-?\d{{1,3}}(?:{group}\d{{3}})+$")
    col = pl.when(grouped).then(col.str.replace_all(locale.group, "", literal=True)).otherwise(col)
    return col.cast(pl.Int64, strict=False)


def _decimal(col: pl.Expr, locale: ValueLocale | None) -> pl.Expr:
    """``42.850006`` or, read again, ``42,850006`` → 42.850006; not finite → null. A coordinate
    has no thousands, so a comma is its decimal sign whatever the locale (never a guess)."""
    if locale is not None:
        col = _signed(col, locale)
        for sign in {locale.decimal, ","} - {"."}:
            col = col.str.replace(sign, ".", literal=True)
    value = col.cast(pl.Float64, strict=False)
    return pl.when(value.is_finite()).then(value)


def _duration(col: pl.Expr, locale: ValueLocale | None) -> pl.Expr:
    """``20h 44m 57s`` (``20u 44m 57s`` in nl) → a duration; ``s.e.`` → 0 s; else null.

    A unit is written as its letter or, in ``locale``, as any of its words (``uur``, ``u``:
    the hour): one pattern checks the whole text, one a unit takes its number (each a single
    pass over the text, which is never rewritten)."""
    units = locale.units if locale is not None else ((),) * len(_UNITS)
    spellings = [
        _alternatives({unit[0], *names}) for (unit, _), names in zip(_UNITS, units, strict=True)
    ]
    every = _alternatives({unit[0] for unit, _ in _UNITS}.union(*units))
    valid = col.str.contains(rf"^\s*\d+\s*(?:{every})(?:\s+\d+\s*(?:{every}))*\s*$")
    seconds = pl.lit(0, pl.Int64)
    for (_, factor), spelled in zip(_UNITS, spellings, strict=True):
        number = col.str.extract(rf"(\d+)\s*(?:{spelled})", 1).cast(pl.Int64, strict=False)
        seconds = seconds + number.fill_null(0) * factor
    milliseconds = (
        pl.when(col == SINGLE_EVENT_TEXT).then(pl.lit(0, pl.Int64)).when(valid).then(seconds * 1000)
    )
    return milliseconds.cast(pl.Duration("ms"))
