"""Tab completion for ``%%otsessions`` cells and the ``%otsessions`` line, from the parameter table.

``%load_ext ot_magic`` adds :func:`matcher` to IPython's completer (``IPCompleter.custom_matchers``,
the Matcher API v2 of IPython ≥ 8.6), so Tab completes in a terminal, in JupyterLab and in any
front end that sends a ``complete_request`` to the stock kernel:

- parameter names (``inc`` → ``includeCountryCode``; everyday words too: ``countr`` → the same);
- enumerated values: booleans, period units, time zones, locales, country codes, column names
  for ``showColumns``/``orderCriteria`` (after the last comma in a list);
- ``{variable}`` names from the notebook's namespace;
- the magic's options on its own line (``--o`` → ``--out``).

The logic is a pure function of the text, so it can be called without IPython::

    >>> from ot_magic.completion import complete
    >>> complete("%%otsessions\\nincludeCountryCode = US, G", {})
    Completions(fragment='G', candidates=('GA', 'GB', 'GD', 'GE', 'GF', 'GG', 'GH', 'GI', 'GL', 'GM', 'GN', 'GP', 'GQ', 'GR', 'GS', 'GT', 'GU', 'GW', 'GY'), kind='value')
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from typing import TYPE_CHECKING, Any, NamedTuple

from .params import COLUMN_NAMES, USER_PARAMS, Param, country_codes, known_locales
from .schema import FIELDS

if TYPE_CHECKING:
    from IPython.core.completer import CompletionContext, SimpleMatcherResult
    from IPython.core.interactiveshell import InteractiveShell

IDENTIFIER = "ot_magic.completion"
_CELL_MAGIC = "%%otsessions"
_LINE_MAGIC = re.compile(r"(?:^|[\s=(])%(otsessions|otparams)\b(.*)$")
_NAME_VALUE = re.compile(r"\s*([^\s=:]*)\s*[=:]\s*(.*)$")
_WORD_START = re.compile(r"[A-Za-z_][A-Za-z0-9_]*$|$")


class Completions(NamedTuple):
    """What replaces ``fragment`` (the end of the text before the cursor): ``candidates``."""

    fragment: str
    candidates: tuple[str, ...]
    kind: str  # "param", "value", "variable" or "option"


def complete(
    text: str, namespace: Mapping[str, Any], after: str = "", hidden: Iterable[str] = ()
) -> Completions | None:
    """Completions for the cursor at the end of ``text`` (the cell up to the cursor), or
    ``None`` outside ``%%otsessions``/``%otsessions``. ``after`` is the rest of the cursor's
    line; ``hidden`` are namespace names not to offer (IPython's own)."""
    lines = text.split("\n")
    before = lines[-1]
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is not None and lines[first].lstrip().startswith(_CELL_MAGIC):
        if first == len(lines) - 1:
            return _option_word(before.split(_CELL_MAGIC, 1)[1])
        used = {m.group(1) for line in lines[first + 1 : -1] if (m := _NAME_VALUE.match(line))}
        return _cell_line(before, namespace, after, hidden, used)
    line = _LINE_MAGIC.search(before)
    if line is None:
        return None
    word = re.split(r"\s", line.group(2))[-1].lstrip("\"'")
    if line.group(1) == "otparams":
        return _names(word, set(), "")
    if word.startswith("-"):
        return _option_word(word)
    variable = _variable(word, namespace, after, hidden)
    if variable is not None:
        return variable
    name, equals, value = word.partition("=")
    if equals:
        return _values(name, value)
    used = {w.partition("=")[0] for w in re.split(r"\s", line.group(2))[:-1]}
    return _names(word, used, "=")


def matcher(shell: InteractiveShell) -> Callable[[CompletionContext], SimpleMatcherResult]:
    """The IPython matcher (API v2) over :func:`complete`, for ``shell``'s namespace."""
    from IPython.core.completer import SimpleCompletion, context_matcher

    @context_matcher(identifier=IDENTIFIER, priority=10)
    def otsessions_matcher(context: CompletionContext) -> SimpleMatcherResult:
        lines = context.full_text.split("\n")
        text = "\n".join([*lines[: context.cursor_line], context.text_until_cursor])
        after = context.line_with_cursor[context.cursor_position :]
        found = complete(text, shell.user_ns, after, shell.user_ns_hidden)
        if found is None:
            return {"completions": [], "suppress": False}
        limit = context.limit or len(found.candidates)
        return {
            "completions": [SimpleCompletion(c, type=found.kind) for c in found.candidates[:limit]],
            "matched_fragment": found.fragment,
            "suppress": True,  # Python names make no sense inside the cell
            "ordered": True,
        }

    return otsessions_matcher


def register(shell: InteractiveShell) -> None:
    """Add the matcher to ``shell``'s completer, once (``%reload_ext`` replaces it)."""
    completer = shell.Completer
    completer.custom_matchers[:] = [
        m for m in completer.custom_matchers if getattr(m, "matcher_identifier", "") != IDENTIFIER
    ]
    completer.custom_matchers.append(matcher(shell))


# What a panel's box offers before anything is typed in it, for the kinds whose whole list is
# long (624 time zones, 1147 locales): a box holding every one weighed 14 KB in a saved notebook.
COMMON_VALUES: dict[str, tuple[str, ...]] = {
    "zone": (
        "UTC", "GMT", "EST", "America/New_York", "America/Chicago", "America/Denver",
        "America/Los_Angeles", "America/Mexico_City", "America/Sao_Paulo", "Europe/London",
        "Europe/Amsterdam", "Europe/Berlin", "Europe/Paris", "Europe/Madrid", "Europe/Moscow",
        "Africa/Johannesburg", "Asia/Dubai", "Asia/Kolkata", "Asia/Shanghai", "Asia/Singapore",
        "Asia/Tokyo", "Australia/Sydney",
    ),
    "locale": (
        "en_US", "en_GB", "nl_NL", "nl_BE", "de_DE", "fr_FR", "es_ES", "es_MX", "it_IT",
        "pt_BR", "pt_PT", "pl_PL", "sv_SE", "ru_RU", "tr_TR", "ar_SA", "hi_IN", "zh_Hans_CN",
        "ja_JP", "ko_KR",
    ),
}  # fmt: skip
SUGGESTIONS = 100  # at most this many values offered for what is typed


def suggestions(param: Param, typed: str, limit: int = SUGGESTIONS) -> tuple[str, ...]:
    """The values a panel's box offers for ``param`` with ``typed`` in it: the common ones
    (:data:`COMMON_VALUES`) while it is empty, else the completions of ``typed`` (as Tab in
    a cell gives them), at most ``limit``::

        >>> suggestions(USER_PARAMS["timeZone"], "amster")
        ('Europe/Amsterdam',)
    """
    fragment = typed.strip()
    if not fragment and param.kind.name in COMMON_VALUES:
        return COMMON_VALUES[param.kind.name][:limit]
    return _matching(fragment, _choices(param, fragment))[:limit]


# ---------------------------------------------------------------- the pieces


def _cell_line(
    before: str, namespace: Mapping[str, Any], after: str, hidden: Iterable[str], used: set[str]
) -> Completions | None:
    stripped = before.lstrip()
    if stripped.startswith("#"):
        return None
    variable = _variable(before, namespace, after, hidden)
    if variable is not None:
        return variable
    assignment = _NAME_VALUE.match(before)
    if assignment is None:
        return _names(stripped, used, "") if " " not in stripped else None
    name, value = assignment.groups()
    if re.search(r"(?:^|\s)#", value):  # in a comment
        return None
    return _values(name, value)


def _names(fragment: str, used: set[str], suffix: str) -> Completions:
    """Parameter names that start with ``fragment``, then those an everyday word leads to."""
    low = fragment.lower()
    free = [p for name, p in USER_PARAMS.items() if name not in used]
    direct = [p.name for p in free if p.name.lower().startswith(low)]
    heard = [
        p.name
        for p in free
        if len(low) >= 3
        and p.name not in direct
        and any(s.lower().startswith(low) for s in p.synonyms)
    ]
    return Completions(fragment, tuple(n + suffix for n in direct + heard), "param")


def _values(name: str, typed: str) -> Completions | None:
    param = USER_PARAMS.get(name)
    if param is None:
        return None
    listed = param.kind.name in ("countries", "columns", "words", "sites")
    fragment = typed.rsplit(",", 1)[-1].lstrip() if listed else typed
    taken = {item.strip().lower() for item in typed.split(",")[:-1]} if listed else set()
    options = [v for v in _choices(param, fragment) if v.lower() not in taken]
    return Completions(fragment, _matching(fragment, options), "value")


def _choices(param: Param, fragment: str) -> tuple[str, ...]:
    kind = param.kind.name
    if param.choices:
        return param.choices
    if kind == "bool":
        return ("true", "false")
    if kind == "period":
        count = fragment.rstrip("dwm") if fragment[:1].isdigit() else ""
        return (
            tuple(f"{count}{u}" for u in "dwm")
            if count.isdigit()
            else ("1d", "3d", "7d", "2w", "1m")
        )
    if kind == "date":
        today = dt.date.today()
        return (today.isoformat(), (today - dt.timedelta(days=1)).isoformat())
    if kind == "zone":
        return _zones()
    if kind == "locale":
        return known_locales()
    if kind == "countries":
        return tuple(sorted(country_codes()))
    if kind == "columns":
        return COLUMN_NAMES
    if kind == "order":
        column, space, _ = fragment.partition(" ")
        return (f"{column} asc", f"{column} desc") if space else FIELDS
    return ()


def _matching(fragment: str, options: Iterable[str]) -> tuple[str, ...]:
    """Options starting with ``fragment`` (any case); if none, those holding it (``amster``)."""
    low = fragment.lower()
    options = list(options)
    starts = [o for o in options if o.lower().startswith(low)]
    if starts or len(low) < 2:
        return tuple(starts)
    return tuple(o for o in options if low in o.lower())


def _variable(
    before: str, namespace: Mapping[str, Any], after: str, hidden: Iterable[str]
) -> Completions | None:
    """Inside an open ``{``: the namespace's public names (with the closing brace)."""
    opened = before.rfind("{")
    if opened < 0 or "}" in before[opened:] or before[opened - 1 : opened + 1] == "{{":
        return None
    fragment = before[opened + 1 :]
    if not _WORD_START.fullmatch(fragment):
        return None
    skip = set(hidden)
    close = "" if after.startswith("}") else "}"
    names = sorted(
        n for n in namespace if n.isidentifier() and not n.startswith("_") and n not in skip
    )
    return Completions(
        fragment, tuple(n + close for n in names if n.startswith(fragment)), "variable"
    )


def _option_word(text: str) -> Completions:
    from .magics import OTMagic, option_flags

    word = re.split(r"\s", text)[-1]
    flags = [f for f in option_flags(OTMagic.otsessions) if f.startswith("--")]
    return Completions(word, tuple(f for f in flags if f.startswith(word)), "option")


@cache
def _zones() -> tuple[str, ...]:
    from .javatime import zone_ids

    return tuple(zone_ids())
