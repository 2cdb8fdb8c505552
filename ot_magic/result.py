"""SessionsResult: the typed DataFrame of one fetch, with its request and lazily built views.

>>> result = client.sessions(SessionsRequest(date="2011-11-16"))   # doctest: +SKIP
>>> result.df.shape, result.next_token                               # doctest: +SKIP
((40, 69), '1321401600000.1321466400000')
>>> result.map                                                       # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Container

    import pandas as pd

    from .client import OpenTrackerClient
    from .request import SessionsRequest
    from .views.map import SessionsMap
    from .views.overview import Overview
    from .views.results import ResultsView
    from .views.table import SessionsTable


@dataclass(eq=False)
class SessionsResult:
    """What one run of the magic (or ``OpenTrackerClient.sessions``) gives back.

    ``df`` holds one row a session; ``request`` is the request as sent (it never holds a
    credential); ``resume`` the parameters that fetch exactly the rest (``{"nextToken": ...}``
    with a token the server issued, or ``date``/``period`` naming the days not read, with the
    server's token inside the first of them), ``None`` when nothing is left or no request can
    go on exactly; ``next_token`` is that token when the token alone goes on from here;
    ``more`` says rows exist beyond those fetched (even when no token can fetch them exactly:
    ask again with ``--all``);
    ``pages`` counts the HTTP answers read and ``elapsed`` their wall time in seconds.
    ``show_views=False`` (the magic's ``--no-display``) makes its display the summary line
    alone, so no view is built until ``.view``, ``.table`` or ``.map`` is asked for.
    """

    df: pd.DataFrame
    request: SessionsRequest | None = None
    next_token: str | None = None
    pages: int = 1
    elapsed: float = 0.0
    fetched_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc))
    api_url: str = ""
    client: OpenTrackerClient | None = field(default=None, repr=False)
    show_views: bool = field(default=True, repr=False)
    resume: dict[str, str] | None = field(default=None, repr=False)
    more: bool = field(default=False, repr=False)

    @property
    def resume_request(self) -> SessionsRequest | None:
        """The request that fetches exactly the rest (``None`` when there is none):
        ``client.sessions(result.resume_request, all_pages=True)``."""
        if self.request is None or not self.resume:
            return None
        return self.request.replace(**self.resume)

    def resume_text(self) -> str:
        """``resume`` as cell lines joined by ``; `` (``""`` when there is none)."""
        from .paging import resume_text

        return resume_text(self.resume) if self.resume else ""

    @cached_property
    def table(self) -> SessionsTable:
        """The interactive table (ipydatagrid), built on first use."""
        from .views.table import build_table

        return build_table(self)

    @cached_property
    def map(self) -> SessionsMap:
        """The map of visitors (ipyleaflet), built on first use."""
        from .views.map import build_map

        return build_map(self)

    @cached_property
    def overview(self) -> Overview:
        """The charts of the sessions, linked as a crossfilter (bqplot), built on first use."""
        from .views.overview import build_overview

        return build_overview(self)

    @property
    def filtered(self) -> pd.DataFrame:
        """The sessions the overview's filter lets through (``df`` when nothing is filtered);
        ``result.overview.expression`` is the pandas expression that gives it from ``df``."""
        if "overview" not in self.__dict__:
            return self.df
        return self.overview.filtered

    @cached_property
    def view(self) -> ResultsView:
        """Summary line, overview, table, drill-down and map, linked; built once, shown."""
        from .views.results import build_view

        return build_view(self)

    def summary(self) -> str:
        """One line: sessions, date range, site(s), time zone, pages fetched, elapsed, and the
        sessions without a location, then the values that could not be read (kept missing in
        ``df``, counted in ``df.attrs["unreadable"]``), e.g. ``9,902 sessions · 2011-11-16 00:00
        – 2011-11-18 23:59 · www.opentracker.net · time zone EST · 10 pages in 1.25 s · 510
        without a location · 2 unreadable values (1 in latitude, 1 in duration)``."""
        from .views.columns import located

        df = self.df
        params = dict(self.request.to_api_params()) if self.request is not None else {}
        parts = [f"{len(df):,} session{'s' * (len(df) != 1)}"]
        started = next((df[c] for c in _START_COLUMNS if c in df and df[c].notna().any()), None)
        if started is not None:
            parts.append(f"{started.min():%Y-%m-%d %H:%M} – {started.max():%Y-%m-%d %H:%M}")
        elif params.get("date"):
            parts.append(f"{params['date']} for {params.get('period', '1d')}")
        sites = list(df["site"].dropna().astype(str).unique()) if "site" in df else []
        sites = sites or [s.strip() for s in params.get("site", "").split(",") if s.strip()]
        if sites:
            parts.append(
                ", ".join(sites[:3]) + (f" +{len(sites) - 3} more" if len(sites) > 3 else "")
            )
        parts.append(f"time zone {df.attrs.get('time_zone') or params.get('timeZone')}")
        parts.append(f"{self.pages} page{'s' * (self.pages != 1)} in {self.elapsed:.2f} s")
        parts.append(f"{int((~located(df)).sum()):,} without a location")
        unreadable = df.attrs.get("unreadable") or {}
        if unreadable:
            total = sum(unreadable.values())
            named = ", ".join(f"{count:,} in {name}" for name, count in unreadable.items())
            parts.append(f"{total:,} unreadable value{'s' * (total != 1)} ({named})")
        beyond = self._beyond()
        if beyond and not self.resume:
            beyond += " (fetch them with --all or --max-rows)"
        if beyond:
            parts.append(beyond)
        return " · ".join(parts)

    def _beyond(self) -> str:
        """What lies past these rows: ``more from <the lines that fetch them>``, ``more
        sessions exist`` (no request goes on exactly), or ``""`` (nothing)."""
        if self.resume:
            return f"more from {self.resume_text()}"
        return "more sessions exist" if self.more else ""

    def _repr_mimebundle_(
        self, include: Container[str] | None = None, exclude: Container[str] | None = None
    ) -> dict[str, Any]:
        """The summary line, then the linked table and map (no widgets when no session);
        beside the widgets, a static ``text/html`` (summary, first rows, the map as SVG) for
        where they cannot run (nbconvert's HTML, GitHub, VS Code without widgets)."""
        text = self.summary()
        if not self.show_views:
            line = "Views not built (--no-display): show them with result.view."
            return {
                "text/plain": text,
                "text/html": f"<b>{html.escape(text)}</b><br>{line}",
            }
        if not len(self.df):
            line = "No sessions matched this request."
            return {
                "text/plain": f"{text}\n{line}",
                "text/html": f"<b>{html.escape(text)}</b><br>{line}",
            }
        from .views.static import LIVE_CLASS, static_html

        self.view.add_class(LIVE_CLASS)
        bundle = self.view._repr_mimebundle_(include=include, exclude=exclude)
        bundle["text/plain"] = text
        bundle["text/html"] = static_html(self)
        return bundle

    def _ipython_display_(self) -> None:
        """In IPython, the widgets and the static version as two outputs of the cell.

        One mimebundle is not enough: nbconvert (and nbviewer) draw a widget view whenever
        the notebook saved the widgets' state, as ``nbconvert --execute`` does, and then need
        JavaScript and a CDN to show anything. As an output of its own, the static version
        shows wherever widgets cannot; it hides itself where the live view rendered beside it
        (JupyterLab, Notebook 7, Voila: see ``views.static``).
        """
        from IPython.display import publish_display_data

        bundle = self._repr_mimebundle_()
        static = bundle.pop("text/html")
        publish_display_data(bundle)
        if WIDGET_VIEW in bundle:
            publish_display_data({"text/html": static})

    def __repr__(self) -> str:
        rows, beyond = len(self.df), self._beyond()
        return (
            f"<SessionsResult {rows:,} session{'s' * (rows != 1)}{', ' + beyond if beyond else ''}, "
            f"next_token={self.next_token!r}>"
        )


_START_COLUMNS = ("session_start_unix_timestamp", "eventUnixTimestamp")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
