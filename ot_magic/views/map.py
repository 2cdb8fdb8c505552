"""The map of visitors: every located session on one ipyleaflet ``Map(prefer_canvas=True)``.

    >>> m = build_map(result)                  # doctest: +SKIP  (or simply ``result.map``)
    >>> m.missing, len(m.places)               # doctest: +SKIP  sessions without a location, places
    (510, 3730)

How it stays fast and small at tens of thousands of sessions:

- **Places, not points.** Sessions whose coordinates agree to 4 decimals (about 10 m) are one
  *place*; a place is drawn once, sized by the pages viewed there and coloured "online" if any
  of its sessions is, so no session hides another: clicking a place lists all of its sessions
  (and selects them in the table when linked).
- **One GeoJSON layer** holds every place. Places drawn alike (status × size class) share
  ``MultiPoint`` features (of at most 256 places, as a hover or click sends its whole feature
  back) whose properties carry only the feature's number and style, so a place costs its two
  coordinates in the widget state (about 20 bytes). A hover or click reports the feature and the
  pointer's coordinates; the place is the nearest point of that feature, and its sessions are
  looked up in the DataFrame, kernel-side.
- **Widgets do not grow with sessions**: the map, its layers (country outlines, places,
  selection, the heatmap once asked for) and five controls (zoom, heatmap toggle, info panel,
  legend, attribution), whatever the number of rows.

``highlight(rows)`` rings the places of rows of ``df`` (a second, small GeoJSON layer) and fits
the view to them; ``picked`` holds the rows of the last clicked place.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
import numpy as np
import pandas as pd
import traitlets
from ipyleaflet import AttributionControl, GeoJSON, Heatmap, Map, WidgetControl, ZoomControl

from ..frame import gc_paused
from .basemap import base_layers
from .columns import as_text, coordinates, online, plural
from .tree import shared_look

if TYPE_CHECKING:
    from ..result import SessionsResult

PLACE_DECIMALS = 4
ONLINE_COLOR, OFFLINE_COLOR, SELECTED_COLOR = "#e6550d", "#3182bd", "#ffd400"
# Upper bounds of the pages viewed at a place for each size class, and the radii in pixels.
PAGE_CLASSES = (1, 4, 14, 49, math.inf)
RADII = (4, 6, 8, 11, 14)
POINT_STYLE = {"radius": 5, "color": "#ffffff", "weight": 1, "fillOpacity": 0.8}
SELECTED_STYLE = {"color": SELECTED_COLOR, "weight": 3, "fill": False, "radius": 16}
PAGES_COLUMNS = ("pages_viewed", "pageviews", "number_of_pages_viewed")
VIEW_PX = (640, 420)  # the map's size the view is fitted for (its layout height; a narrow width)
LISTED_SESSIONS = 8
# Places per MultiPoint feature: a hover or click sends its whole feature back to the kernel.
FEATURE_POINTS = 256


@dataclass(frozen=True)
class Places:
    """Sessions grouped by place: place ``p`` has coordinates ``lat[p]``, ``lon[p]`` and the
    rows ``rows[starts[p]:starts[p + 1]]`` of the frame."""

    lat: np.ndarray
    lon: np.ndarray
    rows: np.ndarray
    starts: np.ndarray
    online: np.ndarray
    pages: np.ndarray
    place_of_row: np.ndarray  # -1 for a row without a location

    def __len__(self) -> int:
        return len(self.lat)

    def sessions(self, place: int) -> np.ndarray:
        return self.rows[self.starts[place] : self.starts[place + 1]]

    @property
    def size_class(self) -> np.ndarray:
        return np.searchsorted(np.asarray(PAGE_CLASSES), self.pages, side="left")


def group_places(df: pd.DataFrame) -> Places:
    """Group the located rows of ``df`` by coordinates rounded to 4 decimals."""
    n = len(df)
    lat, lon = coordinates(df)
    located = np.flatnonzero(~(np.isnan(lat) | np.isnan(lon)))
    scale = 10**PLACE_DECIMALS
    # One integer a place (whole 1e-4 degrees of latitude, then of longitude): sorts fast.
    steps_lat = np.rint(lat[located] * scale).astype(np.int64)
    steps_lon = np.rint(lon[located] * scale).astype(np.int64)
    keys, inverse = np.unique(steps_lat * (400 * scale) + steps_lon, return_inverse=True)
    inverse = inverse.reshape(-1)
    unique_lat, unique_lon = np.divmod(keys + 200 * scale, 400 * scale)
    unique = np.column_stack([unique_lat, unique_lon - 200 * scale]) / scale
    order = np.argsort(inverse, kind="stable")
    counts = np.bincount(inverse, minlength=len(unique))
    is_online = online(df)[located]
    pages = _pages(df)[located]
    place_of_row = np.full(n, -1, dtype=np.int64)
    place_of_row[located] = inverse
    return Places(
        lat=unique[:, 0],
        lon=unique[:, 1],
        rows=located[order],
        starts=np.concatenate([[0], np.cumsum(counts)]),
        online=np.bincount(inverse, weights=is_online, minlength=len(unique)) > 0,
        pages=np.bincount(inverse, weights=pages, minlength=len(unique)).astype(np.int64),
        place_of_row=place_of_row,
    )


def _pages(df: pd.DataFrame) -> np.ndarray:
    for name in PAGES_COLUMNS:
        if name in df:
            values = pd.to_numeric(df[name], errors="coerce").to_numpy(dtype=float, na_value=1)
            return np.where(np.isnan(values), 1, np.maximum(values, 1))
    return np.ones(len(df))


def place_features(
    places: Places, keep: np.ndarray | None = None
) -> tuple[dict[str, Any], list[np.ndarray]]:
    """MultiPoint features of at most ``FEATURE_POINTS`` places drawn alike (status × size
    class; big ones first, online on top), and the places of each feature: feature ``k`` has
    ``properties["k"] == k``. ``keep``: which places to draw (default: all)."""
    size = places.size_class
    features, members = [], []
    for is_online in (False, True):
        for cls in reversed(range(len(RADII))):
            drawn = (places.online == is_online) & (size == cls)
            alike = np.flatnonzero(drawn if keep is None else drawn & keep)
            for start in range(0, len(alike), FEATURE_POINTS):
                part = alike[start : start + FEATURE_POINTS]
                coordinates = np.column_stack([places.lon[part], places.lat[part]]).tolist()
                style = {
                    "radius": RADII[cls],
                    "fillColor": ONLINE_COLOR if is_online else OFFLINE_COLOR,
                }
                features.append(
                    {
                        "type": "Feature",
                        "properties": {
                            "k": len(members),
                            "online": is_online,
                            "size": cls,
                            "style": style,
                        },
                        "geometry": {"type": "MultiPoint", "coordinates": coordinates},
                    }
                )
                members.append(part)
    return {"type": "FeatureCollection", "features": features}, members


def fitted_view(lat: np.ndarray, lon: np.ndarray, size: tuple[int, int] = VIEW_PX) -> tuple:
    """``(center, zoom)`` showing every point on a map of ``size`` pixels (Web Mercator).

    Computed kernel-side, so the view is right before the map is shown: ipyleaflet's
    ``fit_bounds`` waits for the browser to report the map's bounds."""
    if not len(lat):
        return (20.0, 0.0), 1
    south, north = float(lat.min()), float(lat.max())
    west, east = float(lon.min()), float(lon.max())

    def mercator_y(degrees: float) -> float:
        clipped = math.radians(max(min(degrees, 85.0), -85.0))
        return math.log(math.tan(math.pi / 4 + clipped / 2))

    width, height = size
    span_x = max(east - west, 1e-6) / 360.0
    span_y = max(mercator_y(north) - mercator_y(south), 1e-6) / (2 * math.pi)
    zoom = math.floor(min(math.log2(width / 256 / span_x), math.log2(height / 256 / span_y)))
    return ((south + north) / 2, (west + east) / 2), int(min(max(zoom, 1), 12))


