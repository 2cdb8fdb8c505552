"""The map's background: country outlines shipped with the package, and tiles when reachable.

    >>> from ot_magic.views.basemap import base_layers
    >>> [type(layer).__name__ for layer in base_layers("offline")]
    ['ImageOverlay']

A classroom without internet must still see where its visitors are, so the outlines are always
the bottom layer: ``basemap="offline"`` shows them alone, filled (land on Leaflet's grey sea);
``"tiles"`` puts OpenStreetMap tiles under them and draws the outlines as thin lines only;
``"auto"`` is ``"tiles"`` when a quick check (one TCP connection to the tile server, at most
half a second, once per process) succeeds from the kernel, else ``"offline"``. The default is
the environment variable ``OT_BASEMAP``, else ``"offline"``: a map reaches out to no server
(a privacy promise, and tests that talk only to loopback) unless its user asks for tiles.

Data: ``ot_magic/data/world-110m.geojson.gz`` (177 countries, 52 KB) is Natural Earth's 1:110m
admin-0 countries (public domain, naturalearthdata.com) as carried by the npm package
``world-atlas`` 2.0.2 (``countries-110m.json``, ISC licence), converted once from TopoJSON to
GeoJSON with ``topojson-client`` 3.1.0's ``feature()``, coordinates rounded to 0.01°, only the
``name`` property kept, and the rings that cross the antimeridian (Russia, Fiji) unwrapped past
±180° so a flat map draws no line across the world. The map shows them as one SVG image
(``outline_image``); the static display of a result draws them with ``outline_path`` too.
"""

from __future__ import annotations

import gzip
import json
import math
import os
import socket
import threading
from functools import cache
from importlib import resources
from typing import Any, Literal
from urllib.parse import quote

import numpy as np
from ipyleaflet import ImageOverlay, TileLayer, basemaps

from .tree import SHARED

Basemap = Literal["auto", "offline", "tiles"]
BASEMAPS: tuple[str, ...] = ("auto", "offline", "tiles")
TILE_HOST = "tile.openstreetmap.org"
OUTLINE_STYLE = {"color": "#8c8c8c", "weight": 0.6, "fillColor": "#f4f1ea", "fillOpacity": 1.0}
LINE_STYLE = {"color": "#8c8c8c", "weight": 0.6, "fill": False}
MERCATOR_LIMIT = 85.0511287798  # the latitude where Web Mercator (Leaflet's map) stops
OVERLAY_PX = 2048  # the world's width in the outlines' SVG (zoom 3); points closer are merged


@cache
def world_outlines(filled: bool = True) -> dict[str, Any]:
    """The country outlines as a GeoJSON FeatureCollection, each feature carrying its style
    (filled land, or lines only); read once per process and shared, never modified."""
    packed = resources.files("ot_magic").joinpath("data/world-110m.geojson.gz").read_bytes()
    collection = json.loads(gzip.decompress(packed))
    style = OUTLINE_STYLE if filled else LINE_STYLE
    for feature in collection["features"]:
        feature["properties"]["style"] = style
    return collection


def mercator_y(lat: np.ndarray, limit: float = MERCATOR_LIMIT) -> np.ndarray:
    """Web Mercator's y of latitudes (degrees, clipped to ±``limit``) as a fraction of the
    world's width, north up: ``mercator_y(np.array([MERCATOR_LIMIT]))`` is ``[-0.5]``."""
    clipped = np.radians(np.clip(lat, -limit, limit))
    return -np.log(np.tan(np.pi / 4 + clipped / 2)) / (2 * np.pi)


def outline_path(
    left: float,
    top: float,
    scale: float,
    size: tuple[int, int],
    step_px: float = 1.0,
    limit: float = MERCATOR_LIMIT,
) -> str:
    """The country outlines as one SVG path in whole pixels of a view ``size`` big, whose top
    left corner is (``left``, ``top``) in world fractions (x from -180°, ``mercator_y``) at
    ``scale`` pixels a world width; rings outside the view or smaller than three pixels are
    left out, and points closer than ``step_px`` to the one kept before."""
    width, height = size
    commands = []
    for feature in world_outlines()["features"]:
        geometry = feature["geometry"]
        polygons = geometry["coordinates"]
        for polygon in polygons if geometry["type"] == "MultiPolygon" else [polygons]:
            for ring in polygon:
                points = np.asarray(ring, dtype=float)
                px = ((points[:, 0] + 180.0) / 360.0 - left) * scale
                py = (mercator_y(points[:, 1], limit) - top) * scale
                if px.max() < 0 or px.min() > width or py.max() < 0 or py.min() > height:
                    continue
                if np.ptp(px) < 3 and np.ptp(py) < 3:
                    continue
                x, y = _thinned(px, py, step_px)
                if len(x) < 4:
                    continue
                steps = np.column_stack([np.diff(x), np.diff(y)]).ravel().tolist()
                moves = " ".join(map(str, steps)).replace(" -", "-")
                commands.append(f"M{x[0]} {y[0]}l{moves}z")
    return "".join(commands)


