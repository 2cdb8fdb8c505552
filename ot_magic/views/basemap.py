"""The map's background: country outlines shipped with the package, and tiles when reachable.

    >>> from ot_magic.views.basemap import base_layers
    >>> [type(layer).__name__ for layer in base_layers("offline")]
    ['GeoJSON']

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
±180° so a flat map draws no line across the world.
"""

from __future__ import annotations

import gzip
import json
import os
import socket
import threading
from functools import cache
from importlib import resources
from typing import Any, Literal

from ipyleaflet import GeoJSON, TileLayer, basemaps

from .tree import SHARED

Basemap = Literal["auto", "offline", "tiles"]
BASEMAPS: tuple[str, ...] = ("auto", "offline", "tiles")
TILE_HOST = "tile.openstreetmap.org"
OUTLINE_STYLE = {"color": "#8c8c8c", "weight": 0.6, "fillColor": "#f4f1ea", "fillOpacity": 1.0}
LINE_STYLE = {"color": "#8c8c8c", "weight": 0.6, "fill": False}


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


def outline_layer(filled: bool = True) -> GeoJSON:
    """The outlines' layer, shared by every map of the kernel (its 170 KB of state is sent to
    the browser once, not once per map); made again only if it was closed."""
    layer = _OUTLINE_LAYERS.get(filled)
    if layer is None or layer.comm is None:
        # The style rides in each feature: a layer ``style`` would deep-copy the data.
        layer = _OUTLINE_LAYERS[filled] = GeoJSON(data=world_outlines(filled), name="countries")
        setattr(layer, SHARED, True)
    return layer


_OUTLINE_LAYERS: dict[bool, GeoJSON] = {}


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
