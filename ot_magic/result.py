"""SessionsResult: the typed DataFrame of one fetch, with its request and lazily built views.

    >>> result = client.sessions(SessionsRequest(date="2011-11-16"))   # doctest: +SKIP
    >>> result.df.shape, result.next_token                               # doctest: +SKIP
    ((40, 69), '1321401600000.1321466400000')
    >>> result.map                                                       # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from .request import SessionsRequest


@dataclass(eq=False)
class SessionsResult:
    """What one run of the magic (or ``OpenTrackerClient.sessions``) gives back.

    ``df`` holds one row a session; ``request`` is the request as sent (it never holds a
    credential); ``next_token`` is where the API would go on from (``None`` when done);
    ``pages`` counts the HTTP answers read and ``elapsed`` their wall time in seconds.
    """

    df: pd.DataFrame
    request: SessionsRequest | None = None
    next_token: str | None = None
    pages: int = 1
    elapsed: float = 0.0
    fetched_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc))
    api_url: str = ""
    client: Any = field(default=None, repr=False)

    @cached_property
    def table(self) -> Any:
        """The interactive table (ipydatagrid), built on first use."""
        from .views.table import build_table

        return build_table(self)

    @cached_property
    def map(self) -> Any:
        """The map of visitors (ipyleaflet), built on first use."""
        from .views.map import build_map

        return build_map(self)

    def __repr__(self) -> str:
        return f"<SessionsResult {len(self.df)} sessions, next_token={self.next_token!r}>"
