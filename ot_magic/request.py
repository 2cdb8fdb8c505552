"""SessionsRequest: one validated, immutable request to the sessions endpoint.

    >>> from ot_magic.request import SessionsRequest
    >>> req = SessionsRequest(date="2011-11-16", period="3d", limit=200)
    >>> req
    SessionsRequest(date='2011-11-16', period='3d', limit=200)
    >>> req.to_api_params()
    {'date': '2011-11-16', 'period': '3d', 'limit': '200'}
    >>> print(req.to_cell(), end="")
    %%otsessions
    date = 2011-11-16
    period = 3d
    limit = 200
    >>> SessionsRequest.from_cell(req.to_cell()) == req
    True
    >>> req.replace(limit=None, search="*google*")
    SessionsRequest(date='2011-11-16', period='3d', search='*google*')

Every name and value is checked by the parameter table (:mod:`ot_magic.params`); credentials,
``dataType`` and ``jsoncallback`` are the client's business and are refused here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

from .cellparse import Entry, cell_value, parse_arguments, parse_cell
from .errors import ParameterError
from .params import ALIASES, PARAMS, lookup

_ORDER = {name: index for index, name in enumerate(PARAMS)}


class SessionsRequest:
    """The parameters of one call to the sessions endpoint, validated on construction.

    Values may be text (as in a cell) or Python values (``datetime.date``, ``int``, lists);
    each is kept in its normal form, so requests with the same parameters compare (and hash)
    equal however they were written. ``None`` leaves a parameter out.
    """

    __slots__ = ("_items", "_params")

    def __init__(self, **params: Any) -> None:
        normal = {
            name: lookup(name).parse(value) for name, value in params.items() if value is not None
        }
        items = tuple(sorted(normal.items(), key=lambda item: _ORDER[item[0]]))
        object.__setattr__(self, "_items", items)
        object.__setattr__(self, "_params", MappingProxyType(dict(items)))

    # --- building ---------------------------------------------------------------------------

    @classmethod
    def from_cell(
        cls, text: str, namespace: Mapping[str, Any] | None = None, secrets: Iterable[str] = ()
    ) -> SessionsRequest:
        """The request written in cell text (with or without its ``%%otsessions`` line).

        ``{name}`` takes the value of ``namespace[name]``; the options of the ``%%otsessions``
        line are the magic's business and are ignored here. A value holding one of ``secrets``
        (the configured password or ticket) is refused without being shown. Errors name the line::

            SessionsRequest.from_cell("date = 2011-11-16\\nperiod: 3d")
        """
        return cls._from_entries(parse_cell(text, namespace).entries, "line", secrets)

    @classmethod
    def from_arguments(
        cls,
        words: list[str],
        namespace: Mapping[str, Any] | None = None,
        secrets: Iterable[str] = (),
    ) -> SessionsRequest:
        """The request of the line magic's ``name=value`` words: ``["date=2011-11-16", "period=3d"]``."""
        return cls._from_entries(parse_arguments(words, namespace), "argument", secrets)

    @classmethod
    def from_api_params(cls, mapping: Mapping[str, str]) -> SessionsRequest:
        """The request of API parameters, such as :meth:`to_api_params` gives.

            SessionsRequest.from_api_params({"date": "2011-11-16", "limit": "200"})

        The API's other spellings (``timezone``) are read as the table's names.
        """
        aliases = ALIASES["sessions"]
        return cls(**{aliases.get(name, name): value for name, value in mapping.items()})

    @classmethod
    def _from_entries(
        cls, entries: tuple[Entry, ...], unit: str, secrets: Iterable[str] = ()
    ) -> SessionsRequest:
        secrets = tuple(s for s in secrets if s)
        params = {}
        for entry in entries:
            try:
                param = lookup(entry.name)
                if _holds_secret(entry.value, secrets):
                    raise _secret_error(entry.name)
                params[entry.name] = param.parse(entry.value)
            except ParameterError as error:
                raise ParameterError(
                    error.name, error.accepted, error.got, message=f"{unit} {entry.line}: {error}"
                ) from None
        return cls(**params)

    def replace(self, **changes: Any) -> SessionsRequest:
        """A copy with ``changes`` applied; ``None`` removes a parameter.

        req.replace(limit=500, period=None)
        """
        return type(self)(**{**self._params, **changes})

    def with_defaults(self, **defaults: Any) -> SessionsRequest:
        """A copy where each of ``defaults`` fills a parameter this request does not set.

        req.with_defaults(site="www.opentracker.net", limit=100)
        """
        return self.replace(**{k: v for k, v in defaults.items() if k not in self._params})

    # --- reading ----------------------------------------------------------------------------

    @property
    def params(self) -> Mapping[str, Any]:
        """Read-only mapping of name → normal value, in the parameter table's order."""
        return self._params

    def get(self, name: str, default: Any = None) -> Any:
        """The value of ``name`` if set, else ``default`` (an unknown name is an error)."""
        lookup(name)
        return self._params.get(name, default)

    def holding_secret(self, secrets: Iterable[str]) -> str | None:
        """The first parameter whose value holds one of ``secrets`` (the configured password or
        ticket), else ``None``: such a value would be shown in outputs and sent in clear.

            req.holding_secret(credentials.secrets)
        """
        secrets = tuple(s for s in secrets if s)
        return next((n for n, v in self.to_api_params().items() if _holds_secret(v, secrets)), None)

    def check_secrets(self, secrets: Iterable[str]) -> SessionsRequest:
        """This request, or the one-line :class:`ParameterError` of :meth:`holding_secret`."""
        name = self.holding_secret(secrets)
        if name is not None:
            raise _secret_error(name)
        return self

    def to_api_params(self) -> dict[str, str]:
        """The API's text of every parameter: ``{"date": "2011-11-16", "limit": "200"}``."""
        return {name: PARAMS[name].render(value) for name, value in self._items}

    def to_cell(self, magic_line: str | None = "%%otsessions") -> str:
        """Cell text that :meth:`from_cell` reads back as an equal request.

        ``magic_line=None`` gives the body only; ``"%%otsessions --out visits"`` adds options.
        """
        lines = [magic_line] if magic_line else []
        lines += [
            f"{name} = {cell_value(PARAMS[name].render_cell(value))}" for name, value in self._items
        ]
        return "".join(line + "\n" for line in lines)

    # --- value semantics --------------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SessionsRequest):
            return NotImplemented
        return self._items == other._items

    def __hash__(self) -> int:
        return hash(self._items)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("SessionsRequest is immutable: use .replace(...)")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("SessionsRequest is immutable: use .replace(...)")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self).from_api_params, (self.to_api_params(),))

    def __repr__(self) -> str:
        shown = (
            f"{name}={value!r}"
            if isinstance(value, int)
            else f"{name}={PARAMS[name].render(value)!r}"
            for name, value in self._items
        )
        return f"{type(self).__name__}({', '.join(shown)})"


def _holds_secret(value: Any, secrets: tuple[str, ...]) -> bool:
    items = value if isinstance(value, (list, tuple)) else (value,)
    texts = [item for item in items if isinstance(item, str)]
    return any(secret in text for secret in secrets for text in texts)


def _secret_error(name: str) -> ParameterError:
    return ParameterError(
        name,
        "a value without your password or ticket",
        message=f"{name}: the value holds your configured password or ticket;"
        " it is neither sent nor shown",
    )
