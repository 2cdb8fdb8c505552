"""Where the login, password or ticket come from, most specific first.

1. the credentials given to the client (``OpenTrackerClient(credentials=Credentials(...))``);
2. what ``%otlogin`` stored with :func:`remember`, in memory for the kernel's life;
3. ``OT_TICKET_ID``;
4. ``OT_LOGIN`` and ``OT_PASSWORD``.

No secret is ever shown::

    >>> from ot_magic.credentials import Credentials
    >>> Credentials("a@b.c", "s3cret")
    Credentials(login='a@b.c', password=***)
    >>> Credentials(ticket_id="0b6f…")
    Credentials(ticket_id=***)
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from .errors import ConfigurationError

_REMEMBERED: Credentials | None = None


class Credentials:
    """A login and password, or a ticket; the secrets stay out of every repr, str and pickle."""

    __slots__ = ("_password", "_ticket_id", "login", "source")

    def __init__(
        self,
        login: str | None = None,
        password: str | None = None,
        *,
        ticket_id: str | None = None,
        source: str = "given",
    ) -> None:
        if not ticket_id and not (login and password):
            raise ConfigurationError("credentials need a login and a password, or a ticket id")
        self.login = login or None
        self._password = password or None
        self._ticket_id = (
            str.__str__(ticket_id) if ticket_id else None
        )  # a plain str, Ticket or not
        self.source = source

    @property
    def password(self) -> str | None:
        return self._password

    @property
    def ticket_id(self) -> str | None:
        return self._ticket_id

    @property
    def secrets(self) -> tuple[str, ...]:
        """The secret values, for callers that must scrub text of them."""
        return tuple(s for s in (self._password, self._ticket_id) if s)

    def form(self) -> dict[str, str]:
        """The form fields that carry these credentials: the ticket if any, else login+password."""
        if self._ticket_id:
            return {"ticketId": self._ticket_id}
        return {"login": self.login or "", "password": self._password or ""}

    @property
    def renewable(self) -> bool:
        """Whether a new ticket can be asked for (the password is known)."""
        return bool(self.login and self._password)

    def with_ticket(self, ticket_id: str) -> Credentials:
        """The same login, now carried by a ticket instead of the password."""
        return Credentials(self.login, None, ticket_id=ticket_id, source=f"ticket ({self.source})")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Credentials) and other.form() == self.form()

    def __hash__(self) -> int:
        return hash(tuple(self.form().items()))

    def __repr__(self) -> str:
        if self._ticket_id:
            return "Credentials(ticket_id=***)"
        return f"Credentials(login={self.login!r}, password=***)"

    __str__ = __repr__

    def __reduce__(self) -> tuple:
        raise TypeError("Credentials are kept in memory only and cannot be pickled")


def remember(login: str, password: str) -> Credentials:
    """Keep ``%otlogin``'s login and password in memory for the kernel's life."""
    global _REMEMBERED
    _REMEMBERED = Credentials(login, password, source="%otlogin")
    return _REMEMBERED


def forget() -> None:
    """Drop what :func:`remember` kept."""
    global _REMEMBERED
    _REMEMBERED = None


def remembered() -> Credentials | None:
    """What ``%otlogin`` stored, if anything."""
    return _REMEMBERED


def resolve(
    given: Credentials | tuple[str, str] | None = None, environ: Mapping[str, str] | None = None
) -> Credentials | None:
    """The most specific credentials available, or ``None``.

    resolve()                       # %otlogin, else OT_TICKET_ID, else OT_LOGIN/OT_PASSWORD
    resolve(("me@example.com", pw))
    """
    if given is not None:
        return given if isinstance(given, Credentials) else Credentials(*given)
    if _REMEMBERED is not None:
        return _REMEMBERED
    env = os.environ if environ is None else environ
    if env.get("OT_TICKET_ID"):
        return Credentials(ticket_id=env["OT_TICKET_ID"], source="OT_TICKET_ID")
    if env.get("OT_LOGIN") and env.get("OT_PASSWORD"):
        return Credentials(env["OT_LOGIN"], env["OT_PASSWORD"], source="OT_LOGIN/OT_PASSWORD")
    return None


def require(given: Credentials | tuple[str, str] | None = None) -> Credentials:
    """Like :func:`resolve`, but a one-line :class:`ConfigurationError` when there are none."""
    found = resolve(given)
    if found is None:
        raise ConfigurationError(
            "no Opentracker credentials: run %otlogin, or set OT_TICKET_ID, "
            "or OT_LOGIN and OT_PASSWORD (or use --demo)"
        )
    return found


class Ticket(str):
    """A ``ticketId`` that does not show itself: its ``repr`` and ``str`` are ``Ticket(***)``,
    yet it is the ticket wherever a string is used (``Credentials(ticket_id=ticket)``,
    ``os.environ["OT_TICKET_ID"] = ticket``). ``expires_at`` is when it lapses
    (``time.monotonic()`` seconds) and ``expires`` the seconds it was asked for::

        ticket = client.login_ticket(expires=600)
        ticket            # Ticket(***, valid 600 s)
    """

    expires: int
    expires_at: float

    def __new__(cls, value: str, *, expires: int, expires_at: float) -> Ticket:
        ticket = super().__new__(cls, value)
        ticket.expires, ticket.expires_at = expires, expires_at
        return ticket

    def __repr__(self) -> str:
        return f"Ticket(***, valid {self.expires} s)"

    __str__ = __repr__

    def __reduce__(self) -> tuple:
        raise TypeError("a Ticket is kept in memory only and cannot be pickled")
