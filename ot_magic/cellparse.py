"""Cell text → parameter entries: a small line parser, kept apart from the magic.

    >>> from ot_magic.cellparse import parse_cell
    >>> cell = parse_cell("date = 2011-11-16\\nincludeCountryCode: US, {more}  # two more", {"more": ["FR", "DE"]})
    >>> [(e.name, e.value, e.line) for e in cell.entries]
    [('date', '2011-11-16', 1), ('includeCountryCode', 'US, FR, DE', 2)]

Only the syntax lives here; :class:`~ot_magic.request.SessionsRequest` checks the names and
values against the parameter table (``ot_magic.params``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import CellSyntaxError

MAGIC_NAME = "otsessions"

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ASSIGNMENT = re.compile(r"\s*([^\s=:]*)\s*([=:])\s*(.*)", re.DOTALL)
# A comment starts at '#' at the start of a value or after whitespace; 'page#top' keeps its '#'.
_COMMENT = re.compile(r"(?:^|\s)#")
_BRACES = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")


@dataclass(frozen=True)
class Entry:
    """One ``name = value`` of a cell. ``value`` is text, or the variable itself for ``{name}``."""

    name: str
    value: Any
    line: int


@dataclass(frozen=True)
class ParsedCell:
    """A parsed cell: the options after ``%%otsessions`` (if that line was given) and entries."""

    options: str | None
    entries: tuple[Entry, ...]


class CellParser:
    """Reads the body of an ``%%otsessions`` cell, one line at a time.

    The grammar (terminals CAPITALIZED; a line ends at ``\\n``)::

        cell        : [magic_line] line*
        magic_line  : "%%otsessions" [SPACE OPTIONS]
        line        : SPACE* [assignment | comment]
        assignment  : NAME SPACE* ("=" | ":") SPACE* value [SPACE+ comment]
        comment     : "#" ANY*
        value       : QUOTED | PLAIN
        QUOTED      : a JSON string literal, such as "Page #2" (for values holding " #")
        PLAIN       : (TEXT | "{{" | "}}" | "{" NAME "}")+    with no "#" after a space
        TEXT        : any characters but "{", "}" and a line break; "=" and ":" included
        NAME        : [A-Za-z_][A-Za-z0-9_]*

    The first ``=`` or ``:`` of a line ends its NAME; any later one belongs to the value, so
    ``filterByCurrentTitle = Step 2: price = 10`` sets the title ``Step 2: price = 10``.

    ``{name}`` is replaced by the variable ``name`` of the namespace: looked up, never
    evaluated (no attributes, no calls). A value that is exactly ``{name}`` passes the variable
    itself (a ``datetime.date``, a list ...) to the parameter's validator; inside other text a
    list or tuple becomes ``a, b, c`` and anything else its ``str()``. ``{{`` and ``}}`` are
    literal braces. A ``#`` at the start of a value or after a space starts a comment, so
    ``http://host/page#top`` keeps its fragment; quote a value to keep a ``" #"`` in it.

    Errors are :class:`~ot_magic.errors.CellSyntaxError`, one line starting ``line N:``.
    """

    def __init__(self, namespace: Mapping[str, Any] | None = None, unit: str = "line") -> None:
        self.namespace = namespace if namespace is not None else {}
        self.unit = unit

    def error(self, message: str, number: int) -> CellSyntaxError:
        """The one-line error for line (or argument) ``number``."""
        if self.unit == "line":
            return CellSyntaxError(message, number)
        return CellSyntaxError(f"{self.unit} {number}: {message}")

    def cell(self, text: str) -> ParsedCell:
        """``cell : [magic_line] line*``"""
        lines = text.split("\n")
        first = next((i for i, line in enumerate(lines) if line.strip()), None)
        options = None
        if first is not None and lines[first].lstrip().startswith("%"):
            options = self.magic_line(lines[first], first + 1)
            lines[first] = ""
        entries = [self.line(line.rstrip("\r"), number) for number, line in enumerate(lines, 1)]
        return ParsedCell(options, self.unique(e for e in entries if e is not None))

    def magic_line(self, text: str, number: int) -> str:
        """``magic_line : "%%otsessions" [SPACE OPTIONS]``"""
        head, *options = text.split(None, 1)
        if head != "%%" + MAGIC_NAME:
            raise self.error(
                f"expected %%{MAGIC_NAME} as the first line, got {_shown(head)}", number
            )
        return "".join(options).strip()

    def line(self, text: str, number: int) -> Entry | None:
        """``line : SPACE* [assignment | comment]``"""
        stripped = text.strip()
        if not stripped or stripped.startswith("#"):
            return None
        return self.assignment(stripped, number)

    def assignment(self, text: str, number: int) -> Entry:
        """``assignment : NAME SPACE* ("=" | ":") SPACE* value [SPACE+ comment]``"""
        match = _ASSIGNMENT.fullmatch(text)
        if match is None:
            raise self.error(f"expected 'name = value', got {_shown(text)}", number)
        name, _, raw = match.groups()
        if not _NAME.fullmatch(name):
            raise self.error(
                f"expected a parameter name (letters, digits, _) before '=', got {_shown(name)}",
                number,
            )
        return Entry(name, self.value(raw, name, number), number)

    def value(self, raw: str, name: str, number: int) -> Any:
        """``value : QUOTED | PLAIN`` (the comment after it dropped), then interpolated."""
        if raw.startswith('"'):
            try:
                text, end = json.JSONDecoder().raw_decode(raw)
            except ValueError:
                raise self.error(
                    f'{name}: expected a closing " (a quoted value is a JSON string)', number
                ) from None
            rest = raw[end:]
            if rest.strip() and not rest.lstrip().startswith("#"):
                raise self.error(
                    f"{name}: expected the end of the line or a # comment after the quoted value",
                    number,
                )
        else:
            comment = _COMMENT.search(raw)
            text = (raw[: comment.start()] if comment else raw).strip()
        if not text:
            raise self.error(f"{name}: expected a value after '{name} ='", number)
        return self.interpolate(text, name, number)

    def interpolate(self, text: str, name: str, number: int) -> Any:
        """Replace each ``{variable}``; ``{{``/``}}`` are literal braces."""
        whole = _BRACES.fullmatch(text)
        if whole and whole.group(1) is not None:
            value = self.variable(whole.group(1), name, number)
            return tuple(value) if isinstance(value, list) else value
        return _BRACES.sub(lambda m: self.piece(m, name, number), text)

    def piece(self, match: re.Match[str], name: str, number: int) -> str:
        token = match.group(0)
        if token in ("{{", "}}"):
            return token[0]
        if match.group(1) is None:
            raise self.error(
                f"{name}: unmatched {token!r} (write {token * 2!r} for a literal brace)", number
            )
        value = self.variable(match.group(1), name, number)
        try:
            return ", ".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)
        except Exception as error:  # a user object whose str() fails: still one line
            raise self.error(
                f"{name}: {{{match.group(1)}}} cannot be written as text ({type(error).__name__})",
                number,
            ) from None

    def variable(self, variable: str, name: str, number: int) -> Any:
        if not _NAME.fullmatch(variable):
            raise self.error(
                f"{name}: expected a variable name inside {{...}}, got {_shown(variable)}"
                " (names only: no expressions, no attributes)",
                number,
            )
        try:
            return self.namespace[variable]
        except KeyError:
            raise self.error(
                f"{name}: {{{variable}}} names no variable: {variable!r} is not defined", number
            ) from None

    def unique(self, entries: Iterable[Entry]) -> tuple[Entry, ...]:
        seen: dict[str, Entry] = {}
        for entry in entries:
            if entry.name in seen:
                raise self.error(
                    f"{entry.name} is set twice (first on {self.unit} {seen[entry.name].line})",
                    entry.line,
                )
            seen[entry.name] = entry
        return tuple(seen.values())


def parse_cell(text: str, namespace: Mapping[str, Any] | None = None) -> ParsedCell:
    """Parse cell text (with or without its ``%%otsessions`` line); see :class:`CellParser`."""
    return CellParser(namespace).cell(text)


def parse_arguments(
    arguments: Iterable[str], namespace: Mapping[str, Any] | None = None
) -> tuple[Entry, ...]:
    """The ``name=value`` words of the line magic (already split by shlex), interpolated.

    >>> [(e.name, e.value) for e in parse_arguments(["date=2011-11-16", "limit={n}"], {"n": 5})]
    [('date', '2011-11-16'), ('limit', 5)]

    ``Entry.line`` is the word's position (1 for the first); errors read ``argument N: ...``.
    """
    parser = CellParser(namespace, unit="argument")
    entries = []
    for number, word in enumerate(arguments, 1):
        name, sep, raw = (part.strip() for part in word.partition("="))
        if not sep or not _NAME.fullmatch(name):
            raise parser.error(f"expected name=value, got {_shown(word)}", number)
        if not raw:
            raise parser.error(f"{name}: expected a value after '{name}='", number)
        entries.append(Entry(name, parser.interpolate(raw, name, number), number))
    return parser.unique(entries)


def cell_value(text: str) -> str:
    """How an API text value is written in a cell so that :func:`parse_cell` reads it back.

    >>> cell_value("*google*"), cell_value("Page #2"), cell_value("{x}")
    ('*google*', '"Page #2"', '{{x}}')
    """
    escaped = text.replace("{", "{{").replace("}", "}}")
    if escaped.startswith('"') or _COMMENT.search(escaped) or escaped != escaped.strip():
        return json.dumps(escaped, ensure_ascii=False)
    return escaped


def _shown(text: str, limit: int = 40) -> str:
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")