def _thinned(px: np.ndarray, py: np.ndarray, step: float) -> tuple[np.ndarray, np.ndarray]:
    """The points at least ``step`` from the one kept before them, in whole pixels."""
    kept = [0]
    last_x, last_y = px[0], py[0]
    for i, (x, y) in enumerate(zip(px.tolist(), py.tolist(), strict=True)):
        if (x - last_x) ** 2 + (y - last_y) ** 2 >= step**2:
            kept.append(i)
            last_x, last_y = x, y
    return np.rint(px[kept]).astype(np.int64), np.rint(py[kept]).astype(np.int64)


@cache
def outline_image(filled: bool = True) -> tuple[str, tuple[tuple[float, float], ...]]:
    """The outlines drawn once as an SVG image in Web Mercator: ``(data URL, bounds)``.

    An image, not a GeoJSON layer: a notebook saves every widget's state, and GeoJSON's
    nested coordinates, written one number a line, weighed 866 KB in each executed example;
    the SVG is one string of about 45 KB. Its lines keep their width at every zoom."""
    east = max(
        max(point[0] for ring in polygon for point in ring)
        for feature in world_outlines()["features"]
        for polygon in (
            feature["geometry"]["coordinates"]
            if feature["geometry"]["type"] == "MultiPolygon"
            else [feature["geometry"]["coordinates"]]
        )
    )
    width = math.ceil((east + 180.0) / 360.0 * OVERLAY_PX)
    path = outline_path(0.0, -0.5, OVERLAY_PX, (width, OVERLAY_PX))
    style = OUTLINE_STYLE if filled else LINE_STYLE
    fill = style["fillColor"] if filled else "none"
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{OVERLAY_PX}"'
        f' viewBox="0 0 {width} {OVERLAY_PX}" preserveAspectRatio="none"><path d="{path}"'
        f' fill="{fill}" stroke="{style["color"]}" stroke-width="{style["weight"]}"'
        ' stroke-linejoin="round" vector-effect="non-scaling-stroke"/></svg>'
    )
    url = "data:image/svg+xml," + quote(svg, safe=' =:/-.,"')
    return url, ((-MERCATOR_LIMIT, -180.0), (MERCATOR_LIMIT, east))


def outline_layer(filled: bool = True) -> ImageOverlay:
    """The outlines' layer, shared by every map of the kernel (sent to the browser once, not
    once per map); made again only if it was closed."""
    layer = _OUTLINE_LAYERS.get(filled)
    if layer is None or layer.comm is None:
        url, bounds = outline_image(filled)
        layer = _OUTLINE_LAYERS[filled] = ImageOverlay(url=url, bounds=bounds, name="countries")
        setattr(layer, SHARED, True)
    return layer


_OUTLINE_LAYERS: dict[bool, ImageOverlay] = {}


@cache
def tiles_reachable(host: str = TILE_HOST, timeout: float = 0.5) -> bool:
    """Whether a TCP connection to ``host``:443 opens within ``timeout`` seconds (name lookup
    included); checked once per process."""
    opened = threading.Event()

    def attempt() -> None:
        try:
            socket.create_connection((host, 443), timeout=timeout).close()
            opened.set()
        except OSError:
            pass

    threading.Thread(target=attempt, daemon=True, name="ot-tiles-check").start()
    return opened.wait(timeout)


def resolve(basemap: str | None = None) -> str:
    """The basemap to draw: ``None`` is ``OT_BASEMAP`` or ``"offline"``, ``"auto"`` made
    concrete (``"tiles"`` or ``"offline"``); a wrong name is one line."""
    if basemap is None:
        basemap = os.environ.get("OT_BASEMAP") or "offline"
    if basemap not in BASEMAPS:
        raise ValueError(f"basemap: expected one of {', '.join(BASEMAPS)}, got {basemap!r}")
    if basemap == "auto":
        return "tiles" if tiles_reachable() else "offline"
    return basemap


def base_layers(basemap: str | None = None) -> list[Any]:
    """The bottom layers of a map: tiles (if any) under the country outlines."""
    mode = resolve(basemap)
    outlines = outline_layer(filled=mode == "offline")
    if mode == "offline":
        return [outlines]
    tiles = TileLayer(
        url=basemaps.OpenStreetMap.Mapnik.build_url(),
        attribution=basemaps.OpenStreetMap.Mapnik.html_attribution,
        name="OpenStreetMap",
        base=True,
    )
    return [tiles, outlines]