class SessionsMap(Map):
    """An ipyleaflet ``Map`` of the sessions of a DataFrame (see the module's notes)."""

    picked = traitlets.List(traitlets.Int(), help="Rows of df at the last clicked place.")

    def __init__(self, df: pd.DataFrame, *, basemap: str | None = None, **kwargs: Any) -> None:
        self.df = df
        # pandas deep-copies attrs on every operation: look rows up in a view without them.
        self._plain = df.copy(deep=False)
        self._plain.attrs = {}
        self.places = group_places(self._plain)
        self._row_online, self._row_pages = online(self._plain), _pages(self._plain)
        self.shown: np.ndarray | None = None  # which rows of df are drawn (None: all)
        self._shown_places = len(self.places)
        self.missing = int((self.places.place_of_row < 0).sum())
        self.labels: dict[str, str] = dict(df.attrs.get("labels") or {})
        self.profile_columns = [
            c for c in df.attrs.get("profile_columns") or () if c in df.columns
        ] or [c for c in ("city", "country", "pages_viewed", "referrer", "search") if c in df]
        collection, self._feature_places = place_features(self.places)
        self.points = GeoJSON(data=collection, point_style=POINT_STYLE, name="sessions")
        self.selection = GeoJSON(
            data={"type": "FeatureCollection", "features": []},
            point_style=SELECTED_STYLE,
            name="selected",
        )
        self.heatmap: Heatmap | None = None
        self.info = widgets.HTML(
            "<small>hover or click a place</small>",
            **shared_look(widgets.HTML, max_width="300px", max_height="260px", overflow="auto"),
        )
        self.legend = widgets.HTML(self._legend_html(), **shared_look(widgets.HTML))
        self.heatmap_toggle = widgets.ToggleButton(
            value=False,
            description="heatmap",
            icon="fire",
            **shared_look(widgets.ToggleButton, width="100px"),
        )
        center, zoom = fitted_view(self.places.lat, self.places.lon)
        super().__init__(
            layers=[*base_layers(basemap), self.points, self.selection],
            controls=[
                ZoomControl(position="topleft"),
                WidgetControl(widget=self.heatmap_toggle, position="topleft"),
                WidgetControl(widget=self.info, position="topright"),
                WidgetControl(widget=self.legend, position="bottomleft"),
                AttributionControl(position="bottomright", prefix="ipyleaflet"),
            ],
            zoom_control=False,  # the controls above, in this order, instead of Map's own
            attribution_control=False,
            prefer_canvas=True,
            center=center,
            zoom=zoom,
            scroll_wheel_zoom=True,
            layout=widgets.Layout(height=f"{VIEW_PX[1]}px"),
            **kwargs,
        )
        self.points.on_hover(self._on_hover)
        self.points.on_click(self._on_click)
        self.heatmap_toggle.observe(self._on_heatmap_toggle, "value")

    # --- places under the pointer -----------------------------------------------------------

    def place_at(self, properties: dict[str, Any], coordinates: Sequence[float]) -> int | None:
        """The place of the feature with ``properties`` nearest to ``coordinates`` (lat, lon)."""
        try:
            members = self._feature_places[int(properties["k"])]
            lat, lon = float(coordinates[0]), float(coordinates[1])
        except (KeyError, TypeError, ValueError, IndexError):
            return None
        if not len(members):
            return None
        dlat = self.places.lat[members] - lat
        dlon = (self.places.lon[members] - lon) * math.cos(math.radians(lat))
        return int(members[np.argmin(dlat * dlat + dlon * dlon)])

    def _on_hover(self, **event: Any) -> None:
        place = self.place_at(event.get("properties") or {}, event.get("coordinates"))
        if place is not None:
            self.info.value = self.profile_html(place)

    def _on_click(self, **event: Any) -> None:
        place = self.place_at(event.get("properties") or {}, event.get("coordinates"))
        if place is not None:
            self.info.value = self.profile_html(place)
            rows = [int(r) for r in self.place_rows(place)]
            if rows == self.picked:
                self.picked = []  # a second click on the same place picks it again
            self.picked = rows

    # --- info panel and legend --------------------------------------------------------------

    def profile_html(self, place: int) -> str:
        """The info panel for a place: one session's profile, or the list of its sessions."""
        rows = self.place_rows(place)
        online_count = int(online(self._plain.iloc[rows]).sum())
        first = self._plain.iloc[rows[0]]
        where = ", ".join(
            html.escape(str(first[c])) for c in ("city", "country") if c in first and _has(first[c])
        )
        head = f"<b>{where or 'place'}</b> · {plural(len(rows), 'session')}"
        head += f" ({online_count:,} online)" if online_count else ""
        if len(rows) == 1:
            return head + self._profile_table(rows[0])
        listed = "".join(f"<li>{self._one_line(int(r))}</li>" for r in rows[:LISTED_SESSIONS])
        more = (
            f"<li>… {len(rows) - LISTED_SESSIONS} more</li>" if len(rows) > LISTED_SESSIONS else ""
        )
        return f"{head}<ol style='margin:2px 0;padding-left:18px'>{listed}{more}</ol><small>click to select them in the table</small>"

    def _profile_table(self, row: int) -> str:
        one = self._plain.iloc[[row]]
        cells = []
        for name in self.profile_columns:
            value = as_text(one[name])[0]
            if _has(value):
                label = html.escape(self.labels.get(name, name))
                cells.append(f"<tr><td><i>{label}</i></td><td>{html.escape(str(value))}</td></tr>")
        return "<table style='font-size:11px;line-height:1.2'>" + "".join(cells) + "</table>"

    def _one_line(self, row: int) -> str:
        session = self._plain.iloc[row]
        parts = [f"row {row}"]
        for name in ("pages_viewed", "duration", "browser", "search"):
            if name in session and _has(session[name]):
                value = as_text(self._plain[name].iloc[[row]])[0]
                parts.append(
                    f"{html.escape(self.labels.get(name, name))} {html.escape(str(value))}"
                )
        return " · ".join(parts)

    def _legend_html(self) -> str:
        def dot(color: str, radius: int) -> str:
            d = 2 * radius + 2
            return (
                f"<svg width='{d}' height='{d}' style='vertical-align:middle'><circle cx='{d / 2}'"
                f" cy='{d / 2}' r='{radius}' fill='{color}' fill-opacity='0.8' stroke='#fff'/></svg>"
            )

        total = len(self.df) if self.shown is None else int(self.shown.sum())
        located = total - self.missing
        sizes = " ".join(dot("#999", r) + f"{_pages_text(k)}" for k, r in enumerate(RADII))
        return (
            "<div style='font-size:11px;line-height:1.4;background:rgba(255,255,255,.85);padding:2px 6px'>"
            f"{dot(ONLINE_COLOR, 5)} online {dot(OFFLINE_COLOR, 5)} offline<br>"
            f"pages viewed at a place: {sizes}<br>"
            f"<b>{plural(located, 'session')}</b> at <b>{plural(self._shown_places, 'place')}</b> · "
            f"<b>{self.missing:,}</b> without a location (not on the map)</div>"
        )

    # --- filtering (the overview's crossfilter) --------------------------------------------

    def show_rows(self, mask: np.ndarray | None) -> None:
        """Draw only the sessions where ``mask`` (a boolean array over df) is true; ``None``
        draws them all. A place is drawn for its sessions that remain (status, pages); the
        legend counts them, and clicking a place picks only them."""
        full = self.places
        if mask is None:
            self.shown, styled, keep = None, full, None
            counts = np.diff(full.starts)
        else:
            self.shown = np.asarray(mask, dtype=bool)
            kept = self.shown & (full.place_of_row >= 0)
            where = full.place_of_row[kept]
            counts = np.bincount(where, minlength=len(full))
            on, pages = self._row_online[kept], self._row_pages[kept]
            styled = Places(
                lat=full.lat, lon=full.lon, rows=full.rows, starts=full.starts,
                online=np.bincount(where, weights=on, minlength=len(full)) > 0,
                pages=np.bincount(where, weights=pages, minlength=len(full)).astype(np.int64),
                place_of_row=full.place_of_row,
            )  # fmt: skip
            keep = counts > 0
        collection, self._feature_places = place_features(styled, keep)
        self.points.data = collection
        rows = full.place_of_row if self.shown is None else full.place_of_row[self.shown]
        self.missing = int((rows < 0).sum())
        self._shown_places = len(full) if keep is None else int(keep.sum())
        self.legend.value = self._legend_html()
        if self.heatmap is not None:
            drawn = counts > 0
            self.heatmap.locations = np.column_stack(
                [full.lat[drawn], full.lon[drawn], counts[drawn]]
            ).tolist()

    def place_rows(self, place: int) -> np.ndarray:
        """The rows of df at ``place`` that the map shows (all, unless filtered)."""
        rows = self.places.sessions(place)
        return rows if self.shown is None else rows[self.shown[rows]]

    # --- selection and heatmap --------------------------------------------------------------

    def highlight(self, rows: Iterable[int]) -> None:
        """Ring the places of these rows of df and fit the view to them (nothing: clear)."""
        rows = np.asarray(list(rows), dtype=np.int64)
        rows = rows[(rows >= 0) & (rows < len(self.df))]
        places = np.unique(self.places.place_of_row[rows]) if len(rows) else np.empty(0, int)
        places = places[places >= 0]
        unlocated = int((self.places.place_of_row[rows] < 0).sum())
        if unlocated:
            self.info.value = (
                f"<small>{unlocated} of the {len(rows)} selected session"
                f"{'s' * (len(rows) != 1)} {'has' if unlocated == 1 else 'have'} no location:"
                " not on the map</small>"
            )
        coordinates = np.column_stack([self.places.lon[places], self.places.lat[places]])
        features = (
            [
                {
                    "type": "Feature",
                    "properties": {},
                    "geometry": {"type": "MultiPoint", "coordinates": coordinates.tolist()},
                }
            ]
            if len(places)
            else []
        )
        self.selection.data = {"type": "FeatureCollection", "features": features}
        if len(places) == 1:
            self.center = (float(self.places.lat[places[0]]), float(self.places.lon[places[0]]))
            self.zoom = max(self.zoom, 4)
        elif len(places) > 1:
            self.center, self.zoom = fitted_view(self.places.lat[places], self.places.lon[places])

    def _on_heatmap_toggle(self, change: dict[str, Any]) -> None:
        if change["new"]:
            if self.heatmap is None:
                counts = np.diff(self.places.starts)
                self.heatmap = Heatmap(
                    locations=np.column_stack([self.places.lat, self.places.lon, counts]).tolist(),
                    max=float(np.percentile(counts, 95)) if len(counts) else 1.0,
                    radius=18,
                    name="heatmap",
                )
                if self.shown is not None:
                    self.show_rows(self.shown)  # the heatmap of the sessions shown
            if self.heatmap not in self.layers:
                self.layers = (*self.layers[:-2], self.heatmap, *self.layers[-2:])
        elif self.heatmap is not None and self.heatmap in self.layers:
            self.layers = tuple(layer for layer in self.layers if layer is not self.heatmap)


def _has(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return False
    if isinstance(value, float) and math.isnan(value):
        return False
    return str(value) != ""


def _pages_text(k: int) -> str:
    low = 1 if k == 0 else PAGE_CLASSES[k - 1] + 1
    high = PAGE_CLASSES[k]
    if high == low:
        return str(low)
    return f"{low}+" if math.isinf(high) else f"{low}–{high}"


def build_map(result: SessionsResult | pd.DataFrame, **kwargs: Any) -> SessionsMap:
    """The map of ``result`` (a :class:`~ot_magic.result.SessionsResult` or a DataFrame)."""
    df = result if isinstance(result, pd.DataFrame) else result.df
    with gc_paused():  # many new objects, all kept: the collector would only walk the heap
        return SessionsMap(df, **kwargs)
