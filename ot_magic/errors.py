"""One exception tree for Python callers; the magic turns these into one-line ``UsageError``s.

Every message is a single line that never carries a credential::

    >>> from ot_magic.errors import ParameterError
    >>> str(ParameterError("limit", "a whole number from 1 to 1000", "0"))
    "limit: expected a whole number from 1 to 1000, got '0'"
"""

from __future__ import annotations


class OpenTrackerError(Exception):
    """Base of every error ot_magic raises on purpose."""


class ParameterError(OpenTrackerError, ValueError):
    """A request parameter (or its name) is not acceptable; raised before anything is sent."""

    def __init__(self, name: str, accepted: str, got: object = None, *, message: str = "") -> None:
        self.name = name
        self.accepted = accepted
        self.got = got
        if not message:
            message = f"{name}: expected {accepted}"
            if got is not None:
                message += f", got {_short(got)!r}"
        super().__init__(message)


class CellSyntaxError(OpenTrackerError, ValueError):
    """A line of cell text that is not ``name = value``, a comment or blank."""

    def __init__(self, message: str, line_number: int | None = None) -> None:
        self.line_number = line_number
        prefix = f"line {line_number}: " if line_number is not None else ""
        super().__init__(prefix + message)


class ConfigurationError(OpenTrackerError):
    """Missing credentials, an unsafe URL, or another setting that stops a request."""


class ApiError(OpenTrackerError):
    """The API answered, but with an error (``Error: <exception>: <message>`` and kin)."""

    def __init__(self, message: str, *, exception: str = "", status: int | None = None) -> None:
        self.api_message = message
        self.exception = exception
        self.status = status
        super().__init__(message)


class AuthenticationError(ApiError):
    """The API refused the credentials (``Login/ site combination is not valid``)."""


class ResponseError(OpenTrackerError):
    """The answer could not be read: HTML instead of JSON, a body cut short, bad JSON."""


class TransportError(OpenTrackerError):
    """The server could not be reached, timed out, or kept failing after the retries."""


class RequestCancelled(OpenTrackerError):
    """A request stopped by its caller (``cancel`` set, the panel's Cancel) before its answer
    arrived; nothing of that answer is kept."""


class Interrupted(RequestCancelled, KeyboardInterrupt):
    """Ctrl-C (or Jupyter's "Interrupt") during a request: still a ``KeyboardInterrupt`` for
    Python callers, yet one line in a notebook, and raised without the frames that held the
    form."""


class PartialResultError(OpenTrackerError):
    """A later page failed; the rows fetched before it are kept in ``partial``.

    ``resume`` holds the request parameters that fetch exactly the rest (``{"nextToken": ...}``,
    or ``date``/``period`` with a server's token), ``None`` when no request can; ``resume_token``
    is its ``nextToken`` (a token the server issued), if any.
    """

    def __init__(
        self,
        message: str,
        *,
        partial: object,
        resume_token: str | None = None,
        resume: dict[str, str] | None = None,
    ) -> None:
        self.partial = partial
        self.resume = (
            resume
            if resume is not None
            else ({"nextToken": resume_token} if resume_token else None)
        )
        self.resume_token = (self.resume or {}).get("nextToken")
        super().__init__(message)


def _short(value: object, limit: int = 60) -> str:
    text = str(value).replace("\n", "\\n").replace("\r", "\\r")
    return text if len(text) <= limit else text[: limit - 1] + "…"
